"""The reconciliation report: after a run, every copy of the truth must agree. Pure: plain data in.

Each comparison is a `Check` (ATP, channels, Odoo, no duplicate effects, dead letters) and all must
hold. What each compares: the README, "The two commands".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from supplystream.units import UnitOfMeasure, same_quantity

#: Figures compared per position: (on hand, reserved, ATP).
Figures = tuple[Decimal, Decimal, Decimal]
#: How many differences a check lists before "and N more".
SHOWN = 5


@dataclass(frozen=True)
class Check:
    """One statement of the report and whether it held."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    #: What happened during the run (faults injected, restarts), in order.
    events: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


@dataclass(frozen=True)
class PublishedAtp:
    """The latest ``atp.changed`` of a position (or the planning database's copy of it)."""

    version: int
    figures: Figures


@dataclass(frozen=True)
class Evidence:
    """Everything read back after the run, as plain data (see `supplystream_app.demo.evidence`)."""

    recomputed: Mapping[str, Figures]
    published: Mapping[str, PublishedAtp]
    planning: Mapping[str, PublishedAtp]
    #: (channel, sku) -> quantity: the last level each channel received; and what it should be.
    channel_levels: Mapping[tuple[str, str], int]
    expected_channel_levels: Mapping[tuple[str, str], int]
    #: tracking number -> shipment id, for every confirmed shipment.
    shipments: Mapping[str, str]
    #: tracking number -> how many validated (done) outgoing pickings carry it in Odoo; None: not checked.
    odoo_validated: Mapping[str, int] | None
    #: topic -> (event id, fingerprint of its payload) of every record in it, repeats included.
    event_ids: Mapping[str, Sequence[tuple[str, str]]]
    #: order id -> the distinct (event id, lines) of its order.allocated records.
    allocations: Mapping[str, set[str]]
    orders_placed: set[str]
    orders_backordered: set[str]
    #: Orders with an order.cancelled: the router ends one cancelled while it routes without an outcome.
    orders_cancelled: set[str]
    #: planning table -> (rows, distinct events expected) for the tables keyed by event id.
    planning_rows: Mapping[str, tuple[int, int]]
    #: dead-letter topic -> records in it; and what was expected.
    dead_letters: Mapping[str, int]
    expected_dead_letters: Mapping[str, int] = field(default_factory=dict)
    #: ``sku|warehouse`` -> the ATP record in Odoo (``x_supplystream_atp``); None: not checked.
    odoo_atp: Mapping[str, PublishedAtp] | None = None
    #: SKU -> its product's stock unit in Odoo: Odoo's figures are floats, compared with the
    #: stream's at that unit's rounding (`EVENT_UNIT` for a SKU not in it).
    odoo_units: Mapping[str, UnitOfMeasure] = field(default_factory=dict)


#: The unit quantities read back from Odoo compare at when their product's is unknown: the events'
#: own precision (Avro ``decimal(18,3)``).
EVENT_UNIT = UnitOfMeasure.of("event quantity", "", 1, "0.001")


def _differences(
    left: Mapping[str, object], right: Mapping[str, object], left_name: str, right_name: str
) -> list[str]:
    return [
        f"{key}: {left_name} {left.get(key, '-')} / {right_name} {right.get(key, '-')}"
        for key in sorted(set(left) | set(right))
        if left.get(key) != right.get(key)
    ]


def _check(name: str, differences: list[str], compared: int, what: str) -> Check:
    if not differences:
        return Check(name, True, f"{compared} {what} agree")
    shown = "; ".join(differences[:SHOWN])
    more = f" and {len(differences) - SHOWN} more" if len(differences) > SHOWN else ""
    return Check(name, False, f"{len(differences)} of {compared} {what} differ: {shown}{more}")


def _zero(figures: Figures | None) -> Figures | None:
    """A position whose figures are all zero is the same as no position."""
    if figures is None or all(value == 0 for value in figures):
        return None
    on_hand, reserved, atp = figures
    return on_hand.normalize(), reserved.normalize(), atp.normalize()


def _nonzero(figures: Mapping[str, Figures]) -> dict[str, Figures]:
    kept = {key: _zero(value) for key, value in figures.items()}
    return {key: value for key, value in kept.items() if value is not None}


def atp_checks(evidence: Evidence) -> list[Check]:
    recomputed = _nonzero(evidence.recomputed)
    published = _nonzero({k: v.figures for k, v in evidence.published.items()})
    planning_figures = _nonzero({k: v.figures for k, v in evidence.planning.items()})
    planning = {k: v.version for k, v in evidence.planning.items()}
    latest = {k: v.version for k, v in evidence.published.items()}
    keys = len(set(recomputed) | set(published))
    return [
        _check(
            "ATP recomputed from the topics = the processor's published ATP",
            _differences(recomputed, published, "recomputed", "published"),
            keys,
            "positions (on hand, reserved, ATP)",
        ),
        _check(
            "processor's published ATP = planning database (figures)",
            _differences(published, planning_figures, "published", "planning"),
            len(set(published) | set(planning_figures)),
            "positions",
        ),
        _check(
            "processor's published ATP = planning database (versions)",
            _differences(latest, planning, "published", "planning"),
            len(set(latest) | set(planning)),
            "positions",
        ),
    ]


def _same_figures(left: Figures | None, right: Figures | None, unit: UnitOfMeasure) -> bool:
    """Two positions' figures equal at ``unit``'s rounding (no position = all zero)."""
    zero = (Decimal(0), Decimal(0), Decimal(0))
    return all(same_quantity(a, b, unit) for a, b in zip(left or zero, right or zero, strict=True))


def odoo_atp_check(evidence: Evidence) -> Check:
    """Odoo holds the latest published ATP of every position: versions exactly, figures at the
    rounding of the product's unit in Odoo (Odoo keeps floats: 0.1 + 0.2 reads back 0.30000000000000004)."""
    name = "processor's published ATP = Odoo's ATP records (figures, versions)"
    if evidence.odoo_atp is None:
        return Check(name, True, "not checked: the Odoo sink did not run")
    published = {k: (v.version, _zero(v.figures)) for k, v in evidence.published.items()}
    in_odoo = {k: (v.version, _zero(v.figures)) for k, v in evidence.odoo_atp.items()}
    differences = [
        f"{key}: published {published.get(key, '-')} / Odoo {in_odoo.get(key, '-')}"
        for key in sorted(set(published) | set(in_odoo))
        if key not in published
        or key not in in_odoo
        or published[key][0] != in_odoo[key][0]
        or not _same_figures(
            published[key][1],
            in_odoo[key][1],
            evidence.odoo_units.get(key.split("|", 1)[0], EVENT_UNIT),
        )
    ]
    return _check(name, differences, len(set(published) | set(in_odoo)), "positions")


def channel_check(evidence: Evidence) -> Check:
    expected = {f"{c}/{s}": q for (c, s), q in evidence.expected_channel_levels.items()}
    received = {f"{c}/{s}": q for (c, s), q in evidence.channel_levels.items()}
    # A SKU whose available-to-sell was 0 from the start may never have been sent: 0 = not set.
    for key, quantity in list(expected.items()):
        if quantity == 0 and key not in received:
            del expected[key]
    return _check(
        "channel stand-in's last levels = available-to-sell from the published ATP",
        _differences(expected, received, "expected", "received"),
        len(set(expected) | set(received)),
        "channel SKU levels",
    )


def odoo_check(evidence: Evidence) -> Check:
    name = "Odoo pickings validated = shipments confirmed"
    if evidence.odoo_validated is None:
        return Check(name, True, "not checked: the Odoo sink did not run")
    differences = []
    for tracking, shipment in sorted(evidence.shipments.items()):
        done = evidence.odoo_validated.get(tracking, 0)
        if done != 1:
            differences.append(f"shipment {shipment} ({tracking}): {done} validated pickings")
    for tracking, done in sorted(evidence.odoo_validated.items()):
        if tracking not in evidence.shipments:
            differences.append(f"{done} validated picking(s) with tracking {tracking} no shipment has")
    return _check(name, differences, len(evidence.shipments), "shipments")


def _republished(check: Check, again: int) -> Check:
    """Say how many records repeat an event identically: processors and the WMS stand-in deliver at least
    once, so a worker killed between publishing and committing publishes the same event again after its
    restart; consumers de-duplicate by event id. A repeat with another payload is a bug."""
    if not check.ok or not again:
        return check
    return Check(check.name, True, f"{check.detail}; {again} re-published identically (at least once)")


def duplicate_checks(evidence: Evidence) -> list[Check]:
    differing: list[str] = []
    total = again = 0
    for topic, copies in sorted(evidence.event_ids.items()):
        total += len(copies)
        counts = Counter(event_id for event_id, _ in copies)
        payloads: dict[str, set[str]] = {}
        for event_id, fingerprint in copies:
            payloads.setdefault(event_id, set()).add(fingerprint)
        again += sum(n - 1 for n in counts.values())
        differing.extend(
            f"{topic}: {event_id} published {counts[event_id]} times with {len(found)} different payloads"
            for event_id, found in payloads.items()
            if len(found) > 1
        )
    twice = [
        f"{order}: {len(copies)} different allocations"
        for order, copies in sorted(evidence.allocations.items())
        if len(copies) > 1
    ]
    unfinished = sorted(
        evidence.orders_placed
        - set(evidence.allocations)
        - evidence.orders_backordered
        - evidence.orders_cancelled
    )
    rows = [
        f"{table}: {count} rows for {expected} events"
        for table, (count, expected) in sorted(evidence.planning_rows.items())
        if count != expected
    ]
    return [
        _republished(
            _check("no event id published with two different payloads", differing, total, "events"), again
        ),
        _check("no order allocated twice", twice, len(evidence.allocations), "allocated orders"),
        _check(
            "every order placed ended allocated, backordered or cancelled",
            [f"{order}: none of them" for order in unfinished],
            len(evidence.orders_placed),
            "orders",
        ),
        _check("one planning row per event", rows, len(evidence.planning_rows), "planning tables"),
    ]


def dead_letter_check(evidence: Evidence) -> Check:
    found, expected = evidence.dead_letters, evidence.expected_dead_letters
    topics = set(found) | set(expected)
    differences = [
        f"{topic}: {found.get(topic, 0)} (expected {expected.get(topic, 0)})"
        for topic in sorted(topics)
        if found.get(topic, 0) != expected.get(topic, 0)
    ]
    total = sum(evidence.dead_letters.values())
    check = _check("dead letters as expected", differences, len(topics), "dead-letter topics")
    if check.ok:
        return Check(check.name, True, f"{total} dead letters, as expected")
    return check


def reconcile(evidence: Evidence, events: Iterable[str] = ()) -> Report:
    """Every check of the report."""
    return Report(
        (
            *atp_checks(evidence),
            channel_check(evidence),
            odoo_atp_check(evidence),
            odoo_check(evidence),
            *duplicate_checks(evidence),
            dead_letter_check(evidence),
        ),
        tuple(events),
    )
