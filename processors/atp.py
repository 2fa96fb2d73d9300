"""Available-to-promise, as plain arithmetic over exact decimals. No Kafka, no Faust in here.

Per SKU and warehouse the platform keeps a `StockPosition`:

- ``on_hand``: physical stock, moved by ``stock.moved`` (receipts and returns in, deliveries and
  scrap out, adjustments either way, transfers between warehouses out of one and into the other).
  Odoo's ``qty_available`` for the warehouse.
- ``reserved``: allocated to orders (``order.allocated``) and not yet shipped
  (``shipment.confirmed``) or released (``order.cancelled``). ``on_hand - reserved`` is Odoo's
  ``free_qty``.
- ``inbound``: expected receipts, counted only when the warehouse's policy says so and only
  within its horizon. ``on_hand + inbound - reserved`` relates to Odoo's ``virtual_available``
  (which also counts every confirmed outgoing move, not only the platform's allocations).
- ``safety_stock``: held back from promising, per SKU and warehouse with a default.

``atp = on_hand - reserved - safety_stock (+ inbound within the horizon when enabled)``, never
below zero when promised (a negative value is reported as is, so oversell is visible, but
`promisable` clamps it). Network ATP of a SKU is the sum over warehouses; a channel's
available-to-sell is the network ATP minus the channel's buffer (a fixed quantity and a share).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

ZERO = Decimal(0)
QUANTUM = Decimal("0.001")


@dataclass(frozen=True)
class InboundReceipt:
    """An expected receipt: a quantity due at a time."""

    quantity: Decimal
    due: dt.datetime


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
    reserved: Decimal = ZERO
    inbound: tuple[InboundReceipt, ...] = ()
    version: int = 0

    def moved(self, delta: Decimal) -> StockPosition:
        """Stock came in (positive) or went out (negative)."""
        return replace(self, on_hand=self.on_hand + delta, version=self.version + 1)

    def allocated(self, quantity: Decimal) -> StockPosition:
        """An order reserved ``quantity`` here."""
        return replace(self, reserved=self.reserved + quantity, version=self.version + 1)

    def released(self, quantity: Decimal) -> StockPosition:
        """A reservation ended: shipped or cancelled (never below zero)."""
        return replace(self, reserved=max(ZERO, self.reserved - quantity), version=self.version + 1)

    def expecting(self, receipt: InboundReceipt) -> StockPosition:
        """A receipt is announced."""
        return replace(self, inbound=(*self.inbound, receipt), version=self.version + 1)

    def received(self, quantity: Decimal) -> StockPosition:
        """Announced stock arrived: the earliest expected receipts are consumed first (FIFO)."""
        remaining = quantity
        left: list[InboundReceipt] = []
        for receipt in sorted(self.inbound, key=lambda r: r.due):
            used = min(remaining, receipt.quantity)
            remaining -= used
            if receipt.quantity - used > 0:
                left.append(replace(receipt, quantity=receipt.quantity - used))
        return replace(self, inbound=tuple(left), version=self.version + 1)


def inbound_within(position: StockPosition, policy: AtpPolicy, now: dt.datetime) -> Decimal:
    """Expected receipts due within the policy's horizon (zero when inbound is not counted)."""
    if not policy.count_inbound:
        return ZERO
    horizon = now + policy.inbound_horizon
    return sum((r.quantity for r in position.inbound if r.due <= horizon), ZERO)


def available_to_promise(position: StockPosition, policy: AtpPolicy, now: dt.datetime) -> Decimal:
    """``on_hand - reserved - safety_stock (+ inbound within the horizon)``; may be negative."""
    return position.on_hand - position.reserved - policy.safety_stock + inbound_within(position, policy, now)


def promisable(atp: Decimal) -> Decimal:
    """What can actually be promised: ATP, never below zero."""
    return max(ZERO, atp)


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
