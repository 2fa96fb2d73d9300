"""Concurrent orders for scarce stock never oversell, whatever the interleaving (hypothesis).

The pure pieces wired as the two processors wire them, with the topics in between modelled as
queues:

- each ``sku|warehouse`` key has a FIFO queue: the partition of ``atp-processor.commands`` owning
  it. The router's `Reserve`/`DropHold` commands and the translated ``order.allocated`` commands are
  appended to it with their `Origin` (source topic, partition, offset, index) and applied in order
  with `processors.ledger.apply` by the ATP partition owning the key;
- each order has a FIFO queue of reservation replies (its partition of ``order-router.replies``);
  the router answers them with `processors.router.answered`.

Hypothesis chooses the interleaving: when the next order is placed, which key's partition applies
its next command, which order's next reply the router reads. It may also re-deliver something
already processed with its original origin (a worker that crashed before committing its offset):
a command to a ledger, or a reply to the router. The router plans over a view of ATP that may be
wrong (too high, too low, unknown, or the stock of long ago); only the ledgers decide.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.commands import Command, DropHold, Keyed, Origin, Reserve, commands_for, keyed, position_key
from processors.ledger import Ledger, Reply, apply
from processors.router import Outcome, Routing, answered, start
from processors.routing import Line, OrderToRoute, RoutingPolicy, Shortfall, Site
from supplystream.atp import ZERO, AtpPolicy, StockPosition, available_to_promise, promisable
from supplystream.events import Allocation, OrderAllocated, Source

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
SKUS = ("A", "B")
CODES = ("W1", "W2", "W3")
KEYS = tuple(position_key(sku, code) for sku in SKUS for code in CODES)
POLICY = RoutingPolicy(
    sites=(Site("W1", dt.time(20)), Site("W2"), Site("W3", dt.time(22))),
    distances={"R1": {"W1": 1, "W2": 2, "W3": 3}, "R2": {"W3": 1, "W2": 2, "W1": 3}},
    express_priority=2,
)
#: What the real router assumes of a position its view has never heard of.
UNKNOWN = Decimal(10) ** 12


@dataclass
class World:
    """Stock positions, the topics between the processors, and the router's table."""

    on_hand: dict[str, Decimal]
    safety: dict[str, Decimal]
    orders: list[OrderToRoute]
    #: (sku, warehouse) -> how wrong the view is (None: the view has never heard of it).
    view_error: dict[tuple[str, str], int | None]
    stale_view: bool
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    #: Per key: (command, sent while re-processing a re-delivered reply).
    commands: dict[str, deque[tuple[Keyed, bool]]] = field(default_factory=dict)
    applied: dict[str, list[Keyed]] = field(default_factory=dict)
    replies: dict[str, deque[tuple[int, Reply]]] = field(default_factory=dict)
    read_replies: dict[str, list[tuple[int, Reply]]] = field(default_factory=dict)
    reply_offsets: dict[str, int] = field(default_factory=dict)
    states: dict[str, Routing] = field(default_factory=dict)
    finished: dict[str, Outcome] = field(default_factory=dict)
    placed: int = 0
    allocated_offset: int = 0

    def __post_init__(self) -> None:
        for key in KEYS:
            self.ledgers[key] = Ledger(position=StockPosition(on_hand=self.on_hand[key]))
            self.commands[key] = deque()
            self.applied[key] = []
        for order in self.orders:
            self.replies[order.order_id] = deque()
            self.read_replies[order.order_id] = []
            self.reply_offsets[order.order_id] = 0
        self.initial = {key: self.promisable(key) for key in KEYS}

    def policy(self, key: str) -> AtpPolicy:
        return AtpPolicy(safety_stock=self.safety[key])

    def promisable(self, key: str) -> Decimal:
        return promisable(available_to_promise(self.ledgers[key].position, self.policy(key), NOW))

    def view(self) -> dict[tuple[str, str], Decimal]:
        """The router's view of ATP: possibly stale, possibly wrong either way."""
        result = {}
        for sku in SKUS:
            for code in CODES:
                key = position_key(sku, code)
                error = self.view_error[(sku, code)]
                truth = self.initial[key] if self.stale_view else self.promisable(key)
                result[(sku, code)] = UNKNOWN if error is None else max(ZERO, truth + error)
        return result

    # -- the order router -------------------------------------------------------------------------

    def send(
        self,
        pairs: Sequence[tuple[str, Command]],
        origin: Origin,
        correlation_id: str,
        replayed: bool = False,
    ) -> None:
        for item in keyed(origin, pairs, correlation_id, ""):
            self.commands[item.key].append((item, replayed))

    def handle(self, order_id: str, outcome: Outcome, origin: Origin, replayed: bool = False) -> None:
        """What the router's agents do with an outcome: store the state, send commands and events."""
        assert outcome.state is not None
        before = self.states.get(order_id)
        self.states[order_id] = outcome.state
        self.send([*outcome.reserve, *outcome.drop], origin, outcome.state.correlation_id, replayed)
        if outcome.allocated or outcome.backordered:
            # Published when the order finishes; a finished order seeing an input again sends the very
            # same outcome again (deterministic event ids make the copy recognisable).
            assert outcome.state.finished
            if before is not None and before.finished:
                first = self.finished[order_id]
                assert outcome.allocated == first.allocated
                assert outcome.backordered == first.backordered
                return
        if outcome.state.finished and (before is None or not before.finished):
            self.finished[order_id] = outcome
        if outcome.allocated:
            self.allocate(outcome)

    def allocate(self, outcome: Outcome) -> None:
        """order.allocated, translated by the ATP processor into Allocate commands per key."""
        assert outcome.state is not None
        self.allocated_offset += 1
        event = OrderAllocated(
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, outcome.state.order.order_id),
            event_type=OrderAllocated.EVENT_TYPE,
            occurred_at=NOW,
            source=Source(system="supplystream", adapter="order-router"),
            correlation_id=outcome.state.correlation_id,
            company="ACME",
            order_id=outcome.state.order.order_id,
            lines=tuple(
                Allocation(line_id=r.line_id, sku=r.sku, warehouse=r.warehouse, quantity=r.quantity)
                for r in sorted(outcome.allocated, key=lambda r: (r.line_id, r.warehouse))
            ),
        )
        pairs = commands_for(OrderAllocated.EVENT_TYPE, event.to_record(), CODES)
        self.send(pairs, Origin("order.allocated", 0, self.allocated_offset), outcome.state.correlation_id)

    def place_next(self) -> None:
        order = self.orders[self.placed]
        self.handle(
            order.order_id,
            start(order, order.order_id, self.view(), POLICY),
            Origin("order.placed", 0, self.placed),
        )
        self.placed += 1

    def read_reply(self, order_id: str, offset: int, reply: Reply, replayed: bool = False) -> None:
        """The router reads a reply; re-read (``replayed``), it sends with the first reading's origins."""
        origin = Origin("order-router.replies", int(order_id.removeprefix("SO-")), offset)
        outcome = answered(self.states.get(order_id), reply, self.view(), POLICY)
        if outcome.state is None:
            self.send(list(outcome.drop), origin, "", replayed)
        else:
            self.handle(order_id, outcome, origin, replayed)

    # -- the ATP processor ------------------------------------------------------------------------

    def deliver(self, item: Keyed, redelivery: bool, replayed: bool = False) -> None:
        """The ATP partition owning the key applies a command (``redelivery``: one it applied before).

        A command sent while the router re-processed a reply carries the origin of the first
        processing, which the ledger may already be past: then it is a re-delivery too.
        """
        ledger = self.ledgers[item.key]
        step = apply(ledger, item, self.policy(item.key), NOW, 0)
        if isinstance(item.command, Reserve | DropHold):
            # Idempotent by request id (not by origin): a re-delivery changes no reservation.
            if redelivery:
                assert step.ledger.position.reserved == ledger.position.reserved
        else:
            assert step.duplicate or not redelivery
        if step.duplicate:
            assert redelivery or replayed
            assert step.ledger is ledger  # a re-delivered command changes nothing
        else:
            self.applied[item.key].append(item)
        self.ledgers[item.key] = step.ledger
        if step.reply is not None:
            order_id = step.reply.order_id
            self.reply_offsets[order_id] += 1
            self.replies[order_id].append((self.reply_offsets[order_id], step.reply))

    # -- what must always hold --------------------------------------------------------------------

    def check(self) -> None:
        for key in KEYS:
            position = self.ledgers[key].position
            held = sum((hold.quantity for hold in position.holds.values()), ZERO)
            allocated = sum((r.open for r in position.allocations.values()), ZERO)
            assert position.reserved == held + allocated >= 0
            # Reserved started at zero and on-hand does not move here: never beyond on_hand - safety.
            assert position.reserved <= max(ZERO, self.on_hand[key] - self.safety[key]), key
        for order in self.orders:
            ordered: dict[str, Decimal] = {}
            for line in order.lines:
                ordered[line.sku] = ordered.get(line.sku, ZERO) + line.quantity
            for sku in SKUS:
                reserved = ZERO
                for code in CODES:
                    position = self.ledgers[position_key(sku, code)].position
                    reserved += sum(
                        (h.quantity for h in position.holds.values() if h.order_id == order.order_id), ZERO
                    )
                    reservation = position.allocations.get(order.order_id)
                    reserved += ZERO if reservation is None else reservation.open
                assert reserved <= ordered.get(sku, ZERO), (order.order_id, sku)
            state = self.states.get(order.order_id)
            if state is not None:
                lines = {line.line_id: line.quantity for line in order.lines}
                granted: dict[str, Decimal] = {}
                for request in state.granted.values():
                    granted[request.line_id] = granted.get(request.line_id, ZERO) + request.quantity
                assert all(q <= lines[lid] for lid, q in granted.items())

    def pending(self) -> bool:
        return self.placed < len(self.orders) or any(self.commands.values()) or any(self.replies.values())


@st.composite
def worlds(draw: st.DrawFn) -> World:
    on_hand = {key: Decimal(draw(st.integers(min_value=0, max_value=4))) for key in KEYS}
    safety = {key: Decimal(draw(st.integers(min_value=0, max_value=2))) for key in KEYS}
    orders = []
    for index in range(draw(st.integers(min_value=1, max_value=5))):
        lines = draw(
            st.lists(
                st.tuples(st.sampled_from(SKUS), st.integers(min_value=1, max_value=4)),
                min_size=1,
                max_size=3,
            )
        )
        orders.append(
            OrderToRoute(
                order_id=f"SO-{index}",
                region=draw(st.sampled_from(["R1", "R2", "NOWHERE"])),
                lines=tuple(Line(f"L{n}", sku, Decimal(q)) for n, (sku, q) in enumerate(lines)),
                placed_at=NOW.replace(hour=draw(st.sampled_from([12, 21, 23]))),
                priority=draw(st.integers(min_value=0, max_value=2)),
                allow_partial=draw(st.booleans()),
            )
        )
    view_error = {
        (sku, code): draw(st.none() | st.integers(min_value=-3, max_value=3))
        for sku in SKUS
        for code in CODES
    }
    return World(on_hand, safety, orders, view_error, stale_view=draw(st.booleans()))


def run(world: World, data: st.DataObject) -> None:
    """Let hypothesis interleave every delivery until nothing is in flight."""
    redeliveries = data.draw(st.integers(min_value=0, max_value=6), label="redeliveries")
    world.check()
    while world.pending():
        moves: list[tuple[str, str]] = []
        if world.placed < len(world.orders):
            moves.append(("place", ""))
        moves += [("apply", key) for key in KEYS if world.commands[key]]
        moves += [("reply", order_id) for order_id, queue in world.replies.items() if queue]
        if redeliveries:
            moves += [("reapply", key) for key in KEYS if world.applied[key]]
            moves += [("reread", order_id) for order_id, read in world.read_replies.items() if read]
        kind, target = data.draw(st.sampled_from(moves), label="next")
        if kind == "place":
            world.place_next()
        elif kind == "apply":
            item, replayed = world.commands[target].popleft()
            world.deliver(item, redelivery=False, replayed=replayed)
        elif kind == "reply":
            offset, reply = world.replies[target].popleft()
            world.read_replies[target].append((offset, reply))
            world.read_reply(target, offset, reply)
        elif kind == "reapply":
            redeliveries -= 1
            world.deliver(data.draw(st.sampled_from(world.applied[target]), label="again"), redelivery=True)
        else:
            redeliveries -= 1
            offset, reply = data.draw(st.sampled_from(world.read_replies[target]), label="again")
            world.read_reply(target, offset, reply, replayed=True)
        world.check()


def check_the_end(world: World) -> None:
    for order in world.orders:
        state = world.states[order.order_id]
        assert state.finished, order.order_id
        outcome = world.finished[order.order_id]
        allocated: dict[str, Decimal] = {}
        for request in outcome.allocated:
            allocated[request.line_id] = allocated.get(request.line_id, ZERO) + request.quantity
        backordered: dict[str, Shortfall] = {s.line_id: s for s in outcome.backordered}
        for line in order.lines:
            got = allocated.get(line.line_id, ZERO)
            short = backordered[line.line_id].quantity if line.line_id in backordered else ZERO
            assert got <= line.quantity
            if state.status == "refused":
                assert short == line.quantity  # refused: every line backordered in full
            else:
                assert got + short == line.quantity
        if not order.allow_partial:
            # All or nothing.
            assert state.status in {"allocated", "refused"}
            if state.status == "allocated":
                assert all(allocated.get(line.line_id) == line.quantity for line in order.lines)
            else:
                assert not allocated
        if state.status == "backordered":
            assert not allocated
        # What the ledgers hold for the order is what order.allocated said, per position.
        for key in KEYS:
            sku, _, code = key.rpartition("|")
            position = world.ledgers[key].position
            expected = sum(
                (r.quantity for r in outcome.allocated if r.sku == sku and r.warehouse == code), ZERO
            )
            reservation = position.allocations.get(order.order_id)
            assert (ZERO if reservation is None else reservation.open) == expected, (order.order_id, key)
            assert not any(hold.order_id == order.order_id for hold in position.holds.values())
    for key in KEYS:
        assert world.ledgers[key].position.holds == {}  # nothing left behind: allocated or given back


@settings(max_examples=400, deadline=None)
@given(world=worlds(), data=st.data())
def test_no_interleaving_of_concurrent_orders_oversells(world: World, data: st.DataObject) -> None:
    run(world, data)
    check_the_end(world)
