"""Odoo domain normalisation and evaluation in the stand-in, without HTTP or storage."""

from __future__ import annotations

from typing import Any

import pytest

from supplystream_devkit.odoo_standin.domain import Resolved, evaluate, fields_in, match_leaf, normalize
from supplystream_devkit.odoo_standin.errors import ValidationError
from supplystream_devkit.odoo_standin.stock import compute_picking_state

PICKING: dict[str, Resolved] = {
    "name": Resolved(["EAST/OUT/00001"]),
    "state": Resolved(["assigned"]),
    "origin": Resolved([]),
    "priority": Resolved(["0"]),
    "scheduled_qty": Resolved([4.0]),
    "partner_id": Resolved([7], relational=True, names=["Acme Distribution"]),
    "carrier_id": Resolved([], relational=True),
    "move_ids": Resolved([11, 12], relational=True, names=["a", "b"]),
    "picking_type_id.code": Resolved(["outgoing"]),
    "active": Resolved([True]),
    "printed": Resolved([False]),
}


def matches(domain: list[Any]) -> bool:
    return evaluate(domain, lambda path: PICKING[path])


def test_normalize_adds_implicit_and() -> None:
    assert normalize([("a", "=", 1), ("b", "=", 2), ("c", "=", 3)]) == [
        "&",
        "&",
        ("a", "=", 1),
        ("b", "=", 2),
        ("c", "=", 3),
    ]
    assert normalize(["|", ("a", "=", 1), ("b", "=", 2), ("c", "=", 3)]) == [
        "&",
        "|",
        ("a", "=", 1),
        ("b", "=", 2),
        ("c", "=", 3),
    ]
    assert normalize(["!", ("a", "=", 1)]) == ["!", ("a", "=", 1)]
    assert normalize([]) == []
    assert fields_in(["|", ("a.b", "=", 1), ("c", "=", 2)]) == {"a", "c"}


@pytest.mark.parametrize(
    "domain",
    [["|", ("a", "=", 1)], [("a", "~", 1)], ["&"], ["bogus"]],
)
def test_invalid_domains(domain: list[Any]) -> None:
    with pytest.raises(ValidationError):
        normalize(domain)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([], True),
        ([("state", "=", "assigned")], True),
        ([("state", "!=", "assigned")], False),
        ([("state", "in", ["draft", "assigned"])], True),
        ([("state", "not in", ["draft", "assigned"])], False),
        (["|", ("state", "=", "done"), ("name", "like", "OUT")], True),
        (["!", ("state", "=", "done")], True),
        (["!", "|", ("state", "=", "done"), ("state", "=", "assigned")], False),
        ([("state", "=", "assigned"), ("name", "ilike", "east/out")], True),
        ([("state", "=", "assigned"), ("name", "like", "east/out")], False),
        ([("name", "=like", "EA%/OUT/_____")], True),
        ([("name", "=ilike", "east%")], True),
        ([("name", "not ilike", "IN/")], True),
        ([("scheduled_qty", ">", 3)], True),
        ([("scheduled_qty", ">=", 4)], True),
        ([("scheduled_qty", "<", 4)], False),
        ([("scheduled_qty", "<=", 4)], True),
        ([("origin", "=", False)], True),
        ([("origin", "!=", False)], False),
        ([("origin", "ilike", "S0")], False),
        ([("origin", "!=", "S00001")], True),  # NULL matches != (Odoo adds OR IS NULL)
        ([("partner_id", "=", 7)], True),
        ([("partner_id", "in", [1, 7])], True),
        ([("partner_id", "child_of", 7)], True),
        ([("partner_id", "!=", 7)], False),
        ([("partner_id", "ilike", "acme")], True),
        ([("carrier_id", "=", False)], True),
        ([("carrier_id", "!=", False)], False),
        ([("move_ids", "in", [12])], True),
        ([("move_ids", "=", 13)], False),
        ([("picking_type_id.code", "=", "outgoing")], True),
        ([("active", "=", True)], True),
        ([("printed", "=", False)], True),
        ([("printed", "=", True)], False),
        ([(1, "=", 1)], True),
        ([(0, "=", 1)], False),
    ],
)
def test_evaluate(domain: list[Any], expected: bool) -> None:
    assert matches(domain) is expected


def test_match_leaf_on_empty_and_lists() -> None:
    assert match_leaf(Resolved([]), "in", [False, 3]) is True
    assert match_leaf(Resolved([3]), "not in", [3]) is False
    assert match_leaf(Resolved(["abc"]), "ilike", "B") is True
    assert match_leaf(Resolved(["a%c"]), "like", "%") is True  # like escapes the operand


@pytest.mark.parametrize(
    ("states", "move_type", "expected"),
    [
        ([], "direct", "draft"),
        (["draft", "confirmed"], "direct", "draft"),
        (["cancel", "cancel"], "direct", "cancel"),
        (["done", "cancel"], "direct", "done"),
        (["confirmed", "partially_available"], "direct", "assigned"),
        (["confirmed", "assigned"], "one", "confirmed"),
        (["assigned", "assigned", "done"], "one", "assigned"),
        (["confirmed"], "direct", "confirmed"),
    ],
)
def test_picking_state(states: list[str], move_type: str, expected: str) -> None:
    assert compute_picking_state([{"state": s} for s in states], move_type) == expected
