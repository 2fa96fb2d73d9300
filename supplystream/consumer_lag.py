"""Consumer group lag: records behind and time behind, per partition.

Lag is the end offset minus the committed offset (a partition without a committed offset counts from its
low watermark, where the group would start). Time lag is how old the first record the group has not
processed is: now minus the timestamp of the record at the committed offset; 0 when caught up.

`read_group_lag` reads it from the cluster (without joining the group); `LagSampler` keeps the gauges
``supplystream_consumer_lag`` and ``supplystream_consumer_time_lag_seconds`` up to date in a process.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry, Counter, Gauge

from supplystream.clients import make_admin, make_consumer
from supplystream.errors import ClusterError
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


def list_groups(admin: AdminClient, timeout_s: float = 10.0) -> list[str]:
    """Every consumer group the cluster knows, sorted."""
    try:
        listed = admin.list_consumer_groups(request_timeout=timeout_s).result()
    except KafkaException as exc:
        raise ClusterError(f"cannot list consumer groups: {exc}; is Kafka reachable?") from exc
    return sorted(group.group_id for group in listed.valid)


def committed_offsets(admin: AdminClient, group: str, timeout_s: float = 10.0) -> dict[Position, int]:
    """The group's committed offset per partition (only partitions it committed on)."""
    futures = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group)], request_timeout=timeout_s
    )
    try:
        result = futures[group].result()
    except KafkaException as exc:
        raise ClusterError(f"cannot read the offsets of group {group!r}: {exc}") from exc
    return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions or [] if tp.offset >= 0}


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


def read_group_lag(
    settings: Settings,
    group: str,
    topics: Sequence[str] = (),
    *,
    admin: AdminClient | None = None,
    with_time_lag: bool = True,
) -> list[PartitionLag]:
    """The group's lag on every partition it committed on, plus every partition of ``topics``."""
    admin = admin or make_admin(settings)
    committed = committed_offsets(admin, group)
    consumer = make_consumer(
        settings, f"supplystream.lag-reader.{uuid.uuid4().hex[:8]}", **{"enable.partition.eof": False}
    )
    try:
        positions = sorted(set(committed) | set(partitions_of(consumer, topics) if topics else ()))
        lags: list[PartitionLag] = []
        for topic, partition in positions:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=10.0, cached=False
            )
            lags.append(PartitionLag(group, topic, partition, committed.get((topic, partition)), low, high))
        if not with_time_lag:
            return lags
        pending = {(x.topic, x.partition): max(x.committed or x.low, x.low) for x in lags if x.lag > 0}
        stamps = first_timestamps(consumer, pending)
        return [
            PartitionLag(
                x.group, x.topic, x.partition, x.committed, x.low, x.end, stamps.get((x.topic, x.partition))
            )
            for x in lags
        ]
    finally:
        consumer.close()


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

    def sample(self, admin: AdminClient) -> list[PartitionLag]:
        """One sample: read the lag and set the gauges."""
        lags = read_group_lag(self._settings, self._group, self._topics, admin=admin)
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
        admin = make_admin(self._settings)
        while True:
            try:
                self.sample(admin)
            except (ClusterError, KafkaException) as exc:
                self._metrics.sample_errors.labels(self._group).inc()
                log.warning("lag of group %s not sampled: %s", self._group, exc)
            if self._stop.wait(self._interval_s):
                return
