"""A produce/consume round trip through the cluster: proves connectivity, durability settings and ordering.

It uses a temporary topic (deleted afterwards), so it never writes into the event catalog's topics.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Message
from confluent_kafka.admin import NewTopic

from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.errors import ClusterError
from supplystream.settings import Settings

Report = Callable[[str], None]


@dataclass(frozen=True)
class RoundTripResult:
    """What went through, how fast, and whether every record came back in order."""

    topic: str
    produced: int
    consumed: int
    in_order: bool
    seconds: float
    #: Produce-to-acknowledgement latency (acks=all), from librdkafka's per-message latency.
    ack_p50_ms: float
    ack_p99_ms: float

    @property
    def ok(self) -> bool:
        """True when everything produced came back, per partition in order."""
        return self.produced == self.consumed and self.in_order


def round_trip(settings: Settings, count: int, report: Report, partitions: int = 3) -> RoundTripResult:
    """Produce ``count`` records to a fresh topic, consume them back, delete the topic."""
    topic = f"supplystream.roundtrip.{uuid.uuid4().hex[:12]}"
    admin = make_admin(settings)
    futures = admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=30)
    try:
        futures[topic].result(timeout=30)
    except KafkaException as exc:
        raise ClusterError(f"cannot create the round-trip topic {topic}: {exc}") from exc
    try:
        return _produce_and_consume(settings, topic, count, report)
    finally:
        admin.delete_topics([topic], operation_timeout=30)[topic].result(timeout=30)


def _produce_and_consume(settings: Settings, topic: str, count: int, report: Report) -> RoundTripResult:
    producer = make_producer(settings)
    acked = 0
    failures: list[str] = []

    ack_latencies: list[float] = []

    def on_delivery(err: KafkaError | None, msg: Message) -> None:
        nonlocal acked
        if err is None:
            acked += 1
            ack_latencies.append((msg.latency() or 0.0) * 1000)
        else:
            failures.append(str(err))

    started = time.monotonic()
    report(f"producing {count} records to {topic}")
    for n in range(count):
        key = f"sku-{n % 50:03d}|wh-{n % 3}"
        value = json.dumps({"n": n}).encode()
        while True:
            try:
                producer.produce(topic, key=key.encode(), value=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)  # local queue full: wait for deliveries instead of dropping
        producer.poll(0)
    remaining = producer.flush(30)
    if remaining or failures:
        raise ClusterError(f"{remaining} records undelivered, {len(failures)} failed: {failures[:3]}")
    report(f"broker acknowledged {acked} records (acks=all, idempotent)")

    consumer = make_consumer(settings, group_id=f"{topic}.reader")
    consumer.subscribe([topic])
    consumed = 0
    last_seen: dict[str, int] = {}
    in_order = True
    deadline = time.monotonic() + 60
    try:
        while consumed < count and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                if message.error() is not None:
                    raise ClusterError(f"consuming {topic} failed: {message.error()}")
                body = json.loads(message.value() or b"{}")
                n = int(body["n"])
                key = (message.key() or b"").decode()
                in_order = in_order and last_seen.get(key, -1) < n
                last_seen[key] = n
                consumed += 1
            if consumed:
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    seconds = time.monotonic() - started
    report(f"consumed {consumed} records back in {seconds:.2f}s")
    quantiles = statistics.quantiles(ack_latencies, n=100) if len(ack_latencies) >= 2 else [0.0] * 99
    return RoundTripResult(topic, acked, consumed, in_order, seconds, quantiles[49], quantiles[98])
