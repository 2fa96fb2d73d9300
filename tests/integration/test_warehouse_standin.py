"""`supplystream fulfil` (the stand-in WMS) as a process against the real broker and registry.

Each test has private copies of the topics (``<prefix>.order.allocated`` ...) declared in a
topics.yaml of its own, its own consumer group and dead-letter topic; events go in through the one
publisher and come out decoded by the one serde.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka import Message, TopicPartition
from confluent_kafka.admin import NewTopic

from producers.fulfilment import fulfilment_event_id
from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.consumer_lag import partition_lags
from supplystream.contracts.registration import load_contracts, register_all, value_subjects
from supplystream.events import (
    Allocation,
    CancelledLine,
    Event,
    MoveKind,
    OrderAllocated,
    OrderCancelled,
    ShipmentConfirmed,
    Source,
    StockMoved,
)
from supplystream.kafka_io import header_map, read_to_end
from supplystream.paths import project_root
from supplystream.publisher import Publisher
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings

pytestmark = pytest.mark.integration

ROUTER = Source(system="supplystream", adapter="order-router")
WAREHOUSES = ("WH-EAST", "WH-CENTRAL", "WH-WEST")


@dataclass(frozen=True)
class Topics:
    """The test's private topics and the settings whose catalog declares them."""

    settings: Settings
    env: dict[str, str]
    allocations: str
    cancellations: str
    shipments: str
    moves: str
    dead_letters: str


@pytest.fixture
def topics(settings: Settings, topic_prefix: str, schema_registry: SchemaRegistry, tmp_path: Path) -> Topics:
    """A topics.yaml with private copies of the four topics, created and their subjects registered."""
    p = topic_prefix
    catalog_file = tmp_path / "topics.yaml"
    catalog_file.write_text(
        f"""version: 1
dead_letters:
  name: "{p}.{{consumer}}.dlq"
  partitions: 1
topics:
  - {{name: {p}.order.allocated, description: t, key: order_id, value_schemas: [order.allocated], owner: t,
      partitions: 3, consumers: [wms-standin]}}
  - {{name: {p}.order.cancelled, description: t, key: order_id, value_schemas: [order.cancelled], owner: t,
      partitions: 3, consumers: [wms-standin]}}
  - {{name: {p}.shipment.confirmed, description: t, key: order_id, value_schemas: [shipment.confirmed],
      owner: t, partitions: 3}}
  - {{name: {p}.stock.moved, description: t, key: sku|warehouse, value_schemas: [stock.moved], owner: t,
      partitions: 3}}
"""
    )
    test_settings = settings.model_copy(update={"topics_file": catalog_file})
    catalog, schemas = load_contracts(test_settings)
    register_all(schema_registry, value_subjects(catalog, schemas))
    names = [entry.name for entry in catalog.topics]
    dead_letters = f"{p}.wms-standin.dlq"
    admin = make_admin(settings)
    wanted = [NewTopic(name, 3, 1) for name in names] + [NewTopic(dead_letters, 1, 1)]
    for future in admin.create_topics(wanted, operation_timeout=30).values():
        future.result(timeout=30)
    env = {
        **os.environ,
        "SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "SUPPLYSTREAM_REGISTRY__URL": settings.registry_url,
        "SUPPLYSTREAM_TOPICS_FILE": str(catalog_file),
        # A killed member leaves the group after 6 s instead of 45 s: the restart gets its partitions sooner.
        "SUPPLYSTREAM_KAFKA__EXTRA": json.dumps({"session.timeout.ms": "6000"}),
    }
    return Topics(
        test_settings,
        env,
        allocations=f"{p}.order.allocated",
        cancellations=f"{p}.order.cancelled",
        shipments=f"{p}.shipment.confirmed",
        moves=f"{p}.stock.moved",
        dead_letters=dead_letters,
    )


class Standin:
    """`supplystream fulfil` as a child process, its output in a log file."""

    def __init__(self, topics: Topics, group: str, log_path: Path, delay_s: float) -> None:
        self.log_path = log_path
        with log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supplystream", "fulfil", "--delay-s", str(delay_s), "--group", group],
                cwd=project_root(), env=topics.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.log():
            assert self.process.poll() is None, f"the stand-in exited early:\n{self.log()}"
            assert time.monotonic() < deadline, f"timed out waiting for {text!r}:\n{self.log()}"
            time.sleep(0.2)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def standins() -> Iterator[list[Standin]]:
    """Started stand-ins; any still running at the end are killed."""
    started: list[Standin] = []
    yield started
    for standin in started:
        standin.kill()


def start(started: list[Standin], topics: Topics, group: str, tmp_path: Path, delay_s: float) -> Standin:
    standin = Standin(topics, group, tmp_path / f"standin-{len(started)}.log", delay_s)
    started.append(standin)
    return standin


def allocated(order_id: str, lines: list[tuple[str, str, str]]) -> OrderAllocated:
    return OrderAllocated(
        event_id=uuid.uuid4(),
        event_type=OrderAllocated.EVENT_TYPE,
        occurred_at=datetime.datetime.now(datetime.UTC),
        source=ROUTER,
        correlation_id=order_id,
        causation_id=str(uuid.uuid4()),
        company="ACME",
        order_id=order_id,
        lines=tuple(
            Allocation(line_id=str(number), sku=sku, warehouse=warehouse, quantity=Decimal(quantity))
            for number, (sku, warehouse, quantity) in enumerate(lines, start=1)
        ),
    )


def cancelled(allocation: OrderAllocated) -> OrderCancelled:
    return OrderCancelled(
        event_id=uuid.uuid4(),
        event_type=OrderCancelled.EVENT_TYPE,
        occurred_at=datetime.datetime.now(datetime.UTC),
        source=ROUTER,
        correlation_id=allocation.order_id,
        company="ACME",
        order_id=allocation.order_id,
        reason="customer request",
        lines=tuple(
            CancelledLine(line_id=a.line_id, sku=a.sku, warehouse=None, quantity=a.quantity)
            for a in allocation.lines
        ),
    )


def publish(topics: Topics, events: Sequence[Event]) -> None:
    with Publisher.from_settings(topics.settings) as publisher:
        publisher.publish_all(events)


def read_events(settings: Settings, topic: str) -> list[Event]:
    """Every event in ``topic`` now (up to its end offsets), decoded by the one serde."""
    registry = SchemaRegistry.from_settings(settings)
    decode = AvroDeserializer(registry)
    found: list[Event] = []
    try:
        for message in read_to_end(settings, topic, f"{topic}.reader.{uuid.uuid4().hex[:6]}", timeout_s=30):
            record = decode(message.value() or b"")
            kind = ShipmentConfirmed if record["event_type"] == "shipment.confirmed" else StockMoved
            found.append(kind.from_record(record))
    finally:
        registry.close()
    return found


def shipments_of(topics: Topics) -> list[ShipmentConfirmed]:
    return [e for e in read_events(topics.settings, topics.shipments) if isinstance(e, ShipmentConfirmed)]


def wait_for_shipments(topics: Topics, count: int, standin: Standin, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while len(shipments_of(topics)) < count:
        assert standin.process.poll() is None, f"the stand-in exited early:\n{standin.log()}"
        assert time.monotonic() < deadline, (
            f"fewer than {count} shipments after {timeout_s:.0f}s:\n{standin.log()}"
        )
        time.sleep(0.5)


def wait_caught_up(topics: Topics, group: str, standin: Standin, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while sum(partition_lags(topics.settings, group, [topics.allocations, topics.cancellations]).values()):
        assert time.monotonic() < deadline, f"group {group} did not commit its input:\n{standin.log()}"
        time.sleep(0.5)


def expected_shipments(allocation: OrderAllocated) -> dict[str, list[tuple[str, Decimal]]]:
    by_warehouse: dict[str, list[tuple[str, Decimal]]] = {}
    for line in allocation.lines:
        by_warehouse.setdefault(line.warehouse, []).append((line.sku, line.quantity))
    return by_warehouse


def test_ships_what_was_allocated_nothing_for_cancelled_orders_and_dead_letters_garbage(
    topics: Topics, standins: list[Standin], topic_prefix: str, tmp_path: Path
) -> None:
    group = f"{topic_prefix}.wms"
    split = allocated(
        "SO-T-1", [("SKU-1", "WH-EAST", "3"), ("SKU-2", "WH-WEST", "1.250"), ("SKU-3", "WH-EAST", "2")]
    )
    single = allocated("SO-T-2", [("SKU-4", "WH-CENTRAL", "5")])
    cancelled_while_waiting = allocated("SO-T-3", [("SKU-5", "WH-EAST", "1")])
    cancelled_first = allocated("SO-T-4", [("SKU-6", "WH-WEST", "7")])
    # Cancelled before the stand-in ever saw the allocation:
    publish(topics, [cancelled(cancelled_first)])
    producer = make_producer(topics.settings)
    producer.produce(
        topics.allocations, key=b"SO-T-X", value=b"not avro", headers=[("event_id", b"garbage-1")]
    )
    assert producer.flush(30) == 0

    standin = start(standins, topics, group, tmp_path, delay_s=4.0)
    standin.wait_for("assigned")
    publish(topics, [split, single, cancelled_while_waiting, cancelled_first])
    time.sleep(0.5)  # the stand-in holds the allocations for 4 s: cancel one of them meanwhile
    publish(topics, [cancelled(cancelled_while_waiting)])

    wait_for_shipments(topics, 3, standin)
    wait_caught_up(topics, group, standin)
    time.sleep(1.0)  # anything shipped late would show up now
    assert standin.terminate() == 0, standin.log()

    shipments = shipments_of(topics)
    got = {(s.order_id, s.warehouse): [(line.sku, line.quantity) for line in s.lines] for s in shipments}
    assert got == {
        ("SO-T-1", "WH-EAST"): [("SKU-1", Decimal(3)), ("SKU-3", Decimal(2))],
        ("SO-T-1", "WH-WEST"): [("SKU-2", Decimal("1.250"))],
        ("SO-T-2", "WH-CENTRAL"): [("SKU-4", Decimal(5))],
    }
    by_order = {split.order_id: split, single.order_id: single}
    for shipment in shipments:
        allocation = by_order[shipment.order_id]
        assert shipment.causation_id == str(allocation.event_id)
        assert shipment.correlation_id == allocation.order_id
        assert shipment.event_id == fulfilment_event_id(allocation.event_id, f"shipment:{shipment.warehouse}")
    moves = [e for e in read_events(topics.settings, topics.moves) if isinstance(e, StockMoved)]
    assert sorted((m.correlation_id, m.from_warehouse, m.sku, m.quantity) for m in moves) == sorted(
        (order, warehouse, sku, quantity)
        for (order, warehouse), lines in got.items()
        for sku, quantity in lines
    )
    assert all(m.move_kind is MoveKind.DELIVERY and m.to_location == "Partners/Customers" for m in moves)

    # The garbage record went to the dead-letter topic with the standard headers.
    consumer = make_consumer(topics.settings, f"{topic_prefix}.dlq-reader")
    consumer.assign([TopicPartition(topics.dead_letters, 0, 0)])
    letters: list[Message] = []
    deadline = time.monotonic() + 30
    while not letters and time.monotonic() < deadline:
        letters = [m for m in consumer.consume(10, timeout=0.5) if m.error() is None]
    consumer.close()
    assert len(letters) == 1
    headers = {name: value.decode() for name, value in header_map(letters[0]).items()}
    assert letters[0].value() == b"not avro"
    assert headers["event_id"] == "garbage-1"
    assert headers["supplystream.error.topic"] == topics.allocations
    assert headers["supplystream.error.stage"] == "decode"
    assert headers["supplystream.error.sink"] == "wms-standin"
    assert headers["supplystream.error.class"] == "supplystream.errors.DeserializationError"
    log = standin.log()
    assert "order SO-T-3 was cancelled before shipping" in log
    assert "order SO-T-4 was cancelled before shipping" in log
    assert "correlation_id=SO-T-1" in log


def test_killed_and_restarted_it_ships_every_allocation_exactly_once(
    topics: Topics, standins: list[Standin], topic_prefix: str, tmp_path: Path
) -> None:
    group = f"{topic_prefix}.wms"
    allocations = [
        allocated(
            f"SO-K-{number:03d}",
            [("SKU-A", WAREHOUSES[number % 3], "2"), ("SKU-B", WAREHOUSES[(number + number // 3) % 3], "1")],
        )
        for number in range(60)
    ]
    expected = {(a.order_id, warehouse) for a in allocations for warehouse in expected_shipments(a)}
    first = start(standins, topics, group, tmp_path, delay_s=0.3)
    first.wait_for("assigned")
    sent = 0
    while len(shipments_of(topics)) < 5:  # feed it a few at a time until it has shipped some
        assert sent < len(allocations), f"nothing shipped:\n{first.log()}"
        publish(topics, allocations[sent : sent + 4])
        sent += 4
        time.sleep(0.2)
    publish(topics, allocations[sent : sent + 4])  # more in flight at the moment of the kill
    time.sleep(0.3)
    first.kill()  # SIGKILL: no flush, no commit of what it was doing
    publish(topics, allocations[sent + 4 :])
    assert len(shipments_of(topics)) < len(expected)

    second = start(standins, topics, group, tmp_path, delay_s=0.0)
    wait_for_shipments(topics, len(expected), second)
    wait_caught_up(topics, group, second)
    assert second.terminate() == 0, second.log()

    # Worst case: a restart that finds nothing committed re-reads every allocation and ships nothing again.
    fresh_group = f"{topic_prefix}.wms-fresh"
    third = start(standins, topics, fresh_group, tmp_path, delay_s=0.0)
    wait_caught_up(topics, fresh_group, third, timeout_s=90)
    assert third.terminate() == 0, third.log()
    assert f"already shipped {len(expected)}" in third.log()

    shipments = shipments_of(topics)
    ids = Counter(s.event_id for s in shipments)
    assert [event_id for event_id, count in ids.items() if count > 1] == []
    assert Counter((s.order_id, s.warehouse) for s in shipments) == Counter(expected)
    by_order = {a.order_id: a for a in allocations}
    for shipment in shipments:
        assert [(line.sku, line.quantity) for line in shipment.lines] == expected_shipments(
            by_order[shipment.order_id]
        )[shipment.warehouse]
    moves = [e for e in read_events(topics.settings, topics.moves) if isinstance(e, StockMoved)]
    assert {m.event_id for m in moves} == {
        fulfilment_event_id(a.event_id, f"delivery:{warehouse}:{n}")
        for a in allocations
        for warehouse, lines in expected_shipments(a).items()
        for n in range(1, len(lines) + 1)
    }
