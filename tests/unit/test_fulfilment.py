"""What a warehouse ships for an allocation, the stand-in's pure parts, and the simulator's switch."""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import json
import re
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from typer.testing import CliRunner

from producers.fulfilment import (
    CUSTOMERS,
    NAMESPACE,
    SOURCE,
    fulfilment_event_id,
    remaining_after,
    shipments_for,
)
from producers.simulator import Simulation, SimulationConfig
from producers.warehouse_standin import CONSUMER, StandinRoutes, committable
from supplystream.contracts.schemas import load_event_schemas
from supplystream.errors import ConfigurationError
from supplystream.events import (
    Allocation,
    CancelledLine,
    Event,
    MoveKind,
    OrderAllocated,
    OrderCancelled,
    OrderPlaced,
    PurchaseReceived,
    Source,
    StockMoved,
)
from supplystream.paths import project_root, schemas_dir
from supplystream.topics.catalog import load_catalog, parse_catalog
from supplystream_app.cli import app

AT = datetime.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=datetime.UTC)
ROUTER = Source(system="supplystream", adapter="order-router")


def allocation(
    order_id: str = "SO-1-0000001",
    lines: tuple[tuple[str, str, str, str], ...] = (
        ("1", "SKU-00001", "WH-EAST", "3"),
        ("2", "SKU-00002", "WH-WEST", "1.250"),
        ("3", "SKU-00003", "WH-EAST", "2"),
        ("2", "SKU-00002", "WH-EAST", "0.750"),
    ),
    event_id: uuid.UUID | None = None,
) -> OrderAllocated:
    return OrderAllocated(
        event_id=event_id or uuid.uuid5(uuid.NAMESPACE_URL, f"allocation:{order_id}"),
        event_type=OrderAllocated.EVENT_TYPE,
        occurred_at=AT,
        source=ROUTER,
        correlation_id=order_id,
        causation_id="placed-1",
        company="ACME",
        order_id=order_id,
        lines=tuple(
            Allocation(line_id=line, sku=sku, warehouse=wh, quantity=Decimal(qty))
            for line, sku, wh, qty in lines
        ),
    )


def cancellation(order_id: str, *lines: tuple[str, str, str | None, str]) -> OrderCancelled:
    return OrderCancelled(
        event_id=uuid.uuid4(),
        event_type=OrderCancelled.EVENT_TYPE,
        occurred_at=AT,
        source=ROUTER,
        correlation_id=order_id,
        company="ACME",
        order_id=order_id,
        reason="customer request",
        lines=tuple(
            CancelledLine(line_id=line, sku=sku, warehouse=wh, quantity=Decimal(qty))
            for line, sku, wh, qty in lines
        ),
    )


# -- shipments_for --------------------------------------------------------------------------------


def test_one_shipment_per_allocated_warehouse_with_its_lines() -> None:
    allocated = allocation()
    shipments = shipments_for(allocated, shipped_at=AT)
    assert [s.confirmed.warehouse for s in shipments] == ["WH-EAST", "WH-WEST"]
    east, west = (s.confirmed for s in shipments)
    assert [(line.line_id, line.sku, line.quantity) for line in east.lines] == [
        ("1", "SKU-00001", Decimal(3)),
        ("3", "SKU-00003", Decimal(2)),
        ("2", "SKU-00002", Decimal("0.750")),
    ]
    assert [(line.line_id, line.sku, line.quantity) for line in west.lines] == [
        ("2", "SKU-00002", Decimal("1.250"))
    ]
    for shipment in shipments:
        confirmed = shipment.confirmed
        assert confirmed.order_id == allocated.order_id
        assert confirmed.correlation_id == allocated.order_id
        assert confirmed.causation_id == str(allocated.event_id)
        assert confirmed.company == "ACME"
        assert confirmed.source == SOURCE
        assert re.fullmatch(rf"{confirmed.warehouse}/OUT/[0-9A-F]{{10}}", confirmed.shipment_id)
        assert confirmed.shipped_at == confirmed.occurred_at == AT.replace(microsecond=123000)
        assert confirmed.carrier in SimulationConfig().carriers
        assert confirmed.tracking_number
        assert shipment.events == (confirmed, *shipment.deliveries)


def test_a_delivery_move_per_line_from_the_warehouse_stock_to_customers() -> None:
    allocated = allocation()
    units = {"SKU-00002": "kg"}
    for shipment in shipments_for(allocated, shipped_at=AT, uom_of=lambda sku: units.get(sku, "Units")):
        confirmed = shipment.confirmed
        assert len(shipment.deliveries) == len(confirmed.lines)
        for move, line in zip(shipment.deliveries, confirmed.lines, strict=True):
            assert move.move_kind is MoveKind.DELIVERY
            assert (move.sku, move.quantity) == (line.sku, line.quantity)
            assert move.warehouse == move.from_warehouse == confirmed.warehouse
            assert move.from_location == f"{confirmed.warehouse}/Stock"
            assert (move.to_location, move.to_warehouse) == (CUSTOMERS, None)
            assert move.reference == confirmed.shipment_id
            assert move.uom == ("kg" if move.sku == "SKU-00002" else "Units")
            assert move.correlation_id == allocated.order_id
            assert move.causation_id == str(allocated.event_id)
            assert move.occurred_at == confirmed.shipped_at


def test_the_same_allocation_always_yields_the_same_events() -> None:
    first = [e.to_record() for s in shipments_for(allocation(), shipped_at=AT) for e in s.events]
    again = [e.to_record() for s in shipments_for(allocation(), shipped_at=AT) for e in s.events]
    assert first == again
    ids = [record["event_id"] for record in first]
    assert len(set(ids)) == len(ids) == 2 + 4


def test_event_ids_are_uuid5_of_the_allocation_id_and_the_role() -> None:
    allocated = allocation()
    east, west = shipments_for(allocated, shipped_at=AT)
    assert east.confirmed.event_id == uuid.uuid5(NAMESPACE, f"{allocated.event_id}:shipment:WH-EAST")
    assert east.confirmed.event_id == fulfilment_event_id(allocated.event_id, "shipment:WH-EAST")
    assert [m.event_id for m in west.deliveries] == [
        fulfilment_event_id(allocated.event_id, "delivery:WH-WEST:1")
    ]
    other = shipments_for(allocation(event_id=uuid.uuid4()), shipped_at=AT)
    assert {e.event_id for s in other for e in s.events}.isdisjoint(
        {e.event_id for s in (east, west) for e in s.events}
    )


TRACKING = {"ups": r"1Z[0-9A-F]{6}\d{10}", "fedex": r"\d{12}", "usps": r"9400\d{18}", "dhl": r"\d{10}"}


def test_carriers_and_tracking_numbers_follow_the_allocation_id() -> None:
    picked: Counter[str] = Counter()
    for number in range(400):
        allocated = allocation(order_id=f"SO-9-{number:07d}")
        later = shipments_for(allocated, shipped_at=AT + datetime.timedelta(hours=1))
        for shipment, again in zip(shipments_for(allocated, shipped_at=AT), later, strict=True):
            confirmed = shipment.confirmed
            picked[confirmed.carrier] += 1
            assert re.fullmatch(TRACKING[confirmed.carrier], confirmed.tracking_number)
            assert (again.confirmed.carrier, again.confirmed.tracking_number) == (
                confirmed.carrier,
                confirmed.tracking_number,
            )
            assert again.confirmed.event_id == confirmed.event_id
    assert set(picked) == {"ups", "fedex", "usps", "dhl"}
    assert picked["ups"] > picked["dhl"]  # weighted as the simulator's carriers
    only_dhl = shipments_for(allocation(), shipped_at=AT, carriers={"dhl": 1})
    assert {s.confirmed.carrier for s in only_dhl} == {"dhl"}


def test_single_warehouse_allocation_ships_once() -> None:
    allocated = allocation(lines=(("1", "SKU-00001", "WH-CENTRAL", "5"),))
    (shipment,) = shipments_for(allocated, shipped_at=AT)
    assert shipment.confirmed.warehouse == "WH-CENTRAL"
    assert [m.quantity for m in shipment.deliveries] == [Decimal(5)]


def test_every_event_fits_its_avro_schema() -> None:
    schemas = {
        name: fastavro.parse_schema(dict(s.schema)) for name, s in load_event_schemas(schemas_dir()).items()
    }
    events: list[Event] = [e for s in shipments_for(allocation(), shipped_at=AT) for e in s.events]
    assert {e.event_type for e in events} == {"shipment.confirmed", "stock.moved"}
    for event in events:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schemas[event.event_type], event.to_record())
        buffer.seek(0)
        back: dict[str, Any] = fastavro.schemaless_reader(buffer, schemas[event.event_type])  # type: ignore[assignment]
        assert type(event).from_record(back) == event


# -- remaining_after ------------------------------------------------------------------------------


def test_a_whole_cancellation_leaves_nothing_to_ship() -> None:
    allocated = allocation()
    gone = cancellation(
        allocated.order_id,
        ("1", "SKU-00001", None, "3"),
        ("2", "SKU-00002", None, "2"),
        ("3", "SKU-00003", None, "2"),
    )
    assert remaining_after(allocated, [gone]) is None


def test_no_cancellation_leaves_the_allocation_as_it_is() -> None:
    allocated = allocation()
    assert remaining_after(allocated, []) is allocated
    assert remaining_after(allocated, [cancellation("SO-other", ("1", "SKU-00001", None, "3"))]) is allocated


def test_a_partial_cancellation_ships_the_rest() -> None:
    allocated = allocation()
    left = remaining_after(
        allocated,
        [
            cancellation(
                allocated.order_id, ("1", "SKU-00001", None, "1"), ("2", "SKU-00002", "WH-EAST", "0.750")
            )
        ],
    )
    assert left is not None
    assert [(a.line_id, a.warehouse, a.quantity) for a in left.lines] == [
        ("1", "WH-EAST", Decimal(2)),
        ("2", "WH-WEST", Decimal("1.250")),
        ("3", "WH-EAST", Decimal(2)),
    ]
    assert left.event_id == allocated.event_id


def test_a_cancelled_line_without_a_warehouse_takes_its_allocations_in_order() -> None:
    allocated = allocation()
    left = remaining_after(allocated, [cancellation(allocated.order_id, ("2", "SKU-00002", None, "1.5"))])
    assert left is not None
    assert [(a.line_id, a.warehouse, a.quantity) for a in left.lines if a.line_id == "2"] == [
        ("2", "WH-EAST", Decimal("0.500"))
    ]
    over = remaining_after(allocated, [cancellation(allocated.order_id, ("3", "SKU-00003", None, "99"))])
    assert over is not None
    assert "3" not in {a.line_id for a in over.lines}


# -- the stand-in's pure parts --------------------------------------------------------------------


def test_committable_stops_at_the_first_record_not_done() -> None:
    a, b, c = ("order.allocated", 0), ("order.allocated", 1), ("order.cancelled", 0)
    assert committable({a: 10, b: 5, c: 7}, {a: {4, 8}, b: set()}) == {a: 4, b: 5, c: 7}


def test_routes_come_from_topics_yaml() -> None:
    catalog = load_catalog(project_root() / "topics.yaml")
    routes = StandinRoutes.from_catalog(catalog)
    assert routes == StandinRoutes(
        group_id=CONSUMER,
        allocations="order.allocated",
        cancellations="order.cancelled",
        shipments="shipment.confirmed",
        moves="stock.moved",
        dead_letter_topic="wms-standin.dlq",
    )
    assert StandinRoutes.from_catalog(catalog, group_id="g").group_id == "g"


def test_routes_need_the_stand_in_among_the_consumers() -> None:
    catalog = parse_catalog(
        "version: 1\ntopics:\n"
        "  - {name: a, description: d, key: order_id, value_schemas: [order.allocated], owner: o}\n"
    )
    with pytest.raises(ConfigurationError, match="wms-standin"):
        StandinRoutes.from_catalog(catalog)


def test_fulfil_help_says_it_is_a_stand_in() -> None:
    result = CliRunner().invoke(app, ["fulfil", "--help"])
    assert result.exit_code == 0, result.output
    assert "STAND-IN for a warehouse management system: ships what the router allocated" in result.output
    assert "--delay-s" in result.output


# -- the simulator's fulfilment switch ------------------------------------------------------------


def events(seed: int, count: int, **config: Any) -> list[Event]:
    return list(itertools.islice(Simulation(seed, SimulationConfig(**config)), count))


def test_simulated_fulfilment_gives_exactly_the_events_it_always_gave() -> None:
    digest = hashlib.sha256()
    for event in events(1, 3000, fulfilment="simulated"):
        digest.update(json.dumps(event.to_record(), default=str, sort_keys=True).encode())
    # The first 3,000 events of seed 1 before the switch existed (computed from the earlier simulator).
    assert digest.hexdigest() == "e7f6e4387549d3625ce0f09a105bdcfe1851c8708e2a7a23b99ff046c4e85813"
    assert SimulationConfig().fulfilment == "simulated"


def test_external_fulfilment_ships_nothing_but_keeps_orders_and_cancellations() -> None:
    generated = events(1, 6000, fulfilment="external")
    types = Counter(e.event_type for e in generated)
    assert types["shipment.confirmed"] == 0
    assert not [e for e in generated if isinstance(e, StockMoved) and e.move_kind is MoveKind.DELIVERY]
    assert types["order.placed"] > 3000
    assert types["order.cancelled"] > 0
    placed = {e.order_id: e for e in generated if isinstance(e, OrderPlaced)}
    for cancelled in (e for e in generated if isinstance(e, OrderCancelled)):
        assert cancelled.occurred_at > placed[cancelled.order_id].occurred_at
        assert {line.line_id for line in cancelled.lines} == {
            line.line_id for line in placed[cancelled.order_id].lines
        }


def test_external_fulfilment_still_reorders_on_demand() -> None:
    # Two days of stock: demand (booked when the shipment would have left) soon triggers replenishment.
    generated = events(4, 8000, fulfilment="external", stock_days=2.0)
    receipts = [e for e in generated if isinstance(e, PurchaseReceived)]
    opening = len(SimulationConfig().warehouses)
    assert len(receipts) > opening
    assert all(r.supplier != "Opening balance" for r in receipts[opening:])


def test_simulate_dry_run_with_external_fulfilment_publishes_no_shipments() -> None:
    runner = CliRunner()
    external = runner.invoke(app, ["simulate", "--dry-run", "--events", "1500", "--fulfilment", "external"])
    assert external.exit_code == 0, external.output
    assert "order.placed" in external.output
    assert "shipment.confirmed" not in external.output
    simulated = runner.invoke(app, ["simulate", "--dry-run", "--events", "1500"])
    assert "shipment.confirmed" in simulated.output
