"""The planning tables the sink writes, each with its key and how its per-key version works (pure).

A row changes only for a higher ``(version, event_id)``; facts (stock moves) are inserted once per
``event_id``. So a duplicate, or an older event after a newer one, changes nothing. The tables and
their versions: "Sinks" (Planning sink) in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Versioning = Literal["explicit", "occurred", "once"]


@dataclass(frozen=True, slots=True)
class Table:
    """One planning table: its columns in row order, its key and its versioning."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    versioning: Versioning

    def __post_init__(self) -> None:
        missing = {*self.key, "version", "event_id"} - set(self.columns)
        if missing:
            raise ValueError(f"table {self.name}: columns lack {sorted(missing)}")

    @property
    def staging(self) -> str:
        """The session's temporary staging table (COPY target)."""
        return f"stage_{self.name}"


INVENTORY_POSITIONS = Table(
    "inventory_positions",
    ("sku", "warehouse", "company", "on_hand", "reserved", "inbound", "safety_stock", "atp", "as_of",
     "occurred_at", "version", "event_id"),
    ("sku", "warehouse"),
    "explicit",
)  # fmt: skip
STOCK_MOVES = Table(
    "stock_moves",
    ("event_id", "sku", "warehouse", "company", "move_kind", "quantity", "uom", "from_location",
     "from_warehouse", "to_location", "to_warehouse", "odoo_move_id", "odoo_picking_id", "reference",
     "occurred_at", "version"),
    ("event_id",),
    "once",
)  # fmt: skip
DEMAND_LINES = Table(
    "demand_lines",
    ("order_id", "line_id", "company", "channel", "customer_ref", "ship_to_country", "ship_to_region",
     "ship_to_postcode", "sku", "quantity", "requested_date", "priority", "allow_partial", "placed_at",
     "version", "event_id"),
    ("order_id", "line_id"),
    "occurred",
)  # fmt: skip
ALLOCATIONS = Table(
    "allocations",
    ("order_id", "line_id", "warehouse", "sku", "quantity", "allocated_at", "version", "event_id"),
    ("order_id", "line_id", "warehouse"),
    "occurred",
)
BACKORDERS = Table(
    "backorders",
    ("order_id", "line_id", "sku", "quantity", "reason", "detail", "backordered_at", "version", "event_id"),
    ("order_id", "line_id"),
    "occurred",
)
CANCELLATIONS = Table(
    "cancellations",
    ("order_id", "line_id", "sku", "warehouse", "quantity", "reason", "cancelled_at", "version", "event_id"),
    ("order_id", "line_id"),
    "occurred",
)
SHIPMENTS = Table(
    "shipments",
    ("shipment_id", "line_no", "order_id", "line_id", "warehouse", "sku", "quantity", "carrier",
     "tracking_number", "odoo_picking_id", "shipped_at", "version", "event_id"),
    ("shipment_id", "line_no"),
    "occurred",
)  # fmt: skip
RECEIPTS = Table(
    "receipts",
    ("receipt_id", "line_no", "purchase_order_id", "supplier", "asn_reference", "sku", "warehouse",
     "expected_quantity", "received_quantity", "received_at", "version", "event_id"),
    ("receipt_id", "line_no"),
    "occurred",
)  # fmt: skip

TABLES: tuple[Table, ...] = (
    INVENTORY_POSITIONS, STOCK_MOVES, DEMAND_LINES, ALLOCATIONS, BACKORDERS, CANCELLATIONS, SHIPMENTS,
    RECEIPTS,
)  # fmt: skip


def _quote(identifier: str) -> str:
    if not identifier.replace("_", "").isalnum():
        raise ValueError(f"{identifier!r} is not a plain SQL identifier")
    return f'"{identifier}"'


def staging_sql(table: Table, schema: str) -> str:
    """Create the session's staging table for ``table`` (emptied at every commit)."""
    return (
        f"CREATE TEMP TABLE IF NOT EXISTS {_quote(table.staging)} "
        f"(LIKE {_quote(schema)}.{_quote(table.name)} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )


def copy_sql(table: Table) -> str:
    """COPY rows (in ``table.columns`` order, binary) into the staging table."""
    return (
        f"COPY {_quote(table.staging)} ({', '.join(map(_quote, table.columns))}) FROM STDIN (FORMAT BINARY)"
    )


#: The column names and type oids of a staging table (binary COPY needs the types); parameter: its name.
COLUMN_TYPES_SQL = (
    "SELECT attname, atttypid::int FROM pg_attribute "
    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
)


def merge_sql(table: Table, schema: str) -> str:
    """Move the staged rows into the table: newest per key first, and only forward."""
    columns = ", ".join(map(_quote, table.columns))
    key = ", ".join(map(_quote, table.key))
    target = f"{_quote(schema)}.{_quote(table.name)}"
    # Identifiers only, each checked and quoted by _quote: no values are formatted into SQL.
    select = (
        f"SELECT DISTINCT ON ({key}) {columns} FROM {_quote(table.staging)} "  # noqa: S608
        f'ORDER BY {key}, "version" DESC, "event_id" DESC'
    )
    if table.versioning == "once":
        return f"INSERT INTO {target} ({columns}) {select} ON CONFLICT ({key}) DO NOTHING"
    updates = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in table.columns if c not in table.key)
    newer = '(excluded."version", excluded."event_id") > (current."version", current."event_id")'
    return (
        f"INSERT INTO {target} AS current ({columns}) {select} "
        f'ON CONFLICT ({key}) DO UPDATE SET {updates}, "applied_at" = now() WHERE {newer}'
    )
