"""Deterministic event streams for the planning sink: every event type it reads, with duplicates and
out-of-order versions, and a pure model of the state they must leave (used by tests and bench/sinks).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sinks.planning.rows import rows_of
from sinks.planning.tables import TABLES
from supplystream.events import (
    Allocation,
    AtpChanged,
    Backorder,
    BackorderReason,
    CancelledLine,
    Event,
    MoveKind,
    OrderAllocated,
    OrderBackordered,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    PurchaseReceived,
    ReceivedLine,
    ShipmentConfirmed,
    ShippedLine,
    ShipTo,
    Source,
    StockMoved,
)

BASE = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
WAREHOUSES = ("EAST", "WEST", "NORTH")
SOURCE = Source(system="simulator", adapter="planning-stream")
#: Planning state: table → key → row (column → value).
State = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


class _Stream:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.seed = seed
        self.sequence = 0
        self.atp_versions: dict[tuple[str, str], int] = {}

    def envelope(self, event_type: str, correlation: str) -> dict[str, Any]:
        self.sequence += 1
        return {
            "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"planning-stream:{self.seed}:{self.sequence}"),
            "event_type": event_type,
            # Random within a day: events of one key arrive in an order unrelated to their time.
            "occurred_at": BASE + dt.timedelta(milliseconds=self.rng.randrange(86_400_000)),
            "source": SOURCE,
            "correlation_id": correlation,
            "company": "ACME",
        }

    def qty(self) -> Decimal:
        return Decimal(self.rng.randrange(1, 50_000)) / 1000

    def sku(self) -> str:
        return f"SKU-{self.rng.randrange(40):03d}"

    def order(self) -> str:
        return f"SO-{self.rng.randrange(300):04d}"

    def atp(self) -> Event:
        sku, warehouse = self.sku(), self.rng.choice(WAREHOUSES)
        version = self.atp_versions.get((sku, warehouse), 0) + 1
        self.atp_versions[(sku, warehouse)] = version
        on_hand = self.qty()
        return AtpChanged(
            **self.envelope("atp.changed", f"{sku}|{warehouse}"),
            sku=sku, warehouse=warehouse, on_hand=on_hand, reserved=Decimal("1.000"), inbound=self.qty(),
            safety_stock=Decimal("2.500"), atp=on_hand - 1, version=version,
            as_of=BASE + dt.timedelta(seconds=version),
        )  # fmt: skip

    def placed(self) -> Event:
        order = self.order()
        lines = tuple(
            OrderLine(line_id=f"{n}", sku=self.sku(), quantity=self.qty(), requested_date=dt.date(2026, 3, 9))
            for n in range(1, self.rng.randrange(2, 5))
        )
        return OrderPlaced(
            **self.envelope("order.placed", order),
            order_id=order, channel=self.rng.choice(["shop", "amazon", "odoo"]), customer_ref=f"C-{order}",
            ship_to=ShipTo(country="DE", region="BY", postcode=None), lines=lines,
            priority=self.rng.randrange(3), allow_partial=self.rng.random() < 0.5,
        )  # fmt: skip

    def allocated(self) -> Event:
        order = self.order()
        lines = [
            Allocation(
                line_id=f"{n}", sku=self.sku(), warehouse=self.rng.choice(WAREHOUSES), quantity=self.qty()
            )
            for n in range(1, self.rng.randrange(2, 4))
        ]
        return OrderAllocated(**self.envelope("order.allocated", order), order_id=order, lines=tuple(lines))

    def backordered(self) -> Event:
        order = self.order()
        reason = self.rng.choice(list(BackorderReason))
        lines = (Backorder(line_id="1", sku=self.sku(), quantity=self.qty(), reason=reason, detail=None),)
        return OrderBackordered(**self.envelope("order.backordered", order), order_id=order, lines=lines)

    def cancelled(self) -> Event:
        order = self.order()
        lines = (CancelledLine(line_id="1", sku=self.sku(), warehouse=None, quantity=self.qty()),)
        return OrderCancelled(
            **self.envelope("order.cancelled", order), order_id=order, reason="customer", lines=lines
        )

    def shipment(self) -> Event:
        order = self.order()
        envelope = self.envelope("shipment.confirmed", order)
        return ShipmentConfirmed(
            **envelope, shipment_id=f"SH-{order}", odoo_picking_id=None,
            warehouse=self.rng.choice(WAREHOUSES), order_id=order,
            lines=(ShippedLine(line_id="1", sku=self.sku(), quantity=self.qty()),), carrier="DHL",
            tracking_number=f"TRK{self.rng.randrange(10**9)}", shipped_at=envelope["occurred_at"],
        )  # fmt: skip

    def receipt(self) -> Event:
        receipt = f"RC-{self.rng.randrange(100):03d}"
        lines = tuple(
            ReceivedLine(sku=self.sku(), warehouse=self.rng.choice(WAREHOUSES), expected_quantity=self.qty(),
                         received_quantity=self.qty())
            for _ in range(self.rng.randrange(1, 4))
        )  # fmt: skip
        return PurchaseReceived(
            **self.envelope("purchase.received", receipt),
            receipt_id=receipt, purchase_order_id="PO-1", supplier="ACME Supply", asn_reference=None,
            lines=lines,
        )  # fmt: skip

    def moved(self) -> Event:
        sku, warehouse = self.sku(), self.rng.choice(WAREHOUSES)
        return StockMoved(
            **self.envelope("stock.moved", f"{sku}|{warehouse}"),
            sku=sku, warehouse=warehouse, from_location="Vendors", from_warehouse=None,
            to_location=f"{warehouse}/Stock", to_warehouse=warehouse, quantity=self.qty(), uom="Units",
            move_kind=MoveKind.RECEIPT, odoo_move_id=self.rng.randrange(10**6), odoo_picking_id=None,
            reference=None,
        )  # fmt: skip


def planning_stream(size: int, seed: int = 7, duplicate_share: float = 0.1) -> list[Event]:
    """``size`` events of every type the planning sink reads; ``duplicate_share`` of them are copies
    of earlier events re-sent later; versions and times of one key arrive out of order."""
    stream = _Stream(seed)
    makers: list[tuple[Callable[[], Event], int]] = [
        (stream.atp, 40), (stream.placed, 20), (stream.allocated, 10), (stream.backordered, 5),
        (stream.cancelled, 5), (stream.shipment, 10), (stream.receipt, 5), (stream.moved, 5),
    ]  # fmt: skip
    kinds, weights = zip(*makers, strict=True)
    unique = size - int(size * duplicate_share)
    events = [stream.rng.choices(kinds, weights)[0]() for _ in range(unique)]
    # atp versions were handed out in order: shuffle so that older versions follow newer ones.
    stream.rng.shuffle(events)
    for _ in range(size - unique):
        position = stream.rng.randrange(1, len(events) + 1)
        events.insert(position, events[stream.rng.randrange(position)])
    return events


def expected_state(events: Sequence[Event]) -> State:
    """What the planning tables hold after ``events``: per key, the row of the highest
    (version, event_id); stock moves once per event id (sinks/planning/tables.py)."""
    state: State = {table.name: {} for table in TABLES}
    for event in events:
        table, rows = rows_of(event.to_record())
        for row in rows:
            values = dict(zip(table.columns, row, strict=True))
            key = tuple(values[name] for name in table.key)
            current = state[table.name].get(key)
            if current is None or (values["version"], values["event_id"]) > (
                current["version"],
                current["event_id"],
            ):
                state[table.name][key] = values
    return state
