"""`supplystream simulate` against the real broker and registry: everything arrives, reproducibly."""

from __future__ import annotations

import itertools
import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from producers.simulator import Simulation
from supplystream.clients import make_admin, make_consumer
from supplystream.contracts.registration import load_contracts, register_all, value_subjects
from supplystream.registry import SchemaRegistry
from supplystream.settings import Settings
from supplystream.topics.cluster import apply_plan
from supplystream.topics.sync import plan_catalog
from supplystream_app.cli.output import report
from tests.conftest import supplystream_cli

pytestmark = pytest.mark.integration

#: Distinctive, so the shared topics' other data never matches the ids expected here.
SEED = 424242
RATE, DURATION = 2000, 2
EXPECTED = RATE * DURATION

Offsets = dict[tuple[str, int], int]


def _prepare(settings: Settings) -> tuple[AdminClient, list[str]]:
    """Apply topics.yaml and register the contracts; the topics the simulator publishes to."""
    admin = make_admin(settings)
    plan = plan_catalog(settings, admin)
    assert not plan.refusals
    apply_plan(admin, plan, report)
    catalog, schemas = load_contracts(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        register_all(registry, value_subjects(catalog, schemas))
    types = {"stock.moved", "purchase.received", "order.placed", "order.cancelled", "shipment.confirmed"}
    return admin, [entry.name for entry in catalog.topics if types & set(entry.value_schemas)]


def _high_watermarks(consumer: Consumer, admin: AdminClient, topics: list[str]) -> Offsets:
    metadata = admin.list_topics(timeout=10).topics
    offsets: Offsets = {}
    for topic in topics:
        for partition in metadata[topic].partitions:
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            offsets[(topic, partition)] = high
    return offsets


def _event_ids(consumer: Consumer, start: Offsets, end: Offsets) -> list[str]:
    """The event_id headers of the records between ``start`` and ``end``."""
    wanted = {key: (start[key], end[key]) for key in end if end[key] > start.get(key, 0)}
    consumer.assign([TopicPartition(t, p, begin) for (t, p), (begin, _stop) in wanted.items()])
    ids: list[str] = []
    done: set[tuple[str, int]] = set()
    deadline = time.monotonic() + 60
    while len(done) < len(wanted) and time.monotonic() < deadline:
        for message in consumer.consume(1000, timeout=1.0):
            if message.error() is not None:
                continue
            key = (message.topic() or "", message.partition() or 0)
            offset = message.offset() or 0
            if key not in wanted or offset >= wanted[key][1]:
                continue
            value = dict(message.headers() or []).get("event_id")
            ids.append(value.decode() if isinstance(value, bytes) else str(value))
            if offset + 1 >= wanted[key][1]:
                done.add(key)
    assert done == set(wanted), "not every partition was read to its end in time"
    return ids


def test_simulate_publishes_every_event_and_a_rerun_the_same_ids(
    settings: Settings, topic_prefix: str
) -> None:
    admin, topics = _prepare(settings)
    expected = {str(event.event_id) for event in itertools.islice(Simulation(SEED), EXPECTED)}
    env = {
        "SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "SUPPLYSTREAM_REGISTRY__URL": settings.registry_url,
    }
    args = ("simulate", "--rate", str(RATE), "--duration", str(DURATION), "--seed", str(SEED))
    consumer = make_consumer(settings, group_id=f"{topic_prefix}.reader")
    try:
        before = _high_watermarks(consumer, admin, topics)
        first = supplystream_cli(*args, env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        middle = _high_watermarks(consumer, admin, topics)
        second = supplystream_cli(*args, env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        after = _high_watermarks(consumer, admin, topics)

        first_ids = [i for i in _event_ids(consumer, before, middle) if i in expected]
        second_ids = [i for i in _event_ids(consumer, middle, after) if i in expected]
    finally:
        consumer.close()

    assert f"published {EXPECTED:,}, acknowledged {EXPECTED:,}, failed 0" in first.stdout
    assert len(first_ids) == EXPECTED
    assert set(first_ids) == expected
    assert len(second_ids) == EXPECTED
    assert set(second_ids) == set(first_ids)
