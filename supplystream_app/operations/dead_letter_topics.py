"""Dead-letter topics: list them with counts, read them decoded, re-drive them (Kafka I/O).

A re-drive reads the dead-letter topic from where the previous re-drive of the same selection stopped
(its consumer group, `redrive_group`) to the end captured at start, or an explicit offset range. To the
original topic: each selected record is produced back with `redriven_headers`, and the group commits a
batch only after Kafka acknowledged all of it. Into the sink: through `BoundedRun` (the one sink
runtime); what fails again is dead-lettered again (to the same topic, with its origin kept) before the
group commits. Either way nothing is lost when a re-drive fails halfway: the uncommitted rest is read
again by the next re-drive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from confluent_kafka import Message, Producer, TopicPartition

from sinks.base import SinkAdapter
from sinks.metrics import SinkMetrics
from sinks.routes import SinkRoutes
from supplystream.clients import make_consumer
from supplystream.dead_letters import HEADER_PREFIX
from supplystream.errors import ClusterError, DeliveryError
from supplystream.kafka_io import DeliveryFailures, flush_or_raise, header_map, produce_with_backpressure
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings, SinkSettings
from supplystream.topics.catalog import TopicCatalog
from supplystream_app.operations.bounded import BoundedRun, OriginalTopicAdapter, keep_origin
from supplystream_app.operations.redrive import RedriveFilter, origin_of, redrive_group, redriven_headers
from supplystream_app.operations.replay import (
    ReplayError,
    Sample,
    decoded,
    partitions_of,
    produce_windows,
    read_window,
    resolve_windows,
    window_consumer,
)
from supplystream_app.operations.window import PartitionWindow


@dataclass(frozen=True, slots=True)
class DeadLetterTopic:
    """A consumer's dead-letter topic and how many records it holds (``None``: not created)."""

    consumer: str
    topic: str
    records: int | None


@dataclass(frozen=True, slots=True)
class ShownLetter:
    """A dead letter, decoded, with its ``supplystream.error.*`` headers."""

    sample: Sample
    errors: dict[str, str]
    headers: dict[str, str]


@dataclass
class RedriveSummary:
    """What a re-drive did."""

    group_id: str
    windows: list[PartitionWindow]
    redriven: int = 0
    skipped: int = 0
    dead_lettered_again: int = 0
    per_topic: dict[str, int] = field(default_factory=dict)


def dead_letter_topics(settings: Settings, catalog: TopicCatalog) -> list[DeadLetterTopic]:
    """Every consumer's dead-letter topic in topics.yaml, with its record count (high - low watermarks)."""
    consumer = make_consumer(settings, f"supplystream.dlq.list.{time.monotonic_ns()}")
    try:
        known = consumer.list_topics(timeout=10).topics
        found: list[DeadLetterTopic] = []
        for name in catalog.consumers():
            topic = catalog.dead_letters.topic_for(name)
            described = known.get(topic)
            if described is None or described.error is not None:
                found.append(DeadLetterTopic(name, topic, None))
                continue
            count = 0
            for partition in sorted(described.partitions):
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), 10, cached=False)
                count += max(0, high - low)
            found.append(DeadLetterTopic(name, topic, count))
        return found
    finally:
        consumer.close()


def show_dead_letters(
    settings: Settings, topic: str, *, limit: int, offset: int | None, partitions: Sequence[int] | None
) -> list[ShownLetter]:
    """Up to ``limit`` dead letters of ``topic`` from ``offset`` (per partition; default the oldest)."""
    consumer = make_consumer(settings, f"supplystream.dlq.show.{time.monotonic_ns()}")
    registry = SchemaRegistry.from_settings(settings)
    decode = AvroDeserializer(registry)
    shown: list[ShownLetter] = []
    try:
        windows = resolve_windows(consumer, partitions_of(consumer, [topic], partitions), offset, None)
        for window in windows:
            if window.size == 0 or len(shown) >= limit:
                continue
            for message in _read_window(settings, window, limit - len(shown)):
                headers = header_map(message)
                text = {n: v.decode("utf-8", "replace") for n, v in headers.items()}
                errors = {n[len(HEADER_PREFIX) :]: v for n, v in text.items() if n.startswith(HEADER_PREFIX)}
                others = {n: v for n, v in text.items() if not n.startswith(HEADER_PREFIX)}
                shown.append(ShownLetter(decoded(message, decode), errors, others))
    finally:
        consumer.close()
        registry.close()
    return shown


def _read_window(settings: Settings, window: PartitionWindow, limit: int) -> list[Message]:
    consumer = window_consumer(settings, f"supplystream.dlq.read.{time.monotonic_ns()}")
    try:
        consumer.assign([TopicPartition(window.topic, window.partition, window.start)])
        return read_window(consumer, window, limit, timeout_s=15)
    finally:
        consumer.close()


def redrive_windows(
    settings: Settings,
    topic: str,
    selection: RedriveFilter,
    *,
    from_offset: int | None = None,
    to_offset: int | None = None,
    partitions: Sequence[int] | None = None,
) -> tuple[str, list[PartitionWindow]]:
    """The re-drive's group and windows: from its committed offsets (or ``from_offset``) to the end now
    (or ``to_offset``, inclusive)."""
    group = redrive_group(topic, selection, explicit_start=from_offset is not None)
    consumer = make_consumer(settings, group)
    try:
        found = partitions_of(consumer, [topic], partitions)
        end = None if to_offset is None else to_offset + 1
        windows = resolve_windows(consumer, found, from_offset, end, start_at_committed=True)
    finally:
        consumer.close()
    return group, windows


def redrive_to_original(
    settings: Settings,
    topic: str,
    selection: RedriveFilter,
    group_id: str,
    windows: Sequence[PartitionWindow],
    *,
    stop: threading.Event | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> RedriveSummary:
    """Produce the selected dead letters back to their original topics; commit after Kafka's acks."""
    summary = RedriveSummary(group_id, list(windows))

    def send_back(producer: Producer, batch: list[Message]) -> None:
        chosen = [m for m in batch if selection.matches(header_map(m))]
        summary.skipped += len(batch) - len(chosen)
        _send_back(producer, topic, chosen, summary)

    produce_windows(
        settings, group_id, windows, send_back, batch_size=500, stop=stop, on_progress=on_progress
    )
    return summary


def _send_back(producer: Producer, topic: str, chosen: Sequence[Message], summary: RedriveSummary) -> None:
    failures = DeliveryFailures()
    for message in chosen:
        headers = header_map(message)
        origin = origin_of(headers)
        out = redriven_headers(headers, topic, message.partition() or 0, message.offset() or 0)
        produce_with_backpressure(
            producer, origin.topic, message.value(), key=message.key(), headers=out, on_delivery=failures
        )
        summary.per_topic[origin.topic] = summary.per_topic.get(origin.topic, 0) + 1
    try:
        flush_or_raise(producer, 30, failures=failures, what="re-driven records")
    except DeliveryError as exc:
        raise ReplayError(
            f"{exc}; nothing of this batch was marked as re-driven: run `supplystream dlq redrive` again "
            "(the sinks apply duplicates idempotently)"
        ) from exc
    summary.redriven += len(chosen)


def redrive_into_sink(
    settings: Settings,
    topic: str,
    adapter: SinkAdapter,
    *,
    selection: RedriveFilter,
    group_id: str,
    windows: Sequence[PartitionWindow],
    config: SinkSettings | None = None,
    metrics: SinkMetrics | None = None,
    stop: threading.Event | None = None,
    on_step: Callable[[BoundedRun], None] | None = None,
) -> RedriveSummary:
    """Apply the selected dead letters of ``topic`` with ``adapter`` through the sink runtime; those
    that fail again go back to ``topic`` (with their origin) before the group commits."""
    wrapped = OriginalTopicAdapter(adapter, selection.matches)
    routes = SinkRoutes(adapter.name, group_id, (topic,), topic)
    summary = RedriveSummary(group_id, list(windows))
    run = BoundedRun(
        wrapped,
        settings,
        routes=routes,
        windows=windows,
        config=config,
        metrics=metrics,
        transform=keep_origin,
    )
    try:
        run.run_to_end(stop or threading.Event(), on_step)
        if not run.finished:
            raise ReplayError(
                f"the re-drive of {topic} stopped before the end ({run.done:,} of {run.total:,}); "
                "what was applied is committed: run it again to go on"
            )
        result = run.summary
    finally:
        run.close()
    summary.skipped = wrapped.skipped
    summary.redriven = result.applied - wrapped.skipped
    summary.dead_lettered_again = result.dead_lettered
    return summary


def check_is_dead_letter_topic(catalog: TopicCatalog, topic: str) -> None:
    """Refuse topics that are not a consumer's dead-letter topic (a re-drive of a live topic loops)."""
    expected = {catalog.dead_letters.topic_for(c) for c in catalog.consumers()}
    if topic not in expected:
        raise ClusterError(
            f"{topic!r} is not a dead-letter topic of topics.yaml ({', '.join(sorted(expected))}); "
            "see `supplystream dlq list`"
        )


def by_partition(summary_windows: Sequence[PartitionWindow]) -> Mapping[str, int]:
    """Offsets per partition label, for printing."""
    return {w.label: w.size for w in summary_windows}
