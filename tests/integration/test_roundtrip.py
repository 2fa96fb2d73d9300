"""Produce and consume through the real broker with the project's one client factory."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from confluent_kafka import KafkaError, Message
from confluent_kafka.admin import NewTopic

from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.contracts.schemas import load_event_schemas
from supplystream.events import StockMoved
from supplystream.paths import schemas_dir
from supplystream.registry import SchemaRegistry
from supplystream.settings import Settings
from supplystream_devkit.roundtrip import round_trip, sample_event

pytestmark = pytest.mark.integration


def test_records_come_back_with_keys_values_and_headers(settings: Settings, topic_prefix: str) -> None:
    topic = f"{topic_prefix}.events"
    admin = make_admin(settings)
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(timeout=30)
    sent = [(f"sku-{n}|wh-{n % 2}".encode(), f"value-{n}".encode()) for n in range(300)]
    producer = make_producer(settings)
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            errors.append(err)

    for key, value in sent:
        producer.produce(
            topic,
            key=key,
            value=value,
            headers=[("event_type", b"test.sent")],
            on_delivery=on_delivery,
        )
    assert producer.flush(30) == 0
    assert errors == []

    consumer = make_consumer(settings, group_id=f"{topic_prefix}.group")
    consumer.subscribe([topic])
    received: list[Message] = []
    try:
        for _ in range(60):
            received.extend(m for m in consumer.consume(500, timeout=1.0) if m.error() is None)
            if len(received) >= len(sent):
                break
    finally:
        consumer.close()

    assert sorted((m.key(), m.value()) for m in received) == sorted(sent)
    assert {tuple(m.headers() or []) for m in received} == {(("event_type", b"test.sent"),)}
    # Same key, same partition: per-key order is what every consumer downstream relies on.
    partitions_by_key: dict[bytes | None, set[int | None]] = {}
    for m in received:
        partitions_by_key.setdefault(m.key(), set()).add(m.partition())
    assert all(len(p) == 1 for p in partitions_by_key.values())


def test_round_trip_of_avro_stock_moves_comes_back_identical(
    settings: Settings, schema_registry: SchemaRegistry, topic_prefix: str
) -> None:
    stock = load_event_schemas(schemas_dir())["stock.moved"]
    subject = f"{topic_prefix}-value"
    schema_registry.register(subject, stock.text)
    messages: list[str] = []

    result = round_trip(settings, stock, subject, 2_000, messages.append)

    assert result.produced == 2_000
    assert result.consumed == 2_000
    assert result.intact == 2_000
    assert result.in_order
    assert result.ok
    assert result.ack_p99_ms >= result.ack_p50_ms > 0
    assert any("acknowledged 2000 events" in m for m in messages)
    # The temporary topic is gone afterwards (metadata may lag the deletion by a moment).
    admin = make_admin(settings)
    deadline = time.monotonic() + 15
    while result.topic in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
        time.sleep(0.2)
    assert result.topic not in admin.list_topics(timeout=10).topics


def test_sample_events_are_deterministic_and_valid_models() -> None:
    first, again = sample_event(7), sample_event(7)
    assert first == again
    assert first.quantity == Decimal(8) / 4
    assert StockMoved.from_record(first.to_record()) == first
