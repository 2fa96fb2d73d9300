"""A produce/consume round trip of real `stock.moved` events through the cluster and the registry.

Events are typed models (supplystream.events), encoded by the serde in the Confluent wire format
under the subject topics.yaml gives stock.moved, keyed ``sku|warehouse``, produced with the durable
producer, consumed back, decoded, and compared field by field with what was sent. It uses a
temporary topic (deleted afterwards), so it never writes into the catalog's topics.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from confluent_kafka import KafkaError, KafkaException, Message
from confluent_kafka.admin import NewTopic

from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.contracts.schemas import EventSchema
from supplystream.errors import ClusterError
from supplystream.events import MoveKind, Source, StockMoved
from supplystream.kafka_io import flush_or_raise, produce_with_backpressure
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer, AvroSerializer
from supplystream.settings import Settings

Report = Callable[[str], None]
_KINDS = (MoveKind.RECEIPT, MoveKind.DELIVERY, MoveKind.ADJUSTMENT, MoveKind.SCRAP)


@dataclass(frozen=True)
class RoundTripResult:
    """What went through, how fast, and whether every event came back intact and in order."""

    topic: str
    produced: int
    consumed: int
    intact: int
    in_order: bool
    seconds: float
    #: Produce-to-acknowledgement latency (acks=all), from librdkafka's per-message latency.
    ack_p50_ms: float
    ack_p99_ms: float

    @property
    def ok(self) -> bool:
        """True when every event came back, equal to what was sent, per key in order."""
        return self.produced == self.consumed == self.intact and self.in_order


def sample_event(n: int) -> StockMoved:
    """The ``n``-th of a deterministic stream of stock moves over 50 SKUs and 3 warehouses."""
    warehouse = f"WH-{n % 3}"
    kind = _KINDS[n % len(_KINDS)]
    inbound = kind in {MoveKind.RECEIPT, MoveKind.ADJUSTMENT}
    return StockMoved(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"supplystream:roundtrip:{n}"),
        event_type=StockMoved.EVENT_TYPE,
        occurred_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC) + dt.timedelta(milliseconds=n),
        source=Source(system="simulator", adapter="roundtrip"),
        correlation_id=f"roundtrip-{n}",
        company="DEMO",
        sku=f"SKU-{n % 50:03d}",
        warehouse=warehouse,
        from_location="Partners/Vendors" if inbound else f"{warehouse}/Stock",
        from_warehouse=None if inbound else warehouse,
        to_location=f"{warehouse}/Stock" if inbound else "Partners/Customers",
        to_warehouse=warehouse if inbound else None,
        quantity=Decimal(n % 97 + 1) / 4,
        uom="Units",
        move_kind=kind,
        odoo_move_id=n,
    )


def round_trip(
    settings: Settings, schema: EventSchema, subject: str, count: int, report: Report, *, partitions: int = 3
) -> RoundTripResult:
    """Produce ``count`` stock moves to a fresh topic, consume and check them, delete the topic."""
    topic = f"supplystream_devkit.roundtrip.{uuid.uuid4().hex[:12]}"
    admin = make_admin(settings)
    futures = admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=30)
    try:
        futures[topic].result(timeout=30)
    except KafkaException as exc:
        raise ClusterError(f"cannot create the round-trip topic {topic}: {exc}") from exc
    try:
        with SchemaRegistry.from_settings(settings) as registry:
            serialize = AvroSerializer(registry, subject, schema.schema)
            deserialize = AvroDeserializer(registry, schema.schema)
            sent = [sample_event(n) for n in range(count)]
            started = time.monotonic()
            latencies = _produce(settings, topic, sent, serialize, report)
            consumed, intact, in_order = _consume(settings, topic, sent, deserialize)
            seconds = time.monotonic() - started
    finally:
        admin.delete_topics([topic], operation_timeout=30)[topic].result(timeout=30)
    report(f"consumed {consumed} events back, {intact} identical to what was sent, in {seconds:.2f}s")
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return RoundTripResult(
        topic, len(latencies), consumed, intact, in_order, seconds, quantiles[49], quantiles[98]
    )


def _produce(
    settings: Settings, topic: str, events: list[StockMoved], serialize: AvroSerializer, report: Report
) -> list[float]:
    producer = make_producer(settings)
    latencies: list[float] = []
    failures: list[str] = []

    def on_delivery(err: KafkaError | None, msg: Message) -> None:
        if err is None:
            latencies.append((msg.latency() or 0.0) * 1000)
        else:
            failures.append(str(err))

    report(f"producing {len(events)} stock.moved events (Avro, schema id {serialize.schema_id}) to {topic}")
    for event in events:
        produce_with_backpressure(
            producer,
            topic,
            serialize(event.to_record()),
            key=f"{event.sku}|{event.warehouse}".encode(),
            headers=[
                ("event_type", event.event_type.encode()),
                ("correlation_id", event.correlation_id.encode()),
            ],
            on_delivery=on_delivery,
        )
    flush_or_raise(producer, 30, failures=failures, what="events")
    report(f"broker acknowledged {len(latencies)} events (acks=all, idempotent producer)")
    return latencies


def _consume(
    settings: Settings, topic: str, sent: list[StockMoved], deserialize: AvroDeserializer
) -> tuple[int, int, bool]:
    by_id = {event.event_id: event for event in sent}
    consumer = make_consumer(settings, group_id=f"{topic}.reader")
    consumer.subscribe([topic])
    consumed = intact = 0
    last_seen: dict[bytes, int] = {}
    in_order = True
    deadline = time.monotonic() + 60
    try:
        while consumed < len(sent) and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                if message.error() is not None:
                    raise ClusterError(f"consuming {topic} failed: {message.error()}")
                event = StockMoved.from_record(deserialize(message.value() or b""))
                intact += by_id.get(event.event_id) == event
                n = event.odoo_move_id or 0
                key = message.key() or b""
                in_order = in_order and last_seen.get(key, -1) < n
                last_seen[key] = n
                consumed += 1
            if consumed:
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return consumed, intact, in_order
