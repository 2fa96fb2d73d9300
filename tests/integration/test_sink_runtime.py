"""The sink runtime against the real broker and registry, with an in-memory target it drives.

The target (`MemoryTarget`) is the only stand-in: it records what was applied and can refuse
events, fail transiently or be unreachable. Kafka, the registry and the serde are real.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from prometheus_client import CollectorRegistry

from sinks.base import (
    NotYetApplicableError,
    PermanentSinkError,
    Rejected,
    SinkRecord,
    TargetUnavailableError,
    TransientSinkError,
)
from sinks.metrics import SinkMetrics
from sinks.routes import SinkRoutes
from sinks.runtime import SinkRuntime
from supplystream.events import Allocation, OrderAllocated, OrderLine, OrderPlaced, ShipTo, Source
from supplystream.settings import Settings, SinkSettings
from supplystream_devkit.roundtrip import sample_event
from tests.integration.sink_kafka import (
    EventWriter,
    RunningSink,
    create_topics,
    lag_of,
    private_routes,
    read_all,
    wait_until,
)

pytestmark = pytest.mark.integration

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
FAST = SinkSettings(
    batch_size=100,
    poll_timeout_s=0.2,
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    probe_base_s=0.2,
    probe_max_s=0.5,
)


@dataclass
class MemoryTarget:
    """A target that records applied event ids; refuses, fails or is down on request."""

    name: str = "memory-sink"
    applied: Counter[str] = field(default_factory=Counter)
    poison: set[str] = field(default_factory=set)
    #: Event ids that raise PermanentSinkError when written alone (a batch containing them fails).
    explosive: set[str] = field(default_factory=set)
    transient_failures: int = 0
    down: bool = False
    writes: int = 0
    probes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, batch: Sequence[SinkRecord]) -> Sequence[Rejected]:
        with self.lock:
            self.writes += 1
            if self.down:
                raise TargetUnavailableError("connection refused")
            if self.transient_failures > 0:
                self.transient_failures -= 1
                raise TransientSinkError("deadlock detected")
            ids = {r.event_id for r in batch}
            if ids & self.explosive:
                raise PermanentSinkError("this event breaks the batch")
            rejected = [
                Rejected(r, PermanentSinkError(f"no such SKU {r.key}"))
                for r in batch
                if r.event_id in self.poison
            ]
            for record in batch:
                if record.event_id not in self.poison:
                    self.applied[record.event_id] += 1
            return rejected

    def probe(self) -> bool:
        self.probes += 1
        return not self.down

    def close(self) -> None:
        pass


@pytest.fixture
def routes(contracts_ready: Settings, topic_prefix: str) -> SinkRoutes:
    routes = private_routes(topic_prefix, "memory-sink", ["stock.moved"])
    create_topics(contracts_ready, routes, partitions=3)
    return routes


@pytest.fixture
def writer(contracts_ready: Settings, topic_prefix: str) -> Iterator[EventWriter]:
    writer = EventWriter(contracts_ready, topic_prefix)
    yield writer
    writer.close()


def runtime(settings: Settings, target: MemoryTarget, routes: SinkRoutes) -> SinkRuntime:
    return SinkRuntime(
        target, settings, routes=routes, config=FAST, metrics=SinkMetrics.create(CollectorRegistry())
    )


def test_applies_every_event_once_and_commits(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    events = [sample_event(n) for n in range(500)]
    writer.send(events)
    target = MemoryTarget()
    with runtime(contracts_ready, target, routes) as sink:
        summary = sink.drain(until_idle_s=0.5)
    assert set(target.applied) == {str(e.event_id) for e in events}
    assert max(target.applied.values()) == 1
    assert summary.applied == 500
    assert lag_of(contracts_ready, routes) == 0
    # A new runtime in the same group starts after the committed offsets: nothing is applied again.
    again = MemoryTarget()
    with runtime(contracts_ready, again, routes) as sink:
        sink.drain(until_idle_s=0.5)
    assert not again.applied


def test_a_poison_event_is_dead_lettered_with_headers_and_the_partition_moves_on(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    events = [sample_event(n) for n in range(60)]
    poison = events[10]
    writer.send(events)
    writer.send_raw("stock.moved", poison.sku.encode(), b"\x07 this is not avro")
    later = [sample_event(n) for n in range(60, 90)]
    writer.send(later)
    target = MemoryTarget(poison={str(poison.event_id)})
    with runtime(contracts_ready, target, routes) as sink:
        summary = sink.drain(until_idle_s=0.5)

    assert set(target.applied) == {str(e.event_id) for e in events + later} - {str(poison.event_id)}
    assert summary.dead_lettered == 2
    letters = read_all(contracts_ready, routes.dead_letter_topic, expected=2)
    by_stage = {letter.headers["supplystream.error.stage"]: letter for letter in letters}
    refused = by_stage["apply"]
    assert refused.headers["event_id"] == str(poison.event_id)
    assert refused.headers["supplystream.error.topic"] == routes.topics[0]
    assert refused.headers["supplystream.error.sink"] == "memory-sink"
    assert refused.headers["supplystream.error.class"] == "sinks.base.PermanentSinkError"
    assert refused.headers["supplystream.error.message"] == f"no such SKU {poison.sku}|{poison.warehouse}"
    assert "PermanentSinkError" in refused.headers["supplystream.error.stacktrace"]
    assert refused.headers["supplystream.error.attempts"] == "1"
    assert refused.headers["supplystream.error.first.failure"].endswith("Z")
    assert (
        refused.headers["supplystream.error.last.failure"]
        >= refused.headers["supplystream.error.first.failure"]
    )
    assert refused.key == f"{poison.sku}|{poison.warehouse}".encode()
    assert int(refused.headers["supplystream.error.offset"]) >= 0
    undecodable = by_stage["decode"]
    assert undecodable.value == b"\x07 this is not avro"
    assert undecodable.headers["supplystream.error.class"] == "supplystream.errors.DeserializationError"
    assert lag_of(contracts_ready, routes) == 0


def test_transient_errors_are_retried_then_isolated(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    events = [sample_event(n) for n in range(40)]
    explosive = events[7]
    writer.send(events)
    target = MemoryTarget(transient_failures=2, explosive={str(explosive.event_id)})
    with runtime(contracts_ready, target, routes) as sink:
        summary = sink.drain(until_idle_s=0.5)
    assert set(target.applied) == {str(e.event_id) for e in events} - {str(explosive.event_id)}
    assert max(target.applied.values()) == 1
    assert summary.retried >= 2
    [letter] = read_all(contracts_ready, routes.dead_letter_topic, expected=1)
    assert letter.headers["event_id"] == str(explosive.event_id)
    assert letter.headers["supplystream.error.class"] == "sinks.base.PermanentSinkError"


def test_an_unreachable_target_pauses_and_resumes_without_skipping(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    first = [sample_event(n) for n in range(100)]
    writer.send(first)
    target = MemoryTarget()
    sink = runtime(contracts_ready, target, routes)
    running = RunningSink(sink.run)
    try:
        wait_until(lambda: len(target.applied) == 100, 30, "the first events")
        target.down = True
        second = [sample_event(n) for n in range(100, 300)]
        writer.send(second)
        wait_until(lambda: sink.circuit.is_open, 30, "the circuit to open")
        probes = target.probes
        time.sleep(2)
        assert target.probes > probes, "the runtime probes the target while the circuit is open"
        writes = target.writes
        time.sleep(1)
        assert target.writes == writes, "no writes while the circuit is open"
        assert lag_of(contracts_ready, routes) == 200
        target.down = False
        wait_until(lambda: lag_of(contracts_ready, routes) == 0, 60, "the lag to drain")
    finally:
        running.stop()
        sink.close()
    assert set(target.applied) == {str(e.event_id) for e in first + second}
    assert max(target.applied.values()) == 1
    assert sink.summary.circuit_opened >= 1


def test_stop_during_backoff_commits_nothing_unapplied(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    writer.send([sample_event(n) for n in range(20)])
    target = MemoryTarget(transient_failures=10**6)
    config = FAST.model_copy(update={"backoff_base_s": 5.0, "backoff_max_s": 5.0})
    sink = SinkRuntime(
        target, contracts_ready, routes=routes, config=config, metrics=SinkMetrics.create(CollectorRegistry())
    )
    running = RunningSink(sink.run)
    wait_until(lambda: target.writes >= 1, 30, "the first write")
    started = time.monotonic()
    running.stop()
    sink.close()
    assert time.monotonic() - started < 5, "stop interrupts the backoff"
    assert lag_of(contracts_ready, routes) == 20


# -- records that wait for another one (NotYetApplicableError) ------------------------------------


def placed(order_id: str) -> OrderPlaced:
    return OrderPlaced(
        event_id=uuid.uuid4(),
        event_type=OrderPlaced.EVENT_TYPE,
        occurred_at=NOW,
        source=Source(system="shop", adapter="webhook-source"),
        correlation_id=order_id,
        company="main",
        order_id=order_id,
        channel="shop",
        customer_ref=f"C-{order_id}",
        ship_to=ShipTo(country="US"),
        lines=(OrderLine(line_id="1", sku="SKU-1", quantity=Decimal(1)),),
    )


def allocated(order_id: str) -> OrderAllocated:
    return OrderAllocated(
        event_id=uuid.uuid4(),
        event_type=OrderAllocated.EVENT_TYPE,
        occurred_at=NOW,
        source=Source(system="supplystream", adapter="order-router"),
        correlation_id=order_id,
        company="main",
        order_id=order_id,
        lines=(Allocation(line_id="1", sku="SKU-1", warehouse="EAST", quantity=Decimal(1)),),
    )


@dataclass
class OrdersTarget:
    """Orders and their allocations: an allocation of an order not placed yet is not applicable yet."""

    name: str = "memory-sink"
    #: Applied event ids, in the order they were applied (repeats included).
    applied: list[str] = field(default_factory=list)
    orders: set[str] = field(default_factory=set)
    #: (partition, offset) of every record deferred.
    deferred: list[tuple[int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, batch: Sequence[SinkRecord]) -> Sequence[Rejected]:
        with self.lock:
            rejected: list[Rejected] = []
            # Within a batch, orders before allocations (as the Odoo sink does).
            for record in sorted(batch, key=lambda r: r.event_type != OrderPlaced.EVENT_TYPE):
                order_id = str(record.event["order_id"])
                if record.event_type == OrderPlaced.EVENT_TYPE:
                    self.orders.add(order_id)
                elif order_id not in self.orders:
                    self.deferred.append((record.partition, record.offset))
                    rejected.append(Rejected(record, NotYetApplicableError(f"no order {order_id} yet")))
                    continue
                self.applied.append(record.event_id)
            return rejected

    def probe(self) -> bool:
        return True

    def close(self) -> None:
        pass


@pytest.fixture
def order_routes(contracts_ready: Settings, topic_prefix: str) -> SinkRoutes:
    routes = private_routes(topic_prefix, "memory-sink", ["order.placed", "order.allocated"])
    create_topics(contracts_ready, routes, partitions=3)
    return routes


def test_a_record_waiting_for_another_topic_is_retried_not_dead_lettered(
    contracts_ready: Settings, order_routes: SinkRoutes, writer: EventWriter
) -> None:
    earlier = [f"O-{n}" for n in range(12)]
    writer.send([placed(order) for order in earlier])
    writer.send([allocated(order) for order in earlier])
    early = allocated("O-LATE")  # its order.placed comes later, on the other topic
    writer.send([early])
    target = OrdersTarget()
    registry = CollectorRegistry()
    sink = SinkRuntime(
        target, contracts_ready, routes=order_routes, config=FAST, metrics=SinkMetrics.create(registry)
    )
    running = RunningSink(sink.run)
    try:
        wait_until(lambda: len(target.deferred) >= 3, 30, "the early allocation to be retried")
        with target.lock:
            partition, offset = target.deferred[0]
            assert set(target.deferred) == {(partition, offset)}, "only the early allocation waits"
            assert str(early.event_id) not in target.applied
        # Everything before it (on its partition too) and on the other partitions is committed.
        assert lag_of(contracts_ready, order_routes) == 1
        later = [f"O-{n}" for n in range(12, 24)]
        writer.send([placed(order) for order in later])
        later_allocations = [allocated(order) for order in later]
        writer.send(later_allocations)
        wanted = {str(e.event_id) for e in later_allocations}
        wait_until(lambda: wanted <= set(target.applied), 30, "the later allocations to apply meanwhile")
        assert str(early.event_id) not in target.applied
        writer.send([placed("O-LATE")])
        wait_until(lambda: str(early.event_id) in target.applied, 30, "the allocation to apply")
        wait_until(lambda: lag_of(contracts_ready, order_routes) == 0, 30, "the lag to drain")
    finally:
        running.stop()
        sink.close()
    assert set(target.applied) >= {str(early.event_id)}
    assert sink.summary.dead_lettered == 0
    assert read_all(contracts_ready, order_routes.dead_letter_topic, expected=1, timeout_s=2) == []
    assert sink.summary.deferred == len(target.deferred) >= 3
    deferred = {"sink": "memory-sink", "topic": order_routes.topics[1]}
    assert registry.get_sample_value("supplystream_sink_deferred_total", deferred) == sink.summary.deferred


def test_a_record_that_never_becomes_applicable_is_dead_lettered_after_the_timeout(
    contracts_ready: Settings, order_routes: SinkRoutes, writer: EventWriter
) -> None:
    orphan = allocated("O-NEVER")
    writer.send([orphan])
    target = OrdersTarget()
    config = FAST.model_copy(update={"defer_timeout_s": 2.0})
    started = time.monotonic()
    with SinkRuntime(
        target,
        contracts_ready,
        routes=order_routes,
        config=config,
        metrics=SinkMetrics.create(CollectorRegistry()),
    ) as sink:
        sink.drain(until_idle_s=0.5, timeout_s=30)
    assert time.monotonic() - started >= 2.0
    assert sink.summary.dead_lettered == 1
    assert len(target.deferred) >= 2, "retried before giving up"
    [letter] = read_all(contracts_ready, order_routes.dead_letter_topic, expected=1)
    assert letter.headers["event_id"] == str(orphan.event_id)
    assert letter.headers["supplystream.error.class"] == "sinks.base.NotYetApplicableError"
    assert letter.headers["supplystream.error.stage"] == "apply"
    assert letter.headers["supplystream.error.topic"] == order_routes.topics[1]
    message = letter.headers["supplystream.error.message"]
    assert message.startswith("no order O-NEVER yet -- still not applicable after waiting")
    assert "defer_timeout_s 2" in message
    assert int(letter.headers["supplystream.error.attempts"]) == len(target.deferred)
    first, last = (letter.headers[f"supplystream.error.{at}.failure"] for at in ("first", "last"))
    assert last > first
    assert lag_of(contracts_ready, order_routes) == 0
