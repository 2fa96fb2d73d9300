"""Consumer group lag: records behind and time behind, per partition.

Lag is the end offset minus the committed offset (a partition without a committed offset counts from its
low watermark, where the group would start). Time lag is how old the first record the group has not
processed is: now minus the timestamp of the record at the committed offset; 0 when caught up.

`LagReader` reads it from the cluster with long-lived clients (without joining the group);
`read_group_lag` is one reading; `LagSampler` keeps the gauges
``supplystream_consumer_lag`` and ``supplystream_consumer_time_lag_seconds`` up to date in a process.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry, Counter, Gauge

from supplystream.clients import make_consumer
from supplystream.errors import ClientUsageError, ClusterError
from supplystream.settings import Settings

log = logging.getLogger("supplystream.lag")

Position = tuple[str, int]


@dataclass(frozen=True)
class PartitionLag:
    """Where one group stands on one partition."""

    group: str
    topic: str
    partition: int
    #: The group's committed offset; None when it never committed on this partition.
    committed: int | None
    low: int
    end: int
    #: Timestamp (ms) of the first record the group has not processed; None when caught up or unknown.
    pending_timestamp_ms: int | None = None

    @property
    def lag(self) -> int:
        return lag_of(self.committed, self.low, self.end)

    def time_lag_s(self, now_ms: int) -> float | None:
        return time_lag_of(self.lag, self.pending_timestamp_ms, now_ms)


_COORDINATOR_MOVING = frozenset(
    {
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    }
)


def _coordinator_moving(exc: KafkaException) -> bool:
    error = exc.args[0] if exc.args else None
    return isinstance(error, KafkaError) and (error.code() in _COORDINATOR_MOVING or error.retriable())


def lag_of(committed: int | None, low: int, end: int) -> int:
    """Records after the committed offset (or after the low watermark when nothing is committed)."""
    start = committed if committed is not None and committed >= 0 else low
    return max(0, end - max(start, low))


def time_lag_of(lag: int, pending_timestamp_ms: int | None, now_ms: int) -> float | None:
    """Seconds since the first unprocessed record was written; 0 when caught up, None when unknown."""
    if lag == 0:
        return 0.0
    if pending_timestamp_ms is None or pending_timestamp_ms < 0:
        return None
    return max(0.0, (now_ms - pending_timestamp_ms) / 1000)


def totals(lags: Iterable[PartitionLag]) -> dict[str, int]:
    """Lag per group."""
    result: dict[str, int] = {}
    for item in lags:
        result[item.group] = result.get(item.group, 0) + item.lag
    return result


# -- reading the cluster --------------------------------------------------------------------------
#
# Committed offsets are read with a consumer bound to the group (`Consumer.committed`), never with
# `AdminClient.list_consumer_group_offsets`: librdkafka's OffsetFetch response handler, on a
# coordinator error (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE: a young cluster, a group being
# created, a broker restarting), re-queries the coordinator through the client's consumer group,
# which an admin client does not have: `rd_kafka_cgrp_op(rk->rk_cgrp = NULL, ...)` in rdk:main, a
# segmentation fault of the whole process (src/rdkafka_request.c, rd_kafka_handle_OffsetFetch; still
# so in librdkafka 2.16). A consumer has a group handle, so the same error only means "retry".


def list_groups(admin: AdminClient, timeout_s: float = 10.0) -> list[str]:
    """Every consumer group the cluster knows, sorted."""
    try:
        listed = admin.list_consumer_groups(request_timeout=timeout_s).result()
    except KafkaException as exc:
        raise ClusterError(f"cannot list consumer groups: {exc}; is Kafka reachable?") from exc
    return sorted(group.group_id for group in listed.valid)


def partitions_of(consumer: Consumer, topics: Sequence[str], timeout_s: float = 10.0) -> list[Position]:
    """Every partition of ``topics``; `ClusterError` for a topic that does not exist."""
    metadata = consumer.list_topics(timeout=timeout_s)
    positions: list[Position] = []
    for topic in topics:
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            raise ClusterError(f"topic {topic!r} does not exist: check the name (`supplystream catalog`)")
        positions.extend((topic, p) for p in sorted(described.partitions))
    return positions


def every_partition(consumer: Consumer, timeout_s: float = 10.0) -> list[Position]:
    """Every partition of every topic but Kafka's internal ones (``__consumer_offsets``, ...)."""
    metadata = consumer.list_topics(timeout=timeout_s)
    return sorted(
        (name, p)
        for name, described in metadata.topics.items()
        if not name.startswith("__") and described.error is None
        for p in described.partitions
    )


def first_timestamps(
    consumer: Consumer, offsets: Mapping[Position, int], timeout_s: float = 5.0
) -> dict[Position, int]:
    """Timestamp (ms) of the record at (or first after) each offset; partitions that return nothing
    within ``timeout_s`` are left out. ``consumer`` must not be subscribed: it is assigned here."""
    if not offsets:
        return {}
    consumer.assign([TopicPartition(t, p, o) for (t, p), o in offsets.items()])
    found: dict[Position, int] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < len(offsets) and time.monotonic() < deadline:
            for message in consumer.consume(500, 0.2):
                if message.error() is not None:
                    continue
                position = (message.topic() or "", message.partition() or 0)
                if position not in found:
                    found[position] = message.timestamp()[1]
                    consumer.pause([TopicPartition(*position)])
    finally:
        consumer.unassign()
    return found


def read_committed(
    consumer: Consumer, positions: Sequence[Position], group: str, timeout_s: float = 10.0
) -> dict[Position, int]:
    """The committed offsets of ``consumer``'s group (``group``, for messages) on ``positions``, only
    where it committed; retried while the group coordinator moves."""
    if not positions:
        return {}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            found = consumer.committed(
                [TopicPartition(t, p) for t, p in positions], timeout=max(0.5, deadline - time.monotonic())
            )
            break
        except KafkaException as exc:
            # A group coordinator moving or loading (a new cluster, a broker restart) answers
            # "not coordinator": the next call finds the new one.
            if not _coordinator_moving(exc) or time.monotonic() >= deadline:
                raise ClusterError(f"cannot read the offsets of group {group!r}: {exc}") from exc
            time.sleep(0.2)
    return {(tp.topic, tp.partition): tp.offset for tp in found if tp.error is None and tp.offset >= 0}


def committed_lag(
    consumer: Consumer, group: str, topics: Sequence[str], timeout_s: float = 10.0
) -> dict[Position, int]:
    """`lag_of` per partition of ``topics`` for ``group``, read with ``consumer``, a client of that group
    (a sink's own consumer: no other client is created)."""
    positions = partitions_of(consumer, topics, timeout_s)
    committed = read_committed(consumer, positions, group, timeout_s)
    lags: dict[Position, int] = {}
    for position in positions:
        low, high = consumer.get_watermark_offsets(TopicPartition(*position), timeout=timeout_s, cached=False)
        lags[position] = lag_of(committed.get(position), low, high)
    return lags


class LagReader:
    """Reads consumer groups' positions and lag with long-lived clients, joining no group.

    One consumer outside any group reads metadata, watermarks and record timestamps; one consumer
    bound to each group read (created on first use, reused) reads its committed offsets. Sampling
    every second therefore creates no client. librdkafka clients are not shared between threads here:
    a reader is used and closed (once, `close` or ``with``) by the thread that created it.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._owner = threading.get_ident()
        self._closed = False
        self._reader = make_consumer(
            settings, f"supplystream.lag-reader.{uuid.uuid4().hex[:8]}", **{"enable.partition.eof": False}
        )
        self._groups: dict[str, Consumer] = {}

    def __enter__(self) -> LagReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _check(self) -> None:
        if self._closed:
            msg = "this LagReader is closed: create a new one"
            raise ClientUsageError(msg)
        if threading.get_ident() != self._owner:
            msg = "a LagReader is used only by the thread that created it: create one per thread"
            raise ClientUsageError(msg)

    def _group_consumer(self, group: str) -> Consumer:
        consumer = self._groups.get(group)
        if consumer is None:
            # Bound to the group to read its offsets; never subscribes, so it never joins or commits.
            consumer = make_consumer(self._settings, group, **{"enable.auto.commit": False})
            self._groups[group] = consumer
        return consumer

    def committed(
        self, group: str, topics: Sequence[str] = (), timeout_s: float = 10.0
    ) -> dict[Position, int]:
        """The group's committed offset per partition of ``topics`` (default: of every topic), only
        where it committed."""
        self._check()
        positions = partitions_of(self._reader, topics) if topics else every_partition(self._reader)
        return read_committed(self._group_consumer(group), positions, group, timeout_s)

    def watermarks(self, position: Position, timeout_s: float = 10.0) -> tuple[int, int]:
        """(low, high) of one partition, asked of its leader."""
        self._check()
        low, high = self._reader.get_watermark_offsets(
            TopicPartition(*position), timeout=timeout_s, cached=False
        )
        return low, high

    def end_offsets(self, topics: Sequence[str], timeout_s: float = 5.0) -> dict[str, int]:
        """Sum of the end offsets of each existing topic of ``topics`` (records ever written)."""
        self._check()
        metadata = self._reader.list_topics(timeout=timeout_s)
        ends: dict[str, int] = {}
        for topic in topics:
            described = metadata.topics.get(topic)
            if described is None or described.error is not None:
                continue
            ends[topic] = sum(self.watermarks((topic, p), timeout_s)[1] for p in described.partitions)
        return ends

    def group_lag(
        self, group: str, topics: Sequence[str] = (), *, with_time_lag: bool = True
    ) -> list[PartitionLag]:
        """The group's lag on every partition it committed on, plus every partition of ``topics``."""
        committed = self.committed(group, topics)
        positions = sorted(set(committed) | set(partitions_of(self._reader, topics) if topics else ()))
        lags = [
            PartitionLag(
                group,
                topic,
                partition,
                committed.get((topic, partition)),
                *self.watermarks((topic, partition)),
            )
            for topic, partition in positions
        ]
        if not with_time_lag:
            return lags
        pending = {(x.topic, x.partition): max(x.committed or x.low, x.low) for x in lags if x.lag > 0}
        stamps = first_timestamps(self._reader, pending)
        return [replace(x, pending_timestamp_ms=stamps.get((x.topic, x.partition))) for x in lags]

    def close(self) -> None:
        """Close every client (idempotent; on the owning thread)."""
        if self._closed:
            return
        if threading.get_ident() != self._owner:
            msg = "a LagReader is closed by the thread that created it"
            raise ClientUsageError(msg)
        self._closed = True
        for consumer in [self._reader, *self._groups.values()]:
            consumer.close()
        self._groups.clear()


def committed_offsets(settings: Settings, group: str, topics: Sequence[str] = ()) -> dict[Position, int]:
    """One reading of a group's committed offsets (see `LagReader.committed`)."""
    with LagReader(settings) as reader:
        return reader.committed(group, topics)


def read_group_lag(
    settings: Settings, group: str, topics: Sequence[str] = (), *, with_time_lag: bool = True
) -> list[PartitionLag]:
    """One reading of a group's lag (a `LagReader` for one call; loops keep a `LagReader` instead)."""
    with LagReader(settings) as reader:
        return reader.group_lag(group, topics, with_time_lag=with_time_lag)


def partition_lags(settings: Settings, group: str, topics: Sequence[str]) -> dict[Position, int]:
    """One reading of ``group``'s lag per partition of ``topics`` (and wherever it committed), without
    the time lag: `read_group_lag` as a mapping."""
    lags = read_group_lag(settings, group, topics, with_time_lag=False)
    return {(x.topic, x.partition): x.lag for x in lags}


# -- the gauges -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LagMetrics:
    """Lag gauges of the groups a process consumes in, and the sampler's failures."""

    lag: Gauge
    time_lag: Gauge
    sample_errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> LagMetrics:
        labels = ["group", "topic", "partition"]
        return cls(
            lag=Gauge(
                "supplystream_consumer_lag",
                "Records after the group's committed offset.",
                labels,
                registry=registry,
            ),
            time_lag=Gauge(
                "supplystream_consumer_time_lag_seconds",
                "Age of the first record the group has not processed (0 when caught up).",
                labels,
                registry=registry,
            ),
            sample_errors=Counter(
                "supplystream_consumer_lag_sample_errors",
                "Lag samples that failed (Kafka unreachable).",
                ["group"],
                registry=registry,
            ),
        )


@cache
def lag_metrics(registry: CollectorRegistry) -> LagMetrics:
    """The lag families of ``registry``, registered once."""
    return LagMetrics.create(registry)


class LagSampler:
    """Samples a group's lag every ``interval_s`` on a daemon thread and sets the gauges."""

    def __init__(
        self,
        settings: Settings,
        group: str,
        topics: Sequence[str],
        registry: CollectorRegistry,
        interval_s: float = 15.0,
    ) -> None:
        self._settings = settings
        self._group = group
        self._topics = list(topics)
        self._metrics = lag_metrics(registry)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lag-{group}", daemon=True)
        #: time.monotonic() of the last successful sample.
        self.last_sample: float | None = None

    def start(self) -> LagSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._interval_s + 15)

    def sample(self, reader: LagReader) -> list[PartitionLag]:
        """One sample: read the lag and set the gauges."""
        lags = reader.group_lag(self._group, self._topics)
        now_ms = int(time.time() * 1000)
        for item in lags:
            labels = (item.group, item.topic, str(item.partition))
            self._metrics.lag.labels(*labels).set(item.lag)
            seconds = item.time_lag_s(now_ms)
            if seconds is not None:
                self._metrics.time_lag.labels(*labels).set(seconds)
        self.last_sample = time.monotonic()
        return lags

    def _run(self) -> None:
        # The reader's clients live on this thread and are closed by it (librdkafka clients are not
        # created per sample: see `LagReader`).
        with LagReader(self._settings) as reader:
            while True:
                try:
                    self.sample(reader)
                except (ClusterError, KafkaException) as exc:
                    self._metrics.sample_errors.labels(self._group).inc()
                    log.warning("lag of group %s not sampled: %s", self._group, exc)
                if self._stop.wait(self._interval_s):
                    return
