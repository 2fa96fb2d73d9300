"""Replay a window of retained topics into one sink or into another topic (Kafka I/O).

Windows are resolved once, at start (`resolve_windows`): ``offsets_for_times`` for date-times, the
watermarks for open ends. Into a sink, the records go through `BoundedRun` (the one sink
runtime: same batching, retries, circuit breaker and dead letters) in a shadow consumer group, so the
live group keeps running; into a topic, they are copied as they are (key, value, headers) plus
``supplystream.replayed.from``, and the shadow group commits only what Kafka acknowledged.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from sinks.base import SinkAdapter
from sinks.metrics import SinkMetrics
from sinks.routes import SinkRoutes
from sinks.runtime import RunSummary
from supplystream.clients import make_consumer, make_producer
from supplystream.errors import (
    ClusterError,
    DeliveryError,
    DeserializationError,
    RegistryError,
    SupplyStreamError,
)
from supplystream.kafka_io import DeliveryFailures, flush_or_raise, produce_with_backpressure
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings, SinkSettings
from supplystream_app.operations.bounded import BoundedRun
from supplystream_app.operations.window import (
    Pace,
    PartitionWindow,
    clamp_window,
    epoch_millis,
    offset_for_time,
)

REPLAYED_FROM = "supplystream.replayed.from"
Bound = dt.datetime | int | None


class ReplayError(SupplyStreamError):
    """A replay could not finish safely; what it applied is committed in its shadow group."""


@dataclass(frozen=True, slots=True)
class Sample:
    """A record of the window, decoded for reading."""

    topic: str
    partition: int
    offset: int
    key: str | None
    event: dict[str, Any] | None
    note: str = ""

    def as_text(self) -> str:
        body = json.dumps(self.event, default=str, sort_keys=True) if self.event is not None else self.note
        return f"{self.topic}[{self.partition}]@{self.offset} key={self.key}  {body}"


@dataclass
class CopySummary:
    """What a replay into a topic did."""

    copied: int = 0
    per_partition: dict[str, int] = field(default_factory=dict)


def partitions_of(
    consumer: Consumer, topics: Sequence[str], only: Sequence[int] | None
) -> list[TopicPartition]:
    """The partitions of ``topics`` (only those numbered in ``only``, if given)."""
    metadata = consumer.list_topics(timeout=10)
    found: list[TopicPartition] = []
    for topic in topics:
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            raise ClusterError(f"topic {topic!r} does not exist: check the name (`supplystream catalog`)")
        numbers = sorted(described.partitions)
        if only:
            missing = sorted(set(only) - set(numbers))
            if missing:
                raise ClusterError(f"topic {topic!r} has partitions {numbers}, not {missing}")
            numbers = [n for n in numbers if n in only]
        found.extend(TopicPartition(topic, n) for n in numbers)
    return found


def resolve_windows(
    consumer: Consumer,
    partitions: Sequence[TopicPartition],
    start: Bound,
    end: Bound,
    *,
    start_at_committed: bool = False,
) -> list[PartitionWindow]:
    """Each partition's window ``[start, end)``: date-times via ``offsets_for_times``, offsets clamped to
    what is retained, ``None`` = the low watermark (or the group's committed offset when
    ``start_at_committed``) and the high watermark captured now."""
    committed: dict[tuple[str, int], int] = {}
    if start_at_committed and start is None:
        committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(list(partitions), 10)}
    windows: list[PartitionWindow] = []
    for tp in partitions:
        low, high = consumer.get_watermark_offsets(tp, timeout=10, cached=False)
        position = (tp.topic, tp.partition)
        first = _offset(consumer, tp, start, high)
        if first is None and committed.get(position, -1) >= 0:
            first = committed[position]
        windows.append(
            clamp_window(tp.topic, tp.partition, low, high, start=first, end=_offset(consumer, tp, end, high))
        )
    return windows


def _offset(consumer: Consumer, tp: TopicPartition, bound: Bound, high: int) -> int | None:
    if bound is None or isinstance(bound, int):
        return bound
    [found] = consumer.offsets_for_times([TopicPartition(tp.topic, tp.partition, epoch_millis(bound))], 10)
    if found.error is not None:
        raise ClusterError(f"offsets_for_times on {tp.topic}[{tp.partition}]: {found.error}")
    return offset_for_time(found.offset, high)


def window_consumer(settings: Settings, group_id: str) -> Consumer:
    """A consumer in ``group_id`` that reports the end of each partition."""
    return make_consumer(settings, group_id, **{"enable.partition.eof": True})


def sample_windows(settings: Settings, windows: Sequence[PartitionWindow], limit: int) -> list[Sample]:
    """The first ``limit`` records of the windows, decoded (nothing is committed)."""
    samples: list[Sample] = []
    if limit <= 0:
        return samples
    consumer = make_consumer(
        settings, f"supplystream.sample.{time.monotonic_ns()}", **{"enable.partition.eof": True}
    )
    registry = SchemaRegistry.from_settings(settings)
    decode = AvroDeserializer(registry)
    try:
        for window in windows:
            if window.size == 0 or len(samples) >= limit:
                continue
            consumer.assign([TopicPartition(window.topic, window.partition, window.start)])
            samples.extend(decoded(m, decode) for m in read_window(consumer, window, limit - len(samples)))
            consumer.unassign()
    finally:
        consumer.close()
        registry.close()
    return samples


def read_window(
    consumer: Consumer, window: PartitionWindow, limit: int, timeout_s: float = 10.0
) -> list[Message]:
    """Up to ``limit`` records of ``window`` from ``consumer`` (assigned at the window's start, reporting
    partition ends): stops at the window's end, the end of the partition or after ``timeout_s``."""
    found: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(found) < limit and time.monotonic() < deadline:
        for message in consumer.consume(min(limit, 500), 0.5):
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    return found
                continue
            if (message.offset() or 0) >= window.end:
                return found
            found.append(message)
    return found[:limit]


def decoded(message: Message, decode: AvroDeserializer) -> Sample:
    key = message.key()
    value = message.value()
    event: dict[str, Any] | None = None
    note = "tombstone" if value is None else ""
    if value is not None:
        try:
            event = dict(decode(value))
        except (DeserializationError, RegistryError) as exc:
            note = f"not decodable: {exc}"
    return Sample(
        message.topic() or "",
        message.partition() or 0,
        message.offset() or 0,
        key.decode("utf-8", "replace") if key is not None else None,
        event,
        note,
    )


def copy_windows(
    settings: Settings,
    windows: Sequence[PartitionWindow],
    to_topic: str,
    group_id: str,
    *,
    rate: float | None = None,
    stop: threading.Event | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> CopySummary:
    """Copy the windows' records to ``to_topic`` (same key, value and headers, plus where they came from);
    the shadow group commits each batch after Kafka acknowledged it."""
    summary = CopySummary()

    def copy(producer: Producer, batch: list[Message]) -> None:
        _produce_acknowledged(producer, to_topic, batch)
        summary.copied += len(batch)
        for message in batch:
            label = f"{message.topic()}[{message.partition()}]"
            summary.per_partition[label] = summary.per_partition.get(label, 0) + 1

    pace = Pace(rate, time.monotonic()) if rate else None
    produce_windows(
        settings, group_id, windows, copy, batch_size=1000, pace=pace, stop=stop, on_progress=on_progress
    )
    return summary


def produce_windows(
    settings: Settings,
    group_id: str,
    windows: Sequence[PartitionWindow],
    produce: Callable[[Producer, list[Message]], None],
    *,
    batch_size: int,
    pace: Pace | None = None,
    stop: threading.Event | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """The bounded loop of a copy or a re-drive: read the windows in ``group_id`` batch by batch (at
    ``pace``) until each is read or ``stop`` is set; ``produce(producer, batch)`` returns once Kafka
    acknowledged what it produced, then the group commits the batch; ``on_progress(records)`` after."""
    stop = stop or threading.Event()
    pending = {(w.topic, w.partition): w for w in windows if w.size > 0}
    consumer = window_consumer(settings, group_id)
    producer = make_producer(settings, **{"linger.ms": 5})
    try:
        consumer.assign([TopicPartition(t, p, w.start) for (t, p), w in sorted(pending.items())])
        while pending and not stop.is_set():
            wanted = batch_size if pace is None else pace.batch(batch_size)
            if pace is not None and stop.wait(pace.wait_before(time.monotonic())):
                break
            batch = next_batch(consumer, pending, wanted)
            if pace is not None:
                pace.release(len(batch))
            produce(producer, batch)
            commit_batch(consumer, batch)
            if on_progress is not None and batch:
                on_progress(len(batch))
    finally:
        producer.flush(30)
        consumer.close()


def next_batch(
    consumer: Consumer, pending: dict[tuple[str, int], PartitionWindow], wanted: int
) -> list[Message]:
    """Up to ``wanted`` records inside the ``pending`` windows (``consumer`` assigned at their starts,
    reporting partition ends); a window reaching its end or its partition's end leaves ``pending``."""
    batch: list[Message] = []
    for message in consumer.consume(wanted, 0.5):
        position = (message.topic() or "", message.partition() or 0)
        error = message.error()
        window = pending.get(position)
        if window is None:
            continue
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                pending.pop(position)
            continue
        if (message.offset() or 0) >= window.end:
            pending.pop(position)
            continue
        batch.append(message)
        if (message.offset() or 0) + 1 >= window.end:
            pending.pop(position)
    return batch


def _produce_acknowledged(producer: Producer, to_topic: str, batch: Sequence[Message]) -> None:
    failures = DeliveryFailures()
    for message in batch:
        raw = message.headers() or []
        pairs = raw.items() if isinstance(raw, dict) else raw
        headers: list[tuple[str, str | bytes | None]] = [(n, v) for n, v in pairs if n != REPLAYED_FROM]
        headers.append(
            (REPLAYED_FROM, f"{message.topic()}@{message.partition()}:{message.offset()}".encode())
        )
        produce_with_backpressure(
            producer, to_topic, message.value(), key=message.key(), headers=headers, on_delivery=failures
        )
    try:
        flush_or_raise(producer, 30, failures=failures, what=f"records on {to_topic}")
    except DeliveryError as exc:
        raise ReplayError(
            f"{exc}; the shadow group committed only what was acknowledged before: run the replay again "
            "(from its window) after checking the topic exists"
        ) from exc


def commit_batch(consumer: Consumer, batch: Sequence[Message]) -> None:
    """Commit, per partition, the offset after the batch's last record."""
    ends: dict[tuple[str, int], int] = {}
    for message in batch:
        ends[(message.topic() or "", message.partition() or 0)] = (message.offset() or 0) + 1
    if ends:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in sorted(ends.items())], asynchronous=False
        )


def replay_into_sink(
    settings: Settings,
    adapter: SinkAdapter,
    windows: Sequence[PartitionWindow],
    *,
    group_id: str,
    dead_letter_topic: str,
    config: SinkSettings | None = None,
    metrics: SinkMetrics | None = None,
    rate: float | None = None,
    stop: threading.Event | None = None,
    on_step: Callable[[BoundedRun], None] | None = None,
) -> RunSummary:
    """Apply the windows with ``adapter`` through the sink runtime in the shadow group ``group_id``."""
    topics = tuple(sorted({w.topic for w in windows}))
    routes = SinkRoutes(adapter.name, group_id, topics, dead_letter_topic)
    run = BoundedRun(
        adapter, settings, routes=routes, windows=windows, config=config, metrics=metrics, rate=rate
    )
    try:
        run.run_to_end(stop or threading.Event(), on_step)
        if not run.finished:
            raise ReplayError(
                f"the replay stopped before the end ({run.done:,} of {run.total:,} offsets); what "
                f"was applied is committed in group {group_id}"
            )
        return run.summary
    finally:
        run.close()
