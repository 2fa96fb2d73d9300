"""One contract for the Odoo sink adapter, run against every Odoo we support (as odoo_contract.py).

Subclasses provide the fixture ``odoo`` (an `OdooBackend`). The tests call `OdooSink.write` with
records as the sink runtime hands them over (decoded Avro values); the runtime itself, with Kafka,
is exercised by test_odoo_sink_standin.py. Events are built here with fresh ids, so tests are
independent of what earlier tests left in the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from processors.replay import positions_from
from producers.fulfilment import shipments_for
from sinks.base import NotYetApplicableError, PermanentSinkError, SinkRecord, TargetUnavailableError
from sinks.odoo import OdooSink
from sinks.odoo.plan import ADJUSTMENT_PREFIX, CANCELLATION_MARKER
from supplystream.events import (
    Allocation,
    AtpChanged,
    CancelledLine,
    Event,
    MoveKind,
    OrderAllocated,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    ShipmentConfirmed,
    ShippedLine,
    ShipTo,
    Source,
    StockMoved,
)
from supplystream.odoo.client import OdooClient
from supplystream.odoo.operations import (
    customer_location,
    many2one_id,
    picking_moves_field,
    read_units,
    set_on_hand,
    storable_domain,
    storable_values,
    version_of,
)
from supplystream.odoo.transport import OdooTransport
from supplystream.units import unit_key
from supplystream_app.catalog_seed import CatalogProduct, ensure_catalog
from tests.integration.odoo_contract import (
    OdooBackend,
    Seed,
    new_order,
    on_hand,
    order_name,
    seed_of,
    unit_named,
    unit_products,
)

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
WMS = Source(system="wms", adapter="webhook-source")
ODOO = Source(system="odoo", adapter="odoo-source")
ROUTER = Source(system="supplystream", adapter="order-router")
#: Warehouse codes of the seeded warehouses WH-EAST and WH-WEST (see odoo_contract.py).
EAST, WEST = "EAST", "WEST"


def stock_moved(
    sku: str,
    warehouse: str,
    quantity: Decimal | int,
    *,
    inbound: bool = True,
    source: Source = WMS,
    uom: str = "Units",
) -> StockMoved:
    """A move of ``quantity`` into (or out of) ``warehouse``'s stock, from a WMS by default."""
    outside = "Partners/Vendors" if inbound else "Partners/Customers"
    inside = f"{warehouse}/Stock"
    return StockMoved(
        event_id=uuid.uuid4(),
        event_type=StockMoved.EVENT_TYPE,
        occurred_at=NOW,
        source=source,
        correlation_id=f"wms-{uuid.uuid4().hex[:6]}",
        company="main",
        sku=sku,
        warehouse=warehouse,
        from_location=outside if inbound else inside,
        from_warehouse=None if inbound else warehouse,
        to_location=inside if inbound else outside,
        to_warehouse=warehouse if inbound else None,
        quantity=Decimal(quantity),
        uom=uom,
        move_kind=MoveKind.RECEIPT if inbound else MoveKind.DELIVERY,
    )


SHOP = Source(system="simulator", adapter="distribution-simulator")


def order_placed(
    order: str, lines: Sequence[tuple[str, Decimal | int]], customer_ref: str = ""
) -> OrderPlaced:
    """A channel order (from the simulator's shop) named ``order``."""
    return OrderPlaced(
        event_id=uuid.uuid4(),
        event_type=OrderPlaced.EVENT_TYPE,
        occurred_at=NOW,
        source=SHOP,
        correlation_id=order,
        company="main",
        order_id=order,
        channel="shop",
        customer_ref=customer_ref or f"SHO-{uuid.uuid4().hex[:8]}",
        ship_to=ShipTo(country="US", region="NJ", postcode="07001"),
        lines=tuple(
            OrderLine(line_id=str(n), sku=sku, quantity=Decimal(q)) for n, (sku, q) in enumerate(lines, 1)
        ),
    )


def new_order_id() -> str:
    return f"SO-T-{uuid.uuid4().hex[:10]}"


def order_allocated(order: str, warehouse: str, sku: str = "SKU-1005", quantity: int = 1) -> OrderAllocated:
    return OrderAllocated(
        event_id=uuid.uuid4(),
        event_type=OrderAllocated.EVENT_TYPE,
        occurred_at=NOW,
        source=ROUTER,
        correlation_id=order,
        company="main",
        order_id=order,
        lines=(Allocation(line_id="1", sku=sku, warehouse=warehouse, quantity=Decimal(quantity)),),
    )


def shipment_confirmed(
    order: str,
    tracking: str,
    lines: Sequence[tuple[str, int]],
    *,
    picking_id: int | None = None,
    warehouse: str = EAST,
    carrier: str = "dhl",
) -> ShipmentConfirmed:
    return ShipmentConfirmed(
        event_id=uuid.uuid4(),
        event_type=ShipmentConfirmed.EVENT_TYPE,
        occurred_at=NOW,
        source=WMS,
        correlation_id=order,
        company="main",
        shipment_id=f"SHP-{tracking}",
        odoo_picking_id=picking_id,
        warehouse=warehouse,
        order_id=order,
        lines=tuple(ShippedLine(sku=sku, quantity=Decimal(q)) for sku, q in lines),
        carrier=carrier,
        tracking_number=tracking,
        shipped_at=NOW,
    )


def order_cancelled(order: str, lines: Sequence[tuple[str, Decimal | int]]) -> OrderCancelled:
    """The channel cancelled ``lines`` of ``order`` (all of them: the whole order)."""
    return OrderCancelled(
        event_id=uuid.uuid4(),
        event_type=OrderCancelled.EVENT_TYPE,
        occurred_at=NOW,
        source=SHOP,
        correlation_id=order,
        company="main",
        order_id=order,
        reason="customer request",
        lines=tuple(
            CancelledLine(line_id=str(n), sku=sku, quantity=Decimal(q)) for n, (sku, q) in enumerate(lines, 1)
        ),
    )


def atp_changed(sku: str, warehouse: str, version: int, atp: int) -> AtpChanged:
    return AtpChanged(
        event_id=uuid.uuid4(),
        event_type=AtpChanged.EVENT_TYPE,
        occurred_at=NOW,
        source=Source(system="supplystream", adapter="atp-processor"),
        correlation_id=f"{sku}|{warehouse}",
        company="main",
        sku=sku,
        warehouse=warehouse,
        on_hand=Decimal(atp + 2),
        reserved=Decimal(2),
        inbound=Decimal(0),
        safety_stock=Decimal(0),
        atp=Decimal(atp),
        version=version,
        as_of=NOW,
    )


def records(*events: Event) -> list[SinkRecord]:
    """``events`` as the runtime hands them to an adapter (offsets in order, one partition)."""
    return [
        SinkRecord(
            topic=event.EVENT_TYPE,
            partition=0,
            offset=n,
            key=None,
            event=event.to_record(),
            timestamp_ms=int(NOW.timestamp() * 1000),
        )
        for n, event in enumerate(events)
    ]


def picking_of(client: OdooClient, order_id: int) -> dict[str, Any]:
    """The order's one outgoing picking: state and tracking reference."""
    rows = client.search_read(
        "stock.picking",
        [("origin", "=", order_name(client, order_id)), ("picking_type_code", "=", "outgoing")],
        ["state", "carrier_tracking_ref", "carrier_id"],
    )
    assert len(rows) == 1, rows
    return rows[0]


def adjustments_named(client: OdooClient, events: Sequence[StockMoved]) -> int:
    """How many adjustments Odoo holds for ``events`` (by the sink's reference)."""
    names = [f"{ADJUSTMENT_PREFIX}{e.event_id}" for e in events]
    if client.version >= 15:
        return len(client.search("stock.move", [("name", "in", names), ("state", "=", "done")]))
    return len(client.search("stock.inventory", [("name", "in", names), ("state", "=", "done")]))


def reserved(client: OdooClient, product_id: int, location_id: int) -> Decimal:
    """Quantity of the product reserved at the location (``stock.quant.reserved_quantity``)."""
    quants = client.search_read(
        "stock.quant",
        [("product_id", "=", product_id), ("location_id", "=", location_id)],
        ["reserved_quantity"],
    )
    return sum((Decimal(str(q["reserved_quantity"])) for q in quants), Decimal(0))


def cancellation_notes(client: OdooClient, order: str) -> list[str]:
    """The sink's notes on the sale order named ``order`` (its chatter messages with the marker)."""
    [order_id] = client.search("sale.order", [("name", "=", order)])
    rows = client.search_read(
        "mail.message",
        [("model", "=", "sale.order"), ("res_id", "=", order_id), ("body", "ilike", CANCELLATION_MARKER)],
        ["body"],
    )
    return [str(row["body"]) for row in rows]


def deliveries(client: OdooClient, order: str) -> list[tuple[str, str]]:
    """(state, tracking reference) of the order's outgoing pickings, oldest first."""
    rows = client.search_read(
        "stock.picking",
        [("origin", "=", order), ("picking_type_code", "=", "outgoing")],
        ["state", "carrier_tracking_ref"],
        order="id asc",
    )
    return [(str(r["state"]), str(r["carrier_tracking_ref"] or "")) for r in rows]


def done_moves_of(client: OdooClient, origin: str) -> list[dict[str, Any]]:
    """The done moves of the outgoing pickings of ``origin``, oldest first: unit, demand in it and
    in the product's unit."""
    pickings = client.search(
        "stock.picking", [("origin", "=", origin), ("picking_type_code", "=", "outgoing")]
    )
    return client.search_read(
        "stock.move",
        [("picking_id", "in", pickings), ("state", "=", "done")],
        ["product_uom", "product_uom_qty", "product_qty"],
        order="id asc",
    )


def order_state(client: OdooClient, order: str) -> str:
    [row] = client.search_read("sale.order", [("name", "=", order)], ["state"])
    return str(row["state"])


class OverflowingTransport:
    """Sends Odoo, for the sale orders named in ``poisoned``, lines whose ``sequence`` (an Integer field,
    PostgreSQL ``int4``) is beyond int4: a value Odoo's database cannot store, as clock-microsecond
    ATP versions once were. The platform no longer sends such a value, so a test stages it here; the
    refusal itself comes from Odoo (or the stand-in), through the real transport and classification."""

    def __init__(self, inner: OdooTransport, poisoned: set[str]) -> None:
        self._inner = inner
        self._poisoned = poisoned

    def server_version(self) -> tuple[int, int]:
        return self._inner.server_version()

    def authenticate(self) -> int:
        return self._inner.authenticate()

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if (model, method) == ("sale.order", "create"):
            values = args[0]  # a dict before Odoo 12, a list of dicts since
            poisoned = [self._poison(v) for v in values] if isinstance(values, list) else self._poison(values)
            args = [poisoned, *args[1:]]
        return self._inner.call(model, method, args, kwargs)

    def _poison(self, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("name") not in self._poisoned:
            return values
        lines = [(0, 0, {**line[2], "sequence": 2**31}) for line in values.get("order_line", [])]
        return {**values, "order_line": lines}


class OdooSinkContract:
    """What the Odoo sink guarantees, whatever the Odoo version."""

    @pytest.fixture
    def client(self, odoo: OdooBackend) -> OdooClient:
        client = odoo.client()
        client.login()
        return client

    @pytest.fixture
    def seed(self, client: OdooClient) -> Seed:
        return seed_of(client)

    @pytest.fixture
    def sink(self, odoo: OdooBackend) -> OdooSink:
        return OdooSink(odoo.client())

    def test_a_wms_move_adjusts_stock_once_and_odoo_echoes_are_ignored(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        product, location = seed.products["SKU-1001"], seed.stock_locations["WH-WEST"]
        before = on_hand(client, product, location)
        received = stock_moved("SKU-1001", WEST, 7)
        shipped = stock_moved("SKU-1001", WEST, 2, inbound=False)
        echo = stock_moved("SKU-1001", WEST, 100, source=ODOO)
        assert sink.write(records(received, shipped, echo, received)) == []
        assert on_hand(client, product, location) == before + 5
        assert sink.write(records(shipped, received)) == []  # a replay changes nothing
        assert on_hand(client, product, location) == before + 5
        assert adjustments_named(client, [received, shipped, echo]) == 2
        assert sink.outcomes["stock.moved echo"] == 1
        assert sink.outcomes["stock.moved unchanged"] == 3

    def test_quantities_are_written_in_the_products_unit_at_its_rounding(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        """0.125 kg and 250 g of a weighed SKU (kg, rounding 0.001) and 1 Dozen of a SKU in Units are
        written in the product's unit; 0.0004 kg (finer than 0.001) and kg of a SKU counted in Units
        are dead-lettered at once as permanent, with the SKU, quantity and unit named."""
        products = unit_products(client)
        weighed, dozen = products["SKU-KG-1"], products["SKU-DZ-1"]
        location = seed.stock_locations["WH-WEST"]
        kg_before, units_before = on_hand(client, weighed, location), on_hand(client, dozen, location)
        fine = stock_moved("SKU-KG-1", WEST, Decimal("0.125"), uom="kg")
        grams = stock_moved("SKU-KG-1", WEST, Decimal(250), uom="g")
        pack = stock_moved("SKU-DZ-1", WEST, Decimal(1), uom="Dozens")
        too_fine = stock_moved("SKU-KG-1", WEST, Decimal("0.0004"), uom="kg")
        wrong_category = stock_moved("SKU-DZ-1", WEST, Decimal(1), uom="kg")
        rejected = sink.write(records(fine, too_fine, grams, pack, wrong_category))
        assert {r.record.event_id for r in rejected} == {str(too_fine.event_id), str(wrong_category.event_id)}
        assert all(isinstance(r.error, PermanentSinkError) for r in rejected)
        reasons = {r.record.event_id: str(r.error) for r in rejected}
        assert all(part in reasons[str(too_fine.event_id)] for part in ("SKU-KG-1", "0.0004", "kg", "0.001"))
        assert "SKU-DZ-1" in reasons[str(wrong_category.event_id)]
        assert "categor" in reasons[str(wrong_category.event_id)]
        assert on_hand(client, weighed, location) == kg_before + Decimal("0.375")
        assert on_hand(client, dozen, location) == units_before + 12
        order = new_order_id()
        assert sink.write(records(order_placed(order, [("SKU-KG-1", Decimal("0.125"))]))) == []
        created = client.search_read("sale.order", [("name", "=", order)], ["order_line"])[0]
        lines = client.read("sale.order.line", created["order_line"], ["product_uom_qty"])
        assert [line["product_uom_qty"] for line in lines] == [0.125]

    def test_allocation_confirms_the_order_from_its_warehouse_once(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        order = new_order(client, seed, 1, sku="SKU-1005")
        name = order_name(client, order)
        event = order_allocated(name, EAST)
        assert sink.write(records(event)) == []
        state = client.read("sale.order", [order], ["state", "warehouse_id"])[0]
        assert state["state"] == "sale"
        assert many2one_id(state["warehouse_id"]) == seed.warehouses["WH-EAST"]
        assert sink.write(records(event, order_allocated(name, EAST))) == []
        assert len(client.search("stock.picking", [("origin", "=", name)])) == 1  # not confirmed twice

    def test_a_conflicting_allocation_is_rejected_alone(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        first, second = new_order(client, seed, 1), new_order(client, seed, 1)
        first_name, second_name = order_name(client, first), order_name(client, second)
        assert sink.write(records(order_allocated(first_name, EAST))) == []
        conflicting = order_allocated(first_name, WEST)
        missing = order_allocated("S-NO-SUCH-ORDER", EAST)
        rejected = sink.write(records(conflicting, order_allocated(second_name, WEST), missing))
        assert [r.record.event_id for r in rejected] == [str(conflicting.event_id), str(missing.event_id)]
        assert "another warehouse" in str(rejected[0].error)
        assert not isinstance(rejected[0].error, NotYetApplicableError)
        assert "no sale.order named 'S-NO-SUCH-ORDER'" in str(rejected[1].error)
        assert isinstance(rejected[1].error, NotYetApplicableError), "it waits for its order.placed"
        assert client.read("sale.order", [second], ["state"])[0]["state"] == "sale"

    def test_a_shipment_validates_the_picking_with_its_tracking_reference_once(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        product, location = seed.products["SKU-1002"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(50))
        order = new_order(client, seed, 3, sku="SKU-1002")
        name = order_name(client, order)
        tracking = f"TRK-{uuid.uuid4().hex[:8]}"
        carrier = client.search_read("delivery.carrier", [], ["name"], limit=1)[0]
        shipment = shipment_confirmed(name, tracking, [("SKU-1002", 3)], carrier=str(carrier["name"]).upper())
        # Allocation and shipment in one batch: the order is confirmed before it ships.
        assert sink.write(records(shipment, order_allocated(name, EAST, "SKU-1002", 3))) == []
        picking = picking_of(client, order)
        assert (picking["state"], picking["carrier_tracking_ref"]) == ("done", tracking)
        assert many2one_id(picking["carrier_id"]) == carrier["id"], "the carrier is found by its name"
        assert on_hand(client, product, location) == 47
        assert sink.write(records(shipment, shipment)) == []  # already done with the same reference
        assert on_hand(client, product, location) == 47
        conflicting = shipment_confirmed(name, "TRK-OTHER", [("SKU-1002", 3)], picking_id=int(picking["id"]))
        rejected = sink.write(records(conflicting))
        assert len(rejected) == 1
        assert tracking in str(rejected[0].error)
        assert "TRK-OTHER" in str(rejected[0].error)

    def test_a_partial_shipment_leaves_a_backorder_that_the_next_shipment_validates(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        product, location = seed.products["SKU-1004"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(20))
        order = new_order(client, seed, 5, sku="SKU-1004")
        name = order_name(client, order)
        assert sink.write(records(order_allocated(name, EAST, "SKU-1004", 5))) == []
        first = shipment_confirmed(name, f"P1-{uuid.uuid4().hex[:6]}", [("SKU-1004", 2)])
        second = shipment_confirmed(name, f"P2-{uuid.uuid4().hex[:6]}", [("SKU-1004", 3)])
        assert sink.write(records(first, second, first)) == []
        pickings = client.search_read(
            "stock.picking",
            [("origin", "=", name), ("picking_type_code", "=", "outgoing")],
            ["state", "carrier_tracking_ref"],
        )
        assert sorted((p["state"], p["carrier_tracking_ref"]) for p in pickings) == sorted(
            [("done", first.tracking_number), ("done", second.tracking_number)]
        )
        assert on_hand(client, product, location) == 15

    def test_a_sale_line_in_dozens_ships_twelve_units_a_dozen(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        """A sale order line of 2 Dozens of SKU-DZ-1 (stocked in Units): shipments count in Units (as
        every event quantity). 18 Units validate the delivery in part, 6 more its backorder: the done
        moves come to 24 = 12 x 2 Units (Odoo's product_qty, whatever unit Odoo procured the move in:
        the product's by default) and on-hand drops by that."""
        product = unit_products(client)["SKU-DZ-1"]
        dozen = unit_named(read_units(client), "dozen")
        location = seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(100))
        partner = client.create("res.partner", [{"name": f"Customer {uuid.uuid4().hex[:6]}"}])[0]
        line = {"product_id": product, "product_uom": dozen, "product_uom_qty": 2}
        order = client.create(
            "sale.order",
            [
                {
                    "partner_id": partner,
                    "warehouse_id": seed.warehouses["WH-EAST"],
                    "order_line": [(0, 0, line)],
                }
            ],
        )[0]
        name = order_name(client, order)
        first = shipment_confirmed(name, f"D1-{uuid.uuid4().hex[:6]}", [("SKU-DZ-1", 18)])
        assert sink.write(records(order_allocated(name, EAST, "SKU-DZ-1", 24), first)) == []
        assert on_hand(client, product, location) == 82
        second = shipment_confirmed(name, f"D2-{uuid.uuid4().hex[:6]}", [("SKU-DZ-1", 6)])
        assert sink.write(records(second, first)) == []
        assert deliveries(client, name) == [("done", first.tracking_number), ("done", second.tracking_number)]
        assert on_hand(client, product, location) == 100 - 12 * 2
        moves = done_moves_of(client, name)
        assert [m["product_qty"] for m in moves] == [18.0, 6.0]
        assert all(
            m["product_uom_qty"] * (12 if many2one_id(m["product_uom"]) == dozen else 1) == m["product_qty"]
            for m in moves
        ), moves

    def test_a_delivery_move_in_dozens_is_done_in_dozens(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        """A delivery whose move is in Dozens (made by hand, or procured with stock.propagate_uom) of
        SKU-DZ-1 (stocked in Units): 7 Units (0.583... Dozens, finer than the Dozen's rounding) are
        rejected as permanent before anything is written; 18 Units are 1.5 Dozens done with a
        backorder of 0.5, which 6 Units validate: on-hand drops by 24."""
        product = unit_products(client)["SKU-DZ-1"]
        dozen = unit_named(read_units(client), "dozen")
        location = seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(100))
        origin = f"MANUAL-{uuid.uuid4().hex[:8]}"
        [warehouse] = client.read("stock.warehouse", [seed.warehouses["WH-EAST"]], ["out_type_id"])
        customers = customer_location(client)
        move = {
            "name": origin,
            "product_id": product,
            "product_uom": dozen,
            "product_uom_qty": 2.0,
            "location_id": location,
            "location_dest_id": customers,
        }
        picking = client.create(
            "stock.picking",
            [
                {
                    "picking_type_id": many2one_id(warehouse["out_type_id"]),
                    "location_id": location,
                    "location_dest_id": customers,
                    "origin": origin,
                    picking_moves_field(client.version): [(0, 0, move)],
                }
            ],
        )[0]
        client.call("stock.picking", "action_confirm", [picking])
        too_fine = shipment_confirmed(origin, f"D0-{uuid.uuid4().hex[:6]}", [("SKU-DZ-1", 7)])
        rejected = sink.write(records(too_fine))
        assert [(r.record.event_id, type(r.error)) for r in rejected] == [
            (str(too_fine.event_id), PermanentSinkError)
        ], [str(r.error) for r in rejected]
        assert all(part in str(rejected[0].error) for part in ("stock.move", "Dozen", "rounding")), rejected[
            0
        ].error
        assert deliveries(client, origin)[0][0] != "done"
        assert on_hand(client, product, location) == 100
        first = shipment_confirmed(origin, f"D1-{uuid.uuid4().hex[:6]}", [("SKU-DZ-1", 18)])
        assert sink.write(records(first)) == []
        assert on_hand(client, product, location) == 82
        second = shipment_confirmed(origin, f"D2-{uuid.uuid4().hex[:6]}", [("SKU-DZ-1", 6)])
        assert sink.write(records(second, first)) == []
        assert deliveries(client, origin) == [
            ("done", first.tracking_number),
            ("done", second.tracking_number),
        ]
        assert on_hand(client, product, location) == 100 - 12 * 2
        moves = done_moves_of(client, origin)
        assert [(many2one_id(m["product_uom"]), m["product_uom_qty"], m["product_qty"]) for m in moves] == [
            (dozen, 1.5, 18.0),
            (dozen, 0.5, 6.0),
        ]

    def test_a_split_line_in_dozens_keeps_its_unit_where_it_expresses_the_rest(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        """A line of 2 Dozens of SKU-DZ-1 (stocked in Units) entered in Odoo, allocated 18 Units from
        EAST (the order's) and 6 from WEST: the line keeps 1.5 Dozens, a new line routed to WEST carries
        6 Units, and each warehouse's delivery demands its part (product_qty, in Units)."""
        product = unit_products(client)["SKU-DZ-1"]
        dozen = unit_named(read_units(client), "dozen")
        for warehouse in ("WH-EAST", "WH-WEST"):
            set_on_hand(client, product, seed.stock_locations[warehouse], Decimal(50))
        partner = client.create("res.partner", [{"name": f"Customer {uuid.uuid4().hex[:6]}"}])[0]
        line = {"product_id": product, "product_uom": dozen, "product_uom_qty": 2}
        order = client.create(
            "sale.order",
            [
                {
                    "partner_id": partner,
                    "warehouse_id": seed.warehouses["WH-EAST"],
                    "order_line": [(0, 0, line)],
                }
            ],
        )[0]
        name = order_name(client, order)
        allocated = OrderAllocated(
            event_id=uuid.uuid4(),
            event_type=OrderAllocated.EVENT_TYPE,
            occurred_at=NOW,
            source=ROUTER,
            correlation_id=name,
            company="main",
            order_id=name,
            lines=(
                Allocation(line_id="1", sku="SKU-DZ-1", warehouse=EAST, quantity=Decimal(18)),
                Allocation(line_id="1", sku="SKU-DZ-1", warehouse=WEST, quantity=Decimal(6)),
            ),
        )
        assert sink.write(records(allocated)) == []
        lines = client.search_read(
            "sale.order.line", [("order_id", "=", order)], ["product_uom", "product_uom_qty"]
        )
        assert sorted((many2one_id(r["product_uom"]) == dozen, r["product_uom_qty"]) for r in lines) == [
            (False, 6.0),
            (True, 1.5),
        ]
        pickings = client.search_read(
            "stock.picking",
            [("origin", "=", name), ("picking_type_code", "=", "outgoing")],
            ["location_id", picking_moves_field(client.version)],
        )
        demanded = {}
        for picking in pickings:
            moves = client.read("stock.move", picking[picking_moves_field(client.version)], ["product_qty"])
            demanded[many2one_id(picking["location_id"])] = sum(m["product_qty"] for m in moves)
        assert demanded == {seed.stock_locations["WH-EAST"]: 18.0, seed.stock_locations["WH-WEST"]: 6.0}

    def test_atp_keeps_the_latest_version_whatever_the_order(
        self, client: OdooClient, sink: OdooSink
    ) -> None:
        sku = f"SKU-ATP-{uuid.uuid4().hex[:6]}"
        v3 = atp_changed(sku, EAST, 3, 30)
        assert sink.write(records(atp_changed(sku, EAST, 1, 10), v3, atp_changed(sku, EAST, 2, 20), v3)) == []
        assert sink.write(records(atp_changed(sku, EAST, 2, 99), atp_changed(sku, WEST, 1, 5))) == []
        stored = client.search_read(
            "x_supplystream_atp",
            [("x_sku", "=", sku)],
            ["x_warehouse_code", "x_atp", "x_version", "x_event_id"],
        )
        assert sorted((r["x_warehouse_code"], r["x_atp"], version_of(r["x_version"])) for r in stored) == [
            (EAST, 30.0, 3),
            (WEST, 5.0, 1),
        ]
        assert str(v3.event_id) in [r["x_event_id"] for r in stored]

    def test_a_poison_record_is_rejected_and_the_rest_of_the_batch_applied(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        product, location = seed.products["SKU-1003"], seed.stock_locations["WH-WEST"]
        before = on_hand(client, product, location)
        poison = stock_moved("SKU-NOT-IN-ODOO", WEST, 1)
        good = stock_moved("SKU-1003", WEST, 4)
        rejected = sink.write(records(poison, good))
        assert [r.record.event_id for r in rejected] == [str(poison.event_id)]
        assert "SKU 'SKU-NOT-IN-ODOO'" in str(rejected[0].error)
        assert on_hand(client, product, location) == before + 4

    def test_one_call_per_event_mode_reaches_the_same_state(
        self, odoo: OdooBackend, client: OdooClient
    ) -> None:
        sku = f"SKU-ATP-{uuid.uuid4().hex[:6]}"
        sink = OdooSink(odoo.client(), batched=False)
        assert sink.write(records(*(atp_changed(sku, EAST, v, v) for v in (2, 5, 1, 4)))) == []
        stored = client.search_read("x_supplystream_atp", [("x_sku", "=", sku)], ["x_version"])
        assert [version_of(r["x_version"]) for r in stored] == [5]

    def test_odoo_down_is_target_unavailable_and_the_sink_resumes(
        self, odoo: OdooBackend, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        product, location = seed.products["SKU-1001"], seed.stock_locations["WH-EAST"]
        assert sink.probe() is True
        before = on_hand(client, product, location)
        event = stock_moved("SKU-1001", EAST, 3)
        odoo.kill()
        try:
            with pytest.raises(TargetUnavailableError, match="Odoo is unreachable"):
                sink.write(records(event))
            assert sink.probe() is False
        finally:
            odoo.restart()
        assert sink.probe() is True
        assert sink.write(records(event)) == []
        assert on_hand(client, product, location) == before + 3

    # -- channel orders (order.placed) -----------------------------------------------------------

    def test_a_channel_order_becomes_a_draft_sale_order_once(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        order = new_order_id()
        customer = f"SHO-{uuid.uuid4().hex[:8]}"
        event = order_placed(order, [("SKU-1001", 2), ("SKU-1003", 5)], customer_ref=customer)
        assert sink.write(records(event)) == []
        [created] = client.search_read(
            "sale.order", [("name", "=", order)], ["state", "client_order_ref", "partner_id", "order_line"]
        )
        assert (created["state"], created["client_order_ref"]) == ("draft", customer)
        partner = client.read("res.partner", [many2one_id(created["partner_id"]) or 0], ["name", "ref"])[0]
        assert (partner["name"], partner["ref"]) == (f"shop customer {customer}", customer)
        lines = client.read("sale.order.line", created["order_line"], ["product_id", "product_uom_qty"])
        assert sorted((many2one_id(line["product_id"]), line["product_uom_qty"]) for line in lines) == sorted(
            [(seed.products["SKU-1001"], 2.0), (seed.products["SKU-1003"], 5.0)]
        )
        # A replay, and the same order twice in a batch, change nothing; the partner is reused.
        again = order_placed(order, [("SKU-1001", 2)], customer_ref=customer)
        other = new_order_id()
        assert sink.write(records(event, again, order_placed(other, [("SKU-1002", 1)], customer))) == []
        assert len(client.search("sale.order", [("name", "=", order)])) == 1
        assert sink.outcomes["order.placed applied"] == 2
        assert sink.outcomes["order.placed unchanged"] == 2
        assert len(client.search("res.partner", [("ref", "=", customer)])) == 1

    def test_a_channel_order_with_an_unknown_sku_is_rejected_alone(
        self, client: OdooClient, sink: OdooSink
    ) -> None:
        bad, good = new_order_id(), new_order_id()
        poison = order_placed(bad, [("SKU-1001", 1), ("SKU-NOT-IN-ODOO", 1)])
        rejected = sink.write(records(poison, order_placed(good, [("SKU-1002", 1)])))
        assert [r.record.event_id for r in rejected] == [str(poison.event_id)]
        assert not isinstance(rejected[0].error, NotYetApplicableError), "an unknown SKU is no reason to wait"
        assert "SKU 'SKU-NOT-IN-ODOO' is not a product in Odoo" in str(rejected[0].error)
        assert client.search("sale.order", [("name", "=", bad)]) == []
        assert len(client.search("sale.order", [("name", "=", good)])) == 1

    def test_a_value_odoo_cannot_store_is_rejected_alone_at_once_as_permanent(
        self, odoo: OdooBackend, client: OdooClient
    ) -> None:
        """The acceptance of issue 14, item 0: an out-of-range integer fails on Odoo 11 as on the
        stand-in (PostgreSQL's ``integer out of range``), and the sink rejects that record on its first
        write as a `PermanentSinkError` (the runtime dead-letters it at once, with that reason), while
        the rest of the batch applies. Before, it was a transient error, retried for ever."""
        good, poison = new_order_id(), new_order_id()
        sink = OdooSink(odoo.client(wrap=lambda inner: OverflowingTransport(inner, {poison})))
        events = [order_placed(good, [("SKU-1001", 2)]), order_placed(poison, [("SKU-1002", 1)])]
        rejected = sink.write(records(*events))
        assert [r.record.event_id for r in rejected] == [str(events[1].event_id)]
        error = rejected[0].error
        assert type(error) is PermanentSinkError
        assert "integer out of range" in str(error)
        assert "psycopg2.errors.NumericValueOutOfRange" in str(error)
        assert client.search("sale.order", [("name", "=", poison)]) == []
        assert len(client.search("sale.order", [("name", "=", good)])) == 1, "created once, not again"
        assert sink.outcomes["order.placed applied"] == 1
        assert sink.outcomes["order.placed rejected"] == 1

    def test_placed_allocated_and_shipped_in_one_batch_in_any_order(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        product, location = seed.products["SKU-1002"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(40))
        order, tracking = new_order_id(), f"TRK-{uuid.uuid4().hex[:8]}"
        batch = records(
            shipment_confirmed(order, tracking, [("SKU-1002", 4)]),
            order_allocated(order, EAST, "SKU-1002", 4),
            order_placed(order, [("SKU-1002", 4)]),
        )
        assert sink.write(batch) == []
        [picking] = client.search_read(
            "stock.picking",
            [("origin", "=", order), ("picking_type_code", "=", "outgoing")],
            ["state", "carrier_tracking_ref"],
        )
        assert (picking["state"], picking["carrier_tracking_ref"]) == ("done", tracking)
        assert on_hand(client, product, location) == 36

    def test_a_shipment_of_an_order_not_confirmed_yet_waits(self, sink: OdooSink) -> None:
        order = new_order_id()
        assert sink.write(records(order_placed(order, [("SKU-1004", 1)]))) == []
        shipment = shipment_confirmed(order, f"TRK-{uuid.uuid4().hex[:8]}", [("SKU-1004", 1)])
        [waiting] = sink.write(records(shipment))
        assert isinstance(waiting.error, NotYetApplicableError)
        assert f"no outgoing stock.picking for order {order!r} in Odoo yet" in str(waiting.error)

    # -- the demo catalog --------------------------------------------------------------------------

    def test_the_demo_catalog_is_created_once_and_the_sink_finds_warehouses_by_name(
        self, client: OdooClient, sink: OdooSink
    ) -> None:
        tag = uuid.uuid4().hex[:4].upper()
        products = [
            *(CatalogProduct(f"SKU-SEED-{tag}-{n}", f"Seeded product {n}") for n in range(2)),
            CatalogProduct(f"SKU-SEED-{tag}-2", "Seeded product 2 (sold by kg)", "kg"),
        ]
        platform_code = f"WH-Z{tag}"  # Odoo code Z<tag>: five characters
        first = ensure_catalog(
            client, [*products, CatalogProduct("SKU-1001", "Pallet Jack")], ["WH-EAST", platform_code]
        )
        assert first.products_created == [product.sku for product in products]
        assert first.products_existing == 1
        assert first.warehouses_created == [(platform_code, f"Z{tag}")]
        assert first.warehouses_existing == 1
        again = ensure_catalog(client, products, ["WH-EAST", platform_code])
        assert (again.products_created, again.warehouses_created) == ([], [])
        assert (again.products_existing, again.warehouses_existing) == (3, 2)
        stored = client.search_read(
            "product.product",
            [*storable_domain(client.version), ("default_code", "in", [p.sku for p in products])],
            ["default_code", "name", "uom_id"],
        )
        assert sorted((p["default_code"], p["name"]) for p in stored) == sorted(
            (p.sku, p.name) for p in products
        )
        # Each product is stocked and bought in its unit: the weighed one in kg, the others in Odoo's Units.
        units = {str(p["default_code"]): str(p["uom_id"][1]) for p in stored}
        assert units[products[2].sku] == "kg"
        assert {unit_key(units[p.sku]) for p in products[:2]} == {unit_key("Units")}
        [warehouse] = client.search_read(
            "stock.warehouse", [("name", "=", platform_code)], ["code", "lot_stock_id"]
        )
        assert warehouse["code"] == f"Z{tag}"
        # The sink reaches the new warehouse by its platform code (the warehouse's name in Odoo).
        sku = products[0][0]
        order, tracking = new_order_id(), f"TRK-{uuid.uuid4().hex[:8]}"
        batch = records(
            stock_moved(sku, platform_code, 10),
            order_placed(order, [(sku, 3)]),
            order_allocated(order, platform_code, sku, 3),
            shipment_confirmed(order, tracking, [(sku, 3)], warehouse=platform_code),
        )
        assert sink.write(batch) == []
        stock_location = many2one_id(warehouse["lot_stock_id"]) or 0
        [product] = client.search("product.product", [("default_code", "=", sku)])
        assert on_hand(client, product, stock_location) == 7
        [confirmed] = client.search_read("sale.order", [("name", "=", order)], ["state", "warehouse_id"])
        assert (confirmed["state"], many2one_id(confirmed["warehouse_id"])) == ("sale", warehouse["id"])

    # -- cancellations (order.cancelled) ---------------------------------------------------------

    def test_a_cancellation_before_shipment_cancels_the_order_and_releases_its_delivery_once(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        product, location = seed.products["SKU-1003"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(30))
        order = new_order_id()
        assert (
            sink.write(
                records(order_placed(order, [("SKU-1003", 4)]), order_allocated(order, EAST, "SKU-1003", 4))
            )
            == []
        )
        assert deliveries(client, order) == [("assigned", "")]
        held = reserved(client, product, location)
        assert held >= 4
        cancel = order_cancelled(order, [("SKU-1003", 4)])
        assert sink.write(records(cancel)) == []
        assert order_state(client, order) == "cancel"
        assert deliveries(client, order) == [("cancel", "")]
        assert reserved(client, product, location) == held - 4, "the delivery's reservation is released"
        assert on_hand(client, product, location) == 30
        [note] = cancellation_notes(client, order)
        assert f"{CANCELLATION_MARKER}{cancel.event_id}" in note
        assert "customer request" in note
        # A replay, and the allocation arriving again (or late), change nothing.
        assert sink.write(records(cancel, order_allocated(order, EAST, "SKU-1003", 4), cancel)) == []
        assert (order_state(client, order), deliveries(client, order)) == ("cancel", [("cancel", "")])
        assert len(cancellation_notes(client, order)) == 1
        assert sink.outcomes["order.cancelled applied"] == 1
        assert sink.outcomes["order.cancelled unchanged"] == 2
        assert sink.outcomes["order.allocated order cancelled"] == 1

    def test_placed_allocated_and_cancelled_in_one_batch_in_any_order(
        self, client: OdooClient, sink: OdooSink
    ) -> None:
        order = new_order_id()
        batch = records(
            order_cancelled(order, [("SKU-1001", 1), ("SKU-1002", 2)]),
            order_allocated(order, WEST, "SKU-1001", 1),
            order_placed(order, [("SKU-1001", 1), ("SKU-1002", 2)]),
        )
        assert sink.write(batch) == []
        assert order_state(client, order) == "cancel"
        assert {state for state, _ in deliveries(client, order)} <= {"cancel"}

    def test_a_cancellation_after_a_partial_shipment_cancels_the_rest_and_notes_what_shipped(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        """Odoo cannot cancel delivered goods (Odoo 11 refuses to cancel the order at all): the rest
        of the delivery is cancelled, its reservation released, and a note says what shipped."""
        product, location = seed.products["SKU-1004"], seed.stock_locations["WH-EAST"]
        set_on_hand(client, product, location, Decimal(20))
        order, tracking = new_order_id(), f"P1-{uuid.uuid4().hex[:6]}"
        placed = order_placed(order, [("SKU-1004", 5)])
        shipped = shipment_confirmed(order, tracking, [("SKU-1004", 2)])
        assert sink.write(records(placed, order_allocated(order, EAST, "SKU-1004", 5), shipped)) == []
        assert deliveries(client, order) == [("done", tracking), ("assigned", "")]
        held = reserved(client, product, location)
        cancel = order_cancelled(order, [("SKU-1004", 5)])
        assert sink.write(records(cancel)) == []
        assert order_state(client, order) == "sale", "the delivered part keeps the order confirmed"
        assert deliveries(client, order) == [("done", tracking), ("cancel", "")]
        assert reserved(client, product, location) == held - 3
        assert on_hand(client, product, location) == 18
        [note] = cancellation_notes(client, order)
        assert "Odoo cannot cancel delivered goods" in note
        assert sink.write(records(cancel, shipped)) == []  # a replay: nothing twice
        assert len(cancellation_notes(client, order)) == 1
        assert deliveries(client, order) == [("done", tracking), ("cancel", "")]
        assert sink.outcomes["order.cancelled noted"] == 1
        assert sink.outcomes["order.cancelled unchanged"] == 1

    def test_goods_shipped_after_their_order_was_cancelled_in_odoo_are_recorded_as_a_delivery(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        """Kafka orders nothing across topics: the cancellation can reach Odoo before the shipment
        of goods that left anyway. They left the warehouse: Odoo gets a validated delivery for them."""
        product, location = seed.products["SKU-1005"], seed.stock_locations["WH-WEST"]
        set_on_hand(client, product, location, Decimal(12))
        order, tracking = new_order_id(), f"LATE-{uuid.uuid4().hex[:6]}"
        assert sink.write(records(order_placed(order, [("SKU-1005", 3)]))) == []
        assert sink.write(records(order_cancelled(order, [("SKU-1005", 3)]))) == []
        assert order_state(client, order) == "cancel"
        shipped = shipment_confirmed(order, tracking, [("SKU-1005", 3)], warehouse=WEST)
        assert sink.write(records(order_allocated(order, WEST, "SKU-1005", 3), shipped)) == []
        assert order_state(client, order) == "cancel"
        assert deliveries(client, order) == [("done", tracking)]
        assert on_hand(client, product, location) == 9
        assert sink.write(records(shipped)) == []
        assert deliveries(client, order) == [("done", tracking)], "validated once"
        assert sink.outcomes["shipment.confirmed applied"] == 1
        assert sink.outcomes["shipment.confirmed unchanged"] == 1

    def test_a_cancellation_waits_for_its_order_and_a_partial_one_is_noted_only(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        order = new_order_id()
        early = order_cancelled(order, [("SKU-1002", 1)])
        [waiting] = sink.write(records(early))
        assert isinstance(waiting.error, NotYetApplicableError)
        assert f"no sale.order named {order!r} in Odoo yet" in str(waiting.error)
        set_on_hand(client, seed.products["SKU-1002"], seed.stock_locations["WH-EAST"], Decimal(10))
        placed = order_placed(order, [("SKU-1002", 3)])
        assert sink.write(records(placed, order_allocated(order, EAST, "SKU-1002", 3))) == []
        assert sink.write(records(early)) == []
        assert order_state(client, order) == "sale"
        assert deliveries(client, order) == [("assigned", "")]
        [note] = cancellation_notes(client, order)
        assert "in part: SKU-1002 x 1" in note

    # -- split orders (an order allocated to several warehouses) ----------------------------------

    def test_a_split_order_ships_from_each_warehouse_and_odoo_on_hand_per_warehouse_equals_the_streams(
        self, client: OdooClient, seed: Seed, sink: OdooSink
    ) -> None:
        """Issue 14, item 3: an order the router split over EAST and WEST (one line shipped from both)
        gets a delivery per warehouse, each from that warehouse's stock; the WMS's shipments (one per
        warehouse, as `producers.fulfilment` makes them) validate them, and Odoo's on-hand per
        warehouse is then what the stream says (the processors' own fold of the same events)."""
        tag = uuid.uuid4().hex[:6].upper()
        skus = [f"SPLIT-{tag}-A", f"SPLIT-{tag}-B"]
        client.create(
            "product.product",
            [{"name": sku, "default_code": sku, **storable_values(client.version)} for sku in skus],
        )
        a, b = skus
        order = new_order_id()
        receipts = [
            stock_moved(a, EAST, 10),
            stock_moved(a, WEST, 10),
            stock_moved(b, WEST, 5),
            stock_moved(b, EAST, 1),
        ]
        placed = order_placed(order, [(a, 7), (b, 2)])
        allocated = OrderAllocated(
            event_id=uuid.uuid4(),
            event_type=OrderAllocated.EVENT_TYPE,
            occurred_at=NOW,
            source=ROUTER,
            correlation_id=order,
            company="main",
            order_id=order,
            lines=(
                Allocation(line_id="1", sku=a, warehouse=EAST, quantity=Decimal(5)),
                Allocation(line_id="1", sku=a, warehouse=WEST, quantity=Decimal(2)),
                Allocation(line_id="2", sku=b, warehouse=WEST, quantity=Decimal(2)),
            ),
        )
        assert sink.write(records(*receipts, allocated, placed)) == []
        [confirmed] = client.search_read("sale.order", [("name", "=", order)], ["state", "warehouse_id"])
        assert (confirmed["state"], many2one_id(confirmed["warehouse_id"])) == (
            "sale",
            seed.warehouses["WH-EAST"],
        )
        pickings = client.search_read(
            "stock.picking",
            [("origin", "=", order), ("picking_type_code", "=", "outgoing")],
            ["location_id", "state", picking_moves_field(client.version)],
        )
        by_source = {many2one_id(p["location_id"]): p for p in pickings}
        assert set(by_source) == {seed.stock_locations["WH-EAST"], seed.stock_locations["WH-WEST"]}, (
            "one delivery per shipping warehouse, from its stock"
        )
        products = {
            p["default_code"]: p["id"]
            for p in client.search_read("product.product", [("default_code", "in", skus)], ["default_code"])
        }
        for warehouse, expected in (
            ("WH-EAST", {products[a]: 5.0}),
            ("WH-WEST", {products[a]: 2.0, products[b]: 2.0}),
        ):
            picking = by_source[seed.stock_locations[warehouse]]
            moves = client.read(
                "stock.move",
                picking[picking_moves_field(client.version)],
                ["product_id", "product_uom_qty", "location_id"],
            )
            assert {many2one_id(m["product_id"]): m["product_uom_qty"] for m in moves} == expected, warehouse
            assert {many2one_id(m["location_id"]) for m in moves} == {seed.stock_locations[warehouse]}
        shipped = [
            event for shipment in shipments_for(allocated, shipped_at=NOW) for event in shipment.events
        ]
        assert len([e for e in shipped if isinstance(e, ShipmentConfirmed)]) == 2, (
            "one shipment per warehouse"
        )
        assert sink.write(records(*reversed(shipped))) == []
        assert sorted(state for state, _ in deliveries(client, order)) == ["done", "done"]
        stream = positions_from(
            [(e.EVENT_TYPE, e.to_record()) for e in [*receipts, placed, allocated, *shipped]], [EAST, WEST]
        )
        odoo = {
            f"{sku}|{code}": on_hand(client, products[sku], seed.stock_locations[f"WH-{code}"])
            for sku in skus
            for code in (EAST, WEST)
        }
        assert odoo == {key: position.on_hand for key, position in stream.items()}
        assert odoo == {f"{a}|{EAST}": 5, f"{a}|{WEST}": 8, f"{b}|{EAST}": 1, f"{b}|{WEST}": 3}
        # A replay of everything changes nothing: no line split twice, no delivery validated twice.
        assert sink.write(records(*receipts, placed, allocated, *shipped)) == []
        assert {
            f"{sku}|{code}": on_hand(client, products[sku], seed.stock_locations[f"WH-{code}"])
            for sku in skus
            for code in (EAST, WEST)
        } == odoo
        lines = client.search_read(
            "sale.order.line", [("order_id", "=", confirmed["id"])], ["product_uom_qty"]
        )
        assert sorted(line["product_uom_qty"] for line in lines) == [2.0, 2.0, 5.0]
