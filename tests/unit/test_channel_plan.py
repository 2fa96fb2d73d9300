"""Available-to-sell per channel, coalescing per SKU, idempotency keys: the pure core."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sinks.base import SinkRecord
from sinks.channels.availability import channel_level
from sinks.channels.config import Channel, parse_channels
from sinks.channels.plan import level_key, plan_batch
from supplystream.atp_view import AtpView

CHANNELS = parse_channels(
    """
channels:
  - name: shop
    base_url: http://127.0.0.1:1
    location_id: 7
    auth: {type: bearer, token: {env: T}}
    warehouses: [WH-A, WH-B]
    buffer: {percent: 10}
    safety_stock: 2
  - name: market
    base_url: http://127.0.0.1:2
    location_id: 8
    auth: {type: bearer, token: {env: T}}
    warehouses: [WH-B]
    buffer: {units: 5}
"""
).channels
SHOP, MARKET = CHANNELS

_offsets = iter(range(1_000_000))


def atp(sku: str, warehouse: str, value: str, version: int) -> SinkRecord:
    event: Mapping[str, Any] = {
        "event_type": "atp.changed",
        "sku": sku,
        "warehouse": warehouse,
        "atp": Decimal(value),
        "version": version,
    }
    return SinkRecord("atp.changed", 0, next(_offsets), f"{sku}|{warehouse}", event, 0)


def shipment(order: str, shipment_id: str, warehouse: str, tracking: str = "1Z999") -> SinkRecord:
    event = {
        "event_type": "shipment.confirmed",
        "order_id": order,
        "shipment_id": shipment_id,
        "warehouse": warehouse,
        "carrier": "ups",
        "tracking_number": tracking,
    }
    return SinkRecord("shipment.confirmed", 0, next(_offsets), order, event, 0)


def levels(batch: list[SinkRecord], view: AtpView | None = None) -> dict[tuple[str, str], int]:
    plan = plan_batch(batch, AtpView() if view is None else view, CHANNELS)
    return {(ls.level.channel, ls.level.sku): ls.level.available for ls in plan.levels}


def test_network_atp_minus_buffer_and_safety_stock_floored_to_units() -> None:
    # shop: (10 + 25.5 - 2) * 0.9 = 30.15 -> 30; market: WH-B only, 25.5 - 5 = 20.5 -> 20
    got = levels([atp("S1", "WH-A", "10", 1), atp("S1", "WH-B", "25.5", 1)])
    assert got == {("shop", "S1"): 30, ("market", "S1"): 20}


def test_negative_atp_counts_as_zero_and_nothing_goes_below_zero() -> None:
    got = levels([atp("S1", "WH-A", "-40", 1), atp("S1", "WH-B", "3", 1)])
    assert got == {("shop", "S1"): 0, ("market", "S1"): 0}


def test_a_sku_touched_many_times_is_sent_once_with_its_latest_value() -> None:
    plan = plan_batch([atp("S1", "WH-A", str(n), n) for n in range(1, 50)], AtpView(), CHANNELS)
    assert [(ls.level.channel, ls.level.available) for ls in plan.levels] == [("shop", 42)]  # (49-2)*.9
    assert len(plan.levels[0].records) == 49


def test_older_versions_change_nothing_and_are_not_resent() -> None:
    view = AtpView()
    levels([atp("S1", "WH-A", "100", 5)], view)
    assert levels([atp("S1", "WH-A", "1", 4)], view) == {}
    # the same version again is re-announced (a new consumer group must set every level once)
    assert levels([atp("S1", "WH-A", "100", 5)], view) == {("shop", "S1"): 88}


def test_a_warehouse_no_channel_uses_is_ignored() -> None:
    plan = plan_batch([atp("S1", "WH-Z", "5", 1), shipment("O1", "SH1", "WH-Z")], AtpView(), CHANNELS)
    assert (plan.levels, plan.notices, plan.ignored) == ((), (), 2)


def test_shipments_go_to_the_channels_their_warehouse_feeds_once() -> None:
    plan = plan_batch([shipment("O1", "SH1", "WH-B"), shipment("O1", "SH1", "WH-B")], AtpView(), CHANNELS)
    assert [(n.order_id, n.channels) for n in plan.notices] == [("O1", ("shop", "market"))]


def test_unreadable_events_are_rejected_and_the_rest_applies() -> None:
    bad = atp("S2", "WH-A", "1", 1)
    broken = SinkRecord(bad.topic, 0, bad.offset, bad.key, {**bad.event, "version": -3}, 0)
    nameless = shipment("O1", "SH1", "WH-A", tracking="")
    plan = plan_batch([broken, nameless, atp("S1", "WH-A", "12", 1)], AtpView(), CHANNELS)
    assert [r.record for r in plan.rejected] == [broken, nameless]
    assert "version must be a non-negative integer" in str(plan.rejected[0].error)
    assert [ls.level.sku for ls in plan.levels] == ["S1"]


def test_idempotency_keys_repeat_for_the_same_level_and_differ_for_a_new_basis() -> None:
    view = AtpView()
    first = plan_batch([atp("S1", "WH-A", "10", 1)], view, CHANNELS).levels[0]
    again = plan_batch([atp("S1", "WH-A", "10", 1)], view, CHANNELS).levels[0]
    later = plan_batch([atp("S1", "WH-A", "10", 2)], view, CHANNELS).levels[0]
    assert first.idempotency_key == again.idempotency_key
    assert later.level.available == first.level.available
    assert later.idempotency_key != first.idempotency_key


def test_tracking_keys_are_per_channel_and_shipment() -> None:
    notice = plan_batch([shipment("O1", "SH1", "WH-B")], AtpView(), CHANNELS).notices[0]
    assert notice.idempotency_key("shop") == notice.idempotency_key("shop")
    assert notice.idempotency_key("shop") != notice.idempotency_key("market")


def expected_level(channel: Channel, latest: dict[str, Decimal]) -> int:
    network = sum((max(Decimal(0), v) for w, v in latest.items() if w in channel.warehouses), Decimal(0))
    after = max(Decimal(0), network - channel.safety_stock - channel.buffer.units)
    return int(after * (1 - channel.buffer.percent / 100))


@given(
    st.lists(
        st.tuples(st.sampled_from(["WH-A", "WH-B"]), st.integers(1, 30), st.integers(-50, 500)),
        min_size=1,
        max_size=60,
    ),
    st.integers(1, 10),
    st.randoms(use_true_random=False),
)
def test_any_order_any_duplicates_any_batching_ends_at_the_latest_versions(
    updates: list[tuple[str, int, int]], batches: int, shuffle: random.Random
) -> None:
    # One value per (warehouse, version), as the ATP processor publishes; duplicates and disorder added.
    values = {(w, v): q for w, v, q in updates}
    records = [atp("S1", w, str(q), v) for (w, v), q in values.items()]
    records += [shuffle.choice(records) for _ in range(len(records) // 2)]
    shuffle.shuffle(records)
    view, sent = AtpView(), {}
    size = max(1, len(records) // batches)
    for start in range(0, len(records), size):
        for ls in plan_batch(records[start : start + size], view, CHANNELS).levels:
            sent[ls.level.channel] = ls.level.available
    latest = {
        w: Decimal(values[(w, v)])
        for w, v in {w: max(v for ww, v in values if ww == w) for w, _ in values}.items()
    }
    for channel in CHANNELS:
        if any(w in channel.warehouses for w in latest):
            assert sent[channel.name] == expected_level(channel, latest)


def test_level_key_names_channel_location_sku_quantity_and_basis() -> None:
    view = AtpView()
    view.apply("S1", "WH-B", Decimal(9), 3)
    assert level_key(MARKET, channel_level(view, MARKET, "S1")) != level_key(
        SHOP, channel_level(view, SHOP, "S1")
    )
