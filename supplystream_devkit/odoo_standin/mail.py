"""The chatter after Odoo 17's ``mail`` module: ``mail.message`` and ``message_post``.

``message_post`` (mail.thread, addons/mail/models/mail_thread.py) is keyword-only from Odoo 13:
``record.message_post(body=..., message_type=..., subtype_xmlid=...)``; a positional argument is a
TypeError. It posts on exactly one record (``ensure_one``: anything else is "Expected singleton"),
stores a plain-text body as Odoo's Html field keeps text (escaped, in a ``<p>``; newlines become
``<br>``), and without a subtype it is an internal note (``mail.mt_note``): nobody is notified.
It returns the new message's id (``@api.returns('mail.message')``).

Not covered: followers, notifications and e-mail, attachments, subtypes (``subtype_xmlid`` is
accepted and not kept), ``message_ids`` on the records, tracking of field changes.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from supplystream_devkit.odoo_standin.errors import RawError
from supplystream_devkit.odoo_standin.orm import Env

#: message_type values (mail.message ``message_type``) a caller may post.
POSTABLE_TYPES = ("email", "comment", "notification", "auto_comment")


def body_html(body: str) -> str:
    """A plain-text body as Odoo's Html field stores it (``plaintext2html``)."""
    return "<p>" + html.escape(body).replace("\n", "<br>") + "</p>"


def message_post_on(model: str) -> Callable[..., int]:
    """``message_post`` of ``model`` (a model inheriting mail.thread)."""

    def message_post(
        env: Env,
        ids: list[int],
        *,
        body: str = "",
        subject: str | None = None,
        message_type: str = "notification",
        subtype_xmlid: str | None = None,  # noqa: ARG001 - accepted; subtypes are not kept
        author_id: int | None = None,
        partner_ids: list[int] | None = None,  # noqa: ARG001 - accepted; nobody is notified
    ) -> int:
        if len(ids) != 1:
            raise RawError("builtins.ValueError", f"Expected singleton: {model}({', '.join(map(str, ids))})")
        [record] = env.ensure(model, ids)
        if message_type not in POSTABLE_TYPES:
            raise RawError(
                "builtins.ValueError", f"Wrong value for mail.message.message_type: {message_type!r}"
            )
        user = env.get("res.users", env.uid) or {}
        return env.create_one(
            "mail.message",
            {
                "model": model,
                "res_id": record["id"],
                "record_name": env.display_name(model, record),
                "body": body_html(str(body or "")),
                "subject": subject or False,
                "message_type": message_type,
                "author_id": author_id or user.get("partner_id") or False,
                "date": env.now,
            },
        )

    return message_post
