"""The one publisher against the real broker and registry."""

from __future__ import annotations

import re

import pytest
from confluent_kafka import TopicPartition

from supplystream.clients import make_consumer, make_producer
from supplystream.contracts.registration import load_contracts
from supplystream.errors import PublishError
from supplystream.events import StockMoved
from supplystream.publisher import Delivery, Publisher
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import KafkaSettings, Settings
from supplystream_devkit.roundtrip import sample_event

pytestmark = pytest.mark.integration


def read_back(
    settings: Settings, deliveries: list[Delivery], group: str
) -> dict[str, tuple[bytes, dict[str, bytes], bytes]]:
    """key, headers and value of each delivered event, by event id, read at its exact offset."""
    consumer = make_consumer(settings, group_id=group)
    first: dict[tuple[str, int], int] = {}
    for d in deliveries:
        first[(d.topic, d.partition)] = min(d.offset, first.get((d.topic, d.partition), d.offset))
    consumer.assign(
        [TopicPartition(topic, partition, offset) for (topic, partition), offset in first.items()]
    )
    found: dict[str, tuple[bytes, dict[str, bytes], bytes]] = {}
    wanted = {d.event_id for d in deliveries}
    try:
        for _ in range(60):
            for message in consumer.consume(500, timeout=1.0):
                assert message.error() is None
                headers = {h[0]: h[1] for h in message.headers() or [] if isinstance(h[1], bytes)}
                event_id = headers["event_id"].decode()
                if event_id in wanted:
                    found[event_id] = (message.key() or b"", headers, message.value() or b"")
            if len(found) == len(wanted):
                break
    finally:
        consumer.close()
    return found


def test_events_land_on_their_topic_keyed_with_headers(contracts_ready: Settings, topic_prefix: str) -> None:
    events = [sample_event(n) for n in range(200)]
    with Publisher.from_settings(contracts_ready) as publisher:
        deliveries = publisher.publish_all(events)

    assert [d.event_id for d in deliveries] == [str(e.event_id) for e in events]
    assert {d.topic for d in deliveries} == {"stock.moved"}
    stored = read_back(contracts_ready, deliveries, f"{topic_prefix}.reader")
    assert len(stored) == 200
    catalog, schemas = load_contracts(contracts_ready)
    with SchemaRegistry.from_settings(contracts_ready) as registry:
        decode = AvroDeserializer(registry, schemas["stock.moved"].schema)
        for event in events:
            key, headers, value = stored[str(event.event_id)]
            assert key == f"{event.sku}|{event.warehouse}".encode()
            assert headers["event_type"] == b"stock.moved"
            assert headers["correlation_id"] == event.correlation_id.encode()
            assert re.fullmatch(rb"00-[0-9a-f]{32}-[0-9a-f]{16}-01", headers["traceparent"])
            assert StockMoved.from_record(decode(value)) == event
    assert catalog.topic("stock.moved").key_fields == ("sku", "warehouse")


def test_a_full_queue_waits_instead_of_dropping(contracts_ready: Settings) -> None:
    catalog, schemas = load_contracts(contracts_ready)
    producer = make_producer(contracts_ready, **{"queue.buffering.max.messages": 20})
    with (
        SchemaRegistry.from_settings(contracts_ready) as registry,
        Publisher(producer, catalog, schemas, registry) as publisher,
    ):
        futures = [publisher.publish(sample_event(n)) for n in range(500)]
        assert publisher.flush(30) == 0
    assert all(f.result(timeout=0).offset >= 0 for f in futures)


def test_kafka_unreachable_fails_the_futures_instead_of_claiming_success(contracts_ready: Settings) -> None:
    catalog, schemas = load_contracts(contracts_ready)
    nowhere = Settings(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"), registry=contracts_ready.registry
    )
    producer = make_producer(nowhere, **{"message.timeout.ms": 1500})
    with SchemaRegistry.from_settings(contracts_ready) as registry:
        publisher = Publisher(producer, catalog, schemas, registry)
        future = publisher.publish(sample_event(1))
        publisher.flush(10)
        with pytest.raises(PublishError, match="Kafka did not store"):
            future.result(timeout=5)
        publisher.close(0)  # nothing left: the one event failed


def test_an_event_type_without_a_topic_is_refused(contracts_ready: Settings) -> None:
    catalog, schemas = load_contracts(contracts_ready)
    stockless = catalog.model_copy(update={"topics": [t for t in catalog.topics if t.name != "stock.moved"]})
    with (
        SchemaRegistry.from_settings(contracts_ready) as registry,
        Publisher(
            make_producer(contracts_ready), catalog=stockless, schemas=schemas, registry=registry
        ) as publisher,
        pytest.raises(PublishError, match=r"no topic in topics\.yaml carries 'stock\.moved'"),
    ):
        publisher.publish(sample_event(1))
