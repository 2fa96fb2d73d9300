"""ATP arithmetic over a stock position: examples and properties (hypothesis) over exact decimals."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplystream.atp import (
    ZERO,
    AtpPolicy,
    ChannelBuffer,
    Hold,
    InboundReceipt,
    OrderReservation,
    StockPosition,
    available_to_promise,
    available_to_sell,
    grant,
    inbound_within,
    network_atp,
    on_hand_delta,
    promisable,
)

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
quantities = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)
small = st.integers(min_value=0, max_value=50).map(Decimal)


def test_the_formula_with_and_without_inbound() -> None:
    position = (
        StockPosition(on_hand=Decimal(100))
        .allocated("SO1", Decimal(20))
        .held("SO2/1/L1/EAST", Hold("SO2", Decimal(10)))
        .expecting("IN/1", Decimal(50), NOW + dt.timedelta(days=2))
    )
    assert position.reserved == 30
    assert available_to_promise(position, AtpPolicy(safety_stock=Decimal(10)), NOW) == 60
    counting = AtpPolicy(safety_stock=Decimal(10), count_inbound=True, inbound_horizon=dt.timedelta(days=3))
    assert inbound_within(position, counting, NOW) == 50
    assert available_to_promise(position, counting, NOW) == 110
    short_horizon = AtpPolicy(count_inbound=True, inbound_horizon=dt.timedelta(days=1))
    assert inbound_within(position, short_horizon, NOW) == 0
    assert inbound_within(position, AtpPolicy(), NOW) == 0  # not counted unless the policy says so


def test_atp_may_go_negative_but_only_promisable_is_offered() -> None:
    oversold = StockPosition(on_hand=Decimal(2)).allocated("SO1", Decimal(5))
    atp = available_to_promise(oversold, AtpPolicy(safety_stock=Decimal(1)), NOW)
    assert atp == -4
    assert promisable(atp) == 0
    assert promisable(Decimal("3.5")) == Decimal("3.5")


def test_an_allocation_is_a_set_per_order_and_replaces_the_orders_holds() -> None:
    position = (
        StockPosition(on_hand=Decimal(10))
        .held("SO1/1/L1/EAST", Hold("SO1", Decimal(3)))
        .held("SO1/2/L2/EAST", Hold("SO1", Decimal(2)))
        .held("SO2/1/L1/EAST", Hold("SO2", Decimal(4)))
    )
    assert position.reserved == 9
    allocated = position.allocated("SO1", Decimal(5))
    assert set(allocated.holds) == {"SO2/1/L1/EAST"}  # SO2's hold is not touched
    assert allocated.allocations == {"SO1": OrderReservation(allocated=Decimal(5))}
    assert allocated.reserved == 9
    # Re-sent: the same quantity is set again, nothing is added.
    assert allocated.allocated("SO1", Decimal(5)).reserved == 9
    # A changed allocation replaces the quantity.
    assert allocated.allocated("SO1", Decimal(2)).reserved == 6


def test_release_before_or_after_the_allocation_gives_the_same_reserved() -> None:
    start = StockPosition(on_hand=Decimal(10))
    allocated_first = start.allocated("SO1", Decimal(4)).released("SO1", Decimal(3))
    shipped_first = start.released("SO1", Decimal(3)).allocated("SO1", Decimal(4))
    assert allocated_first.reserved == shipped_first.reserved == 1
    assert allocated_first.allocations == shipped_first.allocations
    # Released in parts adds up; more than allocated never goes below zero.
    assert allocated_first.released("SO1", Decimal(1)).reserved == 0
    assert allocated_first.released("SO1", Decimal(7)).reserved == 0
    assert OrderReservation(Decimal(2), Decimal(5)).open == 0


def test_release_drops_the_orders_holds() -> None:
    position = StockPosition(on_hand=Decimal(10)).held("SO1/1/L1/EAST", Hold("SO1", Decimal(3)))
    released = position.released("SO1", Decimal(3))
    assert released.holds == {}
    assert released.reserved == 0  # a cancelled order never allocated reserves nothing here


def test_a_dropped_hold_frees_its_stock_and_dropping_twice_is_harmless() -> None:
    position = (
        StockPosition(on_hand=Decimal(10))
        .held("SO1/1/L1/EAST", Hold("SO1", Decimal(3)))
        .held("SO1/1/L2/EAST", Hold("SO1", Decimal(2)))
    )
    dropped = position.hold_dropped("SO1/1/L1/EAST")
    assert dropped.reserved == 2
    assert dropped.hold_dropped("SO1/1/L1/EAST") == dropped
    # An unknown request dropped first is remembered: asked for later, it gets nothing.
    assert dropped.hold_dropped("unknown").reserved == dropped.reserved
    assert "unknown" in dropped.hold_dropped("unknown").closed


def test_expected_receipts_are_replaced_per_receipt_and_removed_when_received() -> None:
    due = NOW + dt.timedelta(days=1)
    counting = AtpPolicy(count_inbound=True)
    position = StockPosition().expecting("IN/1", Decimal(10), due).expecting("IN/2", Decimal(4), due)
    assert inbound_within(position, counting, NOW) == 14
    partly = position.expecting("IN/1", Decimal(3), due)  # the outstanding quantity, not an addition
    assert partly.inbound["IN/1"] == InboundReceipt(Decimal(3), due)
    assert inbound_within(partly, counting, NOW) == 7
    assert "IN/1" not in partly.expecting("IN/1", ZERO, due).inbound
    assert "IN/1" not in partly.expecting("IN/1", Decimal(-2), due).inbound  # over-received


def test_inbound_beyond_the_horizon_does_not_count() -> None:
    policy = AtpPolicy(count_inbound=True, inbound_horizon=dt.timedelta(days=7))
    position = (
        StockPosition()
        .expecting("IN/soon", Decimal(5), NOW + dt.timedelta(days=7))
        .expecting("IN/late", Decimal(8), NOW + dt.timedelta(days=7, seconds=1))
    )
    assert inbound_within(position, policy, NOW) == 5


@pytest.mark.parametrize(
    ("requested", "allow_partial", "expected"),
    [
        pytest.param(Decimal(3), False, Decimal(3), id="all-when-enough"),
        pytest.param(Decimal(6), False, Decimal(6), id="exactly-what-is-promisable"),
        pytest.param(Decimal(7), False, ZERO, id="nothing-when-short-and-no-partial"),
        pytest.param(Decimal(7), True, Decimal(6), id="what-is-promisable-when-partial"),
    ],
)
def test_grant(requested: Decimal, allow_partial: bool, expected: Decimal) -> None:
    # on_hand 10, reserved 2 (allocation), safety 2: promisable 6.
    position = StockPosition(on_hand=Decimal(10)).allocated("SO0", Decimal(2))
    policy = AtpPolicy(safety_stock=Decimal(2))
    assert grant(position, policy, NOW, requested, allow_partial) == expected


def test_nothing_is_granted_from_a_negative_position() -> None:
    oversold = StockPosition(on_hand=Decimal(1)).allocated("SO0", Decimal(3))
    assert grant(oversold, AtpPolicy(), NOW, Decimal(1), allow_partial=True) == 0


def test_move_direction_at_a_warehouse() -> None:
    assert on_hand_delta("EAST", None, "EAST", Decimal(5)) == 5
    assert on_hand_delta("EAST", "EAST", None, Decimal(5)) == -5
    assert on_hand_delta("EAST", "EAST", "EAST", Decimal(5)) == 0
    assert on_hand_delta("EAST", "EAST", "WEST", Decimal(5)) == -5
    assert on_hand_delta("WEST", "EAST", "WEST", Decimal(5)) == 5
    assert on_hand_delta("NORTH", "EAST", "WEST", Decimal(5)) == 0


def test_channel_buffers() -> None:
    assert available_to_sell(Decimal(100), ChannelBuffer(fixed=Decimal(10), share=Decimal("0.1"))) == 81
    assert available_to_sell(Decimal(5), ChannelBuffer(fixed=Decimal(10))) == 0
    assert available_to_sell(Decimal("1.0005"), ChannelBuffer()) == Decimal("1.000")


@given(on_hand=quantities, allocated=quantities, held=quantities, safety=quantities)
def test_atp_is_exact_and_reserving_moves_it_one_for_one(
    on_hand: Decimal, allocated: Decimal, held: Decimal, safety: Decimal
) -> None:
    position = StockPosition(on_hand=on_hand)
    policy = AtpPolicy(safety_stock=safety)
    before = available_to_promise(position, policy, NOW)
    reserved = position.allocated("SO1", allocated).held("SO2/1/L1/EAST", Hold("SO2", held))
    assert before - available_to_promise(reserved, policy, NOW) == allocated + held  # exact
    released = reserved.released("SO1", allocated).hold_dropped("SO2/1/L1/EAST")
    assert available_to_promise(released, policy, NOW) == before


@given(moves=st.lists(st.tuples(st.sampled_from(["in", "out"]), quantities), max_size=50))
def test_on_hand_is_the_sum_of_moves_in_any_order(moves: list[tuple[str, Decimal]]) -> None:
    def run(sequence: list[tuple[str, Decimal]]) -> StockPosition:
        position = StockPosition()
        for direction, quantity in sequence:
            position = position.moved(quantity if direction == "in" else -quantity)
        return position

    forward, backward = run(moves), run(list(reversed(moves)))
    assert forward.on_hand == backward.on_hand == sum((q if d == "in" else -q for d, q in moves), ZERO)


@given(
    events=st.lists(
        st.tuples(st.sampled_from(["allocate", "release"]), st.sampled_from(["SO1", "SO2"]), small),
        max_size=12,
    ),
    seed=st.randoms(use_true_random=False),
)
def test_reservations_never_go_negative_and_do_not_depend_on_arrival_order(
    events: list[tuple[str, str, Decimal]], seed: random.Random
) -> None:
    # One allocation per order (the last wins) and any number of releases, in any order.
    last_allocation = {order: q for kind, order, q in events if kind == "allocate"}
    ordered = [e for e in events if e[0] == "release"] + [
        ("allocate", o, q) for o, q in last_allocation.items()
    ]
    shuffled = list(ordered)
    seed.shuffle(shuffled)

    def run(sequence: list[tuple[str, str, Decimal]]) -> StockPosition:
        position = StockPosition()
        for kind, order, quantity in sequence:
            position = (
                position.allocated(order, quantity)
                if kind == "allocate"
                else position.released(order, quantity)
            )
        return position

    first, second = run(ordered), run(shuffled)
    assert first.reserved >= 0
    assert first.reserved == second.reserved
    released = {
        o: sum((q for k, oo, q in events if k == "release" and oo == o), ZERO) for o in ("SO1", "SO2")
    }
    expected = sum((max(ZERO, q - released[o]) for o, q in last_allocation.items()), ZERO)
    assert first.reserved == expected


@settings(max_examples=200, deadline=None)
@given(
    on_hand=small,
    safety=st.integers(min_value=0, max_value=5).map(Decimal),
    requests=st.lists(st.tuples(small, st.booleans()), max_size=10),
)
def test_grants_never_exceed_what_is_promisable(
    on_hand: Decimal, safety: Decimal, requests: list[tuple[Decimal, bool]]
) -> None:
    policy = AtpPolicy(safety_stock=safety)
    position = StockPosition(on_hand=on_hand)
    for index, (requested, allow_partial) in enumerate(requests):
        granted = grant(position, policy, NOW, requested, allow_partial)
        assert 0 <= granted <= requested
        if not allow_partial:
            assert granted in {ZERO, requested}
        if granted > 0:
            position = position.held(f"R{index}", Hold(f"SO{index}", granted))
        assert position.reserved <= max(ZERO, on_hand - safety)


@given(per_warehouse=st.lists(st.decimals(min_value=-(10**6), max_value=10**6, places=3), max_size=10))
def test_network_atp_offers_no_negative_warehouse(per_warehouse: list[Decimal]) -> None:
    total = network_atp(per_warehouse)
    assert total >= 0
    assert total == sum((promisable(a) for a in per_warehouse), ZERO)
    assert total >= max([ZERO, *per_warehouse])


@given(network=quantities, fixed=quantities, share=st.decimals(min_value=0, max_value=1, places=2))
def test_a_channel_never_sells_more_than_the_network_has(
    network: Decimal, fixed: Decimal, share: Decimal
) -> None:
    sellable = available_to_sell(network, ChannelBuffer(fixed=fixed, share=share))
    assert 0 <= sellable <= network
    assert sellable == sellable.quantize(Decimal("0.001"))
