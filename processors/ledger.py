"""One stock position as the ATP processor keeps it, and how one command changes it. Pure.

A `Ledger` is the `StockPosition`, the figures last published with their version, and the *marks*
(per source partition, the origin of the last command applied): a command not beyond its mark is a
re-delivery that changes nothing and is answered again. Versions (`next_version`) never go backwards.
Why: processors/ATP.md ("Exactly once, in effect").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from processors.commands import Allocate, DropHold, Expect, Keyed, Move, Release, Reserve
from supplystream.atp import (
    ZERO,
    AtpPolicy,
    Hold,
    InboundReceipt,
    OrderReservation,
    StockPosition,
    available_to_promise,
    grant,
    inbound_within,
)

PolicyFor = Callable[[str], AtpPolicy]


@dataclass(frozen=True)
class Figures:
    """What ``atp.changed`` says about a position."""

    on_hand: Decimal
    reserved: Decimal
    inbound: Decimal
    safety_stock: Decimal
    atp: Decimal


def figures_of(position: StockPosition, policy: AtpPolicy, now: dt.datetime) -> Figures:
    """The published figures of a position under its policy."""
    return Figures(
        on_hand=position.on_hand,
        reserved=position.reserved,
        inbound=inbound_within(position, policy, now),
        safety_stock=policy.safety_stock,
        atp=available_to_promise(position, policy, now),
    )


@dataclass(frozen=True)
class Ledger:
    """The ATP table's value for one key."""

    position: StockPosition = field(default_factory=StockPosition)
    #: stream (``topic:partition``) -> (offset, index) of the last command applied from it.
    marks: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    published: Figures | None = None
    version: int = 0


@dataclass(frozen=True)
class Reply:
    """The answer to a reservation request."""

    request_id: str
    order_id: str
    line_id: str
    key: str
    requested: Decimal
    granted: Decimal


@dataclass(frozen=True)
class Step:
    """What applying one command did."""

    ledger: Ledger
    #: Figures to publish with ``ledger.version`` (None: nothing to say).
    publish: Figures | None = None
    reply: Reply | None = None
    duplicate: bool = False


def next_version(previous: int, clock_us: int) -> int:
    """A version above ``previous`` and not below the clock (microseconds since the epoch)."""
    return max(previous + 1, clock_us)


def is_redelivery(ledger: Ledger, item: Keyed) -> bool:
    """Whether the command's origin is not beyond its stream's mark."""
    mark = ledger.marks.get(item.origin.stream)
    return mark is not None and (item.origin.offset, item.origin.index) <= mark


def _changed(
    position: StockPosition, item: Keyed, policy: AtpPolicy, now: dt.datetime
) -> tuple[StockPosition, Reply | None]:
    command = item.command
    if isinstance(command, Move):
        return position.moved(command.delta), None
    if isinstance(command, Allocate):
        return position.allocated(command.order_id, command.quantity), None
    if isinstance(command, Release):
        return position.released(command.order_id, command.quantity), None
    if isinstance(command, Expect):
        return position.expecting(command.receipt_id, command.outstanding, command.due), None
    if isinstance(command, DropHold):
        return position.hold_dropped(command.request_id), None
    if not isinstance(command, Reserve):
        raise TypeError(f"unknown command {command!r}")
    existing = position.holds.get(command.request_id)
    if existing is not None:
        granted = existing.quantity
    elif command.request_id in position.closed or command.order_id in position.allocations:
        # Asked again after its hold was given back, or the order was already allocated, shipped or
        # cancelled here: never a second hold.
        granted = ZERO
    else:
        granted = grant(position, policy, now, command.quantity, command.allow_partial)
        if granted > 0:
            position = position.held(command.request_id, Hold(command.order_id, granted))
        else:  # a refusal stays a refusal, whatever arrives later
            position = replace(position, closed=position.closed | {command.request_id})
    reply = Reply(command.request_id, command.order_id, command.line_id, item.key, command.quantity, granted)
    return position, reply


def apply(ledger: Ledger, item: Keyed, policy: AtpPolicy, now: dt.datetime, clock_us: int) -> Step:
    """Apply one command to one position (see the module's docstring for re-deliveries).

    The router's `Reserve` and `DropHold` are idempotent by request id (a request is granted once;
    asking again gets the same answer; a dropped hold stays dropped) and are not subject to marks:
    after a router crash the router may ask *differently* from the same input record.
    """
    reservation = isinstance(item.command, Reserve | DropHold)
    if not reservation and is_redelivery(ledger, item):
        return Step(ledger, publish=ledger.published, duplicate=True)
    position, reply = _changed(ledger.position, item, policy, now)
    marks = (
        ledger.marks
        if reservation
        else {**ledger.marks, item.origin.stream: (item.origin.offset, item.origin.index)}
    )
    figures = figures_of(position, policy, now)
    if figures == ledger.published:
        return Step(replace(ledger, position=position, marks=marks), reply=reply)
    version = next_version(ledger.version, clock_us)
    updated = Ledger(position=position, marks=marks, published=figures, version=version)
    return Step(updated, publish=figures, reply=reply)


# -- the table's JSON form ------------------------------------------------------------------------


def to_json(ledger: Ledger) -> dict[str, Any]:
    """A compact JSON value for the table and its changelog."""
    position = ledger.position
    published = ledger.published
    return {
        "h": str(position.on_hand),
        "a": {order: [str(r.allocated), str(r.released)] for order, r in position.allocations.items()},
        "H": {rid: [hold.order_id, str(hold.quantity)] for rid, hold in position.holds.items()},
        "i": {rid: [str(r.quantity), r.due.isoformat()] for rid, r in position.inbound.items()},
        "c": sorted(position.closed),
        "m": {stream: list(mark) for stream, mark in ledger.marks.items()},
        "p": None
        if published is None
        else [
            str(published.on_hand),
            str(published.reserved),
            str(published.inbound),
            str(published.safety_stock),
            str(published.atp),
        ],
        "v": ledger.version,
    }


def from_json(data: Mapping[str, Any]) -> Ledger:
    """Inverse of `to_json`."""
    position = StockPosition(
        on_hand=Decimal(data["h"]),
        allocations={order: OrderReservation(Decimal(a), Decimal(r)) for order, (a, r) in data["a"].items()},
        holds={rid: Hold(order, Decimal(q)) for rid, (order, q) in data["H"].items()},
        closed=frozenset(data.get("c", ())),
        inbound={
            rid: InboundReceipt(Decimal(q), dt.datetime.fromisoformat(due))
            for rid, (q, due) in data["i"].items()
        },
    )
    published = data["p"]
    return Ledger(
        position=position,
        marks={stream: (int(mark[0]), int(mark[1])) for stream, mark in data["m"].items()},
        published=None if published is None else Figures(*(Decimal(x) for x in published)),
        version=int(data["v"]),
    )


def dumps(ledger: Ledger) -> bytes:
    """`to_json` as bytes."""
    return json.dumps(to_json(ledger), separators=(",", ":")).encode()


def loads(raw: bytes) -> Ledger:
    """Inverse of `dumps`."""
    return from_json(json.loads(raw))
