"""The ATP processor's per-key ledger: re-deliveries, publishing only changes, versions, its JSON form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.commands import (
    Allocate,
    Command,
    DropHold,
    Expect,
    Keyed,
    Move,
    Origin,
    Release,
    Reserve,
)
from processors.ledger import (
    Figures,
    Ledger,
    Reply,
    Step,
    apply,
    dumps,
    figures_of,
    from_json,
    is_redelivery,
    loads,
    next_version,
    to_json,
)
from supplystream.atp import ZERO, AtpPolicy, Hold, InboundReceipt, OrderReservation, StockPosition

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
KEY = "SKU-1|EAST"
POLICY = AtpPolicy(safety_stock=Decimal(2))
CLOCK = 1_764_000_000_000_000  # microseconds since the epoch


class Feed:
    """Commands from one source partition, with growing offsets (as the processor reads them)."""

    def __init__(self, topic: str = "atp-processor.commands", partition: int = 0) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = 0

    def __call__(self, command: Command, key: str = KEY) -> Keyed:
        self.offset += 1
        return Keyed(key, command, Origin(self.topic, self.partition, self.offset))


def run(
    commands: Sequence[Keyed], ledger: Ledger | None = None, policy: AtpPolicy = POLICY, clock: int = CLOCK
) -> tuple[Ledger, list[Step]]:
    ledger = ledger or Ledger()
    steps = []
    for item in commands:
        step = apply(ledger, item, policy, NOW, clock)
        steps.append(step)
        ledger = step.ledger
    return ledger, steps


def stocked(on_hand: int = 10) -> tuple[Feed, Ledger]:
    feed = Feed()
    ledger, _ = run([feed(Move(Decimal(on_hand)))])
    return feed, ledger


def reserve(request_id: str, quantity: int, allow_partial: bool = False, order_id: str = "SO1") -> Reserve:
    return Reserve(request_id, order_id, "L1", Decimal(quantity), allow_partial)


# -- reservations ---------------------------------------------------------------------------------


def test_a_reservation_is_granted_held_and_answered() -> None:
    feed, ledger = stocked(10)
    step = apply(ledger, feed(reserve("SO1/1/L1/EAST", 5)), POLICY, NOW, CLOCK)
    assert step.reply == Reply("SO1/1/L1/EAST", "SO1", "L1", KEY, Decimal(5), Decimal(5))
    assert step.ledger.position.holds == {"SO1/1/L1/EAST": Hold("SO1", Decimal(5))}
    assert step.publish is not None
    assert (step.publish.reserved, step.publish.atp) == (Decimal(5), Decimal(3))  # 10 - 5 - safety 2


@pytest.mark.parametrize(
    ("allow_partial", "granted"),
    [pytest.param(False, ZERO, id="refused-without-partial"), pytest.param(True, Decimal(8), id="partial")],
)
def test_a_reservation_beyond_atp(allow_partial: bool, granted: Decimal) -> None:
    feed, ledger = stocked(10)
    step = apply(ledger, feed(reserve("SO1/1/L1/EAST", 9, allow_partial)), POLICY, NOW, CLOCK)
    assert step.reply is not None
    assert step.reply.granted == granted
    assert step.ledger.position.reserved == granted
    assert ("SO1/1/L1/EAST" in step.ledger.position.holds) == (granted > 0)


def test_a_request_asked_again_with_a_new_origin_gets_the_same_grant_and_no_second_hold() -> None:
    feed, ledger = stocked(10)
    ledger, steps = run([feed(reserve("SO1/1/L1/EAST", 7, allow_partial=True))], ledger)
    ledger, again = run([feed(reserve("SO1/1/L1/EAST", 7, allow_partial=True))], ledger)
    assert steps[0].reply is not None
    assert again[0].reply == steps[0].reply
    assert not again[0].duplicate
    assert ledger.position.reserved == 7
    assert again[0].publish is None


# -- re-deliveries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(Move(Decimal(3)), id="move"),
        pytest.param(Allocate("SO9", Decimal(2)), id="allocate"),
        pytest.param(Release("SO9", Decimal(1)), id="release"),
        pytest.param(Expect("IN/1", Decimal(4), NOW), id="expect"),
        pytest.param(reserve("SO2/1/L1/EAST", 3), id="reserve"),
        pytest.param(DropHold("SO1/1/L1/EAST"), id="drop-hold"),
    ],
)
def test_a_redelivered_command_changes_nothing(command: Command) -> None:
    feed, ledger = stocked(10)
    ledger, _ = run([feed(reserve("SO1/1/L1/EAST", 2))], ledger)
    item = feed(command)
    first = apply(ledger, item, POLICY, NOW, CLOCK)
    assert not first.duplicate
    again = apply(first.ledger, item, POLICY, NOW, CLOCK + 10)
    if isinstance(command, Reserve | DropHold):
        # Idempotent by request id rather than by origin: the same answer, nothing changes.
        assert again.ledger.position == first.ledger.position
        assert again.ledger.version == first.ledger.version
        assert again.reply == first.reply
        return
    assert again.duplicate
    assert again.ledger is first.ledger
    # Answered again, in case the first answer was lost: the same figures with the same version.
    assert again.publish == first.ledger.published
    assert again.ledger.version == first.ledger.version
    assert again.reply == first.reply


def test_an_older_command_of_the_stream_is_a_redelivery_too() -> None:
    feed, ledger = stocked(10)
    old = feed(Move(Decimal(5)))
    ledger, _ = run([old, feed(Move(Decimal(1)))], ledger)
    step = apply(ledger, old, POLICY, NOW, CLOCK)
    assert step.duplicate
    assert step.ledger.position.on_hand == 16


def test_a_redelivered_reservation_is_answered_with_the_same_grant() -> None:
    feed, ledger = stocked(10)
    item = feed(reserve("SO1/1/L1/EAST", 20, allow_partial=True))
    ledger, steps = run([item, feed(reserve("SO2/1/L1/EAST", 1))], ledger)
    again = apply(ledger, item, POLICY, NOW, CLOCK)
    assert again.ledger.position == ledger.position
    assert again.reply == steps[0].reply
    assert again.reply is not None
    assert again.reply.granted == 8
    assert again.ledger.position.reserved == 8  # nothing held twice


def test_a_redelivered_reservation_after_its_hold_was_dropped_grants_nothing() -> None:
    feed, ledger = stocked(10)
    item = feed(reserve("SO1/1/L1/EAST", 4))
    ledger, _ = run([item, feed(DropHold("SO1/1/L1/EAST"))], ledger)
    again = apply(ledger, item, POLICY, NOW, CLOCK)
    assert again.reply is not None
    assert again.reply.granted == 0
    assert again.ledger.position.reserved == 0


def test_a_redelivered_refusal_stays_a_refusal() -> None:
    feed, ledger = stocked(3)
    item = feed(reserve("SO1/1/L1/EAST", 5))
    ledger, steps = run([item], ledger)
    assert steps[0].reply is not None
    assert steps[0].reply.granted == 0
    ledger, _ = run([feed(Move(Decimal(10)))], ledger)  # now there would be enough
    again = apply(ledger, item, POLICY, NOW, CLOCK)
    assert again.reply == steps[0].reply
    assert again.ledger.position.holds == {}


def test_marks_are_kept_per_source_partition() -> None:
    commands, moves = Feed("atp-processor.commands", 0), Feed("stock.moved", 3)
    ledger, _ = run([commands(Move(Decimal(1))), commands(Move(Decimal(1)))])
    low = moves(Move(Decimal(5)))  # offset 1 of another stream: not seen yet
    assert not is_redelivery(ledger, low)
    ledger, _ = run([low], ledger)
    assert ledger.position.on_hand == 7
    assert ledger.marks == {"atp-processor.commands:0": (2, 0), "stock.moved:3": (1, 0)}
    other_partition = Keyed(KEY, Move(Decimal(1)), Origin("stock.moved", 4, 1))
    assert not is_redelivery(ledger, other_partition)


def test_siblings_of_one_record_are_told_apart_by_their_index() -> None:
    ledger, _ = run([Keyed(KEY, Move(Decimal(1)), Origin("t", 0, 5, 0))])
    assert not is_redelivery(ledger, Keyed(KEY, Move(Decimal(1)), Origin("t", 0, 5, 1)))
    assert is_redelivery(ledger, Keyed(KEY, Move(Decimal(1)), Origin("t", 0, 5, 0)))
    assert is_redelivery(ledger, Keyed(KEY, Move(Decimal(1)), Origin("t", 0, 4, 9)))


# -- publishing and versions ----------------------------------------------------------------------


def test_figures_are_published_only_when_they_change() -> None:
    feed = Feed()
    ledger, steps = run(
        [
            feed(Move(Decimal(10))),  # changes on_hand
            feed(reserve("SO1/1/L1/EAST", 3)),  # changes reserved
            feed(Allocate("SO1", Decimal(3))),  # the hold becomes the allocation: same figures
            feed(DropHold("SO1/1/L1/EAST")),  # nothing held any more: same figures
            feed(Expect("IN/1", Decimal(5), NOW)),  # inbound not counted by this policy
            feed(Move(ZERO)),  # nothing moved
            feed(Release("SO1", Decimal(1))),  # changes reserved
        ]
    )
    published = [step.publish is not None for step in steps]
    assert published == [True, True, False, False, False, False, True]
    versions = [step.ledger.version for step in steps]
    assert versions == [CLOCK, CLOCK + 1, CLOCK + 1, CLOCK + 1, CLOCK + 1, CLOCK + 1, CLOCK + 2]
    assert ledger.published == Figures(
        on_hand=Decimal(10), reserved=Decimal(2), inbound=ZERO, safety_stock=Decimal(2), atp=Decimal(6)
    )


def test_the_first_command_publishes_even_when_the_figures_are_zero() -> None:
    step = apply(Ledger(), Feed()(reserve("SO1/1/L1/EAST", 1)), AtpPolicy(), NOW, CLOCK)
    assert step.publish == Figures(ZERO, ZERO, ZERO, ZERO, ZERO)
    assert step.ledger.version == CLOCK


def test_counted_inbound_is_published() -> None:
    policy = AtpPolicy(count_inbound=True)
    feed = Feed()
    _, steps = run([feed(Move(Decimal(1))), feed(Expect("IN/1", Decimal(5), NOW))], policy=policy)
    assert steps[1].publish is not None
    assert (steps[1].publish.inbound, steps[1].publish.atp) == (Decimal(5), Decimal(6))


def test_versions_follow_the_clock_and_never_go_back() -> None:
    assert next_version(0, CLOCK) == CLOCK
    assert next_version(CLOCK + 50, CLOCK) == CLOCK + 51  # the clock went back: still above the last
    assert next_version(7, 7) == 8


@given(
    start=st.integers(min_value=0, max_value=2**62),
    clocks=st.lists(st.integers(min_value=0, max_value=2**62), min_size=1, max_size=30),
)
def test_a_version_always_grows(start: int, clocks: list[int]) -> None:
    version = start
    for clock in clocks:
        following = next_version(version, clock)
        assert following > version
        assert following >= clock
        assert following == max(version + 1, clock)
        version = following


@given(clocks=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20))
def test_published_versions_grow_whatever_the_clock_does(clocks: list[int]) -> None:
    feed, ledger = Feed(), Ledger()
    versions = []
    for index, clock in enumerate(clocks):
        step = apply(ledger, feed(Move(Decimal(index + 1))), POLICY, NOW, clock)
        assert step.publish is not None
        versions.append(step.ledger.version)
        ledger = step.ledger
    assert versions == sorted(set(versions))


# -- allocations, shipments, cancellations --------------------------------------------------------


def test_allocation_after_shipment_gives_the_same_reserved() -> None:
    feed, ledger = stocked(10)
    allocated_first, _ = run([feed(Allocate("SO1", Decimal(4))), feed(Release("SO1", Decimal(4)))], ledger)
    feed, ledger = stocked(10)
    shipped_first, _ = run([feed(Release("SO1", Decimal(4))), feed(Allocate("SO1", Decimal(4)))], ledger)
    assert allocated_first.position.reserved == shipped_first.position.reserved == 0
    assert allocated_first.published == shipped_first.published


def test_a_partial_shipment_leaves_the_rest_reserved_in_either_order() -> None:
    feed, ledger = stocked(10)
    a, _ = run([feed(Allocate("SO1", Decimal(5))), feed(Release("SO1", Decimal(2)))], ledger)
    feed, ledger = stocked(10)
    b, _ = run([feed(Release("SO1", Decimal(2))), feed(Allocate("SO1", Decimal(5)))], ledger)
    assert a.position.reserved == b.position.reserved == 3


def test_a_resent_allocation_changes_nothing() -> None:
    feed, ledger = stocked(10)
    ledger, _ = run([feed(reserve("SO1/1/L1/EAST", 4)), feed(Allocate("SO1", Decimal(4)))], ledger)
    resent = apply(ledger, feed(Allocate("SO1", Decimal(4))), POLICY, NOW, CLOCK + 99)
    assert not resent.duplicate  # a new origin: applied, but it is the same set
    assert resent.publish is None
    assert resent.ledger.position == ledger.position
    assert resent.ledger.version == ledger.version


def test_an_allocation_replaces_the_orders_holds_not_adds_to_them() -> None:
    feed, ledger = stocked(10)
    ledger, _ = run(
        [
            feed(reserve("SO1/1/L1/EAST", 3)),
            feed(reserve("SO1/2/L1/EAST", 2)),
            feed(reserve("SO2/1/L1/EAST", 1, order_id="SO2")),
            feed(Allocate("SO1", Decimal(5))),
        ],
        ledger,
    )
    assert ledger.position.reserved == 6
    assert set(ledger.position.holds) == {"SO2/1/L1/EAST"}
    assert ledger.position.allocations["SO1"] == OrderReservation(allocated=Decimal(5))


def test_a_dropped_hold_frees_the_stock_for_the_next_request() -> None:
    feed, ledger = stocked(4)  # promisable 2
    ledger, steps = run(
        [
            feed(reserve("SO1/1/L1/EAST", 2)),
            feed(reserve("SO2/1/L1/EAST", 2, order_id="SO2")),
            feed(DropHold("SO1/1/L1/EAST")),
            feed(reserve("SO2/2/L1/EAST", 2, order_id="SO2")),
        ],
        ledger,
    )
    grants = [step.reply.granted for step in steps if step.reply is not None]
    assert grants == [2, 0, 2]
    assert ledger.position.reserved == 2


# -- properties -----------------------------------------------------------------------------------

orders = st.sampled_from(["SO1", "SO2", "SO3"])
amounts = st.integers(min_value=0, max_value=8).map(Decimal)
commands: st.SearchStrategy[Command] = st.one_of(
    st.builds(Move, st.integers(min_value=-3, max_value=8).map(Decimal)),
    st.builds(Allocate, orders, amounts),
    st.builds(Release, orders, amounts),
    st.builds(Expect, st.sampled_from(["IN/1", "IN/2"]), amounts, st.just(NOW)),
    # A request id always asks for the same (as the router's deterministic ids do).
    st.sampled_from(
        [
            Reserve(f"R{n}", f"SO{n % 3 + 1}", "L1", Decimal(2 * n - 1), allow_partial=n % 2 == 0)
            for n in range(1, 5)
        ]
    ),
    st.builds(DropHold, st.sampled_from(["R1", "R2", "R3", "R4"])),
)


@settings(max_examples=150, deadline=None)
@given(
    script=st.lists(st.tuples(commands, st.lists(st.integers(min_value=0), max_size=2)), max_size=25),
    count_inbound=st.booleans(),
)
def test_redeliveries_anywhere_change_nothing(
    script: list[tuple[Command, list[int]]], count_inbound: bool
) -> None:
    policy = AtpPolicy(safety_stock=Decimal(1), count_inbound=count_inbound)
    feed = Feed()
    items = [feed(command) for command, _ in script]
    clean, clean_steps = run(items, policy=policy, clock=0)
    ledger, delivered = Ledger(), []
    for item, (_, redeliver) in zip(items, script, strict=True):
        step = apply(ledger, item, policy, NOW, 0)
        ledger = step.ledger
        delivered.append((item, step))
        for pick in redeliver:  # re-read something already applied (a crash before the commit)
            old_item, _ = delivered[pick % len(delivered)]
            again = apply(ledger, old_item, policy, NOW, 0)
            if isinstance(old_item.command, Reserve | DropHold):
                # Idempotent by request id: the position stays as it is.
                assert again.ledger.position.reserved == ledger.position.reserved
                assert again.ledger.position.holds == ledger.position.holds
                ledger = again.ledger
                continue
            assert again.duplicate
            assert again.ledger is ledger
            assert again.publish == ledger.published
            assert again.reply is None
    assert ledger.position.on_hand == clean.position.on_hand
    assert ledger.position.reserved == clean.position.reserved
    assert [s.reply for _, s in delivered] == [s.reply for s in clean_steps]


@settings(max_examples=150, deadline=None)
@given(script=st.lists(commands, max_size=25))
def test_figures_always_match_the_position(script: list[Command]) -> None:
    feed, ledger = Feed(), Ledger()
    for command in script:
        step = apply(ledger, feed(command), POLICY, NOW, CLOCK)
        ledger = step.ledger
        assert ledger.published == figures_of(ledger.position, POLICY, NOW)
        assert ledger.position.reserved >= 0
        if step.reply is not None:
            assert 0 <= step.reply.granted <= step.reply.requested


# -- JSON form ------------------------------------------------------------------------------------

decimals = st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)
ids = st.text(min_size=1, max_size=12)
# Hypothesis takes naive bounds and attaches the time zone itself.
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
positions = st.builds(
    StockPosition,
    on_hand=decimals,
    allocations=st.dictionaries(ids, st.builds(OrderReservation, positive, positive), max_size=4),
    holds=st.dictionaries(ids, st.builds(Hold, ids, positive), max_size=4),
    inbound=st.dictionaries(ids, st.builds(InboundReceipt, positive, moments), max_size=4),
)
ledgers = st.builds(
    Ledger,
    position=positions,
    marks=st.dictionaries(
        ids, st.tuples(st.integers(min_value=0, max_value=2**62), st.integers(min_value=0, max_value=999))
    ),
    published=st.none() | st.builds(Figures, decimals, positive, positive, positive, decimals),
    version=st.integers(min_value=0, max_value=2**62),
)


@settings(max_examples=150, deadline=None)
@given(ledger=ledgers)
def test_the_json_form_round_trips(ledger: Ledger) -> None:
    assert from_json(to_json(ledger)) == ledger
    raw = dumps(ledger)
    assert loads(raw) == ledger
    assert dumps(loads(raw)) == raw


def test_the_json_form_is_compact_and_exact() -> None:
    feed, ledger = stocked(10)
    ledger, _ = run([feed(reserve("SO1/1/L1/EAST", 3)), feed(Move(Decimal("0.125")))], ledger)
    data = to_json(ledger)
    assert data["h"] == "10.125"
    assert data["H"] == {"SO1/1/L1/EAST": ["SO1", "3"]}
    assert data["m"] == {"atp-processor.commands:0": [3, 0]}
    assert loads(dumps(ledger)) == ledger
