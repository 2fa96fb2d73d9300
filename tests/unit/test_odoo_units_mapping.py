"""Quantities in another unit than the product's, without Kafka or Odoo: the Odoo source's mappings
of order lines, deliveries, receipts and moves (published in the product's stock unit), and the
sink's side (done quantities of a validated picking in the move's unit, split order lines)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from producers.odoo_source.mapping import (
    Location,
    map_incoming_picking,
    map_outgoing_picking,
    map_sale_order,
    map_stock_move,
    stock_quantity,
)
from sinks.odoo import plan
from supplystream.events import (
    OrderLine,
    OrderPlaced,
    PurchaseReceived,
    ReceivedLine,
    ShipmentConfirmed,
    ShippedLine,
    StockMoved,
)
from supplystream.odoo.operations import done_quantities, line_stock_quantity
from supplystream.units import ProductUnits, UnitOfMeasure, UnitRoundingError

DB = "unit"
UNITS_ID, DOZEN_ID, KG_ID, G_ID = 1, 2, 3, 4
UNITS = UnitOfMeasure.of("Units", "Unit", 1, "0.001")
DOZEN = UnitOfMeasure.bigger("Dozens", "Unit", 12, "0.01")
KG = UnitOfMeasure.of("kg", "Weight", 1, "0.001")
G = UnitOfMeasure.of("g", "Weight", 1000, "0.01")
#: Product 1 (SKU-DZ-1) is stocked in Units, product 2 (SKU-KG-1) in kg.
CATALOG = ProductUnits({UNITS_ID: UNITS, DOZEN_ID: DOZEN, KG_ID: KG, G_ID: G}, {1: UNITS_ID, 2: KG_ID})
SKUS = {1: "SKU-DZ-1", 2: "SKU-KG-1"}
LOCATIONS = {
    1: Location("EAST/Stock", "internal", "EAST"),
    2: Location("Partners/Customers", "customer", None),
    3: Location("Partners/Vendors", "supplier", None),
}
DOZENS = [DOZEN_ID, "Dozens"]
GRAMS = [G_ID, "g"]


# -- the Odoo source: quantities published in the product's stock unit ---------------------------


def test_order_lines_in_dozens_and_grams_are_placed_in_units_and_kg() -> None:
    lines: dict[int, dict[str, Any]] = {
        10: {"id": 10, "product_id": [1, "x"], "product_uom_qty": 2.0, "product_uom": DOZENS},
        11: {"id": 11, "product_id": [2, "x"], "product_uom_qty": 1250.0, "product_uom": GRAMS},
        12: {"id": 12, "product_id": [1, "x"], "product_uom_qty": 5.0, "product_uom": [UNITS_ID, "Units"]},
    }
    record = {
        "id": 5,
        "name": "S00005",
        "state": "sale",
        "partner_id": [7, "Acme"],
        "warehouse_id": [1, "WH-EAST"],
        "order_line": [10, 11, 12],
        "date_order": "2026-03-01 10:00:00",
        "write_date": "2026-03-01 10:00:05",
    }
    partners = {7: {"name": "Acme", "country_code": "DE", "state_code": None, "zip": None}}
    placed = map_sale_order(
        record, database=DB, company="ACME", lines=lines, partners=partners, skus=SKUS, units=CATALOG
    )
    assert isinstance(placed, OrderPlaced)
    assert placed.lines == (
        OrderLine(line_id="10", sku="SKU-DZ-1", quantity=Decimal("24.000")),
        OrderLine(line_id="11", sku="SKU-KG-1", quantity=Decimal("1.250")),
        OrderLine(line_id="12", sku="SKU-DZ-1", quantity=Decimal("5.000")),
    )
    # Without the units (an older caller) the quantities stay in the lines' units.
    unconverted = map_sale_order(
        record, database=DB, company="ACME", lines=lines, partners=partners, skus=SKUS
    )
    assert isinstance(unconverted, OrderPlaced)
    assert [line.quantity for line in unconverted.lines] == [Decimal(2), Decimal(1250), Decimal(5)]


def picking(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 30,
        "name": "EAST/OUT/00030",
        "origin": "S00005",
        "date_done": "2026-03-02 09:30:00",
        "write_date": "2026-03-02 09:30:01",
        "location_id": [1, "EAST/Stock"],
        "location_dest_id": [2, "Partners/Customers"],
        "move_ids": [20, 21],
        "carrier_id": False,
        "carrier_tracking_ref": "TRACK-1",
        "sale_id": [5, "S00005"],
        **overrides,
    }


#: A move of 2 Dozens done whole (Odoo's product_qty: 24 Units), one of 1.5 Dozens of which 1.25
#: were done (product_qty is the demand's: the done part is converted, HALF-UP at 0.001 Units).
MOVES: dict[int, dict[str, Any]] = {
    20: {"id": 20, "product_id": [1, "x"], "product_uom": DOZENS, "product_uom_qty": 2.0,
         "product_qty": 24.0, "quantity_done": 2.0, "state": "done", "sale_line_id": [10, "x"]},
    21: {"id": 21, "product_id": [1, "x"], "product_uom": DOZENS, "product_uom_qty": 1.5,
         "product_qty": 18.0, "quantity_done": 1.25, "state": "done", "sale_line_id": [10, "x"]},
    22: {"id": 22, "product_id": [2, "x"], "product_uom": GRAMS, "product_uom_qty": 2000.0,
         "product_qty": 2.0, "quantity_done": 1500.5, "state": "done"},
}  # fmt: skip


def test_a_delivery_in_dozens_ships_units() -> None:
    shipped = map_outgoing_picking(
        picking(), database=DB, company="ACME", moves=MOVES, skus=SKUS, locations=LOCATIONS, units=CATALOG
    )
    assert isinstance(shipped, ShipmentConfirmed)
    assert shipped.lines == (
        ShippedLine(line_id="10", sku="SKU-DZ-1", quantity=Decimal("24.000")),
        ShippedLine(line_id="10", sku="SKU-DZ-1", quantity=Decimal("15.000")),
    )


def test_a_receipt_in_grams_expects_and_receives_kg() -> None:
    received = map_incoming_picking(
        picking(
            name="EAST/IN/00031",
            location_id=[3, "Partners/Vendors"],
            location_dest_id=[1, "EAST/Stock"],
            move_ids=[22],
            sale_id=False,
            origin="P00002",
        ),
        database=DB,
        company="ACME",
        moves=MOVES,
        skus=SKUS,
        locations=LOCATIONS,
        units=CATALOG,
    )
    assert isinstance(received, PurchaseReceived)
    assert received.lines == (
        ReceivedLine(
            sku="SKU-KG-1", warehouse="EAST", expected_quantity=Decimal(2), received_quantity=Decimal("1.501")
        ),
    )


def test_a_done_move_in_dozens_is_a_stock_move_in_units() -> None:
    record = {
        **MOVES[21],
        "location_id": [1, "EAST/Stock"],
        "location_dest_id": [2, "Partners/Customers"],
        "picking_id": [30, "EAST/OUT/00030"],
        "reference": "EAST/OUT/00030",
        "date": "2026-03-02 09:30:00",
    }
    moved = map_stock_move(record, database=DB, company="ACME", skus=SKUS, locations=LOCATIONS, units=CATALOG)
    assert isinstance(moved, StockMoved)
    assert (moved.quantity, moved.uom, moved.occurred_at) == (
        Decimal("15.000"),
        "Units",
        dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
    )


def test_stock_quantity_takes_odoos_product_qty_only_for_the_whole_demand() -> None:
    # Odoo's own figure wins when the whole demand is counted (it may differ from ours by rounding).
    whole = {"product_id": [1, "x"], "product_uom": DOZENS, "product_uom_qty": 2.0, "product_qty": 24.0}
    assert stock_quantity(whole, "product_uom_qty", CATALOG) == (Decimal("24.000"), "Units")
    assert stock_quantity({**whole, "quantity_done": 0.5}, "quantity_done", CATALOG) == (Decimal(6), "Units")
    # A product whose stock unit is unknown keeps the record's quantity and unit name.
    assert stock_quantity({**whole, "product_id": [9, "x"]}, "product_uom_qty", CATALOG) == (
        Decimal(2),
        "Dozens",
    )


# -- the Odoo sink: done quantities in the move's unit (supplystream.odoo.operations) -------------


def move(move_id: int, product: int, unit: int, demand: float, product_qty: float | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": move_id,
        "product_id": [product, "x"],
        "product_uom": [unit, "u"],
        "product_uom_qty": demand,
    }
    if product_qty is not None:
        record["product_qty"] = product_qty
    return record


def test_a_dozen_line_shipped_whole_is_done_in_dozens() -> None:
    moves = [move(40, 1, DOZEN_ID, 2.0, 24.0)]
    assert done_quantities(moves, {1: Decimal(24)}, CATALOG) == ({40: Decimal(2)}, False)
    # 12 Units are 1 Dozen of the 2 (the move's demand is not compared with Units as if Dozens).
    assert done_quantities(moves, {1: Decimal(12)}, CATALOG) == ({40: Decimal("1.00")}, True)


def test_part_of_a_dozen_line_is_done_in_dozens_at_their_rounding() -> None:
    moves = [move(40, 1, DOZEN_ID, 2.0, 24.0)]
    assert done_quantities(moves, {1: Decimal(18)}, CATALOG) == ({40: Decimal("1.50")}, True)
    assert done_quantities(moves, {1: Decimal(6)}, CATALOG) == ({40: Decimal("0.50")}, True)
    with pytest.raises(UnitRoundingError, match=r"stock\.move 40: 0\.5833+\.\.\. Dozens \(7 Units\)"):
        done_quantities(moves, {1: Decimal(7)}, CATALOG)


def test_nothing_shipped_of_a_move_and_more_than_demanded() -> None:
    moves = [move(40, 1, DOZEN_ID, 2.0, 24.0)]
    assert done_quantities(moves, {}, CATALOG) == ({40: Decimal(0)}, True)
    assert done_quantities(moves, {1: Decimal(30)}, CATALOG) == ({40: Decimal(2)}, False)


def test_demand_and_shipment_compare_at_the_stock_units_rounding() -> None:
    moves = [move(40, 2, G_ID, 1500.0, 1.5)]
    assert done_quantities(moves, {2: Decimal("1.4996")}, CATALOG) == ({40: Decimal(1500)}, False)
    assert done_quantities(moves, {2: Decimal("1.25")}, CATALOG) == ({40: Decimal("1250.00")}, True)


def test_the_shipment_of_a_product_is_spread_over_its_moves_in_id_order() -> None:
    moves = [move(41, 1, UNITS_ID, 6.0, 6.0), move(40, 1, DOZEN_ID, 1.0, 12.0), move(42, 2, KG_ID, 1.0, 1.0)]
    done, partial = done_quantities(moves, {1: Decimal(15), 2: Decimal(1)}, CATALOG)
    assert (done, partial) == ({40: Decimal(1), 41: Decimal(3), 42: Decimal(1)}, True)


def test_everything_demanded_without_quantities_or_units() -> None:
    moves = [move(40, 1, DOZEN_ID, 2.0, 24.0), move(41, 9, UNITS_ID, 3.0, None)]
    assert done_quantities(moves, None, None) == ({40: Decimal(2), 41: Decimal(3)}, False)
    # No units known: the move's unit is taken for the product's (product_qty still compares).
    assert done_quantities(moves[1:], {9: Decimal(2)}, None) == ({41: Decimal(2)}, True)
    assert done_quantities(moves[:1], {1: Decimal(24)}, None) == ({40: Decimal(2)}, False)


# -- the Odoo sink: split order lines in another unit ---------------------------------------------


def test_a_sale_line_in_dozens_counts_in_units() -> None:
    line = {"product_id": [1, "x"], "product_uom": DOZENS, "product_uom_qty": 2.0}
    assert line_stock_quantity(line, CATALOG) == Decimal(24)
    assert line_stock_quantity({**line, "product_uom": False}, CATALOG) == Decimal(2)


def test_splitting_a_dozen_line_keeps_dozens_where_they_express_the_rest() -> None:
    record = {
        "id": 4,
        "order_id": [7, "S7"],
        "product_id": [100, "x"],
        "product_uom": DOZENS,
        "product_uom_qty": 2.0,
        "price_unit": 6.0,
        "route_id": None,
        "stock_quantity": Decimal(24),
        "stock_uom_id": UNITS_ID,
        "unit": DOZEN,
        "stock_unit": UNITS,
    }
    line = plan.LineView.of(record)
    assert line == plan.LineView(4, 7, 100, Decimal(24), None, UNITS_ID, (DOZEN, UNITS), Decimal(6))
    east, west, west_route = 1, 2, 20
    routes = {west: west_route}
    # 18 Units stay: 1.5 Dozens, the line keeps its unit and price; 6 Units go on a new line (in Units).
    changes = plan.line_changes({(100, east): Decimal(18), (100, west): Decimal(6)}, east, [line], routes)
    assert (changes.quantities, changes.units, changes.prices) == ({4: Decimal("1.50")}, {}, {})
    assert list(changes.new_lines) == [(100, Decimal(6), west_route)]
    # 7 Units stay: no number of Dozens at 0.01; the line changes to Units at 6 / 12 = 0.5 a Unit.
    odd = plan.line_changes({(100, east): Decimal(7), (100, west): Decimal(17)}, east, [line], routes)
    assert (odd.quantities, odd.units, odd.prices) == ({4: Decimal(7)}, {4: UNITS_ID}, {4: Decimal("0.5")})
    # A line in the product's own unit keeps its unit; one routed whole changes no quantity.
    same = plan.LineView.of({**record, "product_uom": [UNITS_ID, "Units"], "unit": UNITS})
    assert (same.stock_unit_id, same.units) == (None, None)
    whole = plan.line_changes({(100, west): Decimal(24)}, east, [line], routes)
    assert (whole.routes, whole.quantities, whole.units) == ({4: west_route}, {}, {})
