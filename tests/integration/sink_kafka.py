"""Kafka plumbing for sink tests: private topics, producing events to them, reading dead letters.

Every test gets its own copies of the catalog topics a sink reads (``<prefix>.<topic>``), its own
dead-letter topic and consumer group, so tests never see each other's records. Values are encoded
with the platform's serde under the catalog's real subjects (registered by ``contracts_ready``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import TopicPartition
from confluent_kafka.admin import NewTopic

from sinks.routes import SinkRoutes
from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.consumer_lag import partition_lags
from supplystream.contracts.registration import load_contracts
from supplystream.events import Event
from supplystream.kafka_io import flush_or_raise, header_map, produce_with_backpressure
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroSerializer
from supplystream.settings import Settings


def private_routes(prefix: str, sink: str, catalog_topics: Sequence[str]) -> SinkRoutes:
    """Routes of ``sink`` on private copies of ``catalog_topics``."""
    return SinkRoutes(
        sink=sink,
        group_id=f"{prefix}.{sink}",
        topics=tuple(f"{prefix}.{topic}" for topic in catalog_topics),
        dead_letter_topic=f"{prefix}.{sink}.dlq",
    )


def create_topics(settings: Settings, routes: SinkRoutes, partitions: int = 3) -> None:
    """Create the routes' input topics and dead-letter topic (replication 1, the test broker)."""
    admin = make_admin(settings)
    wanted = [NewTopic(name, partitions, 1) for name in (*routes.topics, routes.dead_letter_topic)]
    for future in admin.create_topics(wanted, operation_timeout=30).values():
        future.result(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        known = admin.list_topics(timeout=10).topics
        if all(topic.topic in known for topic in wanted):
            return
        time.sleep(0.2)
    raise AssertionError("test topics did not appear")


@dataclass
class EventWriter:
    """Produce typed events (or raw bytes) to a test's private topics."""

    settings: Settings
    prefix: str
    _registry: SchemaRegistry = field(init=False)
    _serializers: dict[str, tuple[str, tuple[str, ...], AvroSerializer]] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._registry = SchemaRegistry.from_settings(self.settings)
        self._producer = make_producer(self.settings)
        catalog, schemas = load_contracts(self.settings)
        for entry in catalog.topics:
            for event_type in entry.value_schemas:
                schema = schemas[event_type]
                serializer = AvroSerializer(
                    self._registry, entry.value_subject(schema.full_name), schema.schema
                )
                self._serializers[event_type] = (entry.name, entry.key_fields, serializer)

    def send(self, events: Iterable[Event]) -> int:
        """Produce ``events`` to ``<prefix>.<their catalog topic>``, keyed as the catalog says."""
        count = 0
        for event in events:
            topic, key_fields, serialize = self._serializers[event.EVENT_TYPE]
            record = event.to_record()
            key = "|".join(str(record[name]) for name in key_fields)
            headers: list[tuple[str, str | bytes | None]] = [
                ("event_type", event.EVENT_TYPE.encode()),
                ("event_id", str(event.event_id).encode()),
                ("correlation_id", event.correlation_id.encode()),
            ]
            self._produce(f"{self.prefix}.{topic}", key.encode(), serialize(record), headers)
            count += 1
        self.flush()
        return count

    def send_raw(self, topic: str, key: bytes, value: bytes) -> None:
        """Produce bytes as they are (e.g. a record that is not Avro) to ``<prefix>.<topic>``."""
        self._produce(f"{self.prefix}.{topic}", key, value, [("event_id", b"not-an-event")])
        self.flush()

    def _produce(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, str | bytes | None]]
    ) -> None:
        produce_with_backpressure(self._producer, topic, value, key=key, headers=headers)

    def flush(self) -> None:
        flush_or_raise(self._producer, 60, what="test events")

    def close(self) -> None:
        self.flush()
        self._registry.close()


@dataclass(frozen=True)
class StoredRecord:
    """A record read back from a topic."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]


def read_all(settings: Settings, topic: str, expected: int, timeout_s: float = 30.0) -> list[StoredRecord]:
    """Read ``topic`` from the beginning until ``expected`` records arrived (or the timeout)."""
    consumer = make_consumer(settings, f"{topic}.reader.{time.monotonic_ns()}")
    metadata = consumer.list_topics(topic, timeout=10)
    consumer.assign([TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions])
    found: list[StoredRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < expected and time.monotonic() < deadline:
            for message in consumer.consume(500, timeout=0.5):
                if message.error() is not None:
                    continue
                headers = {
                    name: value.decode("utf-8", "replace") for name, value in header_map(message).items()
                }
                found.append(
                    StoredRecord(
                        message.partition() or 0,
                        message.offset() or 0,
                        message.key(),
                        message.value(),
                        headers,
                    )
                )
    finally:
        consumer.close()
    return found


def lag_of(settings: Settings, routes: SinkRoutes) -> int:
    """The group's total lag on its input topics."""
    return sum(partition_lags(settings, routes.group_id, routes.topics).values())


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, poll_s: float = 0.5) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


class RunningSink:
    """A runtime's ``run`` in a background thread; ``stop()`` ends it and re-raises its error."""

    def __init__(self, run: Callable[[threading.Event], Any]) -> None:
        self.stop_event = threading.Event()
        self.error: BaseException | None = None

        def target() -> None:
            try:
                run(self.stop_event)
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                self.error = exc

        self._thread = threading.Thread(target=target, name="sink-under-test", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 60.0) -> None:
        self.stop_event.set()
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the sink did not stop"
        if self.error is not None:
            raise self.error
