"""What a warehouse ships for an allocation (pure): the events a warehouse system would confirm.

One ``shipment.confirmed`` per allocated warehouse and one ``stock.moved`` DELIVERY per line, all
derived from the allocation (event ids uuid5 of its event id and the event's role, carrier and tracking
seeded by it): the same allocation always yields the same events, so a re-run after a crash publishes
the very same ids. `remaining_after` subtracts cancellations made before it shipped.
"""

from __future__ import annotations

import datetime
import decimal
import random
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from producers.simulator import SimulationConfig, stock_location, tracking_number
from supplystream.events import (
    Allocation,
    Event,
    MoveKind,
    OrderAllocated,
    OrderCancelled,
    ShipmentConfirmed,
    ShippedLine,
    Source,
    StockMoved,
)

__all__ = [
    "CUSTOMERS",
    "NAMESPACE",
    "SOURCE",
    "Shipment",
    "fulfilment_event_id",
    "remaining_after",
    "shipments_for",
]

#: Namespace of the uuid5 ids of the events derived from an allocation.
NAMESPACE = uuid.UUID("0f3e4c38-5a53-5c1e-9a0a-57a1d5f1c0b7")
#: The publisher of the shipments: a stand-in for a warehouse management system.
SOURCE = Source(system="wms-standin", adapter="warehouse-standin")
#: Odoo's customer location, where delivered stock goes.
CUSTOMERS = "Partners/Customers"
_ZERO = decimal.Decimal(0)


def fulfilment_event_id(allocation_id: uuid.UUID, role: str) -> uuid.UUID:
    """The id of the event playing ``role`` in the fulfilment of the allocation ``allocation_id``."""
    return uuid.uuid5(NAMESPACE, f"{allocation_id}:{role}")


def _units(_sku: str) -> str:
    return "Units"


def _millis(moment: datetime.datetime) -> datetime.datetime:
    utc = moment.astimezone(datetime.UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class Shipment:
    """What one warehouse confirms for an allocation: the shipment and its DELIVERY moves."""

    confirmed: ShipmentConfirmed
    deliveries: tuple[StockMoved, ...]

    @property
    def events(self) -> tuple[Event, ...]:
        """The shipment followed by its moves (the simulator's order)."""
        return (self.confirmed, *self.deliveries)


def _by_warehouse(lines: Iterable[Allocation]) -> dict[str, list[Allocation]]:
    """Allocated lines per warehouse, warehouses and lines in the allocation's order."""
    grouped: dict[str, list[Allocation]] = {}
    for line in lines:
        if line.quantity > 0:
            grouped.setdefault(line.warehouse, []).append(line)
    return grouped


def shipments_for(
    allocated: OrderAllocated,
    *,
    shipped_at: datetime.datetime,
    uom_of: Callable[[str], str] = _units,
    carriers: Mapping[str, float] | None = None,
) -> list[Shipment]:
    """One `Shipment` per warehouse of ``allocated`` (see the module docstring).

    ``shipped_at`` is when the goods left (the caller's clock; truncated to milliseconds);
    ``uom_of`` gives a SKU's unit of measure (default ``Units``); ``carriers`` the carriers and
    their shares (default: the simulator's).
    """
    weights = dict(carriers if carriers is not None else SimulationConfig().carriers)
    names = sorted(weights)
    at = _millis(shipped_at)
    allocation_id = allocated.event_id
    shipments = []
    for warehouse, lines in _by_warehouse(allocated.lines).items():
        rng = random.Random(f"{allocation_id}:{warehouse}")  # noqa: S311 - reproducible, not secret
        carrier = rng.choices(names, weights=[weights[name] for name in names])[0]
        shipment_event = fulfilment_event_id(allocation_id, f"shipment:{warehouse}")
        shipment_id = f"{warehouse}/OUT/{shipment_event.hex[:10].upper()}"
        confirmed = ShipmentConfirmed(
            event_id=shipment_event,
            event_type=ShipmentConfirmed.EVENT_TYPE,
            occurred_at=at,
            source=SOURCE,
            correlation_id=allocated.order_id,
            causation_id=str(allocation_id),
            company=allocated.company,
            shipment_id=shipment_id,
            warehouse=warehouse,
            order_id=allocated.order_id,
            lines=tuple(
                ShippedLine(line_id=line.line_id, sku=line.sku, quantity=line.quantity) for line in lines
            ),
            carrier=carrier,
            tracking_number=tracking_number(carrier, rng),
            shipped_at=at,
        )
        deliveries = tuple(
            StockMoved(
                event_id=fulfilment_event_id(allocation_id, f"delivery:{warehouse}:{number}"),
                event_type=StockMoved.EVENT_TYPE,
                occurred_at=at,
                source=SOURCE,
                correlation_id=allocated.order_id,
                causation_id=str(allocation_id),
                company=allocated.company,
                sku=line.sku,
                warehouse=warehouse,
                from_location=stock_location(warehouse),
                from_warehouse=warehouse,
                to_location=CUSTOMERS,
                to_warehouse=None,
                quantity=line.quantity,
                uom=uom_of(line.sku),
                move_kind=MoveKind.DELIVERY,
                reference=shipment_id,
            )
            for number, line in enumerate(lines, start=1)
        )
        shipments.append(Shipment(confirmed, deliveries))
    return shipments


def remaining_after(
    allocated: OrderAllocated, cancellations: Iterable[OrderCancelled]
) -> OrderAllocated | None:
    """What of ``allocated`` is still to ship once ``cancellations`` (of its order) are taken out.

    A cancelled line naming a warehouse releases that warehouse's allocation of the line; one without
    a warehouse takes its quantity from the line's allocations in order. None when nothing is left.
    """
    left = [line.quantity for line in allocated.lines]
    for cancelled in cancellations:
        if cancelled.order_id != allocated.order_id:
            continue
        for gone in cancelled.lines:
            to_take = gone.quantity
            for index, line in enumerate(allocated.lines):
                if to_take <= 0:
                    break
                if line.line_id != gone.line_id or gone.warehouse not in (None, line.warehouse):
                    continue
                taken = min(to_take, left[index])
                left[index] -= taken
                to_take -= taken
    lines = tuple(
        line if quantity == line.quantity else replace(line, quantity=quantity)
        for line, quantity in zip(allocated.lines, left, strict=True)
        if quantity > _ZERO
    )
    if not lines:
        return None
    return allocated if lines == allocated.lines else replace(allocated, lines=lines)
