"""`supplystream lag`, `tail` and `offsets reset` as an operator runs them, on private topics and groups
of the real broker."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from confluent_kafka import TopicPartition

from sinks.routes import SinkRoutes
from supplystream.clients import make_consumer
from supplystream.consumer_lag import committed_offsets
from supplystream.contracts.registration import load_contracts
from supplystream.settings import Settings
from supplystream_devkit.roundtrip import sample_event
from tests.conftest import supplystream_cli
from tests.integration.sink_kafka import EventWriter, create_topics, private_routes

pytestmark = pytest.mark.integration


@pytest.fixture
def routes(contracts_ready: Settings, topic_prefix: str) -> SinkRoutes:
    routes = private_routes(topic_prefix, "ops", ["stock.moved"])
    create_topics(contracts_ready, routes, partitions=1)
    return routes


@pytest.fixture
def writer(contracts_ready: Settings, topic_prefix: str) -> Iterator[EventWriter]:
    writer = EventWriter(contracts_ready, topic_prefix)
    yield writer
    writer.close()


def commit(settings: Settings, group: str, topic: str, offset: int) -> None:
    consumer = make_consumer(settings, group)
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    finally:
        consumer.close()


def test_lag_shows_committed_end_lag_and_time_lag(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    topic = routes.topics[0]
    writer.send([sample_event(n) for n in range(10)])
    commit(contracts_ready, routes.group_id, topic, 4)
    time.sleep(2)
    result = supplystream_cli("lag", routes.group_id, "--plain")
    assert result.returncode == 0, result.stderr
    group, listed, partition, committed, end, lag, time_lag = result.stdout.strip().split("\t")
    assert (group, listed, partition, committed, end, lag) == (routes.group_id, topic, "0", "4", "10", "6")
    assert 2.0 <= float(time_lag) < 120
    table = supplystream_cli("lag", routes.group_id, "--all")
    assert table.returncode == 0, table.stderr
    assert "total" in table.stdout
    commit(contracts_ready, routes.group_id, topic, 10)
    caught_up = supplystream_cli("lag", routes.group_id, "--plain", "--all")
    assert caught_up.returncode == 0, caught_up.stderr
    assert caught_up.stdout.strip().split("\t")[3:] == ["10", "10", "0", "0.000"]
    assert supplystream_cli("lag", routes.group_id, "--plain").stdout.strip() == ""  # lagging ones only


def test_tail_decodes_and_filters(contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter) -> None:
    topic = routes.topics[0]
    events = [sample_event(n) for n in range(20)]
    writer.send(events)
    wanted = events[13]
    result = supplystream_cli(
        "tail", topic, "--from-beginning", "--where", f"sku={wanted.sku}", "--where",
        f"warehouse={wanted.warehouse}", "--limit", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f'"event_id": "{wanted.event_id}"' in result.stdout
    assert "(avro)" in result.stdout
    assert result.stdout.count('"event_id"') == 1
    catalog, _ = load_contracts(contracts_ready)
    record = wanted.to_record()
    key = "|".join(str(record[name]) for name in catalog.topic("stock.moved").key_fields)
    same_key = [
        e
        for e in events
        if "|".join(str(e.to_record()[n]) for n in catalog.topic("stock.moved").key_fields) == key
    ]
    by_key = supplystream_cli("tail", topic, "--from-beginning", "--key", key, "--limit", str(len(same_key)))
    assert by_key.returncode == 0, by_key.stderr
    assert by_key.stdout.count('"event_id"') == len(same_key)
    assert by_key.stdout.count(f"key {key}") == len(same_key)


def test_offsets_reset_dry_run_execute_and_refusal(
    contracts_ready: Settings, routes: SinkRoutes, writer: EventWriter
) -> None:
    topic = routes.topics[0]
    group = routes.group_id
    writer.send([sample_event(n) for n in range(5)])
    time.sleep(1.1)
    middle = dt.datetime.now(dt.UTC)
    time.sleep(1.1)
    writer.send([sample_event(n) for n in range(5, 8)])
    commit(contracts_ready, group, topic, 8)
    when = middle.strftime("%Y-%m-%dT%H:%M:%S%z")

    dry = supplystream_cli("offsets", "reset", group, "--to-datetime", when)
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout
    assert "+3" in dry.stdout  # 8 -> 5: three records read again
    assert committed_offsets(contracts_ready, group, [topic]) == {(topic, 0): 8}

    done = supplystream_cli("offsets", "reset", group, "--to-datetime", when, "--execute")
    assert done.returncode == 0, done.stderr
    assert committed_offsets(contracts_ready, group, [topic]) == {(topic, 0): 5}

    member = make_consumer(contracts_ready, group)
    member.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while not member.assignment() and time.monotonic() < deadline:
            member.poll(0.2)
        refused = supplystream_cli("offsets", "reset", group, "--to-datetime", when, "--execute")
    finally:
        member.close()
    assert refused.returncode != 0
    assert "active member" in refused.stderr
    assert "supplystream replay" in refused.stderr
    assert committed_offsets(contracts_ready, group, [topic])[(topic, 0)] == 5
