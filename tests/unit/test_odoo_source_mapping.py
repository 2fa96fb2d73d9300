"""The Odoo source's pure mappings of sale orders and pickings, and the reasons they refuse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from producers.odoo_source.mapping import (
    SOURCE,
    Location,
    Unmappable,
    event_id,
    map_incoming_picking,
    map_outgoing_picking,
    map_sale_order,
)
from supplystream.events import (
    CancelledLine,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    PurchaseReceived,
    ReceivedLine,
    ShipmentConfirmed,
    ShippedLine,
    ShipTo,
)

DB = "unit"
SKUS = {1: "SKU-1001", 2: "SKU-1002", 3: ""}
LINES: dict[int, dict[str, Any]] = {
    10: {"id": 10, "product_id": [1, "Pallet Jack"], "product_uom_qty": 2.0},
    11: {"id": 11, "product_id": [2, "Shrink Wrap"], "product_uom_qty": 1.5},
    12: {"id": 12, "product_id": False, "product_uom_qty": 0.0, "display_type": "line_section"},
    13: {"id": 13, "product_id": [3, "Delivery"], "product_uom_qty": 1.0, "is_delivery": True},
    14: {"id": 14, "product_id": [3, "No SKU"], "product_uom_qty": 1.0},
}
PARTNERS: dict[int, dict[str, Any]] = {
    7: {"name": "Acme Distribution", "country_code": "DE", "state_code": "BY", "zip": "80331"},
    8: {"name": "Acme Warehouse", "country_code": "at", "state_code": None, "zip": None},
    9: {"name": "Nowhere Ltd", "country_code": None, "state_code": None, "zip": None},
}
LOCATIONS = {
    1: Location("EAST/Stock", "internal", "EAST"),
    2: Location("Partners/Customers", "customer", None),
    3: Location("Partners/Vendors", "supplier", None),
}


def order(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 5,
        "name": "S00005",
        "state": "sale",
        "partner_id": [7, "Acme Distribution"],
        "warehouse_id": [1, "WH-EAST"],
        "order_line": [10, 11, 12, 13],
        "client_order_ref": False,
        "date_order": "2026-03-01 10:00:00",
        "write_date": "2026-03-01 10:00:05",
        **overrides,
    }


def map_order(record: dict[str, Any], **kwargs: Any) -> OrderPlaced | OrderCancelled | Unmappable:
    return map_sale_order(
        record, database=DB, company="ACME", lines=LINES, partners=PARTNERS, skus=SKUS, **kwargs
    )


def test_a_confirmed_order_is_placed() -> None:
    placed = map_order(order(commitment_date="2026-03-10 08:00:00", picking_policy="direct"))
    assert placed == OrderPlaced(
        event_id=event_id(DB, "sale.order", 5, "sale"),
        event_type="order.placed",
        occurred_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
        source=SOURCE,
        correlation_id="S00005",
        company="ACME",
        order_id="S00005",
        channel="odoo",
        customer_ref="Acme Distribution",
        ship_to=ShipTo(country="DE", region="BY", postcode="80331"),
        lines=(
            OrderLine(
                line_id="10", sku="SKU-1001", quantity=Decimal("2.000"), requested_date=dt.date(2026, 3, 10)
            ),
            OrderLine(
                line_id="11", sku="SKU-1002", quantity=Decimal("1.500"), requested_date=dt.date(2026, 3, 10)
            ),
        ),
        priority=0,
        allow_partial=True,
    )


def test_a_done_order_has_the_same_id_and_ships_to_the_delivery_address() -> None:
    placed = map_order(
        order(
            state="done",
            client_order_ref="PO-77",
            partner_shipping_id=[8, "Acme Warehouse"],
            picking_policy="one",
        )
    )
    assert isinstance(placed, OrderPlaced)
    assert placed.event_id == event_id(DB, "sale.order", 5, "sale")
    assert placed.customer_ref == "PO-77"
    assert placed.ship_to == ShipTo(country="AT", region=None, postcode=None)
    assert placed.allow_partial is False
    assert all(line.requested_date is None for line in placed.lines)


def test_a_cancelled_order_lists_its_lines() -> None:
    cancelled = map_order(order(state="cancel"))
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.event_id == event_id(DB, "sale.order", 5, "cancel")
    assert cancelled.occurred_at == dt.datetime(2026, 3, 1, 10, 0, 5, tzinfo=dt.UTC)
    assert cancelled.order_id == "S00005"
    assert cancelled.reason == "cancelled in Odoo"
    assert cancelled.lines == (
        CancelledLine(line_id="10", sku="SKU-1001", warehouse=None, quantity=Decimal("2.000")),
        CancelledLine(line_id="11", sku="SKU-1002", warehouse=None, quantity=Decimal("1.500")),
    )


def test_a_partner_without_country_uses_the_default_country() -> None:
    record = order(partner_id=[9, "Nowhere Ltd"])
    refused = map_order(record)
    assert isinstance(refused, Unmappable)
    assert refused.reason == "shipping partner 9 has no country"
    placed = map_order(record, default_country="DE")
    assert isinstance(placed, OrderPlaced)
    assert placed.ship_to.country == "DE"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"state": "draft"}, "state 'draft' is neither confirmed nor cancelled"),
        ({"order_line": [10, 14]}, "order line 14: product [3, 'No SKU'] has no SKU (Internal Reference)"),
        ({"order_line": [10, 99]}, "order line 99 was not read"),
        ({"order_line": [12, 13]}, "the order has no lines with goods"),
        ({"partner_id": [42, "Unknown"]}, "shipping partner 42 was not read"),
        ({"name": False}, "the order has no name"),
    ],
)
def test_unmappable_orders(overrides: dict[str, Any], reason: str) -> None:
    assert map_order(order(**overrides)) == Unmappable("sale.order", 5, reason)


MOVES: dict[int, dict[str, Any]] = {
    20: {"id": 20, "product_id": [1, "x"], "product_uom_qty": 2.0, "quantity_done": 2.0, "state": "done",
         "sale_line_id": [10, "x"]},
    21: {"id": 21, "product_id": [2, "x"], "product_uom_qty": 3.0, "quantity_done": 1.25, "state": "done",
         "sale_line_id": False},
    22: {"id": 22, "product_id": [2, "x"], "product_uom_qty": 1.0, "quantity_done": 0.0, "state": "cancel"},
    23: {"id": 23, "product_id": [3, "x"], "product_uom_qty": 1.0, "quantity_done": 1.0, "state": "done"},
}  # fmt: skip


def picking(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 30,
        "name": "EAST/OUT/00030",
        "origin": "S00005",
        "date_done": "2026-03-02 09:30:00",
        "write_date": "2026-03-02 09:30:01",
        "location_id": [1, "EAST/Stock"],
        "location_dest_id": [2, "Partners/Customers"],
        "move_ids": [20, 21, 22],
        "carrier_id": [4, "Standard Delivery"],
        "carrier_tracking_ref": "TRACK-1",
        "sale_id": [5, "S00005"],
        **overrides,
    }


def map_out(record: dict[str, Any]) -> ShipmentConfirmed | Unmappable:
    return map_outgoing_picking(
        record, database=DB, company="ACME", moves=MOVES, skus=SKUS, locations=LOCATIONS
    )


def test_a_done_delivery_is_a_confirmed_shipment() -> None:
    shipped = map_out(picking())
    assert isinstance(shipped, ShipmentConfirmed)
    assert shipped.event_id == event_id(DB, "stock.picking", 30, "done")
    assert (shipped.shipment_id, shipped.odoo_picking_id, shipped.warehouse) == ("EAST/OUT/00030", 30, "EAST")
    assert (shipped.order_id, shipped.carrier, shipped.tracking_number) == (
        "S00005",
        "Standard Delivery",
        "TRACK-1",
    )
    assert shipped.shipped_at == dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    assert shipped.lines == (
        ShippedLine(line_id="10", sku="SKU-1001", quantity=Decimal("2.000")),
        ShippedLine(line_id=None, sku="SKU-1002", quantity=Decimal("1.250")),
    )


def test_a_delivery_without_sale_order_or_carrier_uses_origin_and_unknown() -> None:
    shipped = map_out(picking(sale_id=False, origin="SHOP-1", carrier_id=False))
    assert isinstance(shipped, ShipmentConfirmed)
    assert (shipped.order_id, shipped.carrier) == ("SHOP-1", "unknown")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"carrier_tracking_ref": False}, "no tracking reference"),
        ({"carrier_tracking_ref": "  "}, "no tracking reference"),
        ({"sale_id": False, "origin": False}, "neither a sale order nor an origin"),
        ({"location_id": [2, "Partners/Customers"]}, "the source location is in no known warehouse"),
        ({"move_ids": [20, 23]}, "move 23: product [3, 'x'] has no SKU (Internal Reference)"),
        ({"move_ids": [20, 98]}, "move 98 was not read"),
        ({"move_ids": [22]}, "nothing was shipped (no done quantity)"),
    ],
)
def test_unmappable_deliveries(overrides: dict[str, Any], reason: str) -> None:
    assert map_out(picking(**overrides)) == Unmappable("stock.picking", 30, reason)


def receipt(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "EAST/IN/00031",
        "origin": "P00002",
        "location_id": [3, "Partners/Vendors"],
        "location_dest_id": [1, "EAST/Stock"],
        "partner_id": [6, "Globex Supplies"],
        "carrier_id": False,
        "carrier_tracking_ref": False,
        "sale_id": False,
    }
    return picking(**{**values, **overrides})


def map_in(record: dict[str, Any]) -> PurchaseReceived | Unmappable:
    return map_incoming_picking(
        record, database=DB, company="ACME", moves=MOVES, skus=SKUS, locations=LOCATIONS
    )


def test_a_done_receipt_is_a_received_purchase() -> None:
    received = map_in(receipt())
    assert isinstance(received, PurchaseReceived)
    assert received.event_id == event_id(DB, "stock.picking", 30, "done")
    assert (received.receipt_id, received.purchase_order_id, received.supplier) == (
        "EAST/IN/00031",
        "P00002",
        "Globex Supplies",
    )
    assert received.lines == (
        ReceivedLine(
            sku="SKU-1001", warehouse="EAST", expected_quantity=Decimal(2), received_quantity=Decimal(2)
        ),
        ReceivedLine(
            sku="SKU-1002", warehouse="EAST", expected_quantity=Decimal(3), received_quantity=Decimal("1.25")
        ),
    )
    assert received.correlation_id == "P00002"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"location_dest_id": [3, "Partners/Vendors"]}, "the destination location is in no known warehouse"),
        ({"move_ids": [23]}, "move 23: product [3, 'x'] has no SKU (Internal Reference)"),
        ({"move_ids": [22]}, "nothing was received (no done quantity)"),
        ({"name": False}, "the picking has no name"),
    ],
)
def test_unmappable_receipts(overrides: dict[str, Any], reason: str) -> None:
    assert map_in(receipt(**overrides)) == Unmappable("stock.picking", 30, reason)
