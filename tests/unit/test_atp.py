"""ATP arithmetic: examples and properties (hypothesis) over exact decimals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from processors.atp import (
    ZERO,
    AtpPolicy,
    ChannelBuffer,
    InboundReceipt,
    StockPosition,
    available_to_promise,
    available_to_sell,
    inbound_within,
    network_atp,
    on_hand_delta,
    promisable,
)

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
quantities = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)


def test_the_formula_with_and_without_inbound() -> None:
    position = StockPosition(on_hand=Decimal(100), reserved=Decimal(30)).expecting(
        InboundReceipt(Decimal(50), NOW + dt.timedelta(days=2))
    )
    assert available_to_promise(position, AtpPolicy(safety_stock=Decimal(10)), NOW) == 60
    counting = AtpPolicy(safety_stock=Decimal(10), count_inbound=True, inbound_horizon=dt.timedelta(days=3))
    assert available_to_promise(position, counting, NOW) == 110
    short_horizon = AtpPolicy(count_inbound=True, inbound_horizon=dt.timedelta(days=1))
    assert inbound_within(position, short_horizon, NOW) == 0


def test_receipts_are_consumed_first_in_first_out() -> None:
    position = (
        StockPosition()
        .expecting(InboundReceipt(Decimal(5), NOW + dt.timedelta(days=2)))
        .expecting(InboundReceipt(Decimal(3), NOW + dt.timedelta(days=1)))
        .received(Decimal(4))
    )
    assert position.inbound == (InboundReceipt(Decimal(4), NOW + dt.timedelta(days=2)),)


def test_move_direction_at_a_warehouse() -> None:
    assert on_hand_delta("EAST", None, "EAST", Decimal(5)) == 5
    assert on_hand_delta("EAST", "EAST", None, Decimal(5)) == -5
    assert on_hand_delta("EAST", "EAST", "EAST", Decimal(5)) == 0
    assert on_hand_delta("EAST", "EAST", "WEST", Decimal(5)) == -5
    assert on_hand_delta("WEST", "EAST", "WEST", Decimal(5)) == 5


def test_channel_buffers() -> None:
    assert available_to_sell(Decimal(100), ChannelBuffer(fixed=Decimal(10), share=Decimal("0.1"))) == 81
    assert available_to_sell(Decimal(5), ChannelBuffer(fixed=Decimal(10))) == 0
    assert available_to_sell(Decimal("1.0005"), ChannelBuffer()) == Decimal("1.000")


@given(on_hand=quantities, reserved=quantities, safety=quantities)
def test_atp_is_exact_and_reserving_moves_it_one_for_one(
    on_hand: Decimal, reserved: Decimal, safety: Decimal
) -> None:
    position = StockPosition(on_hand=on_hand)
    policy = AtpPolicy(safety_stock=safety)
    before = available_to_promise(position, policy, NOW)
    after = available_to_promise(position.allocated(reserved), policy, NOW)
    assert before - after == reserved  # exact: no binary floating point anywhere
    assert available_to_promise(position.allocated(reserved).released(reserved), policy, NOW) == before


@given(moves=st.lists(st.tuples(st.sampled_from(["in", "out"]), quantities), max_size=50))
def test_on_hand_is_the_sum_of_moves_in_any_order(moves: list[tuple[str, Decimal]]) -> None:
    def run(sequence: list[tuple[str, Decimal]]) -> StockPosition:
        position = StockPosition()
        for direction, quantity in sequence:
            position = position.moved(quantity if direction == "in" else -quantity)
        return position

    forward, backward = run(moves), run(list(reversed(moves)))
    assert forward.on_hand == backward.on_hand == sum((q if d == "in" else -q for d, q in moves), ZERO)
    assert forward.version == len(moves)  # every change bumps the version


@given(reserved=quantities, released=quantities)
def test_reservations_never_go_negative(reserved: Decimal, released: Decimal) -> None:
    assert StockPosition().allocated(reserved).released(released).reserved >= 0


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
