"""The one publisher: the only way events reach Kafka.

An event (a generated model from `supplystream.events`) goes to the topic topics.yaml declares for
its type, keyed by the topic's key fields (``sku|warehouse``, ``order_id``), encoded by the serde
under the topic's subject, with headers ``event_type``, ``event_id``, ``correlation_id`` and a W3C
``traceparent``. The producer is idempotent with ``acks=all`` (see `supplystream.clients`).

`publish` returns a future that completes when Kafka acknowledged the event — a source advances
its position only then. A full local queue makes `publish` wait for deliveries (backpressure)
instead of dropping; `close` (and leaving the ``with`` block) flushes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cache
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

from supplystream.clients import make_producer
from supplystream.contracts.registration import load_contracts
from supplystream.contracts.schemas import EventSchema
from supplystream.errors import PublishError
from supplystream.events import Event
from supplystream.kafka_io import produce_with_backpressure
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroSerializer
from supplystream.settings import Settings
from supplystream.topics.catalog import TopicCatalog, TopicEntry


@dataclass(frozen=True)
class Delivery:
    """Where Kafka stored an event."""

    event_id: str
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class PublisherMetrics:
    """Events, bytes, errors and delivery latency per topic."""

    events: Counter
    bytes: Counter
    errors: Counter
    latency: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> PublisherMetrics:
        """Register the families in ``registry``."""
        return cls(
            events=Counter(
                "supplystream_published_events", "Events acknowledged by Kafka.", ["topic"], registry=registry
            ),
            bytes=Counter(
                "supplystream_published_bytes",
                "Value bytes acknowledged by Kafka.",
                ["topic"],
                registry=registry,
            ),
            errors=Counter(
                "supplystream_publish_errors",
                "Events Kafka did not accept.",
                ["topic", "error"],
                registry=registry,
            ),
            latency=Histogram(
                "supplystream_publish_delivery_seconds",
                "Time from publish to Kafka's acknowledgement.",
                ["topic"],
                registry=registry,
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            ),
        )


@cache
def _process_metrics() -> PublisherMetrics:
    return PublisherMetrics.create(REGISTRY)


def traceparent() -> str:
    """A new W3C trace context header value (version 00, sampled); ids need not be secret."""
    return f"00-{random.getrandbits(128):032x}-{random.getrandbits(64) or 1:016x}-01"


@dataclass(frozen=True)
class Route:
    """A topic, the serializer of one event type on it, and what is computed once per route."""

    topic: TopicEntry
    serialize: AvroSerializer
    key_fields: tuple[str, ...]
    events: Any  # the metric children labelled with this topic
    bytes: Any
    latency: Any


@dataclass(frozen=True)
class Encoded:
    """An event ready for Kafka."""

    route: Route
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    @property
    def topic(self) -> str:
        return self.route.topic.name


class EventEncoder:
    """Events to wire records: the topic topics.yaml names, the key, the Avro value and the headers."""

    def __init__(
        self,
        catalog: TopicCatalog,
        schemas: dict[str, EventSchema],
        registry: SchemaRegistry,
        *,
        metrics: PublisherMetrics | None = None,
    ) -> None:
        self._registry = registry
        self._metrics = metrics or _process_metrics()
        self._routes: dict[tuple[str, str], Route] = {}
        self._topic_of: dict[str, str] = {}
        self._catalog = catalog
        self._schemas = schemas
        for entry in catalog.topics:
            for event_type in entry.value_schemas:
                self._topic_of.setdefault(event_type, entry.name)

    @classmethod
    def from_settings(cls, settings: Settings) -> EventEncoder:
        """An encoder for the configured registry and catalog."""
        catalog, schemas = load_contracts(settings)
        return cls(catalog, schemas, SchemaRegistry.from_settings(settings))

    def _route(self, event_type: str, topic: str | None) -> Route:
        name = topic or self._topic_of.get(event_type)
        if name is None:
            raise PublishError(
                f"no topic in topics.yaml carries {event_type!r}: add it to a topic's value_schemas"
            )
        route = self._routes.get((name, event_type))
        if route is None:
            entry = self._catalog.topic(name)
            if event_type not in entry.value_schemas:
                raise PublishError(f"topic {name!r} does not carry {event_type!r} (see its value_schemas)")
            schema = self._schemas[event_type]
            metrics = self._metrics
            route = Route(
                entry,
                AvroSerializer(self._registry, entry.value_subject(schema.full_name), schema.schema),
                entry.key_fields,
                metrics.events.labels(name),
                metrics.bytes.labels(name),
                metrics.latency.labels(name),
            )
            self._routes[(name, event_type)] = route
        return route

    def route_of(self, event: Event, topic: str | None = None) -> Route:
        """Where ``event`` goes and how it is encoded (for benchmarks and diagnostics)."""
        return self._route(event.EVENT_TYPE, topic)

    def close(self) -> None:
        """Release the registry connection."""
        self._registry.close()

    def encode(self, event: Event, *, topic: str | None = None, trace: str | None = None) -> Encoded:
        """Key, value and headers of ``event`` as it goes on the wire (no I/O but the first registry lookup).

        The stream processors send what this returns through their own (faust) producer.
        """
        route = self._route(event.EVENT_TYPE, topic)
        record = event.to_record()
        try:
            key = "|".join(str(record[field]) for field in route.key_fields)
        except KeyError as exc:
            raise PublishError(
                f"{event.EVENT_TYPE} has no field {exc.args[0]!r}, which topics.yaml names in the key of "
                f"{route.topic.name}"
            ) from None
        headers: list[tuple[str, bytes]] = [
            ("event_type", event.EVENT_TYPE.encode()),
            ("event_id", str(event.event_id).encode()),
            ("correlation_id", event.correlation_id.encode()),
            ("traceparent", (trace or traceparent()).encode()),
        ]
        return Encoded(route, key.encode(), route.serialize(record), headers)


class Publisher:
    """Publish events to their topics; see the module docstring."""

    def __init__(
        self,
        producer: Producer,
        catalog: TopicCatalog,
        schemas: dict[str, EventSchema],
        registry: SchemaRegistry,
        *,
        metrics: PublisherMetrics | None = None,
        queue_wait_s: float = 30.0,
    ) -> None:
        self._producer = producer
        self._metrics = metrics or _process_metrics()
        self._queue_wait_s = queue_wait_s
        self._encoder = EventEncoder(catalog, schemas, registry, metrics=self._metrics)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Publisher:
        """A publisher for the configured cluster, registry and catalog."""
        catalog, schemas = load_contracts(settings)
        return cls(
            make_producer(settings, **overrides), catalog, schemas, SchemaRegistry.from_settings(settings)
        )

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def route_of(self, event: Event, topic: str | None = None) -> Route:
        """Where ``event`` goes and how it is encoded (for benchmarks and diagnostics)."""
        return self._encoder.route_of(event, topic)

    def encode(self, event: Event, *, topic: str | None = None, trace: str | None = None) -> Encoded:
        """See `EventEncoder.encode`."""
        return self._encoder.encode(event, topic=topic, trace=trace)

    def publish(
        self, event: Event, *, topic: str | None = None, trace: str | None = None
    ) -> Future[Delivery]:
        """Queue ``event``; the future resolves when Kafka acknowledged it (or fails with PublishError)."""
        encoded = self.encode(event, topic=topic, trace=trace)
        route, value = encoded.route, encoded.value
        headers: list[tuple[str, str | bytes | None]] = list(encoded.headers)
        event_id = str(event.event_id)
        future: Future[Delivery] = Future()
        started = time.perf_counter()
        topic_name = route.topic.name
        metrics = self._metrics

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                metrics.errors.labels(topic_name, err.name()).inc()
                future.set_exception(
                    PublishError(f"Kafka did not store {event_id} on {topic_name}: {err.str()}")
                )
                return
            route.events.inc()
            route.bytes.inc(len(value))
            route.latency.observe(time.perf_counter() - started)
            future.set_result(Delivery(event_id, topic_name, msg.partition() or 0, msg.offset() or 0))

        produce_with_backpressure(
            self._producer,
            topic_name,
            value,
            key=encoded.key,
            headers=headers,
            on_delivery=on_delivery,
            wait_s=self._queue_wait_s,
        )
        return future

    def publish_all(self, events: Iterable[Event], timeout_s: float = 60.0) -> list[Delivery]:
        """Publish and wait until every event is acknowledged; raises the first PublishError."""
        futures = [self.publish(event) for event in events]
        remaining = self.flush(timeout_s)
        if remaining:
            raise PublishError(f"{remaining} events were not acknowledged within {timeout_s:.0f}s")
        return [future.result(timeout=0) for future in futures]

    def poll(self, timeout_s: float = 0) -> None:
        """Serve delivery callbacks."""
        self._producer.poll(timeout_s)

    def flush(self, timeout_s: float = 30.0) -> int:
        """Wait for every queued event's acknowledgement; how many are still unacknowledged."""
        return int(self._producer.flush(timeout_s))

    def close(self, timeout_s: float = 30.0) -> None:
        """Flush, then release the producer and the registry connection. What Kafka has not acknowledged
        after ``timeout_s`` is purged (its futures fail) and reported: a closed producer never retries."""
        remaining = self.flush(timeout_s)
        self._encoder.close()
        if remaining:
            self._producer.purge()
            self._producer.flush(0)  # serves the purged messages' delivery reports
        self._producer.close()
        if remaining:
            raise PublishError(f"closing with {remaining} events unacknowledged by Kafka")
