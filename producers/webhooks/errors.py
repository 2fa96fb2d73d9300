"""Errors of the webhook source."""

from __future__ import annotations

from supplystream.errors import ConfigFileError, SupplyStreamError


class WebhookError(SupplyStreamError):
    """Root of the webhook source's errors."""


class WebhookConfigError(ConfigFileError, WebhookError):
    """The webhooks configuration file is unreadable or invalid."""


class SignatureError(WebhookError):
    """A request's signature or timestamp does not verify (answered with 401)."""


class MappingError(WebhookError):
    """A payload does not map onto its event; ``fields`` lists each field and what is wrong."""

    def __init__(self, message: str, fields: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.fields = fields
