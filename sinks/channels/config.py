"""The channels file: which sales channels the channel sink feeds, and how.

One pydantic model per entry, validated once at start-up; every problem becomes a
`ConfigurationError` naming the channel and the field. Secrets (an access token or an HMAC key) are
never in the file: it names an environment variable or a file holding them, read at load time into a
`SecretStr`, which never prints its value.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_core import ErrorDetails

from supplystream.atp import ChannelBuffer
from supplystream.errors import ConfigurationError
from supplystream.yaml_files import load_yaml_model, parse_yaml_model


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretSource(_Model):
    """Where a secret lives: an environment variable or a file (first line, stripped)."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretSource:
        if (self.env is None) == (self.file is None):
            raise ValueError("name exactly one of `env` (an environment variable) or `file`")
        return self

    def read(self, environ: dict[str, str] | None = None) -> SecretStr:
        """The secret's value; ConfigurationError when it is missing."""
        if self.env is not None:
            value = (environ if environ is not None else os.environ).get(self.env)
            if not value:
                raise ConfigurationError(f"environment variable {self.env} is not set: export the secret")
            return SecretStr(value)
        path = self.file or Path()  # the validator guarantees one of them
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"cannot read the secret file {path}: {exc.strerror}") from exc
        if not text:
            raise ConfigurationError(f"the secret file {path} is empty")
        return SecretStr(text)


class BearerAuth(_Model):
    """A static access token sent in a header (``Authorization: Bearer <token>`` by default).

    Shopify's Admin API wants ``header: X-Shopify-Access-Token`` and ``prefix: ""``.
    """

    type: Literal["bearer"]
    token: SecretSource
    header: str = "Authorization"
    prefix: str = "Bearer "


class HmacAuth(_Model):
    """Each request signed: ``hex(HMAC-SHA256(key, "{timestamp}.{METHOD}.{path}.{body}"))``.

    Sent as ``{signature_header}: sha256=<hex>`` with ``{timestamp_header}: <unix seconds>`` and, when
    set, ``{key_id_header}: <key_id>``.
    """

    type: Literal["hmac"]
    secret: SecretSource
    key_id: str | None = None
    signature_header: str = "X-Signature"
    timestamp_header: str = "X-Signature-Timestamp"
    key_id_header: str = "X-Key-Id"


Auth = Annotated[BearerAuth | HmacAuth, Field(discriminator="type")]


class Buffer(_Model):
    """What the channel holds back beyond safety stock: a number of units, or a percentage."""

    units: Decimal = Field(default=Decimal(0), ge=0)
    percent: Decimal = Field(default=Decimal(0), ge=0, lt=100)


class RateLimit(_Model):
    """Requests the sink allows itself against the channel (a token bucket, like Shopify's leaky bucket)."""

    requests_per_second: float = Field(default=2.0, gt=0)
    burst: int = Field(default=40, ge=1)


class Channel(_Model):
    """One sales channel (a Shopify store's Admin REST API)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    api: Literal["shopify-rest"] = "shopify-rest"
    base_url: str = Field(pattern=r"^https?://")
    api_version: str = "2024-07"
    #: The channel's location whose ``available`` quantity the sink sets (Shopify ``location_id``).
    location_id: int
    auth: Auth
    #: Warehouse codes whose ATP feeds this channel; shipments from them send tracking here.
    warehouses: tuple[str, ...] = Field(min_length=1)
    buffer: Buffer = Buffer()
    #: Units never offered on this channel (on top of each warehouse's own safety stock).
    safety_stock: Decimal = Field(default=Decimal(0), ge=0)
    rate_limit: RateLimit = RateLimit()
    #: Seconds a request may take before the channel counts as unavailable.
    timeout_s: float = Field(default=10.0, gt=0)
    #: Longest Retry-After the sink waits inside one write; longer asks are retried by the runtime.
    max_retry_after_s: float = Field(default=60.0, gt=0)
    #: Tell the customer when tracking is sent (Shopify ``notify_customer``).
    notify_customer: bool = False

    @property
    def channel_buffer(self) -> ChannelBuffer:
        """The buffer in `supplystream.atp` terms: safety stock and units are fixed, percent is a share."""
        return ChannelBuffer(fixed=self.safety_stock + self.buffer.units, share=self.buffer.percent / 100)


class ChannelsFile(_Model):
    """The whole file."""

    version: Literal[1] = 1
    channels: tuple[Channel, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> ChannelsFile:
        names = [c.name for c in self.channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"channel names must be unique: {', '.join(duplicates)}")
        return self


def parse_channels(text: str, source: str = "channels file") -> ChannelsFile:
    """Validate YAML text; ConfigFileError names the channel and field at fault."""
    return parse_yaml_model(text, ChannelsFile, source, describe=_describe)


def load_channels(path: Path) -> ChannelsFile:
    """Read and validate the channels file at ``path``."""
    return load_yaml_model(
        path,
        ChannelsFile,
        "the channels file",
        hint="set SUPPLYSTREAM_SINKS__CHANNELS_FILE",
        describe=_describe,
    )


def _describe(error: ErrorDetails, data: object) -> str:
    loc, message = error["loc"], error["msg"]
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] == "channels" and isinstance(loc[1], int) and isinstance(data, dict):
        channels = data.get("channels")
        if isinstance(channels, list) and loc[1] < len(channels) and isinstance(channels[loc[1]], dict):
            parts[1] = str(channels[loc[1]].get("name", loc[1]))
    return f"{'.'.join(parts)}: {message}"
