"""What changes a stock position, as plain data: the ATP processor's commands and their JSON form.

Business events keyed by order or receipt (``order.allocated``, ``order.cancelled``,
``shipment.confirmed``, ``purchase.received``) are translated into commands keyed ``sku|warehouse``
and re-published on ``atp-processor.commands``, so that the one partition owning a key sees every
change to it. The router's reservation requests travel on the same topic. ``stock.moved`` is
already keyed ``sku|warehouse`` and is read directly.

Every command carries its ``Origin``: the record it was derived from (topic, partition, offset) and
its index among the commands derived from that record. Origins only grow per source partition, which
is what makes re-delivered commands recognisable (see `processors.ledger`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from supplystream.atp import on_hand_delta
from supplystream.events import (
    OrderAllocated,
    OrderCancelled,
    PurchaseReceived,
    ShipmentConfirmed,
    StockMoved,
)


def position_key(sku: str, warehouse: str) -> str:
    """The key of a stock position: ``sku|warehouse`` (as topics.yaml declares for stock.moved)."""
    return f"{sku}|{warehouse}"


def split_key(key: str) -> tuple[str, str]:
    """``sku|warehouse`` back into its parts."""
    sku, _, warehouse = key.rpartition("|")
    return sku, warehouse


@dataclass(frozen=True, order=True)
class Origin:
    """The record a command was derived from, and the command's index among its siblings."""

    topic: str
    partition: int
    offset: int
    index: int = 0

    @property
    def stream(self) -> str:
        """The source partition: marks of applied origins are kept per stream."""
        return f"{self.topic}:{self.partition}"


@dataclass(frozen=True)
class Move:
    """On-hand changes by ``delta``."""

    delta: Decimal


@dataclass(frozen=True)
class Allocate:
    """The order is allocated ``quantity`` here (replaces its holds)."""

    order_id: str
    quantity: Decimal


@dataclass(frozen=True)
class Release:
    """``quantity`` of the order shipped or was cancelled here."""

    order_id: str
    quantity: Decimal


@dataclass(frozen=True)
class Expect:
    """A receipt still brings ``outstanding``, due at ``due``."""

    receipt_id: str
    outstanding: Decimal
    due: dt.datetime


@dataclass(frozen=True)
class Reserve:
    """The router asks for ``quantity`` for an order; the answer goes back keyed by the order."""

    request_id: str
    order_id: str
    line_id: str
    quantity: Decimal
    allow_partial: bool


@dataclass(frozen=True)
class DropHold:
    """The router gives a granted hold back."""

    request_id: str


Command = Move | Allocate | Release | Expect | Reserve | DropHold


@dataclass(frozen=True)
class Keyed:
    """A command for one position, with where it came from."""

    key: str
    command: Command
    origin: Origin
    correlation_id: str = ""
    event_id: str = ""


# -- translation (pure) ---------------------------------------------------------------------------


def _per_key(pairs: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for key, quantity in pairs:
        totals[key] = totals.get(key, Decimal(0)) + quantity
    return totals


def commands_for(
    event_type: str, record: Mapping[str, Any], warehouses: Sequence[str]
) -> list[tuple[str, Command]]:
    """The commands a decoded business event means for stock positions, in a deterministic order.

    ``warehouses`` are every warehouse's code: a cancellation that does not say where an order was
    allocated releases it at each of them (a release only touches that order's own reservation).
    """
    if event_type == StockMoved.EVENT_TYPE:
        moved = StockMoved.from_record(record)
        delta = on_hand_delta(moved.warehouse, moved.from_warehouse, moved.to_warehouse, moved.quantity)
        return [(position_key(moved.sku, moved.warehouse), Move(delta))]
    if event_type == OrderAllocated.EVENT_TYPE:
        allocated = OrderAllocated.from_record(record)
        totals = _per_key((position_key(a.sku, a.warehouse), a.quantity) for a in allocated.lines)
        return [(key, Allocate(allocated.order_id, quantity)) for key, quantity in sorted(totals.items())]
    if event_type == OrderCancelled.EVENT_TYPE:
        cancelled = OrderCancelled.from_record(record)
        pairs = [
            (position_key(line.sku, warehouse), line.quantity)
            for line in cancelled.lines
            for warehouse in ([line.warehouse] if line.warehouse else warehouses)
        ]
        totals = _per_key(pairs)
        return [(key, Release(cancelled.order_id, quantity)) for key, quantity in sorted(totals.items())]
    if event_type == ShipmentConfirmed.EVENT_TYPE:
        shipped = ShipmentConfirmed.from_record(record)
        totals = _per_key(
            (position_key(line.sku, shipped.warehouse), line.quantity) for line in shipped.lines
        )
        return [(key, Release(shipped.order_id, quantity)) for key, quantity in sorted(totals.items())]
    if event_type == PurchaseReceived.EVENT_TYPE:
        received = PurchaseReceived.from_record(record)
        outstanding = _per_key(
            (position_key(line.sku, line.warehouse), line.expected_quantity - line.received_quantity)
            for line in received.lines
        )
        return [
            (key, Expect(received.receipt_id, quantity, received.occurred_at))
            for key, quantity in sorted(outstanding.items())
        ]
    return []


def keyed(
    origin_of: Origin, pairs: Sequence[tuple[str, Command]], correlation_id: str, event_id: str
) -> list[Keyed]:
    """Number the commands derived from one record (the index makes each origin unique)."""
    return [
        Keyed(
            key,
            command,
            Origin(origin_of.topic, origin_of.partition, origin_of.offset, index),
            correlation_id,
            event_id,
        )
        for index, (key, command) in enumerate(pairs)
    ]


# -- JSON form on atp-processor.commands ----------------------------------------------------------


def encode(item: Keyed) -> bytes:
    """The command's JSON value (the key travels as the Kafka key)."""
    command = item.command
    body: dict[str, Any]
    if isinstance(command, Move):
        body = {"kind": "move", "delta": str(command.delta)}
    elif isinstance(command, Allocate):
        body = {"kind": "allocate", "order_id": command.order_id, "quantity": str(command.quantity)}
    elif isinstance(command, Release):
        body = {"kind": "release", "order_id": command.order_id, "quantity": str(command.quantity)}
    elif isinstance(command, Expect):
        body = {
            "kind": "expect",
            "receipt_id": command.receipt_id,
            "outstanding": str(command.outstanding),
            "due": command.due.isoformat(),
        }
    elif isinstance(command, Reserve):
        body = {
            "kind": "reserve",
            "request_id": command.request_id,
            "order_id": command.order_id,
            "line_id": command.line_id,
            "quantity": str(command.quantity),
            "allow_partial": command.allow_partial,
        }
    else:
        body = {"kind": "drop_hold", "request_id": command.request_id}
    origin = item.origin
    body["origin"] = [origin.topic, origin.partition, origin.offset, origin.index]
    body["correlation_id"] = item.correlation_id
    body["event_id"] = item.event_id
    return json.dumps(body, separators=(",", ":")).encode()


def quantity(text: object) -> Decimal:
    """A finite decimal from its text; ValueError otherwise (never NaN or Infinity)."""
    try:
        value = Decimal(str(text))
    except InvalidOperation as exc:
        raise ValueError(f"not a quantity: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite quantity: {text!r}")
    return value


def decode(key: str, value: bytes) -> Keyed:
    """Parse a command; raises ValueError/KeyError on anything malformed (the caller dead-letters it)."""
    body = json.loads(value)
    kind = body["kind"]
    command: Command
    if kind == "move":
        command = Move(quantity(body["delta"]))
    elif kind == "allocate":
        command = Allocate(body["order_id"], quantity(body["quantity"]))
    elif kind == "release":
        command = Release(body["order_id"], quantity(body["quantity"]))
    elif kind == "expect":
        command = Expect(
            body["receipt_id"], quantity(body["outstanding"]), dt.datetime.fromisoformat(body["due"])
        )
    elif kind == "reserve":
        command = Reserve(
            body["request_id"],
            body["order_id"],
            body["line_id"],
            quantity(body["quantity"]),
            bool(body["allow_partial"]),
        )
    elif kind == "drop_hold":
        command = DropHold(body["request_id"])
    else:
        raise ValueError(f"unknown command kind {kind!r}")
    topic, partition, offset, index = body["origin"]
    return Keyed(
        key,
        command,
        Origin(str(topic), int(partition), int(offset), int(index)),
        str(body.get("correlation_id", "")),
        str(body.get("event_id", "")),
    )
