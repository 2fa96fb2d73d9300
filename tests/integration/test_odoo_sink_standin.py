"""The Odoo sink against the Odoo 17 stand-in: the adapter contract, and the sink under the runtime."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from sinks.metrics import SinkMetrics
from sinks.odoo import SINK_NAME, OdooSink
from sinks.odoo.plan import ADJUSTMENT_PREFIX
from sinks.routes import SinkRoutes
from sinks.runtime import SinkRuntime
from supplystream.events import AtpChanged, Event, OrderAllocated, ShipmentConfirmed, StockMoved
from supplystream.odoo.client import OdooClient
from supplystream.odoo.operations import many2one_id, set_on_hand, version_of
from supplystream.settings import Settings, SinkSettings
from tests.integration.odoo_contract import OdooBackend, Seed, on_hand, seed_of
from tests.integration.odoo_sink_contract import (
    EAST,
    ODOO,
    WEST,
    OdooSinkContract,
    OverflowingTransport,
    adjustments_named,
    atp_changed,
    deliveries,
    new_order_id,
    order_allocated,
    order_cancelled,
    order_placed,
    shipment_confirmed,
    stock_moved,
)
from tests.integration.sink_contract import SinkContract
from tests.integration.sink_kafka import (
    EventWriter,
    RunningSink,
    create_topics,
    lag_of,
    private_routes,
    read_all,
    wait_until,
)
from tests.integration.test_odoo_contract_standin import StandinProcess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandinProcess]:
    standin = StandinProcess(tmp_path_factory.mktemp("odoo-sink-standin"))
    try:
        yield standin
    finally:
        standin.kill()


@pytest.fixture(scope="module")
def odoo(standin: StandinProcess) -> OdooBackend:
    return OdooBackend(standin.url, "supplystream", 17, kill=standin.kill, restart=standin.start)


class TestOdooSinkOnStandin(OdooSinkContract):
    """Every Odoo sink contract test, against the stand-in."""


# -- the sink under the runtime: Kafka in, the stand-in out ---------------------------------------

INPUTS = [
    "stock.moved",
    "order.placed",
    "order.allocated",
    "shipment.confirmed",
    "order.cancelled",
    "atp.changed",
]
RUNTIME = SinkSettings(
    batch_size=500,
    poll_timeout_s=0.2,
    backoff_base_s=0.05,
    backoff_max_s=0.5,
    probe_base_s=0.5,
    probe_max_s=2.0,
)


@pytest.fixture
def routes(contracts_ready: Settings, topic_prefix: str) -> SinkRoutes:
    routes = private_routes(topic_prefix, SINK_NAME, INPUTS)
    create_topics(contracts_ready, routes, partitions=3)
    return routes


@pytest.fixture
def writer(contracts_ready: Settings, topic_prefix: str) -> Iterator[EventWriter]:
    writer = EventWriter(contracts_ready, topic_prefix)
    yield writer
    writer.close()


def runtime(
    settings: Settings, odoo: OdooBackend, routes: SinkRoutes, adapter: OdooSink | None = None, **config: Any
) -> SinkRuntime:
    return SinkRuntime(
        adapter or OdooSink(odoo.client()),
        settings,
        routes=routes,
        config=RUNTIME.model_copy(update=config),
        metrics=SinkMetrics.create(CollectorRegistry()),
    )


def new_products(client: OdooClient, prefix: str, count: int) -> dict[str, int]:
    skus = [f"{prefix}-{n}" for n in range(count)]
    ids = client.create(
        "product.product", [{"name": sku, "default_code": sku, "type": "product"} for sku in skus]
    )
    return dict(zip(skus, ids, strict=True))


@dataclass
class StockScenario:
    """WMS moves (with repeats and Odoo echoes) and ATP versions (shuffled, with repeats)."""

    rng: random.Random
    skus: list[str]
    atp_skus: list[str]
    sent_stock: list[StockMoved] = field(default_factory=list)
    sent_atp: list[AtpChanged] = field(default_factory=list)

    def stock(self, unique: int, repeats: int, echoes: int) -> list[Event]:
        fresh = [
            stock_moved(
                self.rng.choice(self.skus),
                self.rng.choice([EAST, WEST]),
                self.rng.randint(1, 9),
                inbound=self.rng.random() < 0.6,
            )
            for _ in range(unique)
        ]
        self.sent_stock += fresh
        echo = [stock_moved(self.rng.choice(self.skus), EAST, 1000, source=ODOO) for _ in range(echoes)]
        return [*fresh, *self.rng.sample(fresh, repeats), *echo]

    def atp(self, versions: range, repeats: int) -> list[Event]:
        per_key = {
            (sku, wh): [atp_changed(sku, wh, v, 10 * v + n) for v in versions]
            for n, (sku, wh) in enumerate((s, w) for s in self.atp_skus for w in (EAST, WEST))
        }
        for events in per_key.values():  # out of order within each key (so within its partition)
            self.rng.shuffle(events)
        fresh = [e for events in per_key.values() for e in events]
        self.sent_atp += fresh
        return [*fresh, *self.rng.sample(fresh, repeats)]

    def expected_on_hand(self) -> dict[tuple[str, str], Decimal]:
        expected: dict[tuple[str, str], Decimal] = {}
        for event in self.sent_stock:
            key = (event.sku, event.warehouse)
            delta = event.quantity if event.to_warehouse == event.warehouse else -event.quantity
            expected[key] = expected.get(key, Decimal(0)) + delta
        return expected

    def expected_atp(self) -> dict[tuple[str, str], tuple[int, float]]:
        latest: dict[tuple[str, str], AtpChanged] = {}
        for event in self.sent_atp:
            key = (event.sku, event.warehouse)
            if key not in latest or event.version > latest[key].version:
                latest[key] = event
        return {key: (e.version, float(e.atp)) for key, e in latest.items()}

    def check(self, client: OdooClient, products: dict[str, int], seed: Seed) -> None:
        """Odoo's stock and ATP are exactly what the unique events say: nothing lost, nothing twice."""
        locations = {EAST: seed.stock_locations["WH-EAST"], WEST: seed.stock_locations["WH-WEST"]}
        for (sku, warehouse), quantity in self.expected_on_hand().items():
            assert on_hand(client, products[sku], locations[warehouse]) == quantity, (sku, warehouse)
        assert adjustments_named(client, self.sent_stock) == len(self.sent_stock)
        stored = client.search_read(
            "x_supplystream_atp",
            [("x_sku", "in", self.atp_skus)],
            ["x_sku", "x_warehouse_code", "x_version", "x_atp"],
        )
        found = {
            (r["x_sku"], r["x_warehouse_code"]): (version_of(r["x_version"]), r["x_atp"]) for r in stored
        }
        assert len(stored) == len(found), "one ATP record per SKU and warehouse"
        assert found == self.expected_atp()


def interleave(rng: random.Random, *streams: list[Event]) -> list[Event]:
    """The streams merged at random, each keeping its own order."""
    pending = [list(reversed(s)) for s in streams if s]
    merged: list[Event] = []
    while pending:
        stream = rng.choice(pending)
        merged.append(stream.pop())
        if not stream:
            pending.remove(stream)
    return merged


def test_ten_thousand_events_with_repeats_and_old_versions_reach_exactly_the_expected_state(
    contracts_ready: Settings, odoo: OdooBackend, routes: SinkRoutes, writer: EventWriter
) -> None:
    rng = random.Random(7)
    client = odoo.client()
    seed = seed_of(client)
    tag = uuid.uuid4().hex[:6]
    products = new_products(client, f"WMS-{tag}", 10)
    shipped_product = new_products(client, f"SHIP-{tag}", 1)
    ship_sku = next(iter(shipped_product))
    products |= shipped_product
    for warehouse in ("WH-EAST", "WH-WEST"):
        set_on_hand(client, products[ship_sku], seed.stock_locations[warehouse], Decimal(100_000))
    partner = client.create("res.partner", [{"name": f"Sink customer {tag}"}])[0]
    quantities = [rng.randint(1, 3) for _ in range(600)]
    order_ids = client.create(
        "sale.order",
        [
            {
                "partner_id": partner,
                "order_line": [(0, 0, {"product_id": products[ship_sku], "product_uom_qty": q})],
            }
            for q in quantities
        ],
    )
    names = [str(r["name"]) for r in client.read("sale.order", order_ids, ["name"])]
    warehouses = [rng.choice([EAST, WEST]) for _ in names]

    scenario = StockScenario(rng, list(products)[:10], [f"ATP-{tag}-{n}" for n in range(100)])
    allocations: list[Event] = [
        order_allocated(name, wh, ship_sku, q)
        for name, wh, q in zip(names, warehouses, quantities, strict=True)
    ]
    allocations += rng.sample(allocations, 100)
    first = interleave(rng, allocations, scenario.stock(2500, 250, 250), scenario.atp(range(1, 27), 600))
    shipments: list[Event] = [
        shipment_confirmed(name, f"T-{tag}-{n}", [(ship_sku, q)], warehouse=wh)
        for n, (name, wh, q) in enumerate(zip(names[:400], warehouses, quantities, strict=False))
    ]
    shipments += rng.sample(shipments, 100)
    assert len(first) + len(shipments) == 10_000

    writer.send(first)
    started = time.monotonic()
    with runtime(contracts_ready, odoo, routes) as sink:
        sink.drain(until_idle_s=1.0, timeout_s=600)
        # Shipments leave after their orders were confirmed (across topics Kafka orders nothing).
        writer.send(shipments)
        summary = sink.drain(until_idle_s=1.0, timeout_s=600)
    elapsed = time.monotonic() - started
    print(f"\n10,000 events through the Odoo sink in {elapsed:.1f}s ({10_000 / elapsed:.0f} events/s)")

    assert summary.consumed == 10_000
    assert summary.dead_lettered == 0
    assert lag_of(contracts_ready, routes) == 0
    scenario.check(client, products, seed)
    orders = client.search_read("sale.order", [("name", "in", names)], ["name", "state", "warehouse_id"])
    warehouse_ids = {EAST: seed.warehouses["WH-EAST"], WEST: seed.warehouses["WH-WEST"]}
    assert {o["name"]: (o["state"], many2one_id(o["warehouse_id"])) for o in orders} == {
        name: ("sale", warehouse_ids[wh]) for name, wh in zip(names, warehouses, strict=True)
    }
    pickings = client.search_read(
        "stock.picking",
        [("origin", "in", names), ("picking_type_code", "=", "outgoing")],
        ["origin", "state", "carrier_tracking_ref"],
    )
    assert len(pickings) == 600, "one delivery per order: no order confirmed twice, no backorder"
    by_order = {p["origin"]: (p["state"], p["carrier_tracking_ref"] or "") for p in pickings}
    for n, name in enumerate(names):
        state, tracking = by_order[name]
        if n < 400:
            assert (state, tracking) == ("done", f"T-{tag}-{n}")
        else:
            assert (state, tracking) in {("assigned", ""), ("confirmed", "")}
    for code, warehouse in ((EAST, "WH-EAST"), (WEST, "WH-WEST")):
        shipped = sum(
            q for n, (q, wh) in enumerate(zip(quantities, warehouses, strict=True)) if n < 400 and wh == code
        )
        assert on_hand(client, products[ship_sku], seed.stock_locations[warehouse]) == 100_000 - shipped


def test_the_standin_down_for_30s_mid_stream_loses_nothing_and_the_sink_resumes_by_itself(
    contracts_ready: Settings, odoo: OdooBackend, routes: SinkRoutes, writer: EventWriter
) -> None:
    rng = random.Random(11)
    client = odoo.client()
    seed = seed_of(client)
    tag = uuid.uuid4().hex[:6]
    products = new_products(client, f"OUT-{tag}", 4)
    scenario = StockScenario(rng, list(products), [f"ATP-OUT-{tag}-{n}" for n in range(20)])
    first = interleave(rng, scenario.stock(600, 60, 20), scenario.atp(range(1, 21), 100))
    second = interleave(rng, scenario.stock(600, 60, 20), scenario.atp(range(21, 41), 100))
    writer.send(first)
    sink = runtime(contracts_ready, odoo, routes, batch_size=50)
    running = RunningSink(sink.run)
    try:
        wait_until(lambda: sink.summary.applied >= 300, 60, "the first events to be applied", poll_s=0.05)
        odoo.kill()  # mid-stream: batches are being written
        down_at = time.monotonic()
        writer.send(second)
        wait_until(lambda: sink.circuit.is_open, 30, "the circuit to open")
        lag_while_down = lag_of(contracts_ready, routes)
        time.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
        assert sink.circuit.is_open
        assert lag_of(contracts_ready, routes) >= lag_while_down > 0, "nothing is skipped while Odoo is down"
        odoo.restart()
        back_at = time.monotonic()
        wait_until(lambda: lag_of(contracts_ready, routes) == 0, 180, "the lag to drain")
        print(f"\nlag drained {time.monotonic() - back_at:.1f}s after the stand-in came back")
    finally:
        running.stop()
        sink.close()
    assert sink.summary.circuit_opened >= 1
    assert sink.summary.dead_lettered == 0
    assert not sink.circuit.is_open
    scenario.check(client, products, seed)


def test_a_poison_event_is_dead_lettered_with_headers_and_later_events_are_applied(
    contracts_ready: Settings, odoo: OdooBackend, routes: SinkRoutes, writer: EventWriter
) -> None:
    client = odoo.client()
    seed = seed_of(client)
    tag = uuid.uuid4().hex[:6]
    products = new_products(client, f"POISON-{tag}", 1)
    sku = next(iter(products))
    before = [stock_moved(sku, EAST, 5) for _ in range(5)]
    # Same key (sku|EAST), so the same partition: a move that touches neither side of EAST.
    poison = replace(stock_moved(sku, EAST, 1), from_warehouse=WEST, to_warehouse=None)
    after = [stock_moved(sku, EAST, 2) for _ in range(5)]
    writer.send([*before, poison, *after])
    with runtime(contracts_ready, odoo, routes) as sink:
        summary = sink.drain(until_idle_s=1.0)
    assert summary.dead_lettered == 1
    assert on_hand(client, products[sku], seed.stock_locations["WH-EAST"]) == 5 * 5 + 5 * 2
    letters = read_all(contracts_ready, routes.dead_letter_topic, expected=1)
    assert len(letters) == 1
    headers = letters[0].headers
    assert headers["event_id"] == str(poison.event_id)
    assert headers["supplystream.error.stage"] == "apply"
    assert headers["supplystream.error.sink"] == SINK_NAME
    assert headers["supplystream.error.topic"] == f"{routes.topics[0]}"
    assert headers["supplystream.error.class"] == "sinks.base.PermanentSinkError"
    assert (
        "is neither the source ('WEST') nor the destination (None)" in headers["supplystream.error.message"]
    )
    assert "PermanentSinkError" in headers["supplystream.error.stacktrace"]
    assert headers["supplystream.error.attempts"] == "1"
    assert int(headers["supplystream.error.partition"]) in range(3)
    assert int(headers["supplystream.error.offset"]) == 5
    assert headers["supplystream.error.first.failure"] <= headers["supplystream.error.last.failure"]
    assert letters[0].key == f"{sku}|{EAST}".encode()
    assert lag_of(contracts_ready, routes) == 0


def test_a_value_odoo_cannot_store_is_dead_lettered_on_the_first_attempt(
    contracts_ready: Settings, odoo: OdooBackend, routes: SinkRoutes, writer: EventWriter
) -> None:
    """Issue 14, item 0, through the runtime: Odoo's ``integer out of range`` (an ``int4`` overflow,
    answered by the stand-in as by the real Odoo 11: see the Odoo contract) is permanent — the record
    is dead-lettered after one attempt, never retried, with Odoo's reason; the others apply."""
    client = odoo.client()
    good, poison = new_order_id(), new_order_id()
    placed = [order_placed(good, [("SKU-1001", 1)]), order_placed(poison, [("SKU-1002", 1)])]
    writer.send(placed)
    adapter = OdooSink(odoo.client(wrap=lambda inner: OverflowingTransport(inner, {poison})))
    with runtime(contracts_ready, odoo, routes, adapter) as sink:
        summary = sink.drain(until_idle_s=1.0)
    assert (summary.dead_lettered, summary.retried) == (1, 0)
    [letter] = read_all(contracts_ready, routes.dead_letter_topic, expected=1)
    headers = letter.headers
    assert headers["event_id"] == str(placed[1].event_id)
    assert headers["supplystream.error.class"] == "sinks.base.PermanentSinkError"
    assert headers["supplystream.error.attempts"] == "1"
    assert (
        "integer out of range [psycopg2.errors.NumericValueOutOfRange]"
        in headers["supplystream.error.message"]
    )
    assert len(client.search("sale.order", [("name", "=", good)])) == 1
    assert client.search("sale.order", [("name", "=", poison)]) == []
    assert lag_of(contracts_ready, routes) == 0


def test_a_channel_order_allocated_and_shipped_arriving_in_reverse_order_ends_validated(
    contracts_ready: Settings, odoo: OdooBackend, routes: SinkRoutes, writer: EventWriter
) -> None:
    """The demo's flow through the runtime, each record on its own topic and delivered in the wrong
    order (shipment, then allocation, then the order): the early ones wait, nothing is dead-lettered."""
    client = odoo.client()
    sku = next(iter(new_products(client, f"FLOW-{uuid.uuid4().hex[:6]}", 1)))
    writer.send([stock_moved(sku, "WH-EAST", 10)])  # the platform's code: the warehouse named WH-EAST
    order, tracking = new_order_id(), f"TRK-{uuid.uuid4().hex[:8]}"
    sink = runtime(contracts_ready, odoo, routes)
    running = RunningSink(sink.run)
    try:
        writer.send([shipment_confirmed(order, tracking, [(sku, 3)], warehouse="WH-EAST")])
        wait_until(lambda: sink.summary.deferred >= 1, 30, "the shipment to wait")
        writer.send([order_allocated(order, "WH-EAST", sku, 3)])
        wait_until(lambda: sink.summary.deferred >= 3, 30, "the allocation to wait too")
        assert client.search("sale.order", [("name", "=", order)]) == []
        writer.send([order_placed(order, [(sku, 3)])])
        wait_until(lambda: lag_of(contracts_ready, routes) == 0, 60, "the lag to drain")
    finally:
        running.stop()
        sink.close()
    [picking] = client.search_read(
        "stock.picking",
        [("origin", "=", order), ("picking_type_code", "=", "outgoing")],
        ["state", "carrier_tracking_ref"],
    )
    assert (picking["state"], picking["carrier_tracking_ref"]) == ("done", tracking)
    assert client.search_read("sale.order", [("name", "=", order)], ["state"])[0]["state"] == "sale"
    assert sink.summary.dead_lettered == 0
    assert read_all(contracts_ready, routes.dead_letter_topic, expected=1, timeout_s=2) == []
    unused = (".atp.changed", ".order.cancelled")
    applied_once = {topic: 1 for topic in routes.topics if not topic.endswith(unused)}
    assert sink.summary.per_topic == applied_once, "each record applied once, none dead-lettered"


def test_a_cancellation_before_its_order_waits_and_goods_shipped_after_it_are_recorded(
    contracts_ready: Settings, odoo: OdooBackend, routes: SinkRoutes, writer: EventWriter
) -> None:
    """The demo's race through the runtime: the cancellation reaches the sink before the order it
    cancels (it waits, then cancels the order and its delivery), and the WMS had shipped the goods
    before it learnt of the cancellation (that shipment becomes a validated delivery). Nothing is
    dead-lettered, and Odoo's stock is what left the warehouse."""
    client = odoo.client()
    seed = seed_of(client)
    sku = next(iter(new_products(client, f"CXL-{uuid.uuid4().hex[:6]}", 1)))
    product = client.search("product.product", [("default_code", "=", sku)])[0]
    set_on_hand(client, product, seed.stock_locations["WH-EAST"], Decimal(10))
    order, tracking = new_order_id(), f"TRK-{uuid.uuid4().hex[:8]}"
    sink = runtime(contracts_ready, odoo, routes)
    running = RunningSink(sink.run)
    try:
        writer.send([order_cancelled(order, [(sku, 3)])])
        wait_until(lambda: sink.summary.deferred >= 1, 30, "the cancellation to wait for its order")
        writer.send([order_placed(order, [(sku, 3)]), order_allocated(order, "WH-EAST", sku, 3)])
        wait_until(
            lambda: client.search("sale.order", [("name", "=", order), ("state", "=", "cancel")]) != [],
            60,
            "the order to be created and cancelled",
        )
        writer.send([shipment_confirmed(order, tracking, [(sku, 3)], warehouse="WH-EAST")])
        wait_until(lambda: lag_of(contracts_ready, routes) == 0, 60, "the lag to drain")
    finally:
        running.stop()
        sink.close()
    assert sink.summary.dead_lettered == 0
    assert deliveries(client, order)[-1] == ("done", tracking)
    assert {state for state, _ in deliveries(client, order)[:-1]} <= {"cancel"}
    assert on_hand(client, product, seed.stock_locations["WH-EAST"]) == 7


# -- the shared sink contract (tests/integration/sink_contract.py) ---------------------------------


@dataclass(frozen=True)
class OdooTarget:
    """A test's own slice of the stand-in: fresh products and orders, named after ``tag``."""

    odoo: OdooBackend
    client: OdooClient
    seed: Seed
    tag: str
    products: dict[str, int]
    #: Draft orders the stream allocates, and confirmed orders (with a delivery) it ships.
    draft_orders: list[str]
    confirmed_orders: list[str]


class TestOdooSinkContract(SinkContract):
    """The issue's acceptance for the Odoo sink: 10,000 events, a poison event, a 30 s outage."""

    sink_name = SINK_NAME
    catalog_topics = INPUTS

    @pytest.fixture
    def target(self, odoo: OdooBackend) -> OdooTarget:
        client = odoo.client()
        seed = seed_of(client)
        tag = uuid.uuid4().hex[:6]
        products = new_products(client, f"C-{tag}", 11)
        shipped = products[f"C-{tag}-10"]
        for location in seed.stock_locations.values():
            set_on_hand(client, shipped, location, Decimal(100_000))
        partner = client.create("res.partner", [{"name": f"Contract customer {tag}"}])[0]
        order = {"partner_id": partner, "order_line": [(0, 0, {"product_id": shipped, "product_uom_qty": 1})]}
        ids = client.create("sale.order", [order] * 500)
        client.call("sale.order", "action_confirm", ids[300:])
        names = [str(r["name"]) for r in client.read("sale.order", ids, ["name"])]
        self.odoo_target = OdooTarget(odoo, client, seed, tag, products, names[:300], names[300:])
        return self.odoo_target

    @pytest.fixture
    def outage_target(self, target: OdooTarget) -> OdooTarget:
        return target

    def make_adapter(self, target: OdooTarget) -> OdooSink:
        return OdooSink(target.odoo.client())

    def stream(self, size: int) -> list[Event]:
        target, rng = self.odoo_target, random.Random(size)
        stock_skus, ship_sku = [f"C-{target.tag}-{n}" for n in range(10)], f"C-{target.tag}-10"
        allocations: list[Event] = [
            order_allocated(name, rng.choice([EAST, WEST]), ship_sku) for name in target.draft_orders
        ]
        shipments: list[Event] = [
            shipment_confirmed(name, f"CT-{target.tag}-{n}", [(ship_sku, 1)], warehouse=WEST)
            for n, name in enumerate(target.confirmed_orders)
        ]
        scenario = StockScenario(rng, stock_skus, [f"ATPC-{target.tag}-{n}" for n in range(100)])
        stock = scenario.stock(2500, 250, 150)
        fixed = len(allocations) + 50 + len(shipments) + 50 + len(stock)
        versions, extra = divmod(size - fixed, 200)
        atp = scenario.atp(range(1, versions + 1), extra)
        return interleave(
            rng,
            [*allocations, *rng.sample(allocations, 50)],
            [*shipments, *rng.sample(shipments, 50)],
            stock,
            atp,
        )

    def expected_state(self, events: Sequence[Event]) -> dict[str, Any]:
        on_hand: dict[tuple[str, str], Decimal] = {}
        atp: dict[tuple[str, str], tuple[int, float]] = {}
        orders: dict[str, str] = {}
        shipped: dict[str, str] = {}
        applied: set[uuid.UUID] = set()
        for event in events:
            if (
                isinstance(event, StockMoved)
                and event.source.system != "odoo"
                and event.event_id not in applied
            ):
                applied.add(event.event_id)
                inbound = event.to_warehouse == event.warehouse
                key = (event.sku, event.warehouse)
                on_hand[key] = on_hand.get(key, Decimal(0)) + (event.quantity if inbound else -event.quantity)
            elif isinstance(event, AtpChanged):
                key = (event.sku, event.warehouse)
                if key not in atp or event.version > atp[key][0]:
                    atp[key] = (event.version, float(event.atp))
            elif isinstance(event, OrderAllocated):
                orders.setdefault(event.order_id, event.lines[0].warehouse)
            elif isinstance(event, ShipmentConfirmed):
                shipped.setdefault(event.order_id, event.tracking_number)
        return {
            "on_hand": {k: v for k, v in on_hand.items() if v},
            "atp": atp,
            "orders": orders,
            "shipped": shipped,
        }

    def actual_state(self, target: OdooTarget) -> dict[str, Any]:
        client = target.client
        locations = target.seed.stock_locations
        codes = {locations["WH-EAST"]: EAST, locations["WH-WEST"]: WEST}
        skus = {product: sku for sku, product in target.products.items() if not sku.endswith("-10")}
        quants = client.search_read(
            "stock.quant",
            [("product_id", "in", list(skus)), ("location_id", "in", list(codes))],
            ["product_id", "location_id", "quantity"],
        )
        on_hand: dict[tuple[str, str], Decimal] = {}
        for quant in quants:
            key = (skus[many2one_id(quant["product_id"]) or 0], codes[many2one_id(quant["location_id"]) or 0])
            on_hand[key] = on_hand.get(key, Decimal(0)) + Decimal(str(quant["quantity"]))
        stored = client.search_read(
            "x_supplystream_atp",
            [("x_sku", "=like", f"ATPC-{target.tag}-%")],
            ["x_sku", "x_warehouse_code", "x_version", "x_atp"],
        )
        warehouses = {target.seed.warehouses["WH-EAST"]: EAST, target.seed.warehouses["WH-WEST"]: WEST}
        orders = client.search_read(
            "sale.order",
            [("name", "in", target.draft_orders), ("state", "=", "sale")],
            ["name", "warehouse_id"],
        )
        pickings = client.search_read(
            "stock.picking",
            [("origin", "in", target.confirmed_orders), ("state", "=", "done")],
            ["origin", "carrier_tracking_ref"],
        )
        return {
            "on_hand": {k: v for k, v in on_hand.items() if v},
            "atp": {
                (r["x_sku"], r["x_warehouse_code"]): (version_of(r["x_version"]), r["x_atp"]) for r in stored
            },
            "orders": {str(o["name"]): warehouses[many2one_id(o["warehouse_id"]) or 0] for o in orders},
            "shipped": {str(p["origin"]): str(p["carrier_tracking_ref"]) for p in pickings},
        }

    def duplicate_effects(self, target: OdooTarget) -> list[str]:
        client = target.client
        moves = client.search_read(
            "stock.move",
            [
                ("product_id", "in", list(target.products.values())),
                ("name", "=like", f"{ADJUSTMENT_PREFIX}%"),
            ],
            ["name"],
        )
        atp = client.search_read(
            "x_supplystream_atp", [("x_sku", "=like", f"ATPC-{target.tag}-%")], ["x_sku", "x_warehouse_code"]
        )
        pickings = client.search_read(
            "stock.picking",
            [
                ("origin", "in", target.draft_orders + target.confirmed_orders),
                ("picking_type_code", "=", "outgoing"),
            ],
            ["origin"],
        )
        counted = Counter(
            [f"adjustment {m['name']}" for m in moves]
            + [f"ATP record {r['x_sku']}|{r['x_warehouse_code']}" for r in atp]
            + [f"delivery of {p['origin']}" for p in pickings]
        )
        return sorted(effect for effect, n in counted.items() if n > 1)

    def poison(self) -> tuple[Event, list[Event]]:
        sku = f"C-{self.odoo_target.tag}-0"
        poison = replace(stock_moved(sku, EAST, 1), from_warehouse=WEST, to_warehouse=None)
        return poison, [stock_moved(sku, EAST, n) for n in range(1, 6)]

    def stop_target(self, target: OdooTarget) -> None:
        target.odoo.kill()

    def start_target(self, target: OdooTarget) -> None:
        target.odoo.restart()
