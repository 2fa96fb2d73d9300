"""Prometheus metrics of a processor: events per agent, latency, table sizes, rebalances, recovery,
reservations and backorders. Served on ``/metrics`` (127.0.0.1) when ``processors.metrics_port`` is set.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from faust.sensors import Sensor
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _RebalanceSensor(Sensor):
    """Counts rebalances and times them (faust calls these hooks)."""

    def __init__(self, metrics: ProcessorMetrics) -> None:
        super().__init__()
        self._metrics = metrics

    def on_rebalance_start(self, _app: Any) -> dict[str, float]:
        self._metrics.rebalances.inc()
        return {"started": time.monotonic()}

    def on_rebalance_end(self, _app: Any, state: Mapping[str, float]) -> None:
        self._metrics.rebalance_seconds.observe(time.monotonic() - state["started"])


@dataclass
class ProcessorMetrics:
    """The metric families of one processor application."""

    registry: CollectorRegistry
    events: Counter
    events_in: Counter
    events_out: Counter
    latency: Histogram
    end_to_end: Histogram
    table_keys: Gauge
    rebalances: Counter
    rebalance_seconds: Histogram
    recovery_remaining: Gauge
    grants: Counter
    refusals: Counter
    backorders: Counter
    allocations: Counter
    published: Counter
    redeliveries: Counter
    dead_letters: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> ProcessorMetrics:
        registry = registry or CollectorRegistry()
        return cls(
            registry=registry,
            events=Counter("supplystream_processor_events", "Events processed", ["agent"], registry=registry),
            events_in=Counter(
                "supplystream_processor_events_in",
                "Records consumed, per topic",
                ["topic"],
                registry=registry,
            ),
            events_out=Counter(
                "supplystream_processor_events_out", "Records sent, per topic", ["topic"], registry=registry
            ),
            latency=Histogram(
                "supplystream_processor_latency_seconds",
                "Time to process one event",
                ["agent"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            end_to_end=Histogram(
                "supplystream_processor_end_to_end_seconds",
                "From the event's occurred_at to processed",
                ["agent"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            table_keys=Gauge(
                "supplystream_processor_table_keys", "Keys in a table", ["table"], registry=registry
            ),
            rebalances=Counter(
                "supplystream_processor_rebalances", "Consumer group rebalances", registry=registry
            ),
            rebalance_seconds=Histogram(
                "supplystream_processor_rebalance_seconds", "Rebalance duration", registry=registry
            ),
            recovery_remaining=Gauge(
                "supplystream_processor_recovery_remaining",
                "Changelog records still to read before the tables are recovered",
                registry=registry,
            ),
            grants=Counter(
                "supplystream_processor_reservation_grants", "Reservations granted", registry=registry
            ),
            refusals=Counter(
                "supplystream_processor_reservation_refusals", "Reservations refused", registry=registry
            ),
            backorders=Counter(
                "supplystream_processor_backorders", "Orders with backordered lines", registry=registry
            ),
            allocations=Counter("supplystream_processor_allocations", "Orders allocated", registry=registry),
            published=Counter(
                "supplystream_processor_atp_published", "atp.changed events sent", registry=registry
            ),
            redeliveries=Counter(
                "supplystream_processor_redeliveries",
                "Commands seen again after a restart (recognised, not re-applied)",
                registry=registry,
            ),
            dead_letters=Counter(
                "supplystream_processor_dead_letters",
                "Input records dead-lettered",
                ["agent"],
                registry=registry,
            ),
        )

    def attach(self, app: Any, tables: Mapping[str, Any]) -> None:
        """Hook into faust: rebalances through a sensor, tables and recovery through a timer."""
        app.sensors.add(_RebalanceSensor(self))

        @app.timer(2.0)  # type: ignore[untyped-decorator]
        async def sample_recovery() -> None:
            recovery = app.tables.recovery
            self.recovery_remaining.set(recovery.active_remaining_total() if recovery.in_recovery else 0)

        # Counting a RocksDB table walks its keys: not more often than this.
        @app.timer(30.0)  # type: ignore[untyped-decorator]
        async def sample_tables() -> None:
            for name, table in tables.items():
                self.table_keys.labels(name).set(len(table.data))

    @staticmethod
    def started() -> float:
        return time.perf_counter()

    def processed(self, agent: str, topic: str, started: float, record: Mapping[str, Any] | None) -> None:
        """One event of ``topic`` through ``agent``: count it, time it, and its age (``occurred_at``)."""
        self.events.labels(agent).inc()
        self.events_in.labels(topic).inc()
        self.latency.labels(agent).observe(time.perf_counter() - started)
        occurred = record.get("occurred_at") if record is not None else None
        if isinstance(occurred, dt.datetime):
            self.end_to_end.labels(agent).observe(
                max(0.0, (dt.datetime.now(dt.UTC) - occurred).total_seconds())
            )
