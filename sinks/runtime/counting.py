"""What a sink run counts: the `RunSummary` it returns and the Prometheus metrics, updated together.

Everything the other modules count goes through `Tally`, so the summary and the metrics never disagree.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from confluent_kafka import Message

from sinks.base import SinkRecord
from sinks.metrics import SinkMetrics


@dataclass
class RunSummary:
    """What a run did (printed by `supplystream sinks run`, asserted by tests)."""

    consumed: int = 0
    applied: int = 0
    dead_lettered: int = 0
    retried: int = 0
    skipped_tombstones: int = 0
    batches: int = 0
    circuit_opened: int = 0
    #: Times a record was deferred (it waited for a record not applied yet; see `sinks.runtime.deferrals`).
    deferred: int = 0
    per_topic: dict[str, int] = field(default_factory=dict)


class Tally:
    """Counts one sink's run into its summary and its metrics."""

    def __init__(self, name: str, metrics: SinkMetrics, summary: RunSummary) -> None:
        self.name = name
        self.metrics = metrics
        self.summary = summary

    def batch(self, messages: Sequence[Message]) -> None:
        self.summary.batches += 1
        self.summary.consumed += len(messages)
        self.metrics.batch_size.labels(self.name).observe(len(messages))
        per_topic: dict[str, int] = {}
        for message in messages:
            per_topic[message.topic() or ""] = per_topic.get(message.topic() or "", 0) + 1
        for topic, count in per_topic.items():
            self.metrics.consumed.labels(self.name, topic).inc(count)

    def applied(self, records: Sequence[SinkRecord]) -> None:
        now_ms = time.time() * 1000
        applied = self.metrics.applied
        latency = self.metrics.end_to_end_latency
        for topic, group in _by_topic(records):
            applied.labels(self.name, topic).inc(len(group))
            self.summary.per_topic[topic] = self.summary.per_topic.get(topic, 0) + len(group)
            child = latency.labels(self.name, topic)
            for record in group:
                occurred = record.event.get("occurred_at")
                if isinstance(occurred, dt.datetime):
                    child.observe(max(0.0, (now_ms - occurred.timestamp() * 1000) / 1000))
        self.summary.applied += len(records)

    def retried(self, records: Sequence[SinkRecord]) -> None:
        for topic, group in _by_topic(records):
            self.metrics.retried.labels(self.name, topic).inc(len(group))
        self.summary.retried += len(records)

    def deferred(self, topic: str) -> None:
        self.metrics.deferred.labels(self.name, topic).inc()
        self.summary.deferred += 1

    def client_error(self, kind: str) -> None:
        self.metrics.client_errors.labels(self.name, kind).inc()

    def write_took(self, seconds: float) -> None:
        self.metrics.apply_latency.labels(self.name).observe(seconds)

    def circuit(self, is_open: bool) -> None:
        """The circuit gauge; an opening also counts in the summary."""
        self.metrics.circuit_state.labels(self.name).set(1 if is_open else 0)
        if is_open:
            self.summary.circuit_opened += 1


def _by_topic(records: Sequence[SinkRecord]) -> Iterator[tuple[str, list[SinkRecord]]]:
    groups: dict[str, list[SinkRecord]] = {}
    for record in records:
        groups.setdefault(record.topic, []).append(record)
    return iter(groups.items())
