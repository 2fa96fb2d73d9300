"""Which warehouse ships which order line: a plain function over plain data.

`route_order` proposes a plan from a view of promisable stock that may be stale: the reservations
that follow are what is authoritative (`processors.router`). The policy (cut-off, nearest, fewest
warehouses, express orders, what is short): processors/ATP.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from supplystream.atp import ZERO

Availability = Mapping[tuple[str, str], Decimal]


@dataclass(frozen=True)
class Site:
    """A warehouse as routing sees it."""

    code: str
    #: Last order time (UTC) that still ships today; None: no cut-off.
    cutoff: dt.time | None = None


@dataclass(frozen=True)
class RoutingPolicy:
    """Warehouses, distances and the express threshold."""

    sites: tuple[Site, ...]
    #: ship-to region -> warehouse code -> distance (any unit; smaller is nearer).
    distances: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    express_priority: int = 1
    #: Distance assumed when the table has no entry for a region/warehouse pair.
    unknown_distance: float = 1e9

    def distance(self, region: str, warehouse: str) -> float:
        return self.distances.get(region, {}).get(warehouse, self.unknown_distance)


@dataclass(frozen=True)
class Line:
    """An order line still to be routed."""

    line_id: str
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class OrderToRoute:
    """What routing needs to know about an order."""

    order_id: str
    region: str
    lines: tuple[Line, ...]
    placed_at: dt.datetime
    priority: int = 0
    allow_partial: bool = False


@dataclass(frozen=True)
class Assignment:
    """Take ``quantity`` of a line from a warehouse."""

    line_id: str
    sku: str
    warehouse: str
    quantity: Decimal


@dataclass(frozen=True)
class Shortfall:
    """What of a line cannot be supplied, and why (a ``BackorderReason`` symbol)."""

    line_id: str
    sku: str
    quantity: Decimal
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Plan:
    """Assignments to request, and shortfalls."""

    assignments: tuple[Assignment, ...]
    shortfalls: tuple[Shortfall, ...]

    @property
    def refused(self) -> bool:
        """Nothing assigned and something short."""
        return not self.assignments and bool(self.shortfalls)


def ranked_sites(order: OrderToRoute, policy: RoutingPolicy) -> list[str]:
    """Warehouses in preference order: can still ship today, then nearest, then by code."""

    def past_cutoff(site: Site) -> bool:
        return site.cutoff is not None and order.placed_at.astimezone(dt.UTC).time() > site.cutoff

    ordered = sorted(
        policy.sites, key=lambda s: (past_cutoff(s), policy.distance(order.region, s.code), s.code)
    )
    return [site.code for site in ordered]


def _express(
    lines: Sequence[Line],
    ranked: list[str],
    stock: dict[tuple[str, str], Decimal],
    excluded: Mapping[str, frozenset[str]],
) -> tuple[list[Assignment], dict[str, Decimal]]:
    assignments: list[Assignment] = []
    remaining: dict[str, Decimal] = {}
    for line in lines:
        left = line.quantity
        for warehouse in ranked:
            if left <= 0:
                break
            if warehouse in excluded.get(line.line_id, frozenset()):
                continue
            take = min(left, stock.get((line.sku, warehouse), ZERO))
            if take > 0:
                assignments.append(Assignment(line.line_id, line.sku, warehouse, take))
                stock[(line.sku, warehouse)] -= take
                left -= take
        remaining[line.line_id] = left
    return assignments, remaining


def _fewest_warehouses(
    lines: Sequence[Line],
    ranked: list[str],
    stock: dict[tuple[str, str], Decimal],
    excluded: Mapping[str, frozenset[str]],
) -> tuple[list[Assignment], dict[str, Decimal]]:
    remaining = {line.line_id: line.quantity for line in lines}
    by_id = {line.line_id: line for line in lines}
    assignments: list[Assignment] = []

    def eligible(line: Line, warehouse: str) -> bool:
        return warehouse not in excluded.get(line.line_id, frozenset())

    # Whole lines first: each round, the warehouse filling the most remaining lines entirely.
    while True:
        best: tuple[int, Decimal, int, str] | None = None
        for rank, warehouse in enumerate(ranked):
            fills = [
                by_id[lid]
                for lid, left in remaining.items()
                if left > 0
                and eligible(by_id[lid], warehouse)
                and stock.get((by_id[lid].sku, warehouse), ZERO) >= left
            ]
            if fills:
                score = (len(fills), sum((remaining[line.line_id] for line in fills), ZERO), -rank, warehouse)
                if best is None or score[:3] > best[:3]:
                    best = score
        if best is None:
            break
        warehouse = best[3]
        for lid, left in list(remaining.items()):
            line = by_id[lid]
            if left > 0 and eligible(line, warehouse) and stock.get((line.sku, warehouse), ZERO) >= left:
                assignments.append(Assignment(lid, line.sku, warehouse, left))
                stock[(line.sku, warehouse)] -= left
                remaining[lid] = ZERO
    # Then split what no single warehouse has, nearest first.
    split, remaining_after = _express(
        [replace_quantity(by_id[lid], q) for lid, q in remaining.items() if q > 0], ranked, stock, excluded
    )
    assignments.extend(split)
    for lid in remaining:
        remaining[lid] = remaining_after.get(lid, ZERO)
    return assignments, remaining


def replace_quantity(line: Line, quantity: Decimal) -> Line:
    """The same line with another quantity."""
    return Line(line.line_id, line.sku, quantity)


def route_order(
    order: OrderToRoute,
    availability: Availability,
    policy: RoutingPolicy,
    excluded: Mapping[str, frozenset[str]] | None = None,
) -> Plan:
    """Plan the order's lines over warehouses (see the module's docstring for the policy).

    ``availability`` is promisable stock per (sku, warehouse); ``excluded`` names, per line, the
    warehouses that already refused it.
    """
    excluded = excluded or {}
    ranked = ranked_sites(order, policy)
    stock = {key: max(ZERO, value) for key, value in availability.items()}
    lines = [line for line in order.lines if line.quantity > 0]
    if order.priority >= policy.express_priority:
        assignments, remaining = _express(lines, ranked, stock, excluded)
    else:
        wanted: dict[str, Decimal] = {}
        for line in lines:  # two lines of one SKU need their sum from the one warehouse
            wanted[line.sku] = wanted.get(line.sku, ZERO) + line.quantity
        single = next(
            (
                warehouse
                for warehouse in ranked
                if all(warehouse not in excluded.get(line.line_id, frozenset()) for line in lines)
                and all(stock.get((sku, warehouse), ZERO) >= total for sku, total in wanted.items())
            ),
            None,
        )
        if single is not None:
            assignments = [Assignment(line.line_id, line.sku, single, line.quantity) for line in lines]
            remaining = {line.line_id: ZERO for line in lines}
        else:
            assignments, remaining = _fewest_warehouses(lines, ranked, stock, excluded)
    by_id = {line.line_id: line for line in lines}
    shortfalls = []
    for lid, left in remaining.items():
        if left > 0:
            line = by_id[lid]
            tried = excluded.get(lid, frozenset())
            reason = "NO_ELIGIBLE_WAREHOUSE" if tried >= set(ranked) else "INSUFFICIENT_STOCK"
            shortfalls.append(Shortfall(lid, line.sku, left, reason))
    if shortfalls and not order.allow_partial:
        short_ids = {s.line_id for s in shortfalls}
        refused = [
            *shortfalls,
            *(
                Shortfall(
                    line.line_id,
                    line.sku,
                    line.quantity,
                    "OTHER",
                    "the order does not allow partial delivery",
                )
                for line in lines
                if line.line_id not in short_ids
            ),
        ]
        refused_full = [
            s
            if s.line_id not in short_ids
            else Shortfall(s.line_id, s.sku, by_id[s.line_id].quantity, s.reason, s.detail)
            for s in refused
        ]
        return Plan((), tuple(sorted(refused_full, key=lambda s: s.line_id)))
    return Plan(tuple(assignments), tuple(shortfalls))
