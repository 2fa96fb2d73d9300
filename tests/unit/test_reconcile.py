"""The reconciliation report's checks, on plain data (each proven able to fail)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from supplystream.units import UnitOfMeasure
from supplystream_app.demo.reconcile import Evidence, PublishedAtp, reconcile

D = Decimal


def clean() -> Evidence:
    figures = (D("10"), D("2"), D("8"))
    return Evidence(
        recomputed={"A|WH-EAST": figures, "B|WH-EAST": (D(0), D(0), D(0))},
        published={"A|WH-EAST": PublishedAtp(5, (D("10.000"), D("2"), D("8")))},
        planning={"A|WH-EAST": PublishedAtp(5, figures)},
        channel_levels={("webshop", "A"): 7},
        expected_channel_levels={("webshop", "A"): 7, ("webshop", "B"): 0},
        shipments={"1Z1": "WH-EAST/OUT/1"},
        odoo_validated={"1Z1": 1},
        event_ids={"stock.moved": [("e1", "p1"), ("e2", "p2")], "order.placed": [("o1", "p3")]},
        allocations={"SO-1": {"a1 [...]"}},
        orders_placed={"SO-1", "SO-2"},
        orders_backordered={"SO-2"},
        orders_cancelled=set(),
        planning_rows={"stock_moves": (2, 2)},
        dead_letters={"odoo-sink.dlq": 0},
        odoo_atp={"A|WH-EAST": PublishedAtp(5, (D("10.0"), D("2.0"), D("8.0")))},
    )


def failed_names(evidence: Evidence) -> list[str]:
    return [check.name for check in reconcile(evidence).failed()]


def test_a_clean_run_holds_and_zero_positions_equal_missing_ones() -> None:
    report = reconcile(clean(), ["SIGKILL atp-processor"])
    assert report.ok, report.failed()
    assert report.events == ("SIGKILL atp-processor",)


def test_each_disagreement_fails_its_own_check() -> None:
    base = clean()
    cases = {
        "ATP recomputed from the topics = the processor's published ATP": {
            "recomputed": {"A|WH-EAST": (D("10"), D("3"), D("7"))}
        },
        "processor's published ATP = planning database (versions)": {
            "planning": {"A|WH-EAST": PublishedAtp(4, (D("10"), D("2"), D("8")))}
        },
        "channel stand-in's last levels = available-to-sell from the published ATP": {
            "channel_levels": {("webshop", "A"): 9}
        },
        "Odoo pickings validated = shipments confirmed": {"odoo_validated": {"1Z1": 2}},
        "processor's published ATP = Odoo's ATP records (figures, versions)": {
            "odoo_atp": {"A|WH-EAST": PublishedAtp(4, (D("10"), D("2"), D("8")))}
        },
        "no event id published with two different payloads": {
            "event_ids": {"stock.moved": [("e1", "p1"), ("e1", "p9")]}
        },
        "no order allocated twice": {"allocations": {"SO-1": {"a1 [x]", "a2 [y]"}}},
        "every order placed ended allocated, backordered or cancelled": {
            "orders_placed": {"SO-1", "SO-2", "SO-3"}
        },
        "one planning row per event": {"planning_rows": {"stock_moves": (3, 2)}},
        "dead letters as expected": {"dead_letters": {"odoo-sink.dlq": 1}},
    }
    for name, change in cases.items():
        assert failed_names(dataclasses.replace(base, **change)) == [name], name  # type: ignore[arg-type]


def test_an_event_published_again_identically_is_at_least_once_and_said() -> None:
    evidence = dataclasses.replace(
        clean(), event_ids={"stock.moved": [("e1", "p1"), ("e1", "p1"), ("e2", "p2")]}
    )
    [check] = [
        c for c in reconcile(evidence).checks if c.name == "no event id published with two different payloads"
    ]
    assert check.ok
    assert "1 re-published identically (at least once)" in check.detail


def test_expected_dead_letters_hold_and_odoo_unchecked_is_said() -> None:
    evidence = dataclasses.replace(
        clean(),
        dead_letters={"odoo-sink.dlq": 2},
        expected_dead_letters={"odoo-sink.dlq": 2},
        odoo_validated=None,
    )
    report = reconcile(evidence)
    assert report.ok
    odoo = next(c for c in report.checks if c.name.startswith("Odoo"))
    assert "not checked" in odoo.detail


def test_a_validated_picking_without_shipment_is_a_duplicate_effect() -> None:
    evidence = dataclasses.replace(clean(), odoo_validated={"1Z1": 1, "1Z9": 1})
    assert failed_names(evidence) == ["Odoo pickings validated = shipments confirmed"]


def test_odoo_atp_records_must_match_the_published_figures_and_cover_every_position() -> None:
    name = "processor's published ATP = Odoo's ATP records (figures, versions)"
    other_figures = dataclasses.replace(
        clean(), odoo_atp={"A|WH-EAST": PublishedAtp(5, (D("10"), D("2"), D("7.999")))}
    )
    missing = dataclasses.replace(clean(), odoo_atp={})
    assert failed_names(other_figures) == [name]
    assert failed_names(missing) == [name]
    unchecked = reconcile(dataclasses.replace(clean(), odoo_atp=None))
    assert unchecked.ok
    assert "not checked" in next(c for c in unchecked.checks if c.name == name).detail


def test_odoo_atp_figures_compare_at_the_rounding_of_the_products_unit() -> None:
    """Odoo keeps floats: a figure read back with binary noise agrees; a difference finer than the
    product's unit's rounding agrees, one coarser does not; versions compare exactly."""
    name = "processor's published ATP = Odoo's ATP records (figures, versions)"
    noisy = dataclasses.replace(
        clean(), odoo_atp={"A|WH-EAST": PublishedAtp(5, (D("10.000000000000002"), D("2"), D("7.9999999999")))}
    )
    assert reconcile(noisy).ok
    coarse = UnitOfMeasure.of("Dozens", "Unit", 1, "0.01")
    finer_than_unit = {"A|WH-EAST": PublishedAtp(5, (D("10"), D("2"), D("7.999")))}
    assert failed_names(dataclasses.replace(clean(), odoo_atp=finer_than_unit)) == [name]
    assert reconcile(dataclasses.replace(clean(), odoo_atp=finer_than_unit, odoo_units={"A": coarse})).ok
    other_version = {"A|WH-EAST": PublishedAtp(6, (D("10"), D("2"), D("8")))}
    assert failed_names(dataclasses.replace(clean(), odoo_atp=other_version, odoo_units={"A": coarse})) == [
        name
    ]
