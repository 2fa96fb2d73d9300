"""`supplystream dlq redrive`: dead letters of the planning sink, re-driven after the cause is fixed.

The cause: ``demand_lines.quantity`` has ``CHECK (quantity > 0)``, so orders with a negative quantity
are dead-lettered. A re-drive before the fix dead-letters them again (nothing lost); after dropping
the constraint in the test's private schema, a re-drive applies them, and a second one finds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from prometheus_client import CollectorRegistry
from psycopg import sql

from sinks.metrics import SinkMetrics
from supplystream.events import OrderLine, OrderPlaced, ShipTo
from supplystream.settings import Settings
from supplystream_app.operations.dead_letter_topics import (
    RedriveSummary,
    redrive_into_sink,
    redrive_to_original,
    redrive_windows,
)
from supplystream_app.operations.redrive import RedriveFilter
from supplystream_devkit.planning_stream import SOURCE, planning_stream
from tests.integration.operations_support import (
    FAST,
    PLANNING_TOPICS,
    fresh_schemas,
    last_write,
    live_runtime,
    planning,
)
from tests.integration.sink_kafka import EventWriter, create_topics, private_routes, read_all
from tests.integration.test_planning_sink import PlanningTarget, read_state

pytestmark = pytest.mark.integration
POISONED = 3


def _negative_orders() -> list[OrderPlaced]:
    return [
        OrderPlaced(
            event_id=uuid.uuid4(),
            event_type="order.placed",
            occurred_at=dt.datetime(2026, 3, 3, 9, n, tzinfo=dt.UTC),
            source=SOURCE,
            correlation_id=f"SO-NEG-{n}",
            company="ACME",
            order_id=f"SO-NEG-{n}",
            channel="shop",
            customer_ref="C-1",
            ship_to=ShipTo(country="DE"),
            lines=(OrderLine(line_id="1", sku="SKU-001", quantity=Decimal("-2")),),
        )
        for n in range(POISONED)
    ]


@pytest.fixture
def target(contracts_ready: Settings) -> Iterator[PlanningTarget]:
    for targets in fresh_schemas(contracts_ready, 1):
        yield targets[0]


def _fix_the_cause(target: PlanningTarget) -> None:
    """Drop the CHECK on demand_lines.quantity in the test's own schema."""
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        table = f"{target.schema}.demand_lines"
        rows = conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c' "
            "AND pg_get_constraintdef(oid) LIKE '%%quantity%%'",
            (table,),
        ).fetchall()
        assert rows, "the CHECK constraint exists"
        for (name,) in rows:
            conn.execute(
                sql.SQL("ALTER TABLE {}.demand_lines DROP CONSTRAINT {}").format(
                    sql.Identifier(target.schema), sql.Identifier(name)
                )
            )


def _negative_rows(target: PlanningTarget) -> int:
    demand = read_state(target)["demand_lines"]
    return sum(1 for row in demand.values() if str(row["order_id"]).startswith("SO-NEG-"))


def _into_sink(
    settings: Settings, dlq: str, target: PlanningTarget, selection: RedriveFilter
) -> RedriveSummary:
    group, windows = redrive_windows(settings, dlq, selection)
    return redrive_into_sink(
        settings, dlq, planning(target), selection=selection, group_id=group, windows=windows,
        config=FAST, metrics=SinkMetrics.create(CollectorRegistry()),
    )  # fmt: skip


def _dead_letter(settings: Settings, topic_prefix: str, target: PlanningTarget) -> tuple[str, int]:
    """Run the live planning sink over good events and the negative orders; the DLQ and good count."""
    routes = private_routes(topic_prefix, "planning-sink", PLANNING_TOPICS)
    create_topics(settings, routes)
    good = planning_stream(300, seed=21)
    writer = EventWriter(settings, topic_prefix)
    try:
        writer.send([*good, *_negative_orders()])
    finally:
        writer.close()
    with live_runtime(settings, target, routes, CollectorRegistry()) as live:
        summary = live.drain(until_idle_s=1.0, timeout_s=120)
    assert summary.dead_lettered == POISONED
    assert _negative_rows(target) == 0
    return routes.dead_letter_topic, len(good)


def test_redrive_into_the_sink_after_fixing_the_cause_applies_once(
    contracts_ready: Settings, topic_prefix: str, target: PlanningTarget
) -> None:
    settings = contracts_ready
    dlq, _ = _dead_letter(settings, topic_prefix, target)

    # Before the fix: the re-drive fails for every record, which goes back to the DLQ: nothing lost.
    failed = _into_sink(settings, dlq, target, RedriveFilter())
    assert (failed.redriven, failed.dead_lettered_again) == (0, POISONED)
    letters = read_all(settings, dlq, expected=2 * POISONED)
    assert len(letters) == 2 * POISONED
    again = [letter for letter in letters if letter.headers.get("supplystream.origin.topic")]
    assert len(again) == POISONED
    assert all(letter.headers["supplystream.origin.topic"].endswith(".order.placed") for letter in again)
    assert _negative_rows(target) == 0

    _fix_the_cause(target)
    unselected = _into_sink(settings, dlq, target, RedriveFilter("NoSuchError"))
    assert (unselected.redriven, unselected.skipped) == (0, 2 * POISONED)
    assert _negative_rows(target) == 0

    fixed = _into_sink(settings, dlq, target, RedriveFilter("PermanentSinkError"))
    assert fixed.redriven == 2 * POISONED  # the first dead letters and their second copies, same events
    assert fixed.dead_lettered_again == 0
    assert _negative_rows(target) == POISONED
    state, written = read_state(target), last_write(target)

    twice = _into_sink(settings, dlq, target, RedriveFilter("PermanentSinkError"))
    assert (twice.redriven, twice.dead_lettered_again) == (0, 0), "nothing left to re-drive"
    assert sum(w.size for w in twice.windows) == 0
    assert read_state(target) == state
    assert last_write(target) == written


def test_redrive_to_the_original_topic_marks_the_records(
    contracts_ready: Settings, topic_prefix: str, target: PlanningTarget
) -> None:
    settings = contracts_ready
    dlq, good = _dead_letter(settings, topic_prefix, target)
    _fix_the_cause(target)
    group, windows = redrive_windows(settings, dlq, RedriveFilter())
    summary = redrive_to_original(settings, dlq, RedriveFilter(), group, windows)
    assert summary.redriven == POISONED
    assert summary.per_topic == {f"{topic_prefix}.order.placed": POISONED}
    group, windows = redrive_windows(settings, dlq, RedriveFilter())
    assert redrive_to_original(settings, dlq, RedriveFilter(), group, windows).redriven == 0
    placed = read_all(settings, f"{topic_prefix}.order.placed", expected=10_000, timeout_s=5)
    redriven = [r for r in placed if r.headers.get("supplystream.redriven") == "true"]
    assert len(redriven) == POISONED, "re-driven once, even after a second re-drive"
    for record in redriven:
        assert record.headers["supplystream.redriven.from"].startswith(f"{dlq}@")
        assert not any(name.startswith("supplystream.error.") for name in record.headers)
    routes = private_routes(topic_prefix, "planning-sink", PLANNING_TOPICS)
    with live_runtime(settings, target, routes, CollectorRegistry()) as live:
        after = live.drain(until_idle_s=1.0, timeout_s=120)
    assert (after.applied, after.dead_lettered) == (POISONED, 0)
    assert _negative_rows(target) == POISONED
    assert good > 0
