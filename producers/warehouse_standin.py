"""STAND-IN for a warehouse management system: ships what the order router allocated.

For the demo (and tests) only: it publishes `producers.fulfilment.shipments_for` of each
``order.allocated`` after ``delay_s``, unless the order was cancelled meanwhile. Idempotent across
crashes because it reads the ids already published at start and never publishes one twice; run one
instance at a time. Behaviour in detail: "Sources" (Stand-in WMS) in the README.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from producers.fulfilment import Shipment, remaining_after, shipments_for
from supplystream.clients import make_consumer, make_producer
from supplystream.contracts.registration import load_contracts
from supplystream.dead_letters import dead_letter_headers, failure_of
from supplystream.errors import (
    ConfigurationError,
    DeserializationError,
    PublishError,
    RegistryError,
    SupplyStreamError,
)
from supplystream.events import Event, OrderAllocated, OrderCancelled, ShipmentConfirmed, StockMoved
from supplystream.kafka_io import header_map, read_to_end
from supplystream.publisher import Delivery, Publisher
from supplystream.registry import SchemaRegistry, is_unknown_schema
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings
from supplystream.topics.catalog import TopicCatalog

log = logging.getLogger("supplystream.wms_standin")

#: The stand-in's name in topics.yaml's ``consumers`` lists (and its default consumer group).
CONSUMER = "wms-standin"
#: The client reading whole topics at start (never joins a group).
SCAN_READER = f"{CONSUMER}.startup-scan"
Position = tuple[str, int]


class WarehouseStandinError(SupplyStreamError):
    """The stand-in cannot go on safely (Kafka did not store shipments or dead letters)."""


@dataclass(frozen=True, slots=True)
class StandinRoutes:
    """Where the stand-in reads, writes dead letters and looks for what it already shipped."""

    group_id: str
    allocations: str
    cancellations: str
    shipments: str
    #: Where its DELIVERY moves go (read at start too: a crash between moves and shipment).
    moves: str
    dead_letter_topic: str

    @classmethod
    def from_catalog(cls, catalog: TopicCatalog, group_id: str | None = None) -> StandinRoutes:
        """The topics listing ``wms-standin`` as a consumer that carry allocations and cancellations."""

        def topic_of(event_type: str, *, read: bool) -> str:
            for entry in catalog.topics:
                if event_type in entry.value_schemas and (not read or CONSUMER in entry.consumers):
                    return entry.name
            if read:
                raise ConfigurationError(
                    f"no topic in topics.yaml that carries {event_type!r} lists {CONSUMER!r} among its "
                    "consumers: add it to that topic's `consumers`"
                )
            raise ConfigurationError(f"no topic in topics.yaml carries {event_type!r}")

        return cls(
            group_id=group_id or CONSUMER,
            allocations=topic_of(OrderAllocated.EVENT_TYPE, read=True),
            cancellations=topic_of(OrderCancelled.EVENT_TYPE, read=True),
            shipments=topic_of(ShipmentConfirmed.EVENT_TYPE, read=False),
            moves=topic_of(StockMoved.EVENT_TYPE, read=False),
            dead_letter_topic=catalog.dead_letters.topic_for(CONSUMER),
        )


@dataclass
class StandinSummary:
    """What a run did (printed by `supplystream fulfil`, asserted by tests)."""

    allocations: int = 0
    cancellations: int = 0
    shipped_allocations: int = 0
    shipments: int = 0
    deliveries: int = 0
    already_shipped: int = 0
    cancelled_before_shipping: int = 0
    dead_lettered: int = 0


@dataclass(order=True)
class _Waiting:
    """An allocation waiting for its shipping time."""

    due: float
    position: Position = field(compare=False)
    offset: int = field(compare=False)
    allocation: OrderAllocated = field(compare=False)


def committable(
    next_offsets: Mapping[Position, int], open_offsets: Mapping[Position, set[int]]
) -> dict[Position, int]:
    """Per partition, the offset to commit: the first record not done yet, else the next to read."""
    return {
        position: min(open_offsets[position]) if open_offsets.get(position) else end
        for position, end in next_offsets.items()
    }


class WarehouseStandin:
    """Ships what the router allocated; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        *,
        delay_s: float = 1.0,
        routes: StandinRoutes | None = None,
        uom_of: Callable[[str], str] | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        if routes is None:
            catalog, _schemas = load_contracts(settings)
            routes = StandinRoutes.from_catalog(catalog)
        self.routes = routes
        self.delay_s = delay_s
        self.summary = StandinSummary()
        self._settings = settings
        self._uom_of = uom_of or (lambda _sku: "Units")
        self._registry = SchemaRegistry.from_settings(settings)
        self._decode = AvroDeserializer(self._registry)
        self._publisher = publisher or Publisher.from_settings(settings, **{"linger.ms": 1})
        self._dead_letters: Producer = make_producer(settings, **{"linger.ms": 0})
        self._consumer: Consumer = make_consumer(settings, routes.group_id, **{"enable.partition.eof": False})
        #: Event ids Kafka already holds (shipments found at start, and everything published since).
        self._published: set[str] = set()
        #: Cancellations per order, from the whole topic at start and as they come.
        self._cancellations: dict[str, list[OrderCancelled]] = {}
        self._waiting: list[_Waiting] = []
        self._next_offsets: dict[Position, int] = {}
        self._open: dict[Position, set[int]] = {}
        self._committed: dict[Position, int] = {}
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> WarehouseStandin:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Leave the group and release the clients (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._consumer.close()
        finally:
            self._publisher.close(timeout_s=10)
            self._registry.close()

    def recover(self) -> None:
        """Learn what was already shipped and cancelled (whole topics; see the module docstring)."""
        scanned = (self.routes.shipments, self.routes.moves)
        for message in (m for topic in scanned for m in read_to_end(self._settings, topic, SCAN_READER)):
            event_id = header_map(message).get("event_id")
            if event_id is None and message.value() is not None:
                try:
                    event_id = str(self._decode(message.value() or b"")["event_id"]).encode()
                except (DeserializationError, RegistryError, KeyError):
                    continue
            if event_id is not None:
                self._published.add(event_id.decode("utf-8", "replace"))
        for message in read_to_end(self._settings, self.routes.cancellations, SCAN_READER):
            event = self._decode_event(message)
            if isinstance(event, OrderCancelled):
                self._cancellations.setdefault(event.order_id, []).append(event)
        log.info(
            "recovered: %d shipment event ids in %s, cancellations of %d orders in %s",
            len(self._published), self.routes.shipments, len(self._cancellations), self.routes.cancellations,
        )  # fmt: skip

    def run(self, stop: threading.Event) -> StandinSummary:
        """Recover, then ship allocations until ``stop`` is set; commits what was done before returning."""
        self.recover()
        self._consumer.subscribe(
            [self.routes.allocations, self.routes.cancellations],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        log.info(
            "%s: group %s reading %s and %s, shipping %.1fs after each allocation",
            CONSUMER, self.routes.group_id, self.routes.allocations, self.routes.cancellations, self.delay_s,
        )  # fmt: skip
        while not stop.is_set():
            self.step()
        self._publisher.flush(30)
        self._commit()
        return self.summary

    def step(self) -> None:
        """Consume (waiting at most until the next shipment is due), ship what is due, commit."""
        wait = 0.2
        if self._waiting:
            wait = max(0.0, min(wait, self._waiting[0].due - time.monotonic()))
        for message in self._consumer.consume(500, timeout=wait):
            self._handle(message)
        self._ship_due(time.monotonic())
        self._commit()

    # -- input ---------------------------------------------------------------------------------

    def _handle(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.fatal():
                raise WarehouseStandinError(f"Kafka fatal error: {error.str()}")
            log.warning("consumer: %s", error.str())
            return
        topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
        position = (topic, partition)
        self._next_offsets[position] = offset + 1
        try:
            event = self._decode_event(message)
        except RegistryError as exc:
            # Never skip a record because the registry is down; nothing after it is committed.
            raise WarehouseStandinError(
                f"the schema registry does not answer ({exc}); restart the stand-in when it is back: "
                f"it resumes from {topic}[{partition}]@{offset} or earlier"
            ) from exc
        except (DeserializationError, KeyError, ValueError, TypeError) as exc:
            self._dead_letter(message, exc)
            return
        if isinstance(event, OrderCancelled):
            self.summary.cancellations += 1
            self._cancellations.setdefault(event.order_id, []).append(event)
            log.info(
                "cancellation of %s noted (event_id=%s correlation_id=%s)",
                event.order_id, event.event_id, event.correlation_id,
            )  # fmt: skip
        elif isinstance(event, OrderAllocated):
            self.summary.allocations += 1
            self._open.setdefault(position, set()).add(offset)
            heapq.heappush(self._waiting, _Waiting(time.monotonic() + self.delay_s, position, offset, event))
        else:
            self._dead_letter(message, DeserializationError(f"{topic} carries a {event.event_type} event"))

    def _decode_event(self, message: Message) -> Event:
        """The event in ``message``; undecodable records raise (RegistryError when the registry is down)."""
        value = message.value()
        if value is None:
            raise DeserializationError("a tombstone (null value) is neither an allocation nor a cancellation")
        try:
            record = self._decode(value)
        except RegistryError as exc:
            if is_unknown_schema(exc):
                raise DeserializationError(f"unknown schema id: {exc}") from exc
            raise
        event_type = record.get("event_type")
        if event_type == OrderAllocated.EVENT_TYPE:
            return OrderAllocated.from_record(record)
        if event_type == OrderCancelled.EVENT_TYPE:
            return OrderCancelled.from_record(record)
        raise DeserializationError(f"{message.topic()} carries a {event_type!r} event, not an allocation")

    def _dead_letter(self, message: Message, error: BaseException) -> None:
        headers = header_map(message)
        now = dt.datetime.now(dt.UTC)
        topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
        failure = failure_of(error, 1, now, now, "decode")
        errors: list[str] = []

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                errors.append(err.str())

        self._dead_letters.produce(
            self.routes.dead_letter_topic,
            key=message.key(),
            value=message.value(),
            headers=list[tuple[str, str | bytes | None]](
                dead_letter_headers(
                    topic=topic,
                    partition=partition,
                    offset=offset,
                    sink=CONSUMER,
                    failure=failure,
                    original=headers,
                )
            ),
            on_delivery=delivered,
        )
        remaining = self._dead_letters.flush(30)
        if remaining or errors:
            raise WarehouseStandinError(
                f"Kafka did not store a dead letter on {self.routes.dead_letter_topic} "
                f"({'; '.join(errors) or 'timed out'}); nothing was committed. Does the topic exist "
                "(`supplystream topics apply`)?"
            )
        self.summary.dead_lettered += 1
        log.error(
            "dead-lettered %s[%d]@%d to %s: %s (event_id=%s correlation_id=%s)",
            topic, partition, offset, self.routes.dead_letter_topic, failure.error_class,
            headers.get("event_id", b"").decode("utf-8", "replace"),
            headers.get("correlation_id", b"").decode("utf-8", "replace"),
        )  # fmt: skip

    # -- shipping ------------------------------------------------------------------------------

    def _ship_due(self, now: float) -> None:
        due: list[_Waiting] = []
        while self._waiting and self._waiting[0].due <= now:
            due.append(heapq.heappop(self._waiting))
        if not due:
            return
        shipped_at = dt.datetime.now(dt.UTC)
        to_ship: list[list[Shipment]] = []
        for waiting in due:
            allocation = waiting.allocation
            left = remaining_after(allocation, self._cancellations.get(allocation.order_id, ()))
            if left is None:
                self.summary.cancelled_before_shipping += 1
                log.info(
                    "order %s was cancelled before shipping: nothing ships (event_id=%s correlation_id=%s)",
                    allocation.order_id, allocation.event_id, allocation.correlation_id,
                )  # fmt: skip
                continue
            shipments = shipments_for(left, shipped_at=shipped_at, uom_of=self._uom_of)
            fresh = [s for s in shipments if str(s.confirmed.event_id) not in self._published]
            self.summary.already_shipped += len(shipments) - len(fresh)
            to_ship.append(fresh)
        # Moves first, then the shipments: a shipment in Kafka means its moves are stored too.
        self._publish_acknowledged(
            [move for shipments in to_ship for s in shipments for move in s.deliveries]
        )
        self._publish_acknowledged([s.confirmed for shipments in to_ship for s in shipments])
        for shipments in to_ship:
            if shipments:
                self.summary.shipped_allocations += 1
            self.summary.shipments += len(shipments)
            self.summary.deliveries += sum(len(s.deliveries) for s in shipments)
            for shipment in shipments:
                confirmed = shipment.confirmed
                log.info(
                    "shipped %s from %s: %d lines, %s %s (event_id=%s correlation_id=%s causation_id=%s)",
                    confirmed.shipment_id, confirmed.warehouse, len(confirmed.lines), confirmed.carrier,
                    confirmed.tracking_number, confirmed.event_id, confirmed.correlation_id,
                    confirmed.causation_id,
                )  # fmt: skip
        for waiting in due:
            self._open.get(waiting.position, set()).discard(waiting.offset)

    def _publish_acknowledged(self, events: list[Event]) -> None:
        """Publish ``events`` not yet in Kafka and wait for every acknowledgement."""
        fresh = [event for event in events if str(event.event_id) not in self._published]
        if not fresh:
            return
        futures = [self._publisher.publish(event) for event in fresh]
        remaining = self._publisher.flush(60)
        if remaining:
            raise WarehouseStandinError(
                f"{remaining} shipment events were not acknowledged by Kafka within 60s; nothing was "
                "committed, a restart ships them again (without duplicates)"
            )
        for event, future in zip(fresh, futures, strict=True):
            try:
                delivery: Delivery = future.result(timeout=0)
            except PublishError as exc:
                raise WarehouseStandinError(
                    f"{exc}; nothing was committed, a restart ships it again"
                ) from exc
            self._published.add(delivery.event_id)
            log.debug(
                "stored %s on %s[%d]@%d", event.event_id, delivery.topic, delivery.partition, delivery.offset
            )

    # -- commits and rebalances ----------------------------------------------------------------

    def _commit(self, only: set[Position] | None = None) -> None:
        wanted = {
            position: offset
            for position, offset in committable(self._next_offsets, self._open).items()
            if self._committed.get(position) != offset and (only is None or position in only)
        }
        if not wanted:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in sorted(wanted.items())]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            log.warning("commit failed (%s); retried with the next one", exc)
            return
        self._committed.update(wanted)

    def _forget(self, positions: set[Position]) -> None:
        for position in positions:
            self._next_offsets.pop(position, None)
            self._open.pop(position, None)
            self._committed.pop(position, None)
        self._waiting = [w for w in self._waiting if w.position not in positions]
        heapq.heapify(self._waiting)

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s", _describe(partitions))

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        self._commit(revoked)
        self._forget(revoked)
        log.info("revoked %s", _describe(partitions))

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._forget({(tp.topic, tp.partition) for tp in partitions})
        log.warning("lost %s (another member owns them now)", _describe(partitions))


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"


def describe_summary(summary: StandinSummary, seconds: float) -> str:
    """One line for the operator."""
    return (
        f"allocations {summary.allocations:,}, shipped {summary.shipped_allocations:,} "
        f"({summary.shipments:,} shipments, {summary.deliveries:,} deliveries), "
        f"cancelled before shipping {summary.cancelled_before_shipping:,}, "
        f"already shipped {summary.already_shipped:,}, cancellations {summary.cancellations:,}, "
        f"dead-lettered {summary.dead_lettered:,}, in {seconds:,.1f}s"
    )


__all__ = [
    "CONSUMER",
    "StandinRoutes",
    "StandinSummary",
    "WarehouseStandin",
    "WarehouseStandinError",
    "committable",
    "describe_summary",
]
