"""A sink worker's /metrics, /health and /ready, scraped over HTTP while it runs against the real broker
and registry (the wiring `supplystream sinks run --metrics-port` uses: sinks.health.serve_sink_health).

The target is the in-memory one of the runtime tests: it poisons one event (a dead letter), fails once
transiently (a retry) and goes down on request (circuit open -> not ready)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from sinks.health import serve_sink_health
from sinks.metrics import SinkMetrics
from sinks.routes import SinkRoutes
from sinks.runtime import SinkRuntime
from supplystream.settings import Settings
from supplystream_devkit.roundtrip import sample_event
from tests.integration.sink_kafka import EventWriter, RunningSink, create_topics, private_routes, wait_until
from tests.integration.test_sink_runtime import FAST, MemoryTarget

pytestmark = pytest.mark.integration


@pytest.fixture
def routes(contracts_ready: Settings, topic_prefix: str) -> SinkRoutes:
    routes = private_routes(topic_prefix, "memory-sink", ["stock.moved"])
    create_topics(contracts_ready, routes, partitions=2)
    return routes


@pytest.fixture
def writer(contracts_ready: Settings, topic_prefix: str) -> Iterator[EventWriter]:
    writer = EventWriter(contracts_ready, topic_prefix)
    yield writer
    writer.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local http URL
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def values(metrics: str, name: str) -> list[float]:
    """Every sample of ``name`` (any labels) in a /metrics text."""
    pattern = re.compile(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", re.MULTILINE)
    return [float(v) for v in pattern.findall(metrics)]


def test_sink_worker_serves_metrics_health_and_readiness(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    events = [sample_event(n) for n in range(60)]
    writer.send(events)
    time.sleep(1.5)  # the records are now >1 s old: the first lag sample sees a time lag
    target = MemoryTarget(poison={str(events[7].event_id)}, transient_failures=1)
    registry = CollectorRegistry()
    runtime = SinkRuntime(
        target, contracts_ready, routes=routes, config=FAST, metrics=SinkMetrics.create(registry)
    )
    server, sampler = serve_sink_health(contracts_ready, runtime, 0, registry=registry, lag_interval_s=1.0)
    try:
        # Sampled before the runtime consumed anything: lag and time lag of the waiting records.
        wait_until(lambda: sampler.last_sample is not None, 30, "the first lag sample")
        before = get(f"{server.url}/metrics")[1]
        assert sum(values(before, "supplystream_consumer_lag")) == 60
        assert min(values(before, "supplystream_consumer_time_lag_seconds")) >= 1.0
        status, body = get(f"{server.url}/ready")
        assert status == 503, body  # not in the group yet
        assert get(f"{server.url}/health")[0] == 503  # the loop has not turned yet

        running = RunningSink(runtime.run)
        wait_until(lambda: get(f"{server.url}/ready")[0] == 200, 60, "/ready to answer 200")
        wait_until(lambda: sum(target.applied.values()) == 59, 60, "59 events applied")
        assert get(f"{server.url}/health")[0] == 200
        wait_until(
            lambda: sum(values(get(f"{server.url}/metrics")[1], "supplystream_consumer_lag")) == 0,
            30,
            "the lag gauge to reach 0",
        )
        metrics = get(f"{server.url}/metrics")[1]
        assert sum(values(metrics, "supplystream_sink_consumed_total")) == 60
        assert sum(values(metrics, "supplystream_sink_applied_total")) == 59
        assert sum(values(metrics, "supplystream_sink_dead_lettered_total")) == 1
        assert sum(values(metrics, "supplystream_sink_retried_total")) > 0
        assert sum(values(metrics, "supplystream_sink_end_to_end_seconds_count")) == 59
        assert sum(values(metrics, "supplystream_sink_apply_seconds_count")) > 0
        assert values(metrics, "supplystream_ready") == [1.0]
        assert values(metrics, "supplystream_sink_circuit_open") == [0.0]

        # The target goes down: the circuit opens, /ready says so, the gauge shows it; then it recovers.
        target.down = True
        writer.send([sample_event(n) for n in range(60, 65)])
        wait_until(
            lambda: get(f"{server.url}/ready")[0] == 503, 60, "/ready to fail while the circuit is open"
        )
        ready = json.loads(get(f"{server.url}/ready")[1])
        assert ready["checks"]["circuit"] == {"ok": False, "detail": "open"}
        assert values(get(f"{server.url}/metrics")[1], "supplystream_sink_circuit_open") == [1.0]
        assert get(f"{server.url}/health")[0] == 200  # alive: waiting for the target is not a fault
        target.down = False
        wait_until(lambda: get(f"{server.url}/ready")[0] == 200, 60, "/ready after the target came back")
        wait_until(lambda: sum(target.applied.values()) == 64, 60, "the held events applied")
        running.stop()
    finally:
        sampler.stop()
        server.close()
        runtime.close()
