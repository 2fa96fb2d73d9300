"""Routing an order to completion without overselling: the router's state machine. Pure.

The router never allocates by itself: it plans with `route_order`, asks the ATP partition owning each
``sku|warehouse`` to reserve, and completes, re-plans or backorders once every request of a round is
answered. Two orders racing for the last unit ask the same partition, so exactly one gets it. The
protocol: processors/ATP.md ("No oversell under concurrency").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from processors.commands import DropHold, Reserve, position_key
from processors.ledger import Reply
from processors.routing import (
    Assignment,
    Availability,
    Line,
    OrderToRoute,
    RoutingPolicy,
    Shortfall,
    route_order,
)
from supplystream.atp import ZERO

#: Planning rounds before what is still missing is backordered.
MAX_ROUNDS = 3

Status = Literal["routing", "allocated", "backordered", "refused", "cancelled"]


@dataclass(frozen=True)
class Request:
    """A reservation the router asked for."""

    request_id: str
    line_id: str
    sku: str
    warehouse: str
    quantity: Decimal


@dataclass(frozen=True)
class Routing:
    """The router table's value for one order."""

    order: OrderToRoute
    correlation_id: str
    round: int = 0
    outstanding: Mapping[str, Request] = field(default_factory=dict)
    granted: Mapping[str, Request] = field(default_factory=dict)
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)
    status: Status = "routing"
    #: What the order ended with, kept so the final messages can be sent again (see `settled`).
    backordered: tuple[Shortfall, ...] = ()
    dropped: tuple[Request, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status != "routing"


@dataclass(frozen=True)
class Outcome:
    """The new state and what to send."""

    state: Routing | None
    reserve: tuple[tuple[str, Reserve], ...] = ()
    drop: tuple[tuple[str, DropHold], ...] = ()
    #: Lines to publish on order.allocated (granted requests), when the order completed with some.
    allocated: tuple[Request, ...] = ()
    #: Lines to publish on order.backordered.
    backordered: tuple[Shortfall, ...] = ()


def request_id(order_id: str, round_: int, assignment: Assignment) -> str:
    """Deterministic: the same plan asks with the same ids."""
    return f"{order_id}/{round_}/{assignment.line_id}/{assignment.warehouse}"


def _ask(state: Routing, assignments: tuple[Assignment, ...]) -> Outcome:
    round_ = state.round + 1
    requests = {
        request_id(state.order.order_id, round_, a): Request(
            request_id(state.order.order_id, round_, a), a.line_id, a.sku, a.warehouse, a.quantity
        )
        for a in assignments
    }
    reserve = tuple(
        (
            position_key(r.sku, r.warehouse),
            Reserve(r.request_id, state.order.order_id, r.line_id, r.quantity, state.order.allow_partial),
        )
        for r in requests.values()
    )
    return Outcome(replace(state, round=round_, outstanding=requests), reserve=reserve)


def start(order: OrderToRoute, correlation_id: str, view: Availability, policy: RoutingPolicy) -> Outcome:
    """Plan a newly placed order and ask for its reservations."""
    state = Routing(order=order, correlation_id=correlation_id)
    plan = route_order(order, view, policy)
    if plan.refused or not plan.assignments:
        status: Status = "refused" if plan.shortfalls and not order.allow_partial else "backordered"
        return Outcome(
            replace(state, status=status, backordered=plan.shortfalls), backordered=plan.shortfalls
        )
    return _ask(state, plan.assignments)


def remaining(state: Routing) -> dict[str, Decimal]:
    """Per line, what is not granted yet."""
    left = {line.line_id: line.quantity for line in state.order.lines}
    for request in state.granted.values():
        left[request.line_id] -= request.quantity
    return left


def _finish(state: Routing, view: Availability, policy: RoutingPolicy) -> Outcome:
    left = remaining(state)
    if all(quantity <= 0 for quantity in left.values()):
        return Outcome(replace(state, status="allocated"), allocated=tuple(state.granted.values()))
    lines = tuple(
        Line(line.line_id, line.sku, left[line.line_id])
        for line in state.order.lines
        if left[line.line_id] > 0
    )
    plan = route_order(replace(state.order, lines=lines), view, policy, state.excluded)
    if state.round < MAX_ROUNDS and plan.assignments:
        return _ask(state, plan.assignments)
    reasons = {s.line_id: s for s in plan.shortfalls}
    short = tuple(
        Shortfall(
            line.line_id,
            line.sku,
            line.quantity,
            *(
                (reasons[line.line_id].reason, reasons[line.line_id].detail)
                if line.line_id in reasons and reasons[line.line_id].reason != "OTHER"
                else ("INSUFFICIENT_STOCK", "")
            ),
        )
        for line in lines
    )
    if state.order.allow_partial:
        status: Status = "allocated" if state.granted else "backordered"
        return Outcome(
            replace(state, status=status, backordered=short),
            allocated=tuple(state.granted.values()),
            backordered=short,
        )
    drop = tuple((position_key(r.sku, r.warehouse), DropHold(r.request_id)) for r in state.granted.values())
    short_ids = {s.line_id for s in short}
    refused = tuple(
        sorted(
            (
                *short,
                *(
                    Shortfall(
                        line.line_id,
                        line.sku,
                        line.quantity,
                        "OTHER",
                        "the order does not allow partial delivery",
                    )
                    for line in state.order.lines
                    if line.line_id not in short_ids
                ),
            ),
            key=lambda s: s.line_id,
        )
    )
    # Nothing allocated: every line is backordered with its full quantity.
    full = {line.line_id: line.quantity for line in state.order.lines}
    refused = tuple(replace(s, quantity=full[s.line_id]) for s in refused)
    finished = replace(
        state, status="refused", granted={}, backordered=refused, dropped=tuple(state.granted.values())
    )
    return Outcome(finished, drop=drop, backordered=refused)


def settled(state: Routing) -> Outcome:
    """A finished order's final messages, to send again.

    After a crash the router's table can be ahead of what it sent (RocksDB keeps local writes whose
    outputs never left): when an input of a finished order is seen again, its outcome is re-sent.
    The events have deterministic ids and the holds are dropped by request id, so a second copy
    changes nothing.
    """
    drop = tuple((position_key(r.sku, r.warehouse), DropHold(r.request_id)) for r in state.dropped)
    allocated = tuple(state.granted.values()) if state.status == "allocated" else ()
    return Outcome(state, drop=drop, allocated=allocated, backordered=state.backordered)


def answered(state: Routing | None, reply: Reply, view: Availability, policy: RoutingPolicy) -> Outcome:
    """A reservation reply arrived: record it; when the round is complete, move on."""
    if state is None or reply.request_id not in state.outstanding:
        # Not waited for (a re-delivered reply, or a request of a plan the router lost in a crash):
        # a grant nobody will use is given back; a finished order's outcome is sent again.
        keep = state is not None and reply.request_id in state.granted
        drop = ((reply.key, DropHold(reply.request_id)),) if reply.granted > 0 and not keep else ()
        if state is not None and state.finished:
            again = settled(state)
            return replace(again, drop=(*again.drop, *drop))
        return Outcome(state, drop=drop)
    request = state.outstanding[reply.request_id]
    outstanding = {rid: r for rid, r in state.outstanding.items() if rid != reply.request_id}
    granted = dict(state.granted)
    excluded = dict(state.excluded)
    if reply.granted > 0:
        granted[reply.request_id] = replace(request, quantity=reply.granted)
    if reply.granted < request.quantity:
        excluded[request.line_id] = excluded.get(request.line_id, frozenset()) | {request.warehouse}
    state = replace(state, outstanding=outstanding, granted=granted, excluded=excluded)
    if outstanding:
        return Outcome(state)
    return _finish(state, view, policy)


def cancelled(
    state: Routing | None,
    order_id: str,
    lines: Mapping[str, Decimal],
    view: Availability,
    policy: RoutingPolicy,
) -> Outcome:
    """An order.cancelled arrived (``lines``: line id -> quantity cancelled).

    Before the order is seen, it is remembered as cancelled, so its order.placed routes nothing. While
    it routes, cancelled quantities leave the order: grants of a line cut below what was granted are
    given back, requests for it no longer count (their grants are given back on arrival), and when
    nothing is left the order ends ``cancelled`` without an order.allocated. A finished order is the
    ATP processor's business (it releases the allocation from the same event).
    """
    if state is None:
        placeholder = OrderToRoute(order_id, "", (), dt.datetime.fromtimestamp(0, dt.UTC))
        return Outcome(Routing(order=placeholder, correlation_id="", status="cancelled"))
    if state.finished:
        return Outcome(state)
    kept = tuple(
        replace(line, quantity=line.quantity - lines.get(line.line_id, ZERO))
        for line in state.order.lines
        if line.quantity - lines.get(line.line_id, ZERO) > 0
    )
    quantity = {line.line_id: line.quantity for line in kept}
    granted_per_line: dict[str, Decimal] = {}
    for request in state.granted.values():
        granted_per_line[request.line_id] = granted_per_line.get(request.line_id, ZERO) + request.quantity
    cut = {line_id for line_id, total in granted_per_line.items() if total > quantity.get(line_id, ZERO)}
    touched = set(lines)
    give_back = tuple(r for r in state.granted.values() if r.line_id in cut)
    drop = tuple((position_key(r.sku, r.warehouse), DropHold(r.request_id)) for r in give_back)
    state = replace(
        state,
        order=replace(state.order, lines=kept),
        granted={rid: r for rid, r in state.granted.items() if r.line_id not in cut},
        outstanding={rid: r for rid, r in state.outstanding.items() if r.line_id not in touched},
        dropped=(*state.dropped, *give_back),
    )
    if not kept:
        return Outcome(replace(state, status="cancelled", outstanding={}), drop=drop)
    if state.outstanding:
        return Outcome(state, drop=drop)
    finished = _finish(state, view, policy)
    return replace(finished, drop=(*drop, *finished.drop))


def granted_total(state: Routing) -> Decimal:
    """Everything granted to the order."""
    return sum((r.quantity for r in state.granted.values()), ZERO)
