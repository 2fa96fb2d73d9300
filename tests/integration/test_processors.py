"""The processors against a real broker: SIGKILL mid-stream changes no outcome.

A private stack (fresh Kafka and registry, the catalog's real topic names), the simulator's events,
the ATP processor and the order router as separate worker processes (RocksDB tables), each killed
with SIGKILL in the middle of the stream and restarted. Afterwards:

- the ATP of every SKU and warehouse (latest atp.changed) equals the ATP recomputed from the input
  topics by the pure functions (`processors.replay`), holds included (none may be left);
- no order is allocated twice (one order.allocated event id per order, every copy identical) and no
  order is both allocated in full and refused;
- per key, atp.changed versions never go backwards, and a repeated version repeats the same figures.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest

from processors.atp_processor import TRANSLATED
from processors.config import ProcessorConfig, load_processor_config
from processors.replay import figures_from, positions_from
from producers.simulator import Simulation, SimulationConfig
from supplystream.contracts.registration import load_contracts
from supplystream.events import CancelledLine, OrderCancelled, OrderPlaced
from supplystream.kafka_io import record_count
from supplystream.publisher import Publisher
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings
from supplystream_devkit.ports import free_port
from supplystream_devkit.processor_workers import (
    LAST_SEEN,
    Worker,
    caught_up,
    log_tail,
    read_topic,
)
from tests.integration.conftest import FreshStack
from tests.integration.sink_kafka import wait_until

pytestmark = pytest.mark.integration

EVENTS = 8000
INPUT_TOPICS = ("stock.moved", *TRANSLATED)
Figures3 = tuple[Decimal, Decimal, Decimal]
Decode = Callable[[bytes], Mapping[str, Any]]


def _decoder(fresh_stack: FreshStack) -> tuple[AvroDeserializer, SchemaRegistry]:
    registry = SchemaRegistry.from_settings(fresh_stack.settings)
    return AvroDeserializer(registry), registry


def _running(*workers: Worker) -> bool:
    for worker in workers:
        assert worker.alive, f"the {worker.name} worker died: see {worker.log}"
    return True


def _run_with_kills(settings: Settings, atp: Worker, router: Worker) -> None:
    atp.start()
    router.start()
    # Kill each worker once the stream is well under way, and start it again.
    _wait(
        lambda: _running(atp, router) and record_count(settings, "atp.changed") >= 1500,
        180,
        "the ATP processor to publish 1,500 changes",
        (atp, router),
    )
    atp.kill()
    atp.start()
    _wait(
        lambda: _running(atp, router) and record_count(settings, "order.allocated") >= 150,
        180,
        "150 allocations",
        (atp, router),
    )
    router.kill()
    router.start()
    _caught_up(settings, atp, router)
    assert atp.starts == 2
    assert router.starts == 2
    assert atp.alive, "the ATP worker died after its restart: see atp.log in the test's tmp dir"
    assert router.alive, "the router died after its restart: see router.log in the test's tmp dir"


def _check_atp_equals_recomputation(
    settings: Settings, decode: Decode, config: ProcessorConfig | None = None
) -> None:
    catalog, _ = load_contracts(settings)
    events = [
        (catalog.topic(topic).value_schemas[0], decode(record.value))
        for topic in INPUT_TOPICS
        for record in read_topic(settings, topic)
    ]
    config = config or load_processor_config()
    positions = positions_from(events, config.warehouse_codes)
    expected = figures_from(positions, config, dt.datetime.now(dt.UTC))
    assert expected, "the simulation produced no stock positions"
    latest = _latest(settings, decode)
    mismatches = []
    for key in sorted(set(expected) | set(latest)):
        want = expected.get(key)
        want_figures = (want.on_hand, want.reserved, want.atp) if want else (Decimal(0),) * 3
        got_figures = latest[key][1] if key in latest else None
        if got_figures != want_figures:
            mismatches.append((key, want_figures, got_figures))
    if mismatches:
        table = {
            json.loads(r.key): json.loads(r.value)
            for r in read_topic(settings, "atp-processor-atp-changelog")
        }
        keys = [m[0] for m in mismatches[:5]]
        ledgers = {key: {k: table.get(key, {}).get(k) for k in ("a", "H", "c")} for key in keys}
        pytest.fail(
            f"{len(mismatches)} positions differ (key, recomputed, published): {mismatches[:10]}; "
            f"their ledgers (allocations, holds, closed requests): {ledgers}"
        )


def _check_versions_only_grow(settings: Settings, decode: Decode) -> None:
    seen: dict[str, list[tuple[int, Figures3]]] = defaultdict(list)
    for record in read_topic(settings, "atp.changed"):
        value = decode(record.value)
        seen[record.key.decode()].append(
            (int(value["version"]), (value["on_hand"], value["reserved"], value["atp"]))
        )
    for key, versions in seen.items():
        for (before, before_figures), (after, after_figures) in itertools.pairwise(versions):
            assert after >= before, f"{key}: version went back from {before} to {after}"
            if after == before:
                assert after_figures == before_figures, f"{key}: version {after} published twice, differently"


def _check_no_order_allocated_twice(settings: Settings, decode: Decode) -> None:
    allocations: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for record in read_topic(settings, "order.allocated"):
        value = decode(record.value)
        lines = sorted((line["line_id"], line["warehouse"], str(line["quantity"])) for line in value["lines"])
        allocations[value["order_id"]].add((str(value["event_id"]), repr(lines)))
    twice = {order: copies for order, copies in allocations.items() if len(copies) > 1}
    assert not twice, f"orders allocated more than once, differently: {list(twice.items())[:5]}"
    placed = {decode(r.value)["order_id"] for r in read_topic(settings, "order.placed")}
    backordered = {decode(r.value)["order_id"] for r in read_topic(settings, "order.backordered")}
    cancelled = {decode(r.value)["order_id"] for r in read_topic(settings, "order.cancelled")}
    unfinished = sorted(placed - set(allocations) - backordered - cancelled)
    assert not unfinished, (
        f"{len(placed)} orders placed, {len(allocations)} allocated, {len(backordered)} backordered, "
        f"{len(cancelled)} cancelled: every order must end allocated, backordered or cancelled, "
        f"not {unfinished[:10]}"
    )
    assert len(allocations) > 100, "too few allocations to prove anything"


def _check_metrics(port: int) -> None:
    """The restarted ATP worker's /metrics has the named series with values, and it is ready."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        assert client.get("/ready").status_code == 200
        assert client.get("/health").status_code == 200
        text = client.get("/metrics").text
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    for series in (
        'supplystream_processor_events_total{agent="apply-moves"}',
        'supplystream_processor_events_total{agent="apply-commands"}',
        'supplystream_processor_events_total{agent="translate"}',
        "supplystream_processor_atp_published_total",
        'supplystream_processor_events_in_total{topic="stock.moved"}',
        'supplystream_processor_events_out_total{topic="atp.changed"}',
        'supplystream_processor_events_out_total{topic="order-router.replies"}',
        "supplystream_processor_reservation_grants_total",
        'supplystream_processor_latency_seconds_count{agent="apply-moves"}',
    ):
        assert values.get(series, 0) > 0, f"{series} missing or zero in /metrics"


def test_sigkill_mid_stream_changes_no_outcome(fresh_stack: FreshStack, workers: dict[str, Worker]) -> None:
    settings = fresh_stack.settings
    simulation = Simulation(seed=11, config=SimulationConfig(sku_count=60, flows_per_second=0.5))
    with Publisher.from_settings(settings) as publisher:
        publisher.publish_all(itertools.islice(simulation, EVENTS), timeout_s=120)
    metrics_port = free_port()
    workers["atp"].extra_env["SUPPLYSTREAM_PROCESSORS__METRICS_PORT"] = str(metrics_port)
    _run_with_kills(settings, workers["atp"], workers["router"])
    _check_metrics(metrics_port)
    decode, registry = _decoder(fresh_stack)
    try:
        _check_atp_equals_recomputation(settings, decode)
        _check_versions_only_grow(settings, decode)
        _check_no_order_allocated_twice(settings, decode)
    finally:
        registry.close()


def test_an_unexpected_error_stops_the_worker_and_its_restart_applies_the_record(
    fresh_stack: FreshStack, workers: dict[str, Worker]
) -> None:
    """An error the agent does not handle (the registry unreachable past the decoder's retries) stops
    the worker with exit status 1 instead of skipping the record; restarted, it applies the record."""
    settings = fresh_stack.settings
    atp = workers["atp"]
    simulation = Simulation(seed=31, config=SimulationConfig(sku_count=3, flows_per_second=0.5))
    with Publisher.from_settings(settings) as publisher:
        publisher.publish_all(itertools.islice(simulation, 20), timeout_s=60)
    atp.extra_env["SUPPLYSTREAM_REGISTRY__URL"] = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    atp.start()
    _wait(lambda: not atp.alive, 180, "the ATP worker to stop on the failing record", [atp])
    assert atp.process is not None
    assert atp.process.returncode == 1, log_tail(atp)
    assert "stopping the worker" in atp.log.read_text(errors="replace"), log_tail(atp)

    del atp.extra_env["SUPPLYSTREAM_REGISTRY__URL"]
    atp.start()
    _caught_up(settings, atp)
    decode, registry = _decoder(fresh_stack)
    try:
        _check_atp_equals_recomputation(settings, decode)
    finally:
        registry.close()


def test_orders_cancelled_while_routing_are_never_allocated(
    fresh_stack: FreshStack, workers: dict[str, Worker]
) -> None:
    """The router reads order.cancelled: orders cancelled while their reservations are on their way
    end cancelled, their grants are given back, and no order.allocated is published for them."""
    settings = fresh_stack.settings
    atp, router = workers["atp"], workers["router"]
    simulation = Simulation(seed=37, config=SimulationConfig(sku_count=4, flows_per_second=0.5))
    orders = [e for e in itertools.islice(simulation, 400) if isinstance(e, OrderPlaced)][:15]
    assert orders, "the simulation placed no order"
    allocated_before = {r.key for r in read_topic(settings, "order.allocated")}
    router.start()  # the ATP processor is not running: every reservation waits for its answer
    with Publisher.from_settings(settings) as publisher:
        publisher.publish_all(orders, timeout_s=60)
        _caught_up(settings, router)
        publisher.publish_all([_cancellation_of(order) for order in orders], timeout_s=60)
    atp.start()
    _caught_up(settings, atp, router)
    allocated = {r.key.decode() for r in read_topic(settings, "order.allocated")} - {
        key.decode() for key in allocated_before
    }
    assert not allocated & {order.order_id for order in orders}
    decode, registry = _decoder(fresh_stack)
    try:
        _check_atp_equals_recomputation(settings, decode)  # no hold is left behind
    finally:
        registry.close()


def _cancellation_of(order: OrderPlaced) -> OrderCancelled:
    return OrderCancelled(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"test:cancel:{order.order_id}"),
        event_type=OrderCancelled.EVENT_TYPE,
        occurred_at=order.occurred_at,
        source=order.source,
        correlation_id=order.correlation_id,
        company=order.company,
        order_id=order.order_id,
        reason="customer changed their mind",
        lines=tuple(
            CancelledLine(line_id=line.line_id, sku=line.sku, quantity=line.quantity) for line in order.lines
        ),
    )


def _latest(settings: Settings, decode: Decode) -> dict[str, tuple[int, Figures3]]:
    latest: dict[str, tuple[int, Figures3]] = {}
    for record in read_topic(settings, "atp.changed"):
        value = decode(record.value)
        key, version = record.key.decode(), int(value["version"])
        if key not in latest or version >= latest[key][0]:
            latest[key] = (version, (value["on_hand"], value["reserved"], value["atp"]))
    return latest


def _caught_up(settings: Settings, *workers: Worker) -> None:
    groups = {"atp": "atp-processor", "router": "order-router"}
    # Three readings in a row, 3 s apart (as the demo's drain): a reply or command produced after its
    # input's offset was committed is still in flight when one reading says "caught up".
    streak = 0

    def settled() -> bool:
        nonlocal streak
        now = _running(*workers) and all(caught_up(settings, groups[w.name]) for w in workers)
        streak = streak + 1 if now else 0
        return streak >= 3

    _wait(settled, 600, "the processors to catch up (three readings in a row)", workers, poll_s=3)


def _wait(
    condition: Callable[[], bool], timeout_s: float, what: str, workers: Sequence[Worker], poll_s: float = 0.5
) -> None:
    """`wait_until`, failing with what the workers last logged and the groups' last known lag."""
    try:
        wait_until(condition, timeout_s, what, poll_s=poll_s)
    except AssertionError as exc:
        seen = "; ".join(f"{group}: {state}" for group, state in LAST_SEEN.items()) or "nothing yet"
        logs = "\n".join(log_tail(worker) for worker in workers)
        raise AssertionError(f"{exc}; lag last seen: {seen}\n{logs}") from None
