"""Kafka I/O chores written once: produce with back-pressure, wait for delivery, read to the end.

`produce_with_backpressure` queues one record and, while librdkafka's local queue is full, serves
delivery callbacks until there is room (records are never dropped); `flush_or_raise` waits for every
acknowledgement and raises `DeliveryError` naming what was not acknowledged. The readers assign
partitions (they never join a group, commit nothing) and stop at the end offsets captured at start.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from supplystream.clients import make_consumer
from supplystream.errors import ClusterError, DeliveryError
from supplystream.settings import Settings

#: A record's headers as the producer takes them (pairs, or a mapping as a consumed record may give).
Headers = Sequence[tuple[str, str | bytes | None]] | Mapping[str, str | bytes | None]
OnDelivery = Callable[[KafkaError | None, Message], None]


def produce_with_backpressure(
    producer: Producer,
    topic: str,
    value: bytes | None,
    *,
    key: bytes | str | None = None,
    headers: Headers | None = None,
    on_delivery: OnDelivery | None = None,
    wait_s: float | None = None,
    poll_s: float = 0.05,
) -> None:
    """Queue one record; while the producer's queue is full, serve deliveries (``poll_s`` at a time)
    until there is room. With ``wait_s``, a queue full for longer raises `DeliveryError`."""
    options: dict[str, Any] = {"value": value}
    if key is not None:
        options["key"] = key
    if headers is not None:
        options["headers"] = dict(headers) if isinstance(headers, Mapping) else list(headers)
    if on_delivery is not None:
        options["on_delivery"] = on_delivery
    deadline = None if wait_s is None else time.monotonic() + wait_s
    while True:
        try:
            producer.produce(topic, **options)
            break
        except BufferError:
            if deadline is not None and time.monotonic() > deadline:
                raise DeliveryError(
                    f"the producer queue stayed full for {wait_s:.0f}s: is Kafka reachable?"
                ) from None
            producer.poll(poll_s)
    producer.poll(0)


class DeliveryFailures(list[str]):
    """An ``on_delivery`` callback that keeps what Kafka refused (``err.str()``), for `flush_or_raise`."""

    def __call__(self, err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            self.append(err.str())


def flush_or_raise(
    producer: Producer, timeout_s: float = 30.0, *, failures: Sequence[str] = (), what: str = "records"
) -> None:
    """Wait up to ``timeout_s`` for every queued record's acknowledgement; `DeliveryError` when some
    were not acknowledged in time or ``failures`` (from the delivery callbacks) is not empty."""
    remaining = int(producer.flush(timeout_s))
    if remaining or failures:
        raise DeliveryError(
            f"Kafka did not acknowledge {remaining + len(failures)} {what} "
            f"({'; '.join(failures[:3]) or 'timed out'})"
        )


# -- reading to the end ----------------------------------------------------------------------------


def watermarks(consumer: Consumer, topic: str, timeout_s: float = 10.0) -> dict[int, tuple[int, int]]:
    """Low and high watermark per partition of ``topic``, read now (not cached)."""
    described = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
    if described is None or described.error is not None:
        raise ClusterError(f"topic {topic!r} does not exist: run `supplystream topics apply`")
    return {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s, cached=False)
        for p in sorted(described.partitions)
    }


def read_assigned_to_end(
    consumer: Consumer, topic: str, bounds: Mapping[int, tuple[int, int]], *, timeout_s: float | None = None
) -> Iterator[Message]:
    """Assign ``consumer`` to ``topic``'s partitions at their low bound and yield every record below
    the high bound, in offset order per partition (partitions interleaved). With ``timeout_s``, raise
    TimeoutError when the ends were not reached by then. The consumer stays assigned."""
    consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in bounds.items()])
    remaining = {p for p, (low, high) in bounds.items() if high > low}
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while remaining:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"could not read {topic} to its end (partitions {sorted(remaining)})")
        for message in consumer.consume(5000, timeout=1.0):
            if message.error() is not None:
                continue
            partition, offset = message.partition() or 0, message.offset() or 0
            if offset < bounds[partition][1]:
                yield message
            if offset + 1 >= bounds[partition][1]:
                remaining.discard(partition)
        for p in list(remaining):  # the end may be a transaction marker or a compacted gap
            if consumer.position([TopicPartition(topic, p)])[0].offset >= bounds[p][1]:
                remaining.discard(p)


def read_to_end(
    settings: Settings,
    topic: str,
    reader: str,
    ends: dict[str, int] | None = None,
    *,
    timeout_s: float | None = None,
) -> Iterator[Message]:
    """Every record of ``topic`` up to its end offsets at the start, partition by partition in offset order
    (partitions interleaved). ``ends``, when given, receives ``"<topic>:<partition>" -> end offset``.
    ``reader`` names the client (its group id, never joined); see `read_assigned_to_end` for
    ``timeout_s``."""
    consumer = make_consumer(settings, reader, **{"enable.partition.eof": False, "enable.auto.commit": False})
    try:
        bounds = watermarks(consumer, topic)
        if ends is not None:
            for p, (_, high) in bounds.items():
                ends[f"{topic}:{p}"] = high
        yield from read_assigned_to_end(consumer, topic, bounds, timeout_s=timeout_s)
    finally:
        consumer.close()


def topic_watermarks(settings: Settings, topic: str) -> dict[int, tuple[int, int]]:
    """`watermarks` of ``topic`` through a short-lived consumer."""
    consumer = make_consumer(settings, f"supplystream.watermarks.{time.monotonic_ns()}")
    try:
        return watermarks(consumer, topic)
    finally:
        consumer.close()


def record_count(settings: Settings, topic: str) -> int:
    """Records in ``topic`` now (high minus low watermark, summed over its partitions)."""
    return sum(high - low for low, high in topic_watermarks(settings, topic).values())


def header_map(message: Message) -> dict[str, bytes]:
    """A record's headers by name (the last value of a repeated name; ``None`` values left out)."""
    raw = message.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    return {str(name): value for name, value in pairs if isinstance(value, bytes)}
