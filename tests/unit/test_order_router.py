"""The router's state machine against real ledgers: rounds, re-routing, refusals, stray replies, JSON."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal

import pytest

from processors.commands import Command, DropHold, Keyed, Origin, Reserve, commands_for, position_key
from processors.ledger import Ledger, Reply, apply
from processors.router import (
    MAX_ROUNDS,
    Outcome,
    Request,
    Routing,
    answered,
    cancelled,
    granted_total,
    remaining,
    request_id,
    settled,
    start,
)
from processors.routing import Assignment, Availability, Line, OrderToRoute, RoutingPolicy, Site
from processors.wire import decode_reply, encode_reply, routing_from_json, routing_to_json
from supplystream.atp import ZERO, AtpPolicy, StockPosition
from supplystream.events import Allocation, OrderAllocated, Source

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
CODES = ("NEAR", "MID", "FAR", "FARTHER", "FARTHEST")
POLICY = RoutingPolicy(
    sites=tuple(Site(code) for code in CODES),
    distances={"R": {code: float(10 * (rank + 1)) for rank, code in enumerate(CODES)}},
)


class Atp:
    """The ATP partitions: one ledger per ``sku|warehouse``, applying what the router sends, in order."""

    def __init__(self, stock: Mapping[tuple[str, str], int], policy: AtpPolicy | None = None) -> None:
        self.policy = policy or AtpPolicy()
        self.ledgers = {
            position_key(sku, code): Ledger(position=StockPosition(on_hand=Decimal(q)))
            for (sku, code), q in stock.items()
        }
        self.offset = 0

    def send(self, pairs: Iterable[tuple[str, Command]]) -> list[Reply]:
        replies = []
        for key, command in pairs:
            self.offset += 1
            item = Keyed(key, command, Origin("atp-processor.commands", 0, self.offset))
            step = apply(self.ledgers.get(key, Ledger()), item, self.policy, NOW, 0)
            self.ledgers[key] = step.ledger
            if step.reply is not None:
                replies.append(step.reply)
        return replies

    def reserved(self, sku: str, code: str) -> Decimal:
        return self.ledgers.get(position_key(sku, code), Ledger()).position.reserved

    def view(self) -> dict[tuple[str, str], Decimal]:
        """A view that is right: promisable stock per (sku, warehouse)."""
        result = {}
        for key, ledger in self.ledgers.items():
            sku, _, code = key.rpartition("|")
            result[(sku, code)] = max(ZERO, ledger.position.on_hand - ledger.position.reserved)
        return result


def order(*lines: tuple[str, str, int], allow_partial: bool = False, priority: int = 0) -> OrderToRoute:
    return OrderToRoute(
        order_id="SO-1",
        region="R",
        lines=tuple(Line(lid, sku, Decimal(q)) for lid, sku, q in lines),
        placed_at=NOW,
        priority=priority,
        allow_partial=allow_partial,
    )


def view_of(stock: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], Decimal]:
    return {key: Decimal(q) for key, q in stock.items()}


def drive(outcome: Outcome, atp: Atp, view: Availability | None = None) -> tuple[Outcome, list[Outcome]]:
    """Deliver every reservation and hold drop to the ATP side and every reply back, until finished."""
    history = [outcome]
    pending = list(atp.send([*outcome.reserve, *outcome.drop]))
    while pending:
        reply = pending.pop(0)
        outcome = answered(outcome.state, reply, view if view is not None else atp.view(), POLICY)
        history.append(outcome)
        pending.extend(atp.send([*outcome.reserve, *outcome.drop]))
    return outcome, history


def allocate(outcome: Outcome, atp: Atp) -> None:
    """Publish order.allocated and apply its commands, as the ATP processor's translator does."""
    assert outcome.state is not None
    event = OrderAllocated(
        event_id=uuid.uuid4(),
        event_type=OrderAllocated.EVENT_TYPE,
        occurred_at=NOW,
        source=Source(system="supplystream", adapter="order-router"),
        correlation_id=outcome.state.correlation_id,
        company="ACME",
        order_id=outcome.state.order.order_id,
        lines=tuple(
            Allocation(line_id=r.line_id, sku=r.sku, warehouse=r.warehouse, quantity=r.quantity)
            for r in outcome.allocated
        ),
    )
    atp.send(commands_for(OrderAllocated.EVENT_TYPE, event.to_record(), CODES))


def asked(history: list[Outcome]) -> list[tuple[str, Decimal]]:
    return [(key, command.quantity) for outcome in history for key, command in outcome.reserve]


# -- happy path -----------------------------------------------------------------------------------


def test_happy_path_one_round_all_granted_then_allocated() -> None:
    stock = {("A", "NEAR"): 5, ("B", "NEAR"): 5, ("A", "MID"): 9, ("B", "MID"): 9}
    atp = Atp(stock)
    first = start(order(("L1", "A", 2), ("L2", "B", 3)), "corr-1", atp.view(), POLICY)
    assert first.state is not None
    assert first.state.status == "routing"
    assert first.state.round == 1
    assert first.reserve == (
        ("A|NEAR", Reserve("SO-1/1/L1/NEAR", "SO-1", "L1", Decimal(2), False)),
        ("B|NEAR", Reserve("SO-1/1/L2/NEAR", "SO-1", "L2", Decimal(3), False)),
    )
    replies = atp.send(first.reserve)
    halfway = answered(first.state, replies[0], atp.view(), POLICY)
    assert halfway.state is not None
    assert halfway.state.status == "routing"  # still waiting for the other answer
    assert (halfway.reserve, halfway.drop, halfway.allocated, halfway.backordered) == ((), (), (), ())
    done = answered(halfway.state, replies[1], atp.view(), POLICY)
    assert done.state is not None
    assert done.state.status == "allocated"
    assert done.state.finished
    assert {(r.line_id, r.warehouse, r.quantity) for r in done.allocated} == {
        ("L1", "NEAR", Decimal(2)),
        ("L2", "NEAR", Decimal(3)),
    }
    assert done.backordered == ()
    assert granted_total(done.state) == 5
    assert remaining(done.state) == {"L1": 0, "L2": 0}
    # order.allocated turns the holds into allocations: reserved stays, no hold is left.
    assert atp.reserved("A", "NEAR") == 2
    allocate(done, atp)
    assert atp.reserved("A", "NEAR") == 2
    assert atp.reserved("B", "NEAR") == 3
    assert all(not ledger.position.holds for ledger in atp.ledgers.values())


def test_request_ids_are_deterministic() -> None:
    view = view_of({("A", "NEAR"): 5})
    assert start(order(("L1", "A", 2)), "c", view, POLICY) == start(order(("L1", "A", 2)), "c", view, POLICY)
    assert request_id("SO-1", 2, Assignment("L1", "A", "MID", Decimal(1))) == "SO-1/2/L1/MID"


# -- re-routing -----------------------------------------------------------------------------------


def test_a_partial_grant_is_kept_and_the_rest_is_routed_to_the_next_warehouse() -> None:
    atp = Atp({("A", "NEAR"): 3, ("A", "MID"): 9})
    stale = view_of({("A", "NEAR"): 5, ("A", "MID"): 9})  # the view still thinks NEAR has 5
    outcome, history = drive(start(order(("L1", "A", 5), allow_partial=True), "c", stale, POLICY), atp, stale)
    assert asked(history) == [("A|NEAR", Decimal(5)), ("A|MID", Decimal(2))]
    assert outcome.state is not None
    assert outcome.state.status == "allocated"
    assert outcome.state.round == 2
    assert outcome.state.excluded == {"L1": frozenset({"NEAR"})}
    assert {(r.request_id, r.quantity) for r in outcome.allocated} == {
        ("SO-1/1/L1/NEAR", Decimal(3)),
        ("SO-1/2/L1/MID", Decimal(2)),
    }
    assert outcome.backordered == ()
    allocate(outcome, atp)
    assert (atp.reserved("A", "NEAR"), atp.reserved("A", "MID")) == (Decimal(3), Decimal(2))


def test_a_whole_order_refused_by_a_stale_warehouse_goes_to_the_next_one() -> None:
    atp = Atp({("A", "NEAR"): 3, ("A", "MID"): 9})
    stale = view_of({("A", "NEAR"): 5, ("A", "MID"): 9})
    outcome, history = drive(start(order(("L1", "A", 5)), "c", stale, POLICY), atp, stale)
    assert asked(history) == [("A|NEAR", Decimal(5)), ("A|MID", Decimal(5))]
    assert outcome.state is not None
    assert outcome.state.status == "allocated"
    assert [(r.warehouse, r.quantity) for r in outcome.allocated] == [("MID", Decimal(5))]
    assert atp.reserved("A", "NEAR") == 0


# -- refusals -------------------------------------------------------------------------------------


def test_refusing_a_non_partial_order_drops_the_holds_it_was_granted() -> None:
    atp = Atp({("A", "NEAR"): 5, ("B", "NEAR"): 0})
    stale = view_of({("A", "NEAR"): 5, ("B", "NEAR"): 5})  # B is really gone, nowhere else either
    outcome, history = drive(start(order(("L1", "A", 2), ("L2", "B", 2)), "c", stale, POLICY), atp, stale)
    assert outcome.state is not None
    assert outcome.state.status == "refused"
    assert outcome.state.granted == {}
    assert outcome.drop == (("A|NEAR", DropHold("SO-1/1/L1/NEAR")),)
    assert outcome.allocated == ()
    assert [(s.line_id, s.quantity, s.reason) for s in outcome.backordered] == [
        ("L1", Decimal(2), "OTHER"),
        ("L2", Decimal(2), "INSUFFICIENT_STOCK"),
    ]
    assert len(history) == 3  # start, L1 granted, L2 refused
    assert atp.reserved("A", "NEAR") == 0  # the drop was applied by drive()
    assert all(not ledger.position.holds for ledger in atp.ledgers.values())


def test_a_partial_order_keeps_what_it_got_and_backorders_the_rest() -> None:
    atp = Atp({("A", "NEAR"): 5, ("B", "NEAR"): 0})
    stale = view_of({("A", "NEAR"): 5, ("B", "NEAR"): 5})
    outcome, _ = drive(
        start(order(("L1", "A", 2), ("L2", "B", 2), allow_partial=True), "c", stale, POLICY), atp, stale
    )
    assert outcome.state is not None
    assert outcome.state.status == "allocated"
    assert [(r.line_id, r.quantity) for r in outcome.allocated] == [("L1", Decimal(2))]
    assert [(s.line_id, s.quantity, s.reason) for s in outcome.backordered] == [
        ("L2", Decimal(2), "INSUFFICIENT_STOCK")
    ]
    assert outcome.drop == ()
    assert atp.reserved("A", "NEAR") == 2


def test_a_partial_order_granted_nothing_is_backordered() -> None:
    atp = Atp({("A", "NEAR"): 0})
    stale = view_of({("A", "NEAR"): 5})
    outcome, _ = drive(start(order(("L1", "A", 2), allow_partial=True), "c", stale, POLICY), atp, stale)
    assert outcome.state is not None
    assert outcome.state.status == "backordered"
    assert outcome.allocated == ()
    assert [(s.line_id, s.quantity) for s in outcome.backordered] == [("L1", Decimal(2))]


@pytest.mark.parametrize(
    ("allow_partial", "status", "reason"),
    [
        pytest.param(True, "backordered", "INSUFFICIENT_STOCK", id="partial-backordered"),
        pytest.param(False, "refused", "INSUFFICIENT_STOCK", id="whole-refused"),
    ],
)
def test_nothing_in_view_asks_nobody(allow_partial: bool, status: str, reason: str) -> None:
    outcome = start(order(("L1", "A", 2), allow_partial=allow_partial), "c", {}, POLICY)
    assert outcome.state is not None
    assert outcome.state.status == status
    assert outcome.reserve == ()
    assert [(s.line_id, s.quantity, s.reason) for s in outcome.backordered] == [("L1", Decimal(2), reason)]


# -- rounds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allow_partial", "status"),
    [pytest.param(True, "backordered", id="partial"), pytest.param(False, "refused", id="whole")],
)
def test_the_router_gives_up_after_max_rounds(allow_partial: bool, status: str) -> None:
    # The view promises plenty everywhere; really only the fourth-nearest warehouse has any.
    atp = Atp({("A", code): 9 if code == "FARTHER" else 0 for code in CODES})
    optimistic = view_of({("A", code): 100 for code in CODES})
    outcome, history = drive(
        start(order(("L1", "A", 2), allow_partial=allow_partial), "c", optimistic, POLICY), atp, optimistic
    )
    assert asked(history) == [("A|NEAR", Decimal(2)), ("A|MID", Decimal(2)), ("A|FAR", Decimal(2))]
    assert len(asked(history)) == MAX_ROUNDS
    assert outcome.state is not None
    assert outcome.state.round == MAX_ROUNDS
    assert outcome.state.status == status
    assert [(s.line_id, s.quantity, s.reason) for s in outcome.backordered] == [
        ("L1", Decimal(2), "INSUFFICIENT_STOCK")
    ]
    assert atp.reserved("A", "FARTHER") == 0


def test_a_plan_with_nothing_left_to_ask_ends_before_max_rounds() -> None:
    atp = Atp({("A", "NEAR"): 0})
    stale = view_of({("A", "NEAR"): 5})
    outcome, history = drive(start(order(("L1", "A", 2), allow_partial=True), "c", stale, POLICY), atp, stale)
    assert outcome.state is not None
    assert outcome.state.round == 1
    assert [(s.line_id, s.reason) for s in outcome.backordered] == [("L1", "INSUFFICIENT_STOCK")]
    assert len(asked(history)) == 1


# -- replies nobody waits for ---------------------------------------------------------------------


def reply(rid: str, granted: int, key: str = "A|NEAR") -> Reply:
    return Reply(rid, "SO-1", "L1", key, Decimal(5), Decimal(granted))


def test_a_reply_for_an_unknown_order_gives_a_grant_back() -> None:
    outcome = answered(None, reply("SO-1/1/L1/NEAR", 5), {}, POLICY)
    assert outcome.state is None
    assert outcome.drop == (("A|NEAR", DropHold("SO-1/1/L1/NEAR")),)
    assert answered(None, reply("SO-1/1/L1/NEAR", 0), {}, POLICY) == Outcome(None)


def routing_order() -> Routing:
    outcome = start(order(("L1", "A", 5)), "c", view_of({("A", "NEAR"): 9}), POLICY)
    assert outcome.state is not None
    return outcome.state


def test_a_reply_to_a_request_not_asked_for_gives_the_grant_back_and_changes_nothing() -> None:
    state = routing_order()
    stray = answered(state, reply("SO-1/9/L1/MID", 3, "A|MID"), {}, POLICY)
    assert stray.state == state
    assert stray.drop == (("A|MID", DropHold("SO-1/9/L1/MID")),)
    assert answered(state, reply("SO-1/9/L1/MID", 0, "A|MID"), {}, POLICY) == Outcome(state)


def test_a_redelivered_reply_to_a_granted_request_is_kept() -> None:
    atp = Atp({("A", "NEAR"): 9})
    outcome, _ = drive(start(order(("L1", "A", 5)), "c", atp.view(), POLICY), atp)
    assert outcome.state is not None
    assert outcome.state.status == "allocated"
    again = answered(outcome.state, reply("SO-1/1/L1/NEAR", 5), atp.view(), POLICY)
    # Kept (no DropHold), and the finished order's outcome is sent again (same event, same lines).
    assert again.state == outcome.state
    assert again.drop == ()
    assert again.allocated == outcome.allocated


def test_a_redelivered_grant_after_a_refusal_is_given_back_again() -> None:
    atp = Atp({("A", "NEAR"): 5, ("B", "NEAR"): 0})
    stale = view_of({("A", "NEAR"): 5, ("B", "NEAR"): 5})
    outcome, _ = drive(start(order(("L1", "A", 2), ("L2", "B", 2)), "c", stale, POLICY), atp, stale)
    assert outcome.state is not None
    assert outcome.state.status == "refused"
    again = answered(outcome.state, reply("SO-1/1/L1/NEAR", 2), stale, POLICY)
    assert again.state == outcome.state
    # The refusal is sent again, with its drops, and this grant is given back too (twice is harmless).
    assert ("A|NEAR", DropHold("SO-1/1/L1/NEAR")) in again.drop
    assert again.backordered == outcome.backordered
    assert again.allocated == ()


# -- JSON forms -----------------------------------------------------------------------------------


def test_router_states_round_trip_through_json() -> None:
    atp = Atp({("A", "NEAR"): 3, ("A", "MID"): 9})
    stale = view_of({("A", "NEAR"): 5, ("A", "MID"): 9})
    _, history = drive(start(order(("L1", "A", 5), allow_partial=True), "c", stale, POLICY), atp, stale)
    states = [outcome.state for outcome in history if outcome.state is not None]
    assert {state.status for state in states} == {"routing", "allocated"}
    assert any(state.outstanding for state in states)
    assert any(state.excluded for state in states)
    for state in states:
        data = json.loads(json.dumps(routing_to_json(state)))
        assert routing_from_json(data) == state


def test_a_state_with_fractions_and_priority_round_trips() -> None:
    state = Routing(
        order=replace(order(("L1", "A", 1), priority=2), lines=(Line("L1", "A", Decimal("0.125")),)),
        correlation_id="c",
        round=2,
        granted={"r": Request("r", "L1", "A", "NEAR", Decimal("0.125"))},
        excluded={"L1": frozenset({"MID", "FAR"})},
        status="backordered",
    )
    assert routing_from_json(json.loads(json.dumps(routing_to_json(state)))) == state


def test_replies_round_trip() -> None:
    original = Reply("SO-1/1/L1/NEAR", "SO-1", "L1", "A|NEAR", Decimal("2.5"), Decimal("1.25"))
    assert decode_reply(encode_reply(original)) == original


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{", id="not-json"),
        pytest.param(b'{"request_id":"r"}', id="missing-fields"),
    ],
)
def test_malformed_replies_raise(raw: bytes) -> None:
    with pytest.raises((ValueError, KeyError)):
        decode_reply(raw)


# -- defects found in processors/ (these fail until it is fixed; see the helper's report) ---------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(
            b'{"request_id":"r","order_id":"o","line_id":"l","key":"k","requested":"1","granted":"x"}',
            id="granted-not-a-number",
        ),
        pytest.param(
            b'{"request_id":"r","order_id":"o","line_id":"l","key":"k","requested":"NaN","granted":"1"}',
            id="requested-nan",
        ),
    ],
)
def test_a_reply_with_a_malformed_quantity_raises_value_error(raw: bytes) -> None:
    # decimal.InvalidOperation escapes the (KeyError, ValueError, TypeError) the take-replies agent
    # dead-letters.
    with pytest.raises((ValueError, KeyError)):
        decode_reply(raw)


# -- cancellations racing the routing ---------------------------------------------------------------


def test_an_order_cancelled_before_it_is_seen_routes_nothing_when_it_arrives() -> None:
    tombstone = cancelled(None, "SO-1", {"L1": Decimal(2)}, {}, POLICY)
    assert tombstone.state is not None
    assert tombstone.state.status == "cancelled"
    assert tombstone.state.finished
    assert routing_from_json(routing_to_json(tombstone.state)) == tombstone.state
    # The router's order.placed path for a finished order: only its final messages, and there are none.
    again = settled(tombstone.state)
    assert (again.reserve, again.drop, again.allocated, again.backordered) == ((), (), (), ())


def test_an_order_cancelled_while_routing_gives_every_grant_back_and_is_never_allocated() -> None:
    atp = Atp({("A", "NEAR"): 5, ("B", "NEAR"): 5})
    first = start(order(("L1", "A", 2), ("L2", "B", 3)), "c", atp.view(), POLICY)
    replies = atp.send(first.reserve)
    halfway = answered(first.state, replies[0], atp.view(), POLICY)  # L1 granted, L2's answer on its way
    assert atp.reserved("A", "NEAR") == 2
    gone = cancelled(halfway.state, "SO-1", {"L1": Decimal(2), "L2": Decimal(3)}, atp.view(), POLICY)
    assert gone.state is not None
    assert gone.state.status == "cancelled"
    assert gone.allocated == ()
    atp.send(gone.drop)
    assert atp.reserved("A", "NEAR") == 0
    late = answered(gone.state, replies[1], atp.view(), POLICY)  # L2's grant arrives after the cancel
    assert late.allocated == ()
    assert late.state is not None
    assert late.state.status == "cancelled"
    atp.send(late.drop)
    assert atp.reserved("A", "NEAR") == atp.reserved("B", "NEAR") == 0


def test_a_line_cancelled_while_routing_leaves_the_rest_of_the_order_to_be_allocated() -> None:
    atp = Atp({("A", "NEAR"): 5, ("B", "NEAR"): 5})
    first = start(order(("L1", "A", 2), ("L2", "B", 3)), "c", atp.view(), POLICY)
    replies = atp.send(first.reserve)
    halfway = answered(first.state, replies[0], atp.view(), POLICY)
    less = cancelled(halfway.state, "SO-1", {"L1": Decimal(2)}, atp.view(), POLICY)
    atp.send(less.drop)
    done = answered(less.state, replies[1], atp.view(), POLICY)
    assert done.state is not None
    assert done.state.status == "allocated"
    assert [(r.line_id, r.quantity) for r in done.allocated] == [("L2", Decimal(3))]
    assert (atp.reserved("A", "NEAR"), atp.reserved("B", "NEAR")) == (Decimal(0), Decimal(3))


def test_a_cancellation_of_a_finished_order_changes_nothing_here() -> None:
    atp = Atp({("A", "NEAR"): 5})
    outcome, _ = drive(start(order(("L1", "A", 2)), "c", atp.view(), POLICY), atp)
    after = cancelled(outcome.state, "SO-1", {"L1": Decimal(2)}, atp.view(), POLICY)
    assert after.state is outcome.state  # the ATP processor releases the allocation from the same event
    assert (after.reserve, after.drop, after.allocated) == ((), (), ())
