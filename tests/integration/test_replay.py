"""`supplystream replay` into the planning database, on private topics and schemas of the dev stack.

The live planning sink (its own group) applies a first stream; the window holding it is then replayed
into a fresh schema by a shadow group while the live sink keeps consuming a second stream.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from sinks.metrics import SinkMetrics
from supplystream.settings import Settings
from supplystream_app.operations.replay import (
    partitions_of,
    replay_into_sink,
    resolve_windows,
    window_consumer,
)
from supplystream_app.operations.window import shadow_group, total
from supplystream_devkit.planning_stream import expected_state, planning_stream
from tests.conftest import supplystream_cli
from tests.integration.operations_support import (
    FAST,
    PLANNING_TOPICS,
    committed_total,
    fresh_schemas,
    last_write,
    live_runtime,
    planning,
)
from tests.integration.sink_kafka import (
    EventWriter,
    RunningSink,
    create_topics,
    lag_of,
    private_routes,
    wait_until,
)
from tests.integration.test_planning_sink import PlanningTarget, read_state

pytestmark = pytest.mark.integration


@pytest.fixture
def schemas(contracts_ready: Settings) -> Iterator[list[PlanningTarget]]:
    yield from fresh_schemas(contracts_ready, 2)


def test_replay_window_into_planning_equals_live_and_twice_changes_nothing(  # noqa: PLR0915 - one story
    contracts_ready: Settings, topic_prefix: str, schemas: list[PlanningTarget]
) -> None:
    settings = contracts_ready
    live_target, replay_target = schemas
    routes = private_routes(topic_prefix, "planning-sink", PLANNING_TOPICS)
    create_topics(settings, routes)
    first, second = planning_stream(1500, seed=11), planning_stream(1500, seed=12)
    writer = EventWriter(settings, topic_prefix)
    live = live_runtime(settings, live_target, routes, CollectorRegistry())
    running: RunningSink | None = None
    try:
        window_from = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        writer.send(first)
        live.drain(until_idle_s=1.0, timeout_s=120)
        after_first = read_state(live_target)
        assert after_first == expected_state(first)

        # The live sink keeps running; the window is captured now, before the second stream exists.
        running = RunningSink(live.run)
        probe = window_consumer(settings, f"{topic_prefix}.probe")
        try:
            windows = resolve_windows(probe, partitions_of(probe, routes.topics, None), window_from, None)
        finally:
            probe.close()
        assert total(windows) == len(first)
        live_before = committed_total(settings, routes.group_id, routes.topics)
        producing = threading.Thread(target=_send_slowly, args=(writer, second), daemon=True)
        producing.start()
        group = shadow_group(f"{topic_prefix}.planning-sink", dt.datetime.now(dt.UTC))
        assert group != routes.group_id
        started = time.monotonic()
        summary = replay_into_sink(
            settings, planning(replay_target), windows, group_id=group,
            dead_letter_topic=routes.dead_letter_topic, config=FAST,
            metrics=SinkMetrics.create(CollectorRegistry()), rate=600,
        )  # fmt: skip
        replay_seconds = time.monotonic() - started
        live_during = committed_total(settings, routes.group_id, routes.topics)
        assert running.alive(), "the live sink was never stopped"
        assert live_during > live_before, "the live group committed while the replay ran"
        assert replay_seconds >= len(first) / 600 * 0.8, "the rate limit holds"
        assert summary.consumed == len(first), "the replay stops at the end captured at its start"
        assert summary.dead_lettered == 0
        assert read_state(replay_target) == after_first

        # Replaying the same window again (another shadow group) writes nothing.
        written = last_write(replay_target)
        again = replay_into_sink(
            settings, planning(replay_target), windows, group_id=f"{group}.again",
            dead_letter_topic=routes.dead_letter_topic, config=FAST,
            metrics=SinkMetrics.create(CollectorRegistry()),
        )  # fmt: skip
        assert again.consumed == len(first)
        assert read_state(replay_target) == after_first
        assert last_write(replay_target) == written, "no row was rewritten by the second replay"

        producing.join(60)
        wait_until(lambda: lag_of(settings, routes) == 0, 120, "the live sink to apply the second stream")
        assert read_state(live_target) == expected_state([*first, *second])
        print(
            f"\nreplayed {summary.consumed} events in {replay_seconds:.1f}s at --rate 600; "
            f"live group committed {live_during - live_before} offsets meanwhile"
        )
    finally:
        if running is not None:
            running.stop()
        live.close()
        writer.close()


def _send_slowly(writer: EventWriter, events: list[object]) -> None:
    for start in range(0, len(events), 100):
        writer.send(events[start : start + 100])  # type: ignore[arg-type]
        time.sleep(0.15)


def test_replay_dry_run_prints_counts_and_a_sample(contracts_ready: Settings, topic_prefix: str) -> None:
    settings = contracts_ready
    routes = private_routes(topic_prefix, "planning-sink", PLANNING_TOPICS)
    create_topics(settings, routes)
    events = planning_stream(200, seed=5)
    writer = EventWriter(settings, topic_prefix)
    try:
        writer.send(events)
    finally:
        writer.close()
    result = supplystream_cli(
        "replay", *routes.topics, "--sink", "planning", "--dry-run", "--sample", "3",
        env={"SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": settings.bootstrap_servers,
             "SUPPLYSTREAM_REGISTRY__URL": str(settings.registry.url)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    counts = [int(n.replace(",", "")) for n in re.findall(r"\]\s+(\d[\d,]*) records", result.stdout)]
    assert sum(counts) == len(events), result.stdout
    assert result.stdout.count('"event_id"') == 3, result.stdout
    assert "dry run: nothing applied" in result.stdout
    assert lag_of(settings, routes) == len(events), "a dry run commits nothing for the live group"
