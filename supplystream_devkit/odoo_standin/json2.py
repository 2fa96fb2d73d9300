"""JSON-2, Odoo 19's external API (addons/rpc/controllers/json2.py), over the stand-in's services.

``POST /json/2/<model>/<method>`` with a bearer API key and every argument named; 200 with the result,
or an error status with Odoo's error object (``errors.py``). The checks run in Odoo's order; they and
their statuses are in "JSON-2 (as Odoo 19)" in the stand-in's README.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from supplystream_devkit.odoo_standin.errors import (
    AccessError,
    BadRequest,
    NotFound,
    OdooError,
    Unauthorized,
    UnprocessableEntity,
)
from supplystream_devkit.odoo_standin.schema import MODELS
from supplystream_devkit.odoo_standin.service import METHODS, Services

PREFIX = "/json/2"
_BEARER = re.compile(r"^bearer\s+(.+)$", re.IGNORECASE)
#: What Odoo 19 answers on ``/json/2`` and paths that are not ``/json/2/<model>/<method>``.
HINT = "Did you mean POST /json/2/<model>/<method>?"
CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, JSON body, extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""


def route(path: str) -> tuple[str, str] | None:
    """(model, method) of a JSON-2 path; None for another path under ``/json/2``."""
    parts = path.removeprefix(PREFIX + "/").split("/")
    if not path.startswith(PREFIX + "/") or len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: bearer <token>`` header (any case, as Odoo matches it)."""
    found = _BEARER.match(authorization or "")
    return found.group(1) if found else None


def handle(
    services: Services,
    verb: str,
    path: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    before_call: Callable[[], None] = lambda: None,
) -> Answer:
    """Answer one request under ``/json/2`` (``headers`` by lower-case name); ``before_call`` runs
    just before the method (fault injection)."""
    target = route(path)
    label = f"json2 {target[0]}.{target[1]}" if target else "json2"
    try:
        if verb != "POST" or target is None:
            raise NotFound(HINT)
        uid = _authenticate(services, headers.get("authorization"))
        params = _params(body)
        model, method = target
        args, kwargs = _checked(model, method, params)
        before_call()
        result = services.call(uid, model, method, args, kwargs)
    except OdooError as exc:
        extra = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else {}
        return Answer(exc.http_status, exc.json2_body(), extra, label)
    if method == "create" and isinstance(result, int):
        result = [result]  # JSON-2 answers a recordset's ids, whatever create was given
    return Answer(200, result, {}, label)


def _authenticate(services: Services, authorization: str | None) -> int:
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized("User not authenticated, use an API Key with a Bearer Authorization header.")
    uid = services.uid_for_api_key(token)
    if uid is None:
        raise Unauthorized("Invalid apikey")
    return uid


def _params(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        params = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"could not parse the body as json: {exc.args[0]}") from None
    return dict(params) if isinstance(params, dict) else {}


def _checked(model: str, method: str, params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """(positional args, keyword args) for `Services.call`, after JSON-2's own checks."""
    if model not in MODELS:
        raise NotFound(f"the model {model!r} does not exist")
    if method.startswith("_") or method == "init":
        raise AccessError(f"Private methods (such as '{model}.{method}') cannot be called remotely.")
    entry = METHODS[model].get(method)
    if entry is None:
        raise NotFound(f"The method '{model}.{method}' does not exist")
    takes_ids, function = entry
    ids = params.pop("ids", None) or []
    if not takes_ids and ids:
        raise UnprocessableEntity(f"cannot call {model}.{method} with ids")
    context = params.pop("context", None) or {}
    if not isinstance(context, dict):
        raise UnprocessableEntity("context must be an object")
    args = [ids] if takes_ids else []
    try:
        inspect.signature(function).bind(None, *args, **params)
    except TypeError as exc:
        raise UnprocessableEntity(str(exc.args[0])) from None
    return args, {**params, "context": context}
