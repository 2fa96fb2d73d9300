"""Prometheus metrics of the sink runtime, labelled by sink and topic."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_E2E_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
_BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


@dataclass(frozen=True)
class SinkMetrics:
    """The families; children are labelled ``sink`` (and ``topic`` where it applies)."""

    consumed: Counter
    applied: Counter
    retried: Counter
    dead_lettered: Counter
    deferred: Counter
    batch_size: Histogram
    apply_latency: Histogram
    end_to_end_latency: Histogram
    circuit_state: Gauge
    client_errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> SinkMetrics:
        """Register the families in ``registry``."""
        return cls(
            consumed=Counter(
                "supplystream_sink_consumed",
                "Records read from the sink's input topics.",
                ["sink", "topic"],
                registry=registry,
            ),
            applied=Counter(
                "supplystream_sink_applied",
                "Events applied to the sink's target.",
                ["sink", "topic"],
                registry=registry,
            ),
            retried=Counter(
                "supplystream_sink_retried",
                "Event applications retried after a transient error.",
                ["sink", "topic"],
                registry=registry,
            ),
            dead_lettered=Counter(
                "supplystream_sink_dead_lettered",
                "Events sent to the dead-letter topic.",
                ["sink", "topic", "error"],
                registry=registry,
            ),
            deferred=Counter(
                "supplystream_sink_deferred",
                "Records the target could not apply yet (they wait for an earlier record): retried later.",
                ["sink", "topic"],
                registry=registry,
            ),
            batch_size=Histogram(
                "supplystream_sink_batch_size",
                "Records per consumed batch.",
                ["sink"],
                registry=registry,
                buckets=_BATCH_BUCKETS,
            ),
            apply_latency=Histogram(
                "supplystream_sink_apply_seconds",
                "Time one adapter write (a batch or a single record) took.",
                ["sink"],
                registry=registry,
                buckets=_LATENCY_BUCKETS,
            ),
            end_to_end_latency=Histogram(
                "supplystream_sink_end_to_end_seconds",
                "From the event's occurred_at to its application in the target.",
                ["sink", "topic"],
                registry=registry,
                buckets=_E2E_BUCKETS,
            ),
            circuit_state=Gauge(
                "supplystream_sink_circuit_open",
                "1 while the target is unreachable and the sink's partitions are paused, else 0.",
                ["sink"],
                registry=registry,
            ),
            client_errors=Counter(
                "supplystream_sink_client_errors",
                "Errors reported by the Kafka consumer (librdkafka retries them) or the schema registry.",
                ["sink", "error"],
                registry=registry,
            ),
        )


@cache
def process_metrics() -> SinkMetrics:
    """The families in the process-wide registry (served on /metrics), created once."""
    return SinkMetrics.create(REGISTRY)
