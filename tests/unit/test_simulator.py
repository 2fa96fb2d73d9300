"""The distribution simulator: deterministic, valid against the contracts, and business-like."""

from __future__ import annotations

import datetime
import decimal
import io
import itertools
from collections import Counter
from typing import Any

import fastavro
import pytest
from typer.testing import CliRunner

from producers.simulator import (
    ShipRegion,
    Simulation,
    SimulationConfig,
    event_id,
    nearest_warehouse,
    zipf_weights,
)
from supplystream.contracts.schemas import load_event_schemas
from supplystream.events import (
    Event,
    OrderCancelled,
    OrderPlaced,
    PurchaseReceived,
    ShipmentConfirmed,
    StockMoved,
)
from supplystream.paths import schemas_dir
from supplystream_app.cli import app
from supplystream_app.cli.simulate import planned_events

N = 2000


def first(seed: int, count: int = N, config: SimulationConfig | None = None) -> list[Event]:
    return list(itertools.islice(Simulation(seed, config), count))


@pytest.fixture(scope="module")
def sample() -> list[Event]:
    return first(1, 10_000)


@pytest.fixture(scope="module")
def parsed_schemas() -> dict[str, Any]:
    return {
        event_type: fastavro.parse_schema(dict(schema.schema))
        for event_type, schema in load_event_schemas(schemas_dir()).items()
    }


def quantities(event: Event) -> list[decimal.Decimal]:
    match event:
        case StockMoved():
            return [event.quantity]
        case OrderPlaced() | OrderCancelled() | ShipmentConfirmed():
            return [line.quantity for line in event.lines]
        case PurchaseReceived():
            return [q for line in event.lines for q in (line.expected_quantity, line.received_quantity)]
    return []


def test_same_seed_gives_the_same_events_ids_included() -> None:
    assert [e.to_record() for e in first(1)] == [e.to_record() for e in first(1)]


def test_different_seeds_give_different_events() -> None:
    one, two = first(1), first(2)
    assert {e.event_id for e in one}.isdisjoint(e.event_id for e in two)
    assert [e.to_record() | {"event_id": None} for e in one] != [
        e.to_record() | {"event_id": None} for e in two
    ]


def test_the_clock_is_simulated_not_the_wall_clock() -> None:
    start = datetime.datetime(2030, 3, 4, 5, 6, tzinfo=datetime.UTC)
    events = first(7, 50, SimulationConfig(start=start))
    assert events[0].occurred_at == start
    assert first(7, 50) == first(7, 50)


def test_events_come_in_time_order_with_unique_ids(sample: list[Event]) -> None:
    assert all(a.occurred_at <= b.occurred_at for a, b in itertools.pairwise(sample))
    assert len({e.event_id for e in sample}) == len(sample)
    assert all(e.occurred_at.tzinfo is not None for e in sample)
    assert all(e.event_type == e.EVENT_TYPE for e in sample)


def test_every_kind_of_business_event_appears(sample: list[Event]) -> None:
    types = Counter(e.event_type for e in sample)
    assert set(types) == {
        "stock.moved",
        "purchase.received",
        "order.placed",
        "order.cancelled",
        "shipment.confirmed",
    }
    kinds = {e.move_kind for e in sample if isinstance(e, StockMoved)}
    assert {"RECEIPT", "DELIVERY", "INTERNAL_TRANSFER", "ADJUSTMENT", "SCRAP"} <= set(kinds)
    orders = [e for e in sample if isinstance(e, OrderPlaced)]
    assert {o.channel for o in orders} == {"shop", "marketplace", "odoo"}
    assert any(o.allow_partial for o in orders)
    assert any(not o.allow_partial for o in orders)
    assert any(len(o.lines) > 1 for o in orders)
    assert all(o.correlation_id == o.order_id and o.causation_id is None for o in orders)


def test_opening_stock_is_received_in_every_warehouse() -> None:
    config = SimulationConfig()
    events = first(3, 3 * (config.sku_count + 1), config)
    receipts = [e for e in events if isinstance(e, PurchaseReceived)]
    assert {line.warehouse for r in receipts for line in r.lines} == {w.code for w in config.warehouses}
    moves = [e for e in events if isinstance(e, StockMoved)]
    assert len(moves) == 3 * config.sku_count
    by_id = {str(r.event_id): r for r in receipts}
    assert all(m.move_kind == "RECEIPT" and m.causation_id in by_id for m in moves)


def test_every_event_survives_an_avro_round_trip(sample: list[Event], parsed_schemas: dict[str, Any]) -> None:
    for event in sample[:3000]:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed_schemas[event.event_type], event.to_record())
        buffer.seek(0)
        read = fastavro.schemaless_reader(buffer, parsed_schemas[event.event_type], None)
        assert isinstance(read, dict)
        assert type(event).from_record(read) == event


def test_quantities_are_positive_decimals_with_at_most_three_places(sample: list[Event]) -> None:
    values = [q for event in sample for q in quantities(event)]
    assert values
    for value in values:
        assert isinstance(value, decimal.Decimal)
        assert value > 0
        assert value.as_tuple().exponent >= -3  # type: ignore[operator]


def test_demand_is_skewed_to_a_few_skus(sample: list[Event]) -> None:
    lines = Counter(line.sku for e in sample if isinstance(e, OrderPlaced) for line in e.lines)
    total = sum(lines.values())
    top = sum(count for _, count in lines.most_common(SimulationConfig().sku_count // 10))
    assert top / total > 0.4


def test_shipments_follow_their_orders(sample: list[Event]) -> None:
    placed = {e.order_id: e for e in sample if isinstance(e, OrderPlaced)}
    cancelled = {e.order_id for e in sample if isinstance(e, OrderCancelled)}
    shipments = [e for e in sample if isinstance(e, ShipmentConfirmed)]
    assert len(shipments) > 100
    for shipment in shipments:
        order = placed[shipment.order_id]
        assert shipment.occurred_at > order.occurred_at
        assert shipment.correlation_id == order.correlation_id == order.order_id
        assert shipment.causation_id == str(order.event_id)
        assert shipment.carrier
        assert shipment.tracking_number
        assert [(line.sku, line.quantity) for line in shipment.lines] == [
            (line.sku, line.quantity) for line in order.lines
        ]
        assert shipment.order_id not in cancelled
    # A shipment's DELIVERY moves name it as their cause.
    deliveries = Counter(
        e.causation_id for e in sample if isinstance(e, StockMoved) and e.move_kind == "DELIVERY"
    )
    assert all(deliveries[str(s.event_id)] == len(s.lines) for s in shipments)


def test_cancellations_follow_their_orders(sample: list[Event]) -> None:
    placed = {e.order_id: e for e in sample if isinstance(e, OrderPlaced)}
    cancellations = [e for e in sample if isinstance(e, OrderCancelled)]
    assert cancellations
    for cancel in cancellations:
        order = placed[cancel.order_id]
        assert cancel.occurred_at > order.occurred_at
        assert cancel.causation_id == str(order.event_id)
        assert {line.line_id for line in cancel.lines} == {line.line_id for line in order.lines}


def test_shipments_leave_from_the_nearest_warehouse(sample: list[Event]) -> None:
    placed = {e.order_id: e for e in sample if isinstance(e, OrderPlaced)}
    expected = {"NY": "WH-EAST", "MA": "WH-EAST", "TX": "WH-CENTRAL", "IL": "WH-CENTRAL", "CA": "WH-WEST"}
    for shipment in (e for e in sample if isinstance(e, ShipmentConfirmed)):
        region = placed[shipment.order_id].ship_to.region
        if region in expected:
            assert shipment.warehouse == expected[region]


def test_nearest_warehouse_and_zipf_weights() -> None:
    warehouses = SimulationConfig().warehouses
    seattle = ShipRegion(region="WA", zip3="981", latitude=47.6, longitude=-122.3)
    assert nearest_warehouse(seattle, warehouses).code == "WH-WEST"
    weights = zipf_weights(100, 1.0)
    assert sum(weights) == pytest.approx(1.0)
    assert weights == sorted(weights, reverse=True)
    assert weights[0] / weights[1] == pytest.approx(2.0)


def test_event_ids_are_uuid5_of_seed_and_sequence() -> None:
    assert event_id(1, 0) == event_id(1, 0)
    assert event_id(1, 0).version == 5
    assert event_id(1, 0) != event_id(2, 0)
    assert first(5, 1)[0].event_id == event_id(5, 0)


def test_planned_events() -> None:
    assert planned_events(2000, 2, None) == 4000
    assert planned_events(2000, 2, 10) == 10


def test_dry_run_prints_counts_without_kafka() -> None:
    result = CliRunner().invoke(app, ["simulate", "--dry-run", "--events", "1500", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "1,500 events for seed 3" in result.output
    assert "order.placed" in result.output
    assert "stock.moved" in result.output
