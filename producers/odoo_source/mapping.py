"""Odoo records -> events. Pure: Odoo's dicts in, an event or the reason it cannot be one out.

Event ids are deterministic from (database, model, record id, state), so polling the same record
again republishes the same id and downstream deduplicates it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from supplystream.events import MoveKind, Source, StockMoved
from supplystream.odoo.operations import many2one_id

EVENT_NAMESPACE = uuid.UUID("6f1c2a9e-5d4b-4f0a-9c8e-2b7d3e4f5a60")
SOURCE = Source(system="odoo", adapter="odoo-source")
_QUANTUM = Decimal("0.001")


@dataclass(frozen=True)
class Location:
    """What the mapping needs to know about a stock.location."""

    name: str
    usage: str  # internal, supplier, customer, inventory, production, transit, view
    warehouse: str | None  # the warehouse code, None outside warehouses


@dataclass(frozen=True)
class Unmappable:
    """A record the source cannot turn into an event, and why (it goes to the quarantine topic)."""

    model: str
    record_id: int
    reason: str


def event_id(database: str, model: str, record_id: int, state: str) -> uuid.UUID:
    """The deterministic id of the event for ``model`` ``record_id`` reaching ``state``."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{database}:{model}:{record_id}:{state}")


def odoo_datetime(value: str) -> dt.datetime:
    """Odoo's external datetime (UTC, ``YYYY-MM-DD HH:MM:SS``) as an aware datetime."""
    return dt.datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)


def move_kind(source: Location, destination: Location, record: Mapping[str, Any]) -> MoveKind:  # noqa: PLR0911
    """Classify a done move by the usages of its locations (and Odoo's scrap/return markers)."""
    if record.get("scrapped"):
        return MoveKind.SCRAP
    if record.get("origin_returned_move_id") or (
        source.usage == "customer" and destination.usage == "internal"
    ):
        return MoveKind.RETURN
    if source.usage == "inventory" or destination.usage == "inventory":
        return MoveKind.ADJUSTMENT
    if source.usage == "supplier":
        return MoveKind.RECEIPT
    if destination.usage == "customer":
        return MoveKind.DELIVERY
    if source.usage == "internal" and destination.usage in {"internal", "transit"}:
        return MoveKind.INTERNAL_TRANSFER
    return MoveKind.UNKNOWN


def map_stock_move(
    record: Mapping[str, Any],
    *,
    database: str,
    company: str,
    skus: Mapping[int, str],
    locations: Mapping[int, Location],
) -> StockMoved | Unmappable:
    """A done stock.move (as read by `operations.done_moves_since`) as a `stock.moved` event."""
    record_id = int(record["id"])
    product = many2one_id(record.get("product_id"))
    sku = skus.get(product or 0)
    if not sku:
        return Unmappable(
            "stock.move", record_id, f"product {record.get('product_id')} has no SKU (Internal Reference)"
        )
    source = locations.get(many2one_id(record.get("location_id")) or 0)
    destination = locations.get(many2one_id(record.get("location_dest_id")) or 0)
    if source is None or destination is None:
        return Unmappable("stock.move", record_id, "source or destination location unknown")
    warehouse = destination.warehouse if destination.usage == "internal" else source.warehouse
    warehouse = warehouse or source.warehouse or destination.warehouse
    if warehouse is None:
        return Unmappable("stock.move", record_id, "the move touches no warehouse")
    quantity = Decimal(str(record.get("quantity_done") or 0)).quantize(_QUANTUM)
    if quantity <= 0:
        return Unmappable("stock.move", record_id, f"done quantity {quantity} is not positive")
    uom = record.get("product_uom")
    picking = record.get("picking_id")
    reference = str(record.get("reference") or "") or None
    return StockMoved(
        event_id=event_id(database, "stock.move", record_id, "done"),
        event_type=StockMoved.EVENT_TYPE,
        occurred_at=odoo_datetime(str(record.get("date") or record["write_date"])),
        source=SOURCE,
        correlation_id=reference or f"stock.move/{record_id}",
        company=company,
        sku=sku,
        warehouse=warehouse,
        from_location=source.name,
        from_warehouse=source.warehouse,
        to_location=destination.name,
        to_warehouse=destination.warehouse,
        quantity=quantity,
        uom=str(uom[1]) if isinstance(uom, list | tuple) and len(uom) > 1 else "Units",
        move_kind=move_kind(source, destination, record),
        odoo_move_id=record_id,
        odoo_picking_id=many2one_id(picking),
        reference=reference,
    )
