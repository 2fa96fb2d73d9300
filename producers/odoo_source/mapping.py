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

from supplystream.events import (
    CancelledLine,
    MoveKind,
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
from supplystream.odoo.operations import many2one_id
from supplystream.units import ProductUnits

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
    units: ProductUnits | None = None,
) -> StockMoved | Unmappable:
    """A done stock.move (as read by `operations.done_moves_since`) as a `stock.moved` event.

    With ``units``, the quantity is in the product's stock unit (``uom`` its name) whatever the
    move's unit: Odoo's own ``product_qty`` when all of the demand was done, else the done quantity
    converted as Odoo converts it (`stock_quantity`)."""
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
    quantity, uom_name = stock_quantity(record, "quantity_done", units)
    if quantity <= 0:
        return Unmappable("stock.move", record_id, f"done quantity {quantity} is not positive")
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
        uom=uom_name,
        move_kind=move_kind(source, destination, record),
        odoo_move_id=record_id,
        odoo_picking_id=many2one_id(picking),
        reference=reference,
    )


def stock_quantity(
    record: Mapping[str, Any], field: str, units: ProductUnits | None, unit_field: str = "product_uom"
) -> tuple[Decimal, str]:
    """``record[field]`` (a quantity in the record's ``unit_field``) in the product's stock unit,
    at the events' precision, with that unit's name.

    Odoo's converted figure ``product_qty`` (stock.move: the demand in the product's unit, rounded
    HALF-UP to its rounding) is taken when ``field`` equals the demand ``product_uom_qty``; else the
    quantity is converted as Odoo does (`supplystream.units.ProductUnits.in_stock_unit`). Without
    ``units`` the quantity and the record's unit name are kept."""
    quantity = Decimal(str(record.get(field) or 0))
    unit = record.get(unit_field)
    unit_id = many2one_id(unit)
    named = str(unit[1]) if isinstance(unit, list | tuple) and len(unit) > 1 else "Units"
    product = many2one_id(record.get("product_id")) or 0
    if units is None or units.stock_unit(product) is None:
        return quantity.quantize(_QUANTUM), named
    stock = units.stock_unit(product)
    assert stock is not None  # noqa: S101 - checked above
    converted = record.get("product_qty")
    if (
        converted is not None
        and converted is not False
        and "product_uom_qty" in record
        and quantity == Decimal(str(record.get("product_uom_qty") or 0))
    ):
        return Decimal(str(converted)).quantize(_QUANTUM), stock.name
    in_stock, name = units.in_stock_unit(product, quantity, unit_id)
    return in_stock.quantize(_QUANTUM), name


# -- sale orders and pickings ---------------------------------------------------------------------

ORDER_CHANNEL = "odoo"
CANCEL_REASON = "cancelled in Odoo"
UNKNOWN_CARRIER = "unknown"


def _quantity(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_QUANTUM)


def _text(value: Any) -> str | None:
    """Odoo's char value (``False`` when empty) as a string, None when empty."""
    return str(value).strip() or None if isinstance(value, str) else None


def _m2o_name(value: Any) -> str | None:
    """The display name of a many2one value (``[id, name]``), None when empty."""
    if isinstance(value, list | tuple) and len(value) > 1:
        return _text(value[1])
    return None


def _odoo_date(value: Any) -> dt.date | None:
    """Odoo's external date or datetime as a date, None when empty."""
    text = _text(value)
    return dt.date.fromisoformat(text[:10]) if text else None


def _occurred(record: Mapping[str, Any], *fields: str) -> dt.datetime:
    for name in (*fields, "write_date"):
        text = _text(record.get(name))
        if text:
            return odoo_datetime(text)
    raise KeyError("write_date")


def map_sale_order(  # noqa: PLR0911 - one early return per reason a record cannot be mapped
    record: Mapping[str, Any],
    *,
    database: str,
    company: str,
    lines: Mapping[int, Mapping[str, Any]],
    partners: Mapping[int, Mapping[str, Any]],
    skus: Mapping[int, str],
    default_country: str | None = None,
    units: ProductUnits | None = None,
) -> OrderPlaced | OrderCancelled | Unmappable:
    """A confirmed (``sale``/``done``) sale.order as `order.placed`, a cancelled one as `order.cancelled`.

    ``record`` is a sale.order as read by `operations.sale_orders_since`, optionally with
    ``partner_shipping_id``, ``commitment_date`` and ``picking_policy``. ``lines`` are its
    sale.order.line records by id (``product_id``, ``product_uom_qty``, optionally ``display_type``
    and ``is_delivery``); ``partners`` the res.partner records by id as plain dicts with ``name``,
    ``country_code``, ``state_code`` and ``zip``; ``skus`` product id -> default_code.
    ``default_country`` is the ship-to country of partners without one (None: such orders are
    unmappable). With ``units`` (and the lines' ``product_uom``) quantities are in the products'
    stock units.
    """
    record_id = int(record["id"])
    name = _text(record.get("name"))
    if not name:
        return Unmappable("sale.order", record_id, "the order has no name")
    state = str(record.get("state") or "")
    if state not in {"sale", "done", "cancel"}:
        return Unmappable("sale.order", record_id, f"state {state!r} is neither confirmed nor cancelled")
    ordered: list[tuple[str, str, Decimal, Mapping[str, Any]]] = []
    for line_id in record.get("order_line") or []:
        line = lines.get(int(line_id))
        if line is None:
            return Unmappable("sale.order", record_id, f"order line {line_id} was not read")
        if line.get("display_type") or line.get("is_delivery"):
            continue  # sections, notes and the delivery charge are not goods
        sku = skus.get(many2one_id(line.get("product_id")) or 0)
        if not sku:
            return Unmappable(
                "sale.order",
                record_id,
                f"order line {line_id}: product {line.get('product_id')} has no SKU (Internal Reference)",
            )
        quantity, _unit = stock_quantity(line, "product_uom_qty", units)
        if quantity > 0:
            ordered.append((str(line_id), sku, quantity, line))
    if state == "cancel":
        return OrderCancelled(
            event_id=event_id(database, "sale.order", record_id, "cancel"),
            event_type=OrderCancelled.EVENT_TYPE,
            occurred_at=_occurred(record),
            source=SOURCE,
            correlation_id=name,
            company=company,
            order_id=name,
            reason=CANCEL_REASON,
            lines=tuple(CancelledLine(line_id=i, sku=s, quantity=q) for i, s, q, _ in ordered),
        )
    if not ordered:
        return Unmappable("sale.order", record_id, "the order has no lines with goods")
    partner_id = many2one_id(record.get("partner_id"))
    shipping_id = many2one_id(record.get("partner_shipping_id")) or partner_id
    shipping = partners.get(shipping_id or 0)
    if shipping is None:
        return Unmappable("sale.order", record_id, f"shipping partner {shipping_id} was not read")
    country = _text(shipping.get("country_code")) or default_country
    if not country:
        return Unmappable("sale.order", record_id, f"shipping partner {shipping_id} has no country")
    customer = partners.get(partner_id or 0) or {}
    customer_ref = (
        _text(record.get("client_order_ref"))
        or _text(customer.get("name"))
        or _m2o_name(record.get("partner_id"))
    )
    if not customer_ref:
        return Unmappable("sale.order", record_id, "neither a customer reference nor a customer name")
    requested = _odoo_date(record.get("commitment_date"))
    return OrderPlaced(
        event_id=event_id(database, "sale.order", record_id, "sale"),
        event_type=OrderPlaced.EVENT_TYPE,
        occurred_at=_occurred(record, "date_order"),
        source=SOURCE,
        correlation_id=name,
        company=company,
        order_id=name,
        channel=ORDER_CHANNEL,
        customer_ref=customer_ref,
        ship_to=ShipTo(
            country=country.upper(),
            region=_text(shipping.get("state_code")),
            postcode=_text(shipping.get("zip")),
        ),
        lines=tuple(
            OrderLine(line_id=i, sku=s, quantity=q, requested_date=requested) for i, s, q, _ in ordered
        ),
        priority=0,
        allow_partial=record.get("picking_policy") == "direct",
    )


def _done_moves(
    record: Mapping[str, Any], moves: Mapping[int, Mapping[str, Any]], skus: Mapping[int, str]
) -> list[tuple[Mapping[str, Any], str]] | str:
    """The picking's done moves with their SKUs, or why they cannot be mapped."""
    found: list[tuple[Mapping[str, Any], str]] = []
    for move_id in record.get("move_ids") or []:
        move = moves.get(int(move_id))
        if move is None:
            return f"move {move_id} was not read"
        if move.get("state", "done") != "done":
            continue  # cancelled moves of a done picking
        sku = skus.get(many2one_id(move.get("product_id")) or 0)
        if not sku:
            return f"move {move_id}: product {move.get('product_id')} has no SKU (Internal Reference)"
        found.append((move, sku))
    return found


def map_outgoing_picking(  # noqa: PLR0911 - one early return per reason a record cannot be mapped
    record: Mapping[str, Any],
    *,
    database: str,
    company: str,
    moves: Mapping[int, Mapping[str, Any]],
    skus: Mapping[int, str],
    locations: Mapping[int, Location],
    units: ProductUnits | None = None,
) -> ShipmentConfirmed | Unmappable:
    """A done outgoing stock.picking (as read by `operations.done_pickings_since`) as `shipment.confirmed`.

    ``moves`` are its stock.move records by id (``product_id``, ``quantity_done``, ``state``,
    optionally ``sale_line_id``). A delivery without a tracking reference is unmappable.
    """
    record_id = int(record["id"])
    name = _text(record.get("name"))
    if not name:
        return Unmappable("stock.picking", record_id, "the picking has no name")
    order_id = _m2o_name(record.get("sale_id")) or _text(record.get("origin"))
    if not order_id:
        return Unmappable("stock.picking", record_id, "neither a sale order nor an origin")
    source = locations.get(many2one_id(record.get("location_id")) or 0)
    if source is None or source.warehouse is None:
        return Unmappable("stock.picking", record_id, "the source location is in no known warehouse")
    tracking = _text(record.get("carrier_tracking_ref"))
    if not tracking:
        return Unmappable("stock.picking", record_id, "no tracking reference")
    done = _done_moves(record, moves, skus)
    if isinstance(done, str):
        return Unmappable("stock.picking", record_id, done)
    lines = tuple(
        ShippedLine(
            line_id=str(line) if (line := many2one_id(move.get("sale_line_id"))) else None,
            sku=sku,
            quantity=quantity,
        )
        for move, sku in done
        if (quantity := stock_quantity(move, "quantity_done", units)[0]) > 0
    )
    if not lines:
        return Unmappable("stock.picking", record_id, "nothing was shipped (no done quantity)")
    shipped_at = _occurred(record, "date_done")
    return ShipmentConfirmed(
        event_id=event_id(database, "stock.picking", record_id, "done"),
        event_type=ShipmentConfirmed.EVENT_TYPE,
        occurred_at=shipped_at,
        source=SOURCE,
        correlation_id=order_id,
        company=company,
        shipment_id=name,
        odoo_picking_id=record_id,
        warehouse=source.warehouse,
        order_id=order_id,
        lines=lines,
        carrier=_m2o_name(record.get("carrier_id")) or UNKNOWN_CARRIER,
        tracking_number=tracking,
        shipped_at=shipped_at,
    )


def map_incoming_picking(
    record: Mapping[str, Any],
    *,
    database: str,
    company: str,
    moves: Mapping[int, Mapping[str, Any]],
    skus: Mapping[int, str],
    locations: Mapping[int, Location],
    units: ProductUnits | None = None,
) -> PurchaseReceived | Unmappable:
    """A done incoming stock.picking as `purchase.received`.

    As `map_outgoing_picking`, with ``partner_id`` (the supplier) on the record and
    ``product_uom_qty`` (the expected quantity) on the moves.
    """
    record_id = int(record["id"])
    name = _text(record.get("name"))
    if not name:
        return Unmappable("stock.picking", record_id, "the picking has no name")
    destination = locations.get(many2one_id(record.get("location_dest_id")) or 0)
    if destination is None or destination.warehouse is None:
        return Unmappable("stock.picking", record_id, "the destination location is in no known warehouse")
    done = _done_moves(record, moves, skus)
    if isinstance(done, str):
        return Unmappable("stock.picking", record_id, done)
    warehouse = destination.warehouse
    lines = tuple(
        ReceivedLine(
            sku=sku,
            warehouse=warehouse,
            expected_quantity=stock_quantity(move, "product_uom_qty", units)[0],
            received_quantity=stock_quantity(move, "quantity_done", units)[0],
        )
        for move, sku in done
    )
    if not any(line.received_quantity > 0 for line in lines):
        return Unmappable("stock.picking", record_id, "nothing was received (no done quantity)")
    purchase_order = _text(record.get("origin"))
    return PurchaseReceived(
        event_id=event_id(database, "stock.picking", record_id, "done"),
        event_type=PurchaseReceived.EVENT_TYPE,
        occurred_at=_occurred(record, "date_done"),
        source=SOURCE,
        correlation_id=purchase_order or name,
        company=company,
        receipt_id=name,
        purchase_order_id=purchase_order,
        supplier=_m2o_name(record.get("partner_id")),
        lines=lines,
    )
