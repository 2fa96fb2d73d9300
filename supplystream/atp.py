"""Available-to-promise, as plain arithmetic over exact decimals. No Kafka, no Faust in here.

Per SKU and warehouse a `StockPosition` (on hand, reserved per order, inbound, safety stock);
``atp = on_hand - reserved - safety_stock (+ inbound within the horizon)``, reported even when
negative (`promisable` clamps it). The model and its relation to Odoo's figures: processors/ATP.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Decimal

ZERO = Decimal(0)
QUANTUM = Decimal("0.001")


@dataclass(frozen=True)
class InboundReceipt:
    """An expected receipt: the quantity still to arrive, and when it is due."""

    quantity: Decimal
    due: dt.datetime


@dataclass(frozen=True)
class Hold:
    """A reservation granted to the router for an order it is still routing."""

    order_id: str
    quantity: Decimal


@dataclass(frozen=True)
class OrderReservation:
    """What one order reserves at one position: allocated (a set), minus what shipped or was cancelled.

    Both sides are kept, so the result does not depend on which event arrives first (a shipment read
    before its allocation still cancels it out) and a re-sent allocation changes nothing.
    """

    allocated: Decimal = ZERO
    released: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        return max(ZERO, self.allocated - self.released)


@dataclass(frozen=True)
class AtpPolicy:
    """How a warehouse promises a SKU."""

    safety_stock: Decimal = ZERO
    count_inbound: bool = False
    inbound_horizon: dt.timedelta = dt.timedelta(days=7)


@dataclass(frozen=True)
class StockPosition:
    """What is known about one SKU at one warehouse. Every change returns a new position."""

    on_hand: Decimal = ZERO
    #: order id -> what it was allocated here and what of it shipped or was cancelled.
    allocations: Mapping[str, OrderReservation] = field(default_factory=dict)
    #: reservation request id -> the hold granted for it.
    holds: Mapping[str, Hold] = field(default_factory=dict)
    #: Reservation requests whose hold was given back: asking again gets nothing.
    closed: frozenset[str] = frozenset()
    #: receipt id -> what is still expected from it.
    inbound: Mapping[str, InboundReceipt] = field(default_factory=dict)

    @property
    def reserved(self) -> Decimal:
        """Allocated plus held."""
        held = sum((hold.quantity for hold in self.holds.values()), ZERO)
        return sum((r.open for r in self.allocations.values()), ZERO) + held

    def moved(self, delta: Decimal) -> StockPosition:
        """Stock came in (positive) or went out (negative)."""
        return replace(self, on_hand=self.on_hand + delta)

    def allocated(self, order_id: str, quantity: Decimal) -> StockPosition:
        """``order_id`` is allocated ``quantity`` here: it replaces the order's holds (a set, not an add)."""
        current = self.allocations.get(order_id, OrderReservation())
        allocations = {**self.allocations, order_id: replace(current, allocated=quantity)}
        holds = {rid: hold for rid, hold in self.holds.items() if hold.order_id != order_id}
        return replace(self, allocations=allocations, holds=holds)

    def released(self, order_id: str, quantity: Decimal) -> StockPosition:
        """``quantity`` of the order shipped or was cancelled here; its holds are dropped too."""
        current = self.allocations.get(order_id, OrderReservation())
        allocations = {**self.allocations, order_id: replace(current, released=current.released + quantity)}
        holds = {rid: hold for rid, hold in self.holds.items() if hold.order_id != order_id}
        return replace(self, allocations=allocations, holds=holds)

    def held(self, request_id: str, hold: Hold) -> StockPosition:
        """A reservation request was granted (``hold.quantity`` > 0)."""
        return replace(self, holds={**self.holds, request_id: hold})

    def hold_dropped(self, request_id: str) -> StockPosition:
        """The router gave a granted hold back (it routed the order elsewhere or refused it)."""
        return replace(
            self,
            holds={rid: h for rid, h in self.holds.items() if rid != request_id},
            closed=self.closed | {request_id},
        )

    def expecting(self, receipt_id: str, outstanding: Decimal, due: dt.datetime) -> StockPosition:
        """``receipt_id`` still brings ``outstanding`` (zero or less: nothing more is expected)."""
        inbound = {rid: r for rid, r in self.inbound.items() if rid != receipt_id}
        if outstanding > 0:
            inbound[receipt_id] = InboundReceipt(outstanding, due)
        return replace(self, inbound=inbound)


def inbound_within(position: StockPosition, policy: AtpPolicy, now: dt.datetime) -> Decimal:
    """Expected receipts due within the policy's horizon (zero when inbound is not counted)."""
    if not policy.count_inbound:
        return ZERO
    horizon = now + policy.inbound_horizon
    return sum((r.quantity for r in position.inbound.values() if r.due <= horizon), ZERO)


def available_to_promise(position: StockPosition, policy: AtpPolicy, now: dt.datetime) -> Decimal:
    """``on_hand - reserved - safety_stock (+ inbound within the horizon)``; may be negative."""
    return position.on_hand - position.reserved - policy.safety_stock + inbound_within(position, policy, now)


def promisable(atp: Decimal) -> Decimal:
    """What can actually be promised: ATP, never below zero."""
    return max(ZERO, atp)


def grant(
    position: StockPosition, policy: AtpPolicy, now: dt.datetime, requested: Decimal, allow_partial: bool
) -> Decimal:
    """How much of a reservation request the warehouse grants: all, what is promisable, or nothing."""
    available = promisable(available_to_promise(position, policy, now))
    if requested <= available:
        return requested
    return available if allow_partial else ZERO


def network_atp(per_warehouse: Iterable[Decimal]) -> Decimal:
    """ATP of a SKU over every warehouse (each warehouse's promisable quantity)."""
    return sum((promisable(atp) for atp in per_warehouse), ZERO)


@dataclass(frozen=True)
class ChannelBuffer:
    """What a sales channel holds back: a fixed quantity, then a share of the rest."""

    fixed: Decimal = ZERO
    share: Decimal = ZERO  # 0.1 keeps 10% back


def available_to_sell(network: Decimal, buffer: ChannelBuffer) -> Decimal:
    """What a channel may sell: network ATP minus its buffer, floored to the quantum, never negative."""
    after_fixed = max(ZERO, network - buffer.fixed)
    sellable = after_fixed * (1 - buffer.share)
    return promisable(sellable.quantize(QUANTUM, rounding=ROUND_FLOOR))


def on_hand_delta(
    warehouse: str, from_warehouse: str | None, to_warehouse: str | None, quantity: Decimal
) -> Decimal:
    """How a stock move changes on-hand at ``warehouse``: in, out, or zero inside the warehouse."""
    incoming = to_warehouse == warehouse
    outgoing = from_warehouse == warehouse
    if incoming and not outgoing:
        return quantity
    if outgoing and not incoming:
        return -quantity
    return ZERO
