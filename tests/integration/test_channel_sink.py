"""The channel sink end to end: real Kafka and registry, the sink runtime, real HTTP to the channel
stand-in running as separate processes (a bearer-token shop and an HMAC-signed marketplace)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from sinks.channels.config import BearerAuth, Buffer, Channel, ChannelsFile, HmacAuth, RateLimit, SecretSource
from sinks.channels.sink import ChannelSink
from sinks.routes import SinkRoutes
from sinks.runtime import SinkRuntime
from supplystream.contracts.registration import load_contracts
from supplystream.events import AtpChanged, Event, ShipmentConfirmed, ShippedLine, Source
from supplystream.settings import Settings, SinkSettings
from tests.integration.channel_standin import StandinProcess
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

#: Several failed probes long (the test runtime probes every 0.5-2 s), not longer.
OUTAGE_S = 5.0

FAST = SinkSettings(
    batch_size=500,
    poll_timeout_s=0.2,
    backoff_base_s=0.05,
    backoff_max_s=0.5,
    probe_base_s=0.5,
    probe_max_s=2.0,
)
SHOP_LOCATION, MARKET_LOCATION = 11, 22
WAREHOUSES = ("WH-A", "WH-B", "WH-C")  # WH-C feeds no channel
T0 = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)


@dataclass
class Channels:
    """Two stand-in processes and the channels file pointing at them."""

    shop: StandinProcess
    market: StandinProcess
    config: ChannelsFile

    @property
    def by_name(self) -> dict[str, Channel]:
        return {c.name: c for c in self.config.channels}


@pytest.fixture
def channels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Channels]:
    monkeypatch.setenv("TEST_SHOP_TOKEN", "shpat_test_token")
    monkeypatch.setenv("TEST_MARKET_KEY", "market-hmac-key")
    (tmp_path / "shop").mkdir()
    (tmp_path / "market").mkdir()
    shop = StandinProcess(tmp_path / "shop", "shpat_test_token", locations=(SHOP_LOCATION,))
    market = StandinProcess(tmp_path / "market", "market-hmac-key", auth="hmac", locations=(MARKET_LOCATION,))
    shop.start()
    market.start()
    fast = RateLimit(requests_per_second=2000, burst=200)
    config = ChannelsFile(
        channels=(
            Channel(
                name="shop",
                base_url=shop.url,
                location_id=SHOP_LOCATION,
                auth=BearerAuth(
                    type="bearer",
                    token=SecretSource(env="TEST_SHOP_TOKEN"),
                    header="X-Shopify-Access-Token",
                    prefix="",
                ),
                warehouses=("WH-A", "WH-B"),
                buffer=Buffer(percent=Decimal(10)),
                safety_stock=Decimal(2),
                rate_limit=fast,
                timeout_s=2.0,
                max_retry_after_s=10.0,
            ),
            Channel(
                name="market",
                base_url=market.url,
                location_id=MARKET_LOCATION,
                auth=HmacAuth(type="hmac", secret=SecretSource(env="TEST_MARKET_KEY"), key_id="supplystream"),
                warehouses=("WH-B",),
                buffer=Buffer(units=Decimal(5)),
                rate_limit=fast,
                timeout_s=2.0,
            ),
        )
    )
    yield Channels(shop, market, config)
    shop.close()
    market.close()


@dataclass
class Harness:
    settings: Settings
    routes: SinkRoutes
    writer: EventWriter
    channels: Channels

    def sink(self) -> tuple[ChannelSink, SinkRuntime]:
        _catalog, schemas = load_contracts(self.settings)
        adapter = ChannelSink.start(
            self.settings, self.channels.config, self.routes.topics[0], schemas["atp.changed"].schema
        )
        return adapter, SinkRuntime(adapter, self.settings, routes=self.routes, config=FAST)


@pytest.fixture
def harness(contracts_ready: Settings, topic_prefix: str, channels: Channels) -> Iterator[Harness]:
    routes = private_routes(topic_prefix, "channel-sink", ["atp.changed", "shipment.confirmed"])
    create_topics(contracts_ready, routes, partitions=4)
    writer = EventWriter(contracts_ready, topic_prefix)
    yield Harness(contracts_ready, routes, writer, channels)
    writer.close()


# -- events ------------------------------------------------------------------------------------


def atp_changed(sku: str, warehouse: str, quantity: int, version: int) -> AtpChanged:
    return AtpChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"atp/{sku}/{warehouse}/{version}"),
        event_type="atp.changed",
        occurred_at=T0 + dt.timedelta(seconds=version),
        source=Source(system="supplystream", adapter="atp-processor"),
        correlation_id=f"{sku}|{warehouse}",
        company="main",
        sku=sku,
        warehouse=warehouse,
        on_hand=Decimal(quantity + 5),
        reserved=Decimal(5),
        inbound=Decimal(0),
        safety_stock=Decimal(0),
        atp=Decimal(quantity),
        version=version,
        as_of=T0 + dt.timedelta(seconds=version),
    )


def shipped(order: str, warehouse: str, tracking: str) -> ShipmentConfirmed:
    return ShipmentConfirmed(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"ship/{order}/{tracking}"),
        event_type="shipment.confirmed",
        occurred_at=T0,
        source=Source(system="wms", adapter="webhook-source"),
        correlation_id=order,
        company="main",
        shipment_id=f"SH-{order}",
        warehouse=warehouse,
        order_id=order,
        lines=(ShippedLine(sku="SKU-1", quantity=Decimal(1)),),
        carrier="ups",
        tracking_number=tracking,
        shipped_at=T0,
    )


@dataclass
class Workload:
    events: list[Event]
    latest: dict[tuple[str, str], int]  # (sku, warehouse) -> atp of the highest version
    orders: dict[str, str]  # shop order name -> tracking number


def workload(seed: int, skus: int, versions: int, orders: int) -> Workload:
    """ATP changes with duplicates and out-of-order versions, plus shipments (some sent twice)."""
    rng = random.Random(seed)
    events: list[Event] = []
    latest: dict[tuple[str, str], int] = {}
    for n in range(skus):
        sku = f"SKU-{n:04d}"
        for warehouse in WAREHOUSES:
            values = [rng.randint(-20, 400) for _ in range(versions)]
            latest[(sku, warehouse)] = values[-1]
            stream = [atp_changed(sku, warehouse, q, v + 1) for v, q in enumerate(values)]
            for i in range(0, len(stream) - 1, 3):  # swap neighbours: a newer version arrives first
                stream[i], stream[i + 1] = stream[i + 1], stream[i]
            stream += rng.sample(stream, k=max(1, versions // 5))  # duplicates, some of them old
            events.extend(stream)
    tracking = {f"#{1000 + n}": f"1Z{seed:02d}{n:06d}" for n in range(orders)}
    for name, number in tracking.items():
        events.append(shipped(name, rng.choice(("WH-A", "WH-B")), number))
    events += [shipped(name, "WH-A", number) for name, number in list(tracking.items())[: orders // 2]]
    rng.shuffle(events)  # versions of one key now arrive in any order, duplicates anywhere
    return Workload(events, latest, tracking)


def expected_levels(channel: Channel, latest: dict[tuple[str, str], int]) -> dict[str, int]:
    skus = sorted({sku for sku, _ in latest})
    levels: dict[str, int] = {}
    for sku in skus:
        network = sum(max(0, latest[(sku, w)]) for w in channel.warehouses)
        after = max(Decimal(0), Decimal(network) - channel.safety_stock - channel.buffer.units)
        levels[sku] = int(after * (1 - channel.buffer.percent / 100))
    return levels


def seed_channels(channels: Channels, load: Workload) -> None:
    skus = sorted({sku for sku, _ in load.latest})
    channels.shop.add_products(skus)
    channels.market.add_products(skus)
    channels.shop.add_orders(sorted(load.orders), SHOP_LOCATION)


def assert_channels_match(channels: Channels, load: Workload) -> None:
    for channel, standin in (
        (channels.by_name["shop"], channels.shop),
        (channels.by_name["market"], channels.market),
    ):
        assert standin.levels(channel.location_id) == expected_levels(channel, load.latest), channel.name
    fulfilled = Counter(f["order_name"] for f in channels.shop.fulfillments())
    assert fulfilled == Counter(dict.fromkeys(load.orders, 1)), "tracking sent exactly once per shipment"
    numbers = {f["order_name"]: f["tracking_number"] for f in channels.shop.fulfillments()}
    assert numbers == load.orders
    assert channels.market.fulfillments() == []  # the market has none of these orders


# -- acceptance --------------------------------------------------------------------------------


def test_ten_thousand_events_end_at_the_expected_levels_with_tracking_sent_once(harness: Harness) -> None:
    load = workload(seed=7, skus=150, versions=18, orders=400)
    assert len(load.events) >= 10_000
    seed_channels(harness.channels, load)
    harness.writer.send(load.events)
    adapter, runtime = harness.sink()
    started = time.monotonic()
    with runtime:
        summary = runtime.drain(until_idle_s=1.0, timeout_s=300)
    elapsed = time.monotonic() - started
    assert summary.dead_lettered == 0
    assert_channels_match(harness.channels, load)
    sets = len(harness.channels.shop.requests("inventory_levels/set.json"))
    print(
        f"\n{len(load.events)} events in {elapsed:.1f} s; shop level sets {sets}, "
        f"sent {adapter.stats.levels_sent}, unchanged {adapter.stats.levels_unchanged}; "
        f"tracking sent {adapter.stats.tracking_sent}"
    )
    # Replaying everything (a new consumer group) changes nothing: same levels, no new fulfillment.
    replay = SinkRoutes(
        "channel-sink",
        harness.routes.group_id + ".replay",
        harness.routes.topics,
        harness.routes.dead_letter_topic,
    )
    _catalog, schemas = load_contracts(harness.settings)
    again = ChannelSink.start(
        harness.settings, harness.channels.config, replay.topics[0], schemas["atp.changed"].schema
    )
    with SinkRuntime(again, harness.settings, routes=replay, config=FAST) as runtime:
        runtime.drain(until_idle_s=1.0, timeout_s=300)
    assert_channels_match(harness.channels, load)
    assert again.stats.tracking_sent == 0
    replayed = [r for r in harness.channels.shop.requests("inventory_levels/set.json") if r["replayed"]]
    assert replayed, "the replay re-sent levels with the same idempotency keys, and the channel de-duplicated"


def test_a_channel_outage_loses_nothing_and_the_sink_resumes_by_itself(
    harness: Harness,
) -> None:
    load = workload(seed=8, skus=40, versions=10, orders=60)
    seed_channels(harness.channels, load)
    half = len(load.events) // 2
    adapter, runtime = harness.sink()
    with runtime:
        running = RunningSink(runtime.run)
        harness.writer.send(load.events[:half])
        wait_until(lambda: adapter.stats.levels_sent > 0, 60, "the first levels")
        harness.channels.shop.stop()
        down_at = time.monotonic()
        harness.writer.send(load.events[half:])
        wait_until(lambda: runtime.circuit.is_open, 30, "the circuit to open")
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        harness.channels.shop.start()
        up_at = time.monotonic()
        wait_until(lambda: lag_of(harness.settings, harness.routes) == 0, 120, "the lag to drain")
        drained = time.monotonic() - up_at
        running.stop()
    assert runtime.summary.circuit_opened >= 1
    assert runtime.summary.dead_lettered == 0
    assert_channels_match(harness.channels, load)
    print(f"\noutage {up_at - down_at:.1f} s; drained {drained:.1f} s after the channel came back")


def test_a_poison_event_is_dead_lettered_with_headers_and_later_events_apply(harness: Harness) -> None:
    harness.channels.shop.add_products(["SKU-P"])
    harness.channels.market.add_products(["SKU-P"])
    harness.channels.shop.add_orders(["#9001"], SHOP_LOCATION)
    harness.writer.send([shipped("#9001", "WH-A", "1ZFIRST")])
    harness.writer.send_raw("shipment.confirmed", b"#9001", b"\x00\x00\x00\x00\x01garbage")  # not an event
    harness.writer.send([shipped("#9001", "WH-A", "1ZCONFLICT")])  # order already fulfilled, other tracking
    harness.writer.send([atp_changed("SKU-P", "WH-A", 50, 1)])
    harness.writer.send([atp_changed("SKU-P", "WH-B", 20, 1)])
    _adapter, runtime = harness.sink()
    with runtime:
        summary = runtime.drain(until_idle_s=1.0)
    assert summary.dead_lettered == 2
    letters = read_all(harness.settings, harness.routes.dead_letter_topic, expected=2)
    by_stage = {letter.headers["supplystream.error.stage"]: letter for letter in letters}
    assert set(by_stage) == {"decode", "apply"}
    conflict = by_stage["apply"].headers
    assert "1ZCONFLICT" in conflict["supplystream.error.message"]
    assert "1ZFIRST" in conflict["supplystream.error.message"]
    for letter in letters:
        for name in (
            "topic",
            "partition",
            "offset",
            "sink",
            "class",
            "message",
            "stacktrace",
            "attempts",
            "first.failure",
            "last.failure",
        ):
            assert letter.headers[f"supplystream.error.{name}"], name
        assert letter.headers["supplystream.error.topic"] == harness.routes.topics[1]
        assert letter.headers["supplystream.error.sink"] == "channel-sink"
    assert harness.channels.shop.levels(SHOP_LOCATION) == {"SKU-P": 61}  # (50 + 20 - 2) * 0.9 = 61.2
    assert harness.channels.market.levels(MARKET_LOCATION) == {"SKU-P": 15}
    assert [f["tracking_number"] for f in harness.channels.shop.fulfillments()] == ["1ZFIRST"]


def test_429_with_retry_after_is_honoured(harness: Harness) -> None:
    harness.channels.shop.add_products(["SKU-T"])
    harness.channels.market.add_products(["SKU-T"])
    _adapter, runtime = harness.sink()
    harness.writer.send([atp_changed("SKU-T", "WH-A", 100, 1)])
    with runtime:
        runtime.drain(until_idle_s=1.0)  # the product catalog is read, the first level set
        harness.channels.shop.fault("429", count=2, retry_after=1.5)
        harness.writer.send([atp_changed("SKU-T", "WH-A", 50, 2)])
        runtime.drain(until_idle_s=1.0)
    sets = harness.channels.shop.requests("inventory_levels/set.json")[1:]
    assert [r["status"] for r in sets] == [429, 429, 200]
    gaps = [later["at"] - earlier["at"] for earlier, later in itertools.pairwise(sets)]
    assert all(gap >= 1.5 for gap in gaps), gaps
    assert len({r["idempotency_key"] for r in sets}) == 1, "the retry reuses the idempotency key"
    assert harness.channels.shop.levels(SHOP_LOCATION) == {"SKU-T": 43}  # (50 - 2) * 0.9 = 43.2
    assert runtime.summary.circuit_opened == 0
    print(f"\nwaits after 429 with Retry-After 1.5: {', '.join(f'{g:.2f} s' for g in gaps)}")


def test_a_hanging_channel_pauses_the_sink_and_the_late_write_is_not_applied_twice(harness: Harness) -> None:
    harness.channels.shop.add_products(["SKU-H"])
    harness.channels.market.add_products(["SKU-H"])
    _adapter, runtime = harness.sink()
    harness.channels.shop.fault("hang", count=1, hang_s=4)
    harness.writer.send([atp_changed("SKU-H", "WH-A", 40, 1)])
    with runtime:
        runtime.drain(until_idle_s=1.0, timeout_s=60)
        wait_until(lambda: all(r["status"] for r in harness.channels.shop.requests()), 10, "the hung request")
    assert runtime.summary.circuit_opened >= 1
    sets = harness.channels.shop.requests("inventory_levels/set.json")
    assert len({r["idempotency_key"] for r in sets}) == 1
    assert sum(r["applied"] for r in sets) == 1, "applied once; the retry was answered from the first result"
    assert harness.channels.shop.levels(SHOP_LOCATION) == {"SKU-H": 34}


def test_a_restarted_sink_counts_warehouses_it_will_not_read_again(harness: Harness) -> None:
    harness.channels.shop.add_products(["SKU-V"])
    harness.channels.market.add_products(["SKU-V"])
    harness.writer.send([atp_changed("SKU-V", "WH-B", 30, 1)])
    _adapter, runtime = harness.sink()
    with runtime:
        runtime.drain(until_idle_s=1.0)  # WH-B's record is applied and committed
    assert harness.channels.shop.levels(SHOP_LOCATION) == {"SKU-V": 25}  # (30 - 2) * 0.9
    # A new process of the same group never reads WH-B's record again: only its view's bootstrap has it.
    harness.writer.send([atp_changed("SKU-V", "WH-A", 10, 1)])
    adapter, runtime = harness.sink()
    with runtime:
        summary = runtime.drain(until_idle_s=1.0)
    assert summary.consumed == 1
    assert adapter.stats.levels_sent == 1
    assert harness.channels.shop.levels(SHOP_LOCATION) == {"SKU-V": 34}  # (10 + 30 - 2) * 0.9 = 34.2
