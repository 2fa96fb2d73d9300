"""Per-sender webhook settings: who may send what, how it is verified, and how its payload maps.

The file is YAML (``deploy/webhooks.example.yaml``) validated by pydantic with ``extra="forbid"``,
so a typo in a key fails at start-up instead of silently doing nothing. Payload mappings are data:
each event field names a JSON path into the sender's body (``order_id: "$.order.id"``), lines come
from a list path with item-relative field paths, and ``constants`` fill fields the sender never sends
(``company``, ``carrier``, ``channel``). Field names are checked against the event models here.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from producers.webhooks.errors import WebhookConfigError
from producers.webhooks.jsonpath import parse_path
from supplystream.events import Event, OrderPlaced, PurchaseReceived, ShipmentConfirmed
from supplystream.yaml_files import load_yaml_model, validate_model

Kind = Literal["shipment-confirmed", "tracking-update", "order-placed", "receipt-confirmed"]

#: The event each webhook kind becomes. A tracking update is a shipment.confirmed carrying the
#: new tracking number: its mapping must supply every required shipment.confirmed field (from the
#: payload or constants), otherwise the request is rejected with 422 naming the missing fields.
EVENT_OF_KIND: dict[str, type[Event]] = {
    "shipment-confirmed": ShipmentConfirmed,
    "tracking-update": ShipmentConfirmed,
    "order-placed": OrderPlaced,
    "receipt-confirmed": PurchaseReceived,
}

#: Envelope fields the service sets itself; a mapping may not override them.
RESERVED_FIELDS = frozenset({"event_id", "event_type", "source"})

KIB = 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinesMapping(_Strict):
    """Event lines from a JSON list: ``path`` selects the list, ``fields`` map each item."""

    path: str
    #: Line field -> JSON path relative to one item (``$`` is the item).
    fields: dict[str, str]
    constants: dict[str, str | int | bool] = Field(default_factory=dict)


class KindMapping(_Strict):
    """How one kind's payload becomes event fields."""

    #: Event field (dotted for nested records, e.g. ``ship_to.country``) -> JSON path.
    fields: dict[str, str] = Field(default_factory=dict)
    #: Event field -> fixed value, used when ``fields`` does not name the field or its path is absent.
    constants: dict[str, str | int | bool] = Field(default_factory=dict)
    lines: LinesMapping | None = None


class SenderConfig(_Strict):
    """One webhook sender (a WMS, a carrier, a marketplace)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    secret: SecretStr
    #: The kinds this sender may send; anything else is 404.
    kinds: list[Kind] = Field(min_length=1)
    timestamp_tolerance_s: int = Field(default=300, ge=1)
    max_body_bytes: int = Field(default=256 * KIB, ge=1)
    #: ``source.system`` of the events (e.g. "wms", "carrier", "marketplace").
    system: str = "webhook"
    mappings: dict[Kind, KindMapping]

    @model_validator(mode="after")
    def _mappings_fit(self) -> SenderConfig:
        missing = [kind for kind in self.kinds if kind not in self.mappings]
        if missing:
            raise ValueError(f"kinds without a mapping: {', '.join(missing)}")
        for kind, mapping in self.mappings.items():
            _check_mapping(EVENT_OF_KIND[kind], kind, mapping)
        return self


class WebhooksConfig(_Strict):
    """The whole webhook service configuration."""

    senders: list[SenderConfig] = Field(min_length=1)
    #: Seconds to wait for Kafka's acknowledgement before answering 503.
    ack_timeout_s: float = Field(default=10.0, gt=0)
    #: ``Retry-After`` seconds sent with a 503.
    retry_after_s: int = Field(default=30, ge=1)
    #: Delivery ids remembered (per process) to answer retries without publishing again.
    dedupe_capacity: int = Field(default=100_000, ge=1)

    @model_validator(mode="after")
    def _unique_senders(self) -> WebhooksConfig:
        names = [sender.name for sender in self.senders]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate sender names: {', '.join(duplicates)}")
        return self

    def sender(self, name: str) -> SenderConfig | None:
        """The sender called ``name``, if configured."""
        return next((sender for sender in self.senders if sender.name == name), None)


def _record_fields(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


def _record_class(annotation: Any) -> type[Any] | None:
    """The dataclass inside ``X``, ``X | None`` or ``tuple[X, ...]``, if any."""
    candidates = [annotation, *typing.get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and dataclasses.is_dataclass(c)), None)


def _check_field(event: type[Any], dotted: str, where: str) -> None:
    cls: type[Any] | None = event
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        fields = _record_fields(cls) if cls is not None else {}
        if part not in fields:
            raise ValueError(f"{where}: {event.__name__} has no field {dotted!r}")
        cls = _record_class(fields[part])
        if index < len(parts) - 1 and cls is None:
            raise ValueError(f"{where}: {dotted!r} goes into a field that is not a record")


def _check_mapping(event: type[Event], kind: str, mapping: KindMapping) -> None:
    for name in [*mapping.fields, *mapping.constants]:
        if name.split(".")[0] in RESERVED_FIELDS:
            raise ValueError(f"mappings.{kind}: {name!r} is set by the service, not by a mapping")
        if name.split(".")[0] == "lines":
            raise ValueError(f"mappings.{kind}: map lines under `lines:` (path and fields)")
        _check_field(event, name, f"mappings.{kind}")
    for path in mapping.fields.values():
        parse_path(path)
    if mapping.lines is not None:
        line_cls = _record_class(_record_fields(event)["lines"])
        if line_cls is None:  # pragma: no cover - every webhook event has lines
            raise ValueError(f"mappings.{kind}: {event.__name__} has no lines")
        parse_path(mapping.lines.path)
        for name in [*mapping.lines.fields, *mapping.lines.constants]:
            _check_field(line_cls, name, f"mappings.{kind}.lines")
        for path in mapping.lines.fields.values():
            parse_path(path)


def parse_config(data: Any, source: str = "webhooks config") -> WebhooksConfig:
    """Validate already-parsed configuration data."""
    return validate_model(data, WebhooksConfig, source, error=WebhookConfigError)


def load_config(path: Path) -> WebhooksConfig:
    """Read and validate a YAML configuration file."""
    return load_yaml_model(path, WebhooksConfig, "the webhooks config", error=WebhookConfigError)
