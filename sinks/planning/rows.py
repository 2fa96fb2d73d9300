"""Decoded events → rows of the planning tables (pure functions, no database).

Each function takes a decoded event (the serde's dict: Decimal quantities, datetimes, UUID ids) and
returns rows in the column order of its table (`sinks.planning.tables`). A missing or mistyped field
raises `UnmappableEvent`, which the sink turns into a dead letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sinks.planning.tables import (
    ALLOCATIONS,
    BACKORDERS,
    CANCELLATIONS,
    DEMAND_LINES,
    INVENTORY_POSITIONS,
    RECEIPTS,
    SHIPMENTS,
    STOCK_MOVES,
    Table,
)

Event = Mapping[str, Any]
Row = tuple[Any, ...]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)


class UnmappableEvent(ValueError):  # noqa: N818 - names the situation, like Odoo's MissingError
    """The event lacks a field the planning tables need (or it has the wrong type)."""


def occurred_version(event: Event) -> int:
    """The per-key version of events without a version field: ``occurred_at`` in epoch milliseconds."""
    occurred = event["occurred_at"]
    if not isinstance(occurred, dt.datetime):
        raise UnmappableEvent(f"occurred_at is {occurred!r}, not a timestamp")
    return (occurred - _EPOCH) // _MILLISECOND


def inventory_position(event: Event) -> list[Row]:
    """atp.changed → one inventory position, versioned by the event's ``version``."""
    e = event
    return [
        (e["sku"], e["warehouse"], e["company"], e["on_hand"], e["reserved"], e["inbound"], e["safety_stock"],
         e["atp"], e["as_of"], e["occurred_at"], e["version"], e["event_id"])
    ]  # fmt: skip


def stock_move(event: Event) -> list[Row]:
    """stock.moved → one stock move fact."""
    e = event
    return [
        (e["event_id"], e["sku"], e["warehouse"], e["company"], str(e["move_kind"]), e["quantity"], e["uom"],
         e["from_location"], e["from_warehouse"], e["to_location"], e["to_warehouse"], e["odoo_move_id"],
         e["odoo_picking_id"], e["reference"], e["occurred_at"], occurred_version(e))
    ]  # fmt: skip


def demand_lines(event: Event) -> list[Row]:
    """order.placed → one demand line per order line."""
    e, ship_to, version = event, event["ship_to"], occurred_version(event)
    return [
        (e["order_id"], line["line_id"], e["company"], e["channel"], e["customer_ref"], ship_to["country"],
         ship_to["region"], ship_to["postcode"], line["sku"], line["quantity"], line["requested_date"],
         e["priority"], e["allow_partial"], e["occurred_at"], version, e["event_id"])
        for line in e["lines"]
    ]  # fmt: skip


def allocations(event: Event) -> list[Row]:
    """order.allocated → one allocation per line and warehouse."""
    e, version = event, occurred_version(event)
    return [
        (e["order_id"], line["line_id"], line["warehouse"], line["sku"], line["quantity"], e["occurred_at"],
         version, e["event_id"])
        for line in e["lines"]
    ]  # fmt: skip


def backorders(event: Event) -> list[Row]:
    """order.backordered → one backorder per line."""
    e, version = event, occurred_version(event)
    return [
        (e["order_id"], line["line_id"], line["sku"], line["quantity"], str(line["reason"]), line["detail"],
         e["occurred_at"], version, e["event_id"])
        for line in e["lines"]
    ]  # fmt: skip


def cancellations(event: Event) -> list[Row]:
    """order.cancelled → one cancellation per cancelled line."""
    e, version = event, occurred_version(event)
    return [
        (e["order_id"], line["line_id"], line["sku"], line["warehouse"], line["quantity"], e["reason"],
         e["occurred_at"], version, e["event_id"])
        for line in e["lines"]
    ]  # fmt: skip


def shipments(event: Event) -> list[Row]:
    """shipment.confirmed → one row per shipped line, numbered by its position."""
    e, version = event, occurred_version(event)
    return [
        (e["shipment_id"], line_no, e["order_id"], line["line_id"], e["warehouse"], line["sku"],
         line["quantity"], e["carrier"], e["tracking_number"], e["odoo_picking_id"], e["shipped_at"], version,
         e["event_id"])
        for line_no, line in enumerate(e["lines"], start=1)
    ]  # fmt: skip


def receipts(event: Event) -> list[Row]:
    """purchase.received → one row per received line, numbered by its position."""
    e, version = event, occurred_version(event)
    return [
        (e["receipt_id"], line_no, e["purchase_order_id"], e["supplier"], e["asn_reference"], line["sku"],
         line["warehouse"], line["expected_quantity"], line["received_quantity"], e["occurred_at"], version,
         e["event_id"])
        for line_no, line in enumerate(e["lines"], start=1)
    ]  # fmt: skip


#: Event type → (table, mapping function).
MAPPINGS: dict[str, tuple[Table, Callable[[Event], list[Row]]]] = {
    "atp.changed": (INVENTORY_POSITIONS, inventory_position),
    "stock.moved": (STOCK_MOVES, stock_move),
    "order.placed": (DEMAND_LINES, demand_lines),
    "order.allocated": (ALLOCATIONS, allocations),
    "order.backordered": (BACKORDERS, backorders),
    "order.cancelled": (CANCELLATIONS, cancellations),
    "shipment.confirmed": (SHIPMENTS, shipments),
    "purchase.received": (RECEIPTS, receipts),
}


def rows_of(event: Event) -> tuple[Table, list[Row]]:
    """The table an event feeds and its rows; `UnmappableEvent` when it cannot be mapped."""
    event_type = event.get("event_type")
    mapping = MAPPINGS.get(str(event_type))
    if mapping is None:
        raise UnmappableEvent(f"the planning sink has no table for event type {event_type!r}")
    table, to_rows = mapping
    try:
        rows = to_rows(event)
    except KeyError as exc:
        raise UnmappableEvent(f"{event_type} lacks the field {exc.args[0]!r}") from None
    except TypeError as exc:
        raise UnmappableEvent(f"{event_type} has a field of the wrong shape: {exc}") from None
    return table, rows
