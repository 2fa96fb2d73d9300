"""The Odoo sink's pure decisions: echoes, stock deltas, idempotent adjustments, orders, pickings, ATP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from sinks.odoo import plan
from supplystream.events import (
    Allocation,
    AtpChanged,
    CancelledLine,
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

AT = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
WMS = Source(system="wms", adapter="webhook-source")
ODOO = Source(system="odoo", adapter="odoo-source")


def moved(quantity: str = "5", source: Source = WMS, **overrides: Any) -> StockMoved:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "event_type": StockMoved.EVENT_TYPE,
        "occurred_at": AT,
        "source": source,
        "correlation_id": "c",
        "company": "main",
        "sku": "SKU-1001",
        "warehouse": "EAST",
        "from_location": "Partners/Vendors",
        "from_warehouse": None,
        "to_location": "EAST/Stock",
        "to_warehouse": "EAST",
        "quantity": Decimal(quantity),
        "uom": "Units",
        "move_kind": MoveKind.RECEIPT,
    }
    return StockMoved(**(values | overrides))


def allocated(*lines: tuple[str, str]) -> OrderAllocated:
    return OrderAllocated(
        event_id=uuid.uuid4(),
        event_type=OrderAllocated.EVENT_TYPE,
        occurred_at=AT,
        source=Source(system="supplystream", adapter="order-router"),
        correlation_id="S00001",
        company="main",
        order_id="S00001",
        lines=tuple(
            Allocation(line_id=str(n), sku="SKU-1001", warehouse=w, quantity=Decimal(q))
            for n, (w, q) in enumerate(lines)
        ),
    )


def shipped(
    tracking: str = "TRK-1", picking_id: int | None = None, sku: str = "SKU-1001"
) -> ShipmentConfirmed:
    return ShipmentConfirmed(
        event_id=uuid.uuid4(),
        event_type=ShipmentConfirmed.EVENT_TYPE,
        occurred_at=AT,
        source=Source(system="wms", adapter="webhook-source"),
        correlation_id="S00001",
        company="main",
        shipment_id="SHP-1",
        odoo_picking_id=picking_id,
        warehouse="EAST",
        order_id="S00001",
        lines=(ShippedLine(sku=sku, quantity=Decimal(2)), ShippedLine(sku=sku, quantity=Decimal(1))),
        carrier="dhl",
        tracking_number=tracking,
        shipped_at=AT,
    )


def atp(version: int, value: str, sku: str = "SKU-1001", warehouse: str = "EAST") -> AtpChanged:
    return AtpChanged(
        event_id=uuid.uuid4(),
        event_type=AtpChanged.EVENT_TYPE,
        occurred_at=AT,
        source=Source(system="supplystream", adapter="atp-processor"),
        correlation_id="c",
        company="main",
        sku=sku,
        warehouse=warehouse,
        on_hand=Decimal(value),
        reserved=Decimal(0),
        inbound=Decimal(0),
        safety_stock=Decimal(0),
        atp=Decimal(value),
        version=version,
        as_of=AT,
    )


def picking(
    picking_id: int, state: str, tracking: str = "", origin: str = "S00001", name: str = ""
) -> plan.PickingView:
    return plan.PickingView(picking_id, state, origin, tracking, name)


class TestEchoes:
    def test_events_from_odoo_are_echoes_others_are_not(self) -> None:
        assert plan.is_echo(ODOO)
        assert plan.is_echo(Source(system=" Odoo ", adapter="x"))
        assert not plan.is_echo(WMS)
        assert not plan.is_echo(Source(system="simulator", adapter="simulator"))


class TestStock:
    def test_into_the_warehouse_adds_out_of_it_subtracts_within_it_is_zero(self) -> None:
        assert plan.stock_delta(moved("5")) == Decimal(5)
        out = moved("3", from_warehouse="EAST", to_warehouse=None, to_location="Partners/Customers")
        assert plan.stock_delta(out) == Decimal(-3)
        assert plan.stock_delta(moved("3", from_warehouse="EAST", to_warehouse="EAST")) == 0

    def test_a_move_not_touching_its_warehouse_is_refused(self) -> None:
        reason = plan.stock_delta(moved("3", from_warehouse="WEST", to_warehouse=None))
        assert isinstance(reason, str)
        assert "neither the source" in reason

    def test_the_reference_is_the_event_id(self) -> None:
        event = moved()
        assert plan.adjustment_reference(event) == f"SupplyStream stock.moved {event.event_id}"

    def test_applied_repeated_and_zero_adjustments_are_left_out(self) -> None:
        a = plan.Adjustment("ref-a", 1, 10, Decimal(5))
        b = plan.Adjustment("ref-b", 1, 10, Decimal(-2))
        zero = plan.Adjustment("ref-z", 1, 10, Decimal(0))
        c = plan.Adjustment("ref-c", 2, 10, Decimal(1))
        planned = plan.plan_adjustments([a, b, a, zero, c, b], applied={"ref-c"})
        assert planned == [a, b]
        assert a.pair == (1, 10)


class TestOrders:
    def test_the_warehouse_allocated_the_most_wins_ties_by_code(self) -> None:
        assert plan.order_warehouse(allocated(("EAST", "1"), ("WEST", "3"))) == "WEST"
        assert plan.order_warehouse(allocated(("WEST", "2"), ("EAST", "2"))) == "EAST"
        assert plan.order_warehouse(allocated(("WEST", "1"), ("EAST", "2"), ("WEST", "2"))) == "WEST"
        assert plan.order_warehouse(allocated()) is None

    @pytest.mark.parametrize(
        ("state", "warehouse", "expected"),
        [
            ("draft", None, plan.CONFIRM),
            ("sent", 2, plan.CONFIRM),
            ("sale", 1, plan.ALREADY_DONE),
            ("done", 1, plan.ALREADY_DONE),
            ("sale", 2, "already confirmed from another warehouse"),
            ("cancel", 1, plan.ORDER_CANCELLED),
        ],
    )
    def test_decisions(self, state: str, warehouse: int | None, expected: str) -> None:
        view = plan.OrderView(7, "S00001", state, warehouse)
        decision = plan.order_decision(view, "S00001", 1)
        assert isinstance(decision, str)
        assert expected in decision

    def test_a_missing_order_waits_for_its_order_placed(self) -> None:
        decision = plan.order_decision(None, "S00009", 1)
        assert isinstance(decision, plan.NotYet)
        assert "no sale.order named 'S00009' in Odoo yet" in decision.reason
        assert "order.placed" in decision.reason

    def test_view_of_an_odoo_record(self) -> None:
        view = plan.OrderView.of({"id": 3, "name": "S3", "state": "draft", "warehouse_id": [2, "WH-EAST"]})
        assert view == plan.OrderView(3, "S3", "draft", 2)
        assert (
            plan.OrderView.of({"id": 3, "name": "S3", "state": "draft", "warehouse_id": False}).warehouse_id
            is None
        )


class TestSplitOrders:
    """An order allocated to several warehouses: a route per line shipping from another warehouse."""

    EAST, WEST, NORTH = 1, 2, 3
    ROUTES: ClassVar[dict[int, int]] = {2: 20, 3: 30}  # warehouse id -> its ship-from route

    def line(self, line_id: int, product: int, quantity: str, route: int | None = None) -> plan.LineView:
        return plan.LineView(line_id, 7, product, Decimal(quantity), route)

    def test_allocations_per_warehouse_and_sku(self) -> None:
        event = allocated(("EAST", "2"), ("WEST", "1"), ("EAST", "1"), ("WEST", "0"))
        assert plan.allocated_by_warehouse(event) == {
            "EAST": {"SKU-1001": Decimal(3)},
            "WEST": {"SKU-1001": Decimal(1)},
        }

    def test_a_line_shipped_from_two_warehouses_is_split_and_a_line_from_another_is_routed(self) -> None:
        lines = [self.line(11, 100, "7"), self.line(12, 200, "2")]
        allocated = {(100, self.EAST): Decimal(5), (100, self.WEST): Decimal(2), (200, self.WEST): Decimal(2)}
        changes = plan.line_changes(allocated, self.EAST, lines, self.ROUTES)
        assert changes.routes == {12: 20}
        assert changes.quantities == {11: Decimal(5)}
        assert list(changes.new_lines) == [(100, Decimal(2), 20)]

    def test_the_order_warehouses_part_stays_and_three_warehouses_split_one_line(self) -> None:
        lines = [self.line(11, 100, "6")]
        allocated = {
            (100, self.EAST): Decimal(1),
            (100, self.WEST): Decimal(2),
            (100, self.NORTH): Decimal(3),
        }
        changes = plan.line_changes(allocated, self.EAST, lines, self.ROUTES)
        assert changes.quantities == {11: Decimal(1)}
        assert sorted(changes.new_lines) == [(100, Decimal(2), 20), (100, Decimal(3), 30)]
        assert not changes.routes

    def test_nothing_from_the_order_warehouse_routes_the_line_and_splits_the_rest(self) -> None:
        lines = [self.line(11, 100, "5")]
        allocated = {(100, self.WEST): Decimal(3), (100, self.NORTH): Decimal(2)}
        changes = plan.line_changes(allocated, self.WEST, lines, self.ROUTES)
        assert changes.quantities == {11: Decimal(3)}
        assert list(changes.new_lines) == [(100, Decimal(2), 30)]
        assert plan.line_changes(allocated, self.NORTH, lines, self.ROUTES).routes == {}

    def test_lines_already_laid_out_change_nothing(self) -> None:
        """A replay after the lines were written but before the order was confirmed."""
        lines = [
            self.line(11, 100, "5"),
            self.line(13, 100, "2", route=20),
            self.line(12, 200, "2", route=20),
        ]
        allocated = {(100, self.EAST): Decimal(5), (100, self.WEST): Decimal(2), (200, self.WEST): Decimal(2)}
        assert not plan.line_changes(allocated, self.EAST, lines, self.ROUTES)

    def test_a_single_warehouse_or_a_warehouse_without_route_changes_nothing(self) -> None:
        lines = [self.line(11, 100, "5")]
        assert not plan.line_changes({(100, self.EAST): Decimal(5)}, self.EAST, lines, self.ROUTES)
        assert not plan.line_changes({(100, 9): Decimal(5)}, self.EAST, lines, self.ROUTES)

    def test_a_line_reads_its_route_whatever_the_field(self) -> None:
        record = {
            "id": 4,
            "order_id": [7, "S1"],
            "product_id": [100, "P"],
            "product_uom_qty": 2.5,
            "route_id": 20,
        }
        assert plan.LineView.of(record) == plan.LineView(4, 7, 100, Decimal("2.5"), 20)


class TestShipments:
    def test_by_picking_id(self) -> None:
        event = shipped("T1", picking_id=5)
        assert plan.shipment_decision(event, [picking(5, "assigned")]) == plan.Validate(5)
        assert plan.shipment_decision(event, [picking(5, "done", "T1")]) == plan.AlreadyShipped(5)
        conflict = plan.shipment_decision(event, [picking(5, "done", "OTHER")])
        assert isinstance(conflict, str)
        assert "conflicts" in conflict
        assert "OTHER" in conflict
        assert "no outgoing stock.picking 5" in str(plan.shipment_decision(event, [picking(6, "assigned")]))
        assert isinstance(plan.shipment_decision(event, [picking(5, "cancel")]), str)

    def test_by_order_the_oldest_open_picking_is_validated(self) -> None:
        event = shipped("T2")
        pickings = [picking(9, "confirmed"), picking(4, "done", "T1"), picking(7, "assigned")]
        assert plan.shipment_decision(event, pickings) == plan.Validate(7)
        assert plan.shipment_decision(event, [*pickings, picking(8, "done", "T2")]) == plan.AlreadyShipped(8)
        other_order = [picking(3, "assigned", origin="S00002")]
        waiting = plan.shipment_decision(event, other_order)
        assert isinstance(waiting, plan.NotYet), "the order is not created or confirmed yet: it waits"
        assert "no outgoing stock.picking for order 'S00001' in Odoo yet" in waiting.reason
        assert isinstance(plan.shipment_decision(event, []), plan.NotYet)

    def test_a_picking_half_done_by_an_earlier_attempt_is_finished(self) -> None:
        event = shipped("T2")
        assert plan.shipment_decision(event, [picking(3, "assigned"), picking(5, "assigned", "T2")]) == (
            plan.Validate(5)
        )

    def test_every_picking_done_with_another_reference_is_a_conflict(self) -> None:
        reason = plan.shipment_decision(shipped("T3"), [picking(4, "done", "T1"), picking(6, "done", "T2")])
        assert isinstance(reason, str)
        assert "'T3'" in reason
        assert "4 done T1" in reason

    def test_of_a_split_order_the_open_picking_of_the_shipping_warehouse_is_validated(self) -> None:
        east = dataclasses.replace(picking(4, "assigned"), picking_type_id=40)
        west = dataclasses.replace(picking(6, "assigned"), picking_type_id=60)
        assert plan.shipment_decision(shipped("T1"), [east, west], delivery_type=60) == plan.Validate(6)
        assert plan.shipment_decision(shipped("T1"), [east, west], delivery_type=40) == plan.Validate(4)
        # A warehouse none of the order's deliveries is from: the oldest open one, as before.
        assert plan.shipment_decision(shipped("T1"), [east, west], delivery_type=99) == plan.Validate(4)
        done_elsewhere = [dataclasses.replace(east, state="done", tracking_ref="T1"), west]
        assert plan.shipment_decision(shipped("T1"), done_elsewhere, delivery_type=60) == plan.AlreadyShipped(
            4
        )
        assert (
            plan.PickingView.of(
                {
                    "id": 6,
                    "state": "assigned",
                    "origin": "S1",
                    "picking_type_id": [60, "WEST: Delivery Orders"],
                }
            ).picking_type_id
            == 60
        )

    def test_goods_shipped_after_the_order_or_its_delivery_was_cancelled_get_a_new_delivery(self) -> None:
        """The cancellation reached Odoo first, the goods left anyway: Odoo records them."""
        assert plan.shipment_decision(shipped("T3"), [picking(4, "done", "T1"), picking(6, "cancel")]) == (
            plan.Deliver("S00001")
        )
        assert plan.shipment_decision(shipped("T3"), [], {"S00001"}) == plan.Deliver("S00001")
        assert plan.shipment_decision(shipped("T3"), [picking(4, "done", "T1")], {"S00001"}) == (
            plan.Deliver("S00001")
        )
        waiting = plan.shipment_decision(shipped("T3"), [], {"S00002"})
        assert isinstance(waiting, plan.NotYet), "an order not cancelled and not confirmed yet: it waits"
        recorded = [picking(4, "cancel"), picking(9, "done", "T3")]
        assert plan.shipment_decision(shipped("T3"), recorded, {"S00001"}) == plan.AlreadyShipped(9)
        half_done = [picking(4, "cancel"), picking(9, "draft")]
        assert plan.shipment_decision(shipped("T3"), half_done, {"S00001"}) == plan.Validate(9)
        by_id = plan.shipment_decision(shipped("T3", picking_id=4), [picking(4, "cancel")], {"S00001"})
        assert isinstance(by_id, str), "a shipment naming its cancelled picking is for a person"

    def test_after_validation_the_picking_is_done_with_the_reference(self) -> None:
        after = plan.after_validation([picking(1, "assigned"), picking(2, "assigned")], 2, "T9")
        assert after == [picking(1, "assigned"), picking(2, "done", "T9")]
        assert plan.shipment_decision(shipped("T9"), after) == plan.AlreadyShipped(2)

    def test_quantities_are_summed_per_product_and_unknown_skus_refused(self) -> None:
        assert plan.shipped_quantities(shipped(), {"SKU-1001": 11}) == {11: Decimal(3)}
        assert "SKU 'SKU-9'" in str(plan.shipped_quantities(shipped(sku="SKU-9"), {"SKU-1001": 11}))


def cancelled(*lines: tuple[str, str], reason: str | None = "customer request") -> OrderCancelled:
    return OrderCancelled(
        event_id=uuid.UUID(int=7),
        event_type=OrderCancelled.EVENT_TYPE,
        occurred_at=AT,
        source=Source(system="shop", adapter="webhook-source"),
        correlation_id="S00001",
        company="main",
        order_id="S00001",
        reason=reason,
        lines=tuple(
            CancelledLine(line_id=str(n), sku=sku, quantity=Decimal(q)) for n, (sku, q) in enumerate(lines, 1)
        ),
    )


class TestCancellations:
    ORDER = plan.OrderView(7, "S00001", "sale", 1)

    def test_whole_when_every_product_is_cancelled_in_full(self) -> None:
        products = {"SKU-1": 1, "SKU-2": 2}
        ordered = {1: Decimal(3), 2: Decimal("1.5")}
        assert plan.cancels_whole_order(cancelled(("SKU-1", "3"), ("SKU-2", "1.5")), ordered, products)
        assert plan.cancels_whole_order(
            cancelled(("SKU-1", "1"), ("SKU-1", "2"), ("SKU-2", "2")), ordered, products
        )
        assert not plan.cancels_whole_order(cancelled(("SKU-1", "3")), ordered, products)
        assert not plan.cancels_whole_order(cancelled(("SKU-1", "3"), ("SKU-2", "1")), ordered, products)
        assert plan.cancels_whole_order(cancelled(("SKU-9", "1")), {}, products), "an order without goods"

    def test_an_order_nothing_of_which_shipped_is_cancelled_after_a_note(self) -> None:
        open_pickings = [picking(3, "assigned", name="EAST/OUT/00003"), picking(4, "cancel", origin="S00001")]
        decision = plan.cancellation_decision(cancelled(), self.ORDER, open_pickings, whole=True, noted=False)
        assert isinstance(decision, plan.CancelOrder)
        assert decision.order_id == 7
        assert decision.note is not None
        assert decision.note.startswith("Order S00001 was cancelled (customer request; reported by shop)")
        assert "EAST/OUT/00003" in decision.note
        assert decision.note.endswith(f"[{plan.CANCELLATION_MARKER}{uuid.UUID(int=7)}]")
        assert plan.cancellation_marker(cancelled()) in decision.note
        assert not set("<>&") & set(decision.note), "plain text, the same in every Odoo's chatter"
        replay = plan.cancellation_decision(cancelled(), self.ORDER, open_pickings, whole=True, noted=True)
        assert replay == plan.CancelOrder(7, None), "noted by an attempt that did not cancel: cancel only"
        draft = plan.OrderView(7, "S00001", "draft", None)
        assert isinstance(
            plan.cancellation_decision(cancelled(), draft, [], whole=True, noted=False), plan.CancelOrder
        )

    def test_a_cancelled_order_is_done_and_a_missing_one_waits(self) -> None:
        done = plan.OrderView(7, "S00001", "cancel", 1)
        assert plan.cancellation_decision(cancelled(), done, [], whole=True, noted=False) == plan.ALREADY_DONE
        waiting = plan.cancellation_decision(cancelled(), None, [], whole=False, noted=False)
        assert isinstance(waiting, plan.NotYet)
        assert "no sale.order named 'S00001' in Odoo yet" in waiting.reason

    def test_after_a_shipment_the_open_deliveries_are_cancelled_and_the_shipped_part_noted(self) -> None:
        pickings = [
            picking(3, "done", "T1", name="EAST/OUT/00003"),
            picking(5, "assigned", name="EAST/OUT/00005"),
            picking(6, "confirmed", name="WEST/OUT/00001"),
            picking(8, "assigned", origin="S00002"),
        ]
        decision = plan.cancellation_decision(cancelled(), self.ORDER, pickings, whole=True, noted=False)
        assert isinstance(decision, plan.KeepOrder)
        assert decision.picking_ids == (5, 6)
        assert decision.note is not None
        assert "after EAST/OUT/00003 shipped: Odoo cannot cancel delivered goods" in decision.note
        assert "open deliveries (EAST/OUT/00005, WEST/OUT/00001)" in decision.note
        after = [replace_state(p, "cancel") if p.picking_id in (5, 6) else p for p in pickings]
        assert (
            plan.cancellation_decision(cancelled(), self.ORDER, after, whole=True, noted=True)
            == plan.ALREADY_DONE
        )
        half = plan.cancellation_decision(cancelled(), self.ORDER, pickings, whole=True, noted=True)
        assert half == plan.KeepOrder(7, (5, 6), None), "noted, deliveries still open: cancel them"
        shipped_all = [picking(3, "done", "T1")]
        only_note = plan.cancellation_decision(cancelled(), self.ORDER, shipped_all, whole=True, noted=False)
        assert isinstance(only_note, plan.KeepOrder)
        assert only_note.picking_ids == ()

    def test_a_partial_cancellation_is_noted_not_applied(self) -> None:
        decision = plan.cancellation_decision(
            cancelled(("SKU-1", "2"), reason=None),
            self.ORDER,
            [picking(5, "assigned")],
            whole=False,
            noted=False,
        )
        assert isinstance(decision, plan.KeepOrder)
        assert decision.picking_ids == ()
        assert decision.note is not None
        assert "(no reason given; reported by shop) in part: SKU-1 x 2" in decision.note
        assert (
            plan.cancellation_decision(cancelled(("SKU-1", "2")), self.ORDER, [], whole=False, noted=True)
            == plan.ALREADY_DONE
        )


def replace_state(view: plan.PickingView, state: str) -> plan.PickingView:
    return dataclasses.replace(view, state=state)


class TestAtp:
    def test_the_latest_version_per_key_wins_whatever_the_order(self) -> None:
        events = [atp(2, "20"), atp(5, "50"), atp(3, "30"), atp(1, "7", warehouse="WEST"), atp(5, "50")]
        rows = {(r.sku, r.warehouse_code): (r.version, r.atp) for r in plan.atp_rows(events)}
        assert rows == {("SKU-1001", "EAST"): (5, Decimal(50)), ("SKU-1001", "WEST"): (1, Decimal(7))}
        assert plan.atp_rows([]) == []


def placed(order_id: str = "SO-1-0000001", *skus: tuple[str, str]) -> OrderPlaced:
    return OrderPlaced(
        event_id=uuid.uuid4(),
        event_type=OrderPlaced.EVENT_TYPE,
        occurred_at=AT,
        source=Source(system="simulator", adapter="distribution-simulator"),
        correlation_id=order_id,
        company="main",
        order_id=order_id,
        channel="shop",
        customer_ref="SHO-1234567",
        ship_to=ShipTo(country="US", region="NJ", postcode="07001"),
        lines=tuple(
            OrderLine(line_id=str(n), sku=sku, quantity=Decimal(q))
            for n, (sku, q) in enumerate(skus or (("SKU-1001", "2"),), start=1)
        ),
    )


class TestIntake:
    def test_a_channel_order_becomes_a_draft_named_after_the_order_id(self) -> None:
        event = placed("SO-7", ("SKU-1001", "2"), ("SKU-1002", "1.250"), ("SKU-1001", "1"))
        decision = plan.intake_decision(event, set(), {"SKU-1001": 11, "SKU-1002": 12})
        assert decision == plan.NewOrder(
            name="SO-7",
            customer_ref="SHO-1234567",
            partner_name="shop customer SHO-1234567",
            lines=((11, Decimal(2)), (12, Decimal("1.250")), (11, Decimal(1))),
        )

    def test_an_order_of_that_name_already_in_odoo_is_applied(self) -> None:
        assert plan.intake_decision(placed("SO-7"), {"SO-7"}, {"SKU-1001": 11}) == plan.ALREADY_DONE

    def test_unknown_skus_are_refused_with_what_to_do(self) -> None:
        event = placed("SO-8", ("SKU-9", "1"), ("SKU-1001", "1"), ("SKU-8", "2"))
        reason = plan.intake_decision(event, set(), {"SKU-1001": 11})
        assert isinstance(reason, str)
        assert "order.placed SO-8: SKU 'SKU-8', 'SKU-9' is not a product in Odoo" in reason
        assert "supplystream odoo seed" in reason
        assert "re-drive" in reason

    def test_odoo_orders_are_echoes(self) -> None:
        assert plan.is_echo(Source(system="Odoo", adapter="odoo-source"))
        assert not plan.is_echo(placed().source)


def test_a_delivery_of_a_shipment_is_left_to_the_pickings_validation() -> None:
    from tests.integration.odoo_sink_contract import stock_moved  # noqa: PLC0415 - the contract's event builder

    delivery = stock_moved("SKU-1", "WH-EAST", 2, inbound=False)
    assert not plan.applied_by_shipment(delivery)  # a WMS delivery with no shipment: an adjustment
    shipped = dataclasses.replace(delivery, reference="WH-EAST/OUT/0001")
    assert plan.applied_by_shipment(shipped)
    receipt = dataclasses.replace(stock_moved("SKU-1", "WH-EAST", 2), reference="WH-EAST/IN/0001")
    assert not plan.applied_by_shipment(receipt)
