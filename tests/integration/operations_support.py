"""Shared by the replay and re-drive tests: private planning schemas and the live sink's state."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
from confluent_kafka import TopicPartition
from psycopg import sql

from sinks.base import SinkAdapter
from sinks.metrics import SinkMetrics
from sinks.planning import PlanningSink
from sinks.planning.tables import TABLES
from sinks.routes import SinkRoutes
from sinks.runtime import SinkRuntime
from supplystream.clients import make_consumer
from supplystream.settings import Settings, SinkSettings
from tests.integration.test_planning_sink import PlanningTarget

#: Quick retries and probes, as in the sink contract.
FAST = SinkSettings(
    batch_size=500,
    poll_timeout_s=0.2,
    backoff_base_s=0.05,
    backoff_max_s=0.5,
    probe_base_s=0.5,
    probe_max_s=2.0,
)
PLANNING_TOPICS = (
    "atp.changed", "order.placed", "order.allocated", "order.backordered", "order.cancelled",
    "shipment.confirmed", "purchase.received", "stock.moved",
)  # fmt: skip


def fresh_schemas(settings: Settings, count: int) -> Iterator[list[PlanningTarget]]:
    """``count`` fresh schemas in the stack's planning database, dropped afterwards."""
    targets = [PlanningTarget(settings.postgres_dsn, f"test_{uuid.uuid4().hex[:10]}") for _ in range(count)]
    yield targets
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
        for target in targets:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(target.schema)))


def planning(target: PlanningTarget) -> SinkAdapter:
    return PlanningSink(target.dsn, schema=target.schema)


def live_runtime(
    settings: Settings, target: PlanningTarget, routes: SinkRoutes, registry: Any
) -> SinkRuntime:
    return SinkRuntime(
        planning(target), settings, routes=routes, config=FAST, metrics=SinkMetrics.create(registry)
    )


def last_write(target: PlanningTarget) -> Any:
    """The newest ``applied_at`` over every planning table: unchanged means no row was written."""
    with psycopg.connect(target.dsn) as conn:
        latest = [
            conn.execute(
                sql.SQL("SELECT max(applied_at) FROM {}.{}").format(
                    sql.Identifier(target.schema), sql.Identifier(table.name)
                )
            ).fetchone()
            for table in TABLES
        ]
    return max((row[0] for row in latest if row is not None and row[0] is not None), default=None)


def committed_total(settings: Settings, group_id: str, topics: tuple[str, ...]) -> int:
    """The sum of ``group_id``'s committed offsets on ``topics`` (none counts as 0)."""
    consumer = make_consumer(settings, group_id)
    try:
        metadata = consumer.list_topics(timeout=10)
        partitions = [TopicPartition(t, p) for t in topics for p in metadata.topics[t].partitions]
        return sum(max(tp.offset, 0) for tp in consumer.committed(partitions, timeout=10))
    finally:
        consumer.close()
