"""Compatibility decided by Apache Avro's checker, under the registry's levels."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from supplystream.contracts.compatibility import Level, PreviousVersion, check
from supplystream.paths import schemas_dir

Schema = dict[str, Any]


def project_schema(event_type: str) -> Schema:
    data: Schema = json.loads((schemas_dir() / f"{event_type}.avsc").read_text())
    return data


def changed(base: Schema, edit: Callable[[Schema], None]) -> Schema:
    new = copy.deepcopy(base)
    edit(new)
    return new


def field(schema: Schema, name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def add_field(default: bool) -> Callable[[Schema], None]:
    def edit(schema: Schema) -> None:
        new: dict[str, Any] = {"name": "lot", "doc": "Lot number.", "type": ["null", "string"]}
        if default:
            new["default"] = None
        schema["fields"].append(new)

    return edit


def remove_field(name: str) -> Callable[[Schema], None]:
    return lambda schema: schema["fields"].remove(field(schema, name))


STOCK = project_schema("stock.moved")


def problems(new: Schema, level: Level, *previous: Schema) -> list[str]:
    versions = [PreviousVersion(f"v{i + 1}", p) for i, p in enumerate(previous or (STOCK,))]
    return [p.describe() for p in check(new, versions, level)]


def test_field_added_without_default_breaks_backward() -> None:
    found = problems(changed(STOCK, add_field(default=False)), "BACKWARD")
    assert len(found) == 1
    assert found[0].startswith("lot: field 'lot' is in the reader's schema without a default")
    assert "the new schema cannot read data written with v1" in found[0]


def test_field_removed_without_default_breaks_forward() -> None:
    found = problems(changed(STOCK, remove_field("uom")), "FORWARD")
    assert len(found) == 1
    assert found[0].startswith("uom: field 'uom'")
    assert "readers on v1 cannot read data written with the new schema" in found[0]


def test_field_type_change_breaks_both_directions() -> None:
    new = changed(STOCK, lambda s: field(s, "sku").__setitem__("type", "long"))
    expected = (
        "sku: reader type: long not compatible with writer type: string "
        "(type_mismatch; the new schema cannot read data written with v1)"
    )
    assert problems(new, "BACKWARD") == [expected]
    assert len(problems(new, "FULL")) == 2


def test_nested_type_change_names_the_path() -> None:
    orders = project_schema("order.placed")

    def edit(schema: Schema) -> None:
        line = field(schema, "lines")["type"]["items"]
        field(line, "quantity")["type"] = "long"

    found = problems(changed(orders, edit), "BACKWARD", orders)
    assert found
    assert found[0].startswith("lines[].quantity: reader type: long")


def test_removed_enum_symbol_breaks_backward_even_with_an_enum_default() -> None:
    new = changed(STOCK, lambda s: field(s, "move_kind")["type"]["symbols"].remove("SCRAP"))
    found = problems(new, "BACKWARD")
    assert len(found) == 1
    assert "move_kind: enum MoveKind no longer has SCRAP" in found[0]


def test_added_enum_symbol_is_fine_for_old_readers_with_a_default() -> None:
    new = changed(STOCK, lambda s: field(s, "move_kind")["type"]["symbols"].insert(0, "LOAN"))
    assert problems(new, "FULL_TRANSITIVE") == []


@pytest.mark.parametrize("level", ["BACKWARD", "FORWARD", "FULL", "FULL_TRANSITIVE"])
def test_field_added_or_removed_with_default_passes(level: Level) -> None:
    assert problems(changed(STOCK, add_field(default=True)), level) == []
    assert problems(changed(STOCK, remove_field("reference")), level) == []


def test_none_accepts_anything() -> None:
    assert problems(changed(STOCK, lambda s: field(s, "sku").__setitem__("type", "long")), "NONE") == []


def test_transitive_levels_check_every_version_the_plain_ones_only_the_latest() -> None:
    v1 = STOCK
    v2 = changed(v1, remove_field("reference"))  # reference had a default: v2 is fine against v1
    # v3 re-adds `reference` without a default: v3 cannot read v2 data (no such field there)...
    v3 = changed(v2, lambda s: s["fields"].append({"name": "reference", "doc": "x", "type": "string"}))
    assert len(problems(v3, "BACKWARD", v1, v2)) == 1
    # ...and reading v1 data it finds `reference` as a nullable union, not a string.
    assert len(problems(v3, "BACKWARD_TRANSITIVE", v1, v2)) == 2
