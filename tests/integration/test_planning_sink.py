"""The planning sink: the sink contract on PostgreSQL, migrations, and the forward-only upserts.

The shared stack's PostgreSQL also stores the schema registry, so it is never stopped: each test
writes into a schema of its own there, and the outage test runs against a private PostgreSQL
cluster (own home and port) that it stops for 30 s.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql

from sinks.base import SinkAdapter
from sinks.planning import PlanningSink
from sinks.planning.tables import TABLES
from supplystream.events import Event, OrderLine, OrderPlaced, ShipTo
from supplystream.paths import project_root
from supplystream.settings import Settings, StackSettings
from supplystream_devkit.planning_stream import SOURCE, State, expected_state, planning_stream
from supplystream_devkit.ports import free_port
from supplystream_devkit.stack.layout import StackLayout
from supplystream_devkit.stack.postgres import PostgresCluster
from tests.integration.odoo_sink_contract import (
    NOW,
    new_order_id,
    order_cancelled,
    order_placed,
    records,
    shipment_confirmed,
)
from tests.integration.sink_contract import SinkContract

pytestmark = pytest.mark.integration

PRIVATE_HOME = project_root() / ".stack" / "planning-sink-tests"


@dataclass(frozen=True)
class PlanningTarget:
    """A schema of its own in some PostgreSQL, and the cluster when the test may stop it."""

    dsn: str
    schema: str
    cluster: PostgresCluster | None = None


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster only these tests use (initialised once under .stack/, new port per run)."""
    settings = StackSettings(home=PRIVATE_HOME, postgres_port=free_port())
    cluster = PostgresCluster(settings, StackLayout(settings.root))
    cluster.stop()  # a run that died before its teardown left it running on another port
    cluster.start(lambda _line: None)
    cluster.wait_ready(settings.start_timeout_s)
    yield cluster
    cluster.stop()


def _drop_schema(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def target(settings: Settings) -> Iterator[PlanningTarget]:
    """A fresh schema in the shared stack's planning database."""
    planning = PlanningTarget(settings.postgres_dsn, f"test_{uuid.uuid4().hex[:10]}")
    yield planning
    _drop_schema(planning.dsn, planning.schema)


@pytest.fixture
def outage_target(private_postgres: PostgresCluster) -> Iterator[PlanningTarget]:
    """A fresh schema in the private cluster, which the test stops and starts."""
    planning = PlanningTarget(
        private_postgres.dsn("planning"), f"test_{uuid.uuid4().hex[:10]}", private_postgres
    )
    yield planning
    private_postgres.start(lambda _line: None)
    private_postgres.wait_ready(60)
    _drop_schema(planning.dsn, planning.schema)


def read_state(target: PlanningTarget) -> State:
    """Every planning table's rows by key (without the bookkeeping column applied_at)."""
    state: State = {}
    with psycopg.connect(target.dsn) as conn:
        for table in TABLES:
            query = sql.SQL("SELECT {} FROM {}.{}").format(
                sql.SQL(", ").join(map(sql.Identifier, table.columns)),
                sql.Identifier(target.schema),
                sql.Identifier(table.name),
            )
            rows: dict[tuple[Any, ...], dict[str, Any]] = {}
            for row in conn.execute(query):
                values = dict(zip(table.columns, row, strict=True))
                rows[tuple(values[name] for name in table.key)] = values
            state[table.name] = rows
    return state


class TestPlanningSinkContract(SinkContract):
    sink_name = "planning-sink"
    catalog_topics = (
        "atp.changed", "order.placed", "order.allocated", "order.backordered", "order.cancelled",
        "shipment.confirmed", "purchase.received", "stock.moved",
    )  # fmt: skip

    def make_adapter(self, target: PlanningTarget) -> SinkAdapter:
        return PlanningSink(target.dsn, schema=target.schema)

    def stream(self, size: int) -> list[Event]:
        return planning_stream(size)

    def expected_state(self, events: Any) -> State:
        return expected_state(events)

    def actual_state(self, target: PlanningTarget) -> State:
        return read_state(target)

    def poison(self) -> tuple[Event, list[Event]]:
        def placed(n: int, quantity: str) -> OrderPlaced:
            return OrderPlaced(
                event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"planning-poison:{n}"),
                event_type="order.placed",
                occurred_at=dt.datetime(2026, 3, 2, 9, n, tzinfo=dt.UTC),
                source=SOURCE,
                correlation_id="SO-POISON",
                company="ACME",
                order_id="SO-POISON",
                channel="shop",
                customer_ref="C-1",
                ship_to=ShipTo(country="DE"),
                lines=(OrderLine(line_id="1", sku="SKU-001", quantity=Decimal(quantity)),),
            )

        # Ordered quantities are positive: PostgreSQL's CHECK refuses -1 (the contract says "positive").
        # The poison is the order's newest version, so no later event supersedes it before the merge.
        return placed(9, "-1"), [placed(1, "2"), placed(2, "3")]

    def stop_target(self, target: PlanningTarget) -> None:
        assert target.cluster is not None
        target.cluster.stop()

    def start_target(self, target: PlanningTarget) -> None:
        assert target.cluster is not None
        target.cluster.start(lambda _line: None)


def test_a_cancellation_after_the_goods_left_is_a_refused_request(target: PlanningTarget) -> None:
    """`cancellation_outcomes`: what had shipped when a line was cancelled is not released."""
    shipped_first, cancelled_first = new_order_id(), new_order_id()
    later = NOW + dt.timedelta(minutes=5)
    events: list[Event] = [
        order_placed(shipped_first, [("SKU-A", 5), ("SKU-B", 3)]),
        shipment_confirmed(shipped_first, "T1", [("SKU-A", 5), ("SKU-B", 1)]),
        replace(order_cancelled(shipped_first, [("SKU-A", 5), ("SKU-B", 3)]), occurred_at=later),
        order_placed(cancelled_first, [("SKU-A", 4)]),
        order_cancelled(cancelled_first, [("SKU-A", 4)]),
        replace(shipment_confirmed(cancelled_first, "T2", [("SKU-A", 4)]), shipped_at=later),
    ]
    sink = PlanningSink(target.dsn, schema=target.schema)
    try:
        assert not sink.write(records(*reversed(events)))  # arrival order does not matter
    finally:
        sink.close()
    with psycopg.connect(target.dsn) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT order_id, line_id, requested, shipped_before, released, outcome "
                "FROM {}.cancellation_outcomes ORDER BY order_id, line_id"
            ).format(sql.Identifier(target.schema))
        ).fetchall()
    assert sorted(rows) == sorted(
        [
            (shipped_first, "1", Decimal(5), Decimal(5), Decimal(0), "refused: shipped"),
            (shipped_first, "2", Decimal(3), Decimal(1), Decimal(2), "partly refused: shipped"),
            (cancelled_first, "1", Decimal(4), Decimal(0), Decimal(4), "cancelled"),
        ]
    )
