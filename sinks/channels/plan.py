"""What a batch of events asks of the channels: level sets and tracking notices. Pure.

A batch is the coalescing window: every ``atp.changed`` in it updates the `AtpView` (older versions
change nothing), and each channel then gets ONE absolute level per SKU it touched — the latest —
however many events for that SKU the batch held. Each ``shipment.confirmed`` becomes one
`TrackingNotice` (duplicates in the batch collapse) for the channels its warehouse feeds.

Idempotency keys are UUIDv5 of what is sent, so a retry or a replay of the same thing reuses its key:
a level's key covers the channel, location, SKU, quantity and the warehouse versions it was computed
from (the same quantity reached again later from newer versions is a new key); a notice's key covers
the channel, order, shipment, carrier and tracking number.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sinks.base import PermanentSinkError, Rejected, SinkRecord
from sinks.channels.availability import ChannelLevel, channel_level, channels_fed_by
from sinks.channels.config import Channel
from supplystream.atp_view import AtpView, apply_atp

ATP_CHANGED = "atp.changed"
SHIPMENT_CONFIRMED = "shipment.confirmed"

#: Namespace of the channel sink's idempotency keys (a fixed, random UUID).
KEY_NAMESPACE = uuid.UUID("6f1d3c1e-4a52-4f0e-9a57-5c0b7f2d9e41")


@dataclass(frozen=True, slots=True)
class LevelSet:
    """Set ``available`` of one SKU on one channel, absolutely."""

    level: ChannelLevel
    idempotency_key: str
    #: The batch's records that led to it (rejected together if the channel refuses it).
    records: tuple[SinkRecord, ...]


@dataclass(frozen=True, slots=True)
class TrackingNotice:
    """A shipped order's tracking number, for the channels its warehouse feeds."""

    order_id: str
    shipment_id: str
    carrier: str
    tracking_number: str
    channels: tuple[str, ...]
    record: SinkRecord

    def idempotency_key(self, channel: str) -> str:
        """Deterministic per channel and shipment."""
        text = (
            f"fulfillment|{channel}|{self.order_id}|{self.shipment_id}|{self.carrier}|{self.tracking_number}"
        )
        return str(uuid.uuid5(KEY_NAMESPACE, text))


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """Everything one batch asks for, and the records that could not be read."""

    levels: tuple[LevelSet, ...] = ()
    notices: tuple[TrackingNotice, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    #: Records of other types, or for warehouses no channel uses.
    ignored: int = 0


@dataclass
class _Collector:
    touched: dict[str, list[SinkRecord]] = field(default_factory=dict)  # sku -> records
    notices: dict[tuple[str, str, str], TrackingNotice] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    ignored: int = 0


def level_key(channel: Channel, level: ChannelLevel) -> str:
    """The idempotency key of setting ``level`` on ``channel``."""
    basis = ",".join(f"{w}@{v}" for w, v in level.basis)
    text = f"level|{channel.name}|{channel.location_id}|{level.sku}|{level.available}|{basis}"
    return str(uuid.uuid5(KEY_NAMESPACE, text))


def plan_batch(batch: Sequence[SinkRecord], view: AtpView, channels: Sequence[Channel]) -> BatchPlan:
    """Update ``view`` from the batch and say what each channel must be sent (see the module doc)."""
    fed = {w for c in channels for w in c.warehouses}
    collected = _Collector()
    for record in batch:
        try:
            _collect(record, view, channels, fed, collected)
        except (KeyError, TypeError, ValueError) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            error = PermanentSinkError(
                f"{record.event_type} at {record.topic}[{record.partition}]@{record.offset} cannot be "
                f"sent to a channel: {what}; fix the producer and re-drive it from the dead-letter topic"
            )
            collected.rejected.append(Rejected(record, error))
    levels = [
        LevelSet(level, level_key(channel, level), tuple(records))
        for channel in channels
        for sku, records in collected.touched.items()
        if any(r.event["warehouse"] in channel.warehouses for r in records)
        for level in (channel_level(view, channel, sku),)
    ]
    return BatchPlan(
        tuple(levels), tuple(collected.notices.values()), tuple(collected.rejected), collected.ignored
    )


def _collect(
    record: SinkRecord, view: AtpView, channels: Sequence[Channel], fed: set[str], collected: _Collector
) -> None:
    event = record.event
    event_type = event.get("event_type", record.topic)
    if event_type == ATP_CHANGED:
        if event["warehouse"] not in fed:
            collected.ignored += 1
            return
        sku, latest = apply_atp(view, event)
        if latest:
            collected.touched.setdefault(sku, []).append(record)
        return
    if event_type == SHIPMENT_CONFIRMED:
        targets = tuple(c.name for c in channels_fed_by(channels, event["warehouse"]))
        if not targets:
            collected.ignored += 1
            return
        notice = TrackingNotice(
            order_id=_text(event, "order_id"),
            shipment_id=_text(event, "shipment_id"),
            carrier=_text(event, "carrier"),
            tracking_number=_text(event, "tracking_number"),
            channels=targets,
            record=record,
        )
        collected.notices.setdefault((notice.order_id, notice.shipment_id, notice.tracking_number), notice)
        return
    collected.ignored += 1


def _text(event: Mapping[str, Any], name: str) -> str:
    value = event[name]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def records_of(levels: Iterable[LevelSet]) -> list[SinkRecord]:
    """The records behind some level sets, once each."""
    seen: dict[tuple[str, int, int], SinkRecord] = {}
    for level in levels:
        for record in level.records:
            seen.setdefault((record.topic, record.partition, record.offset), record)
    return list(seen.values())
