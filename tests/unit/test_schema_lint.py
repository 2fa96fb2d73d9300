"""`schemas lint` rules: each finding names the file, the field and the rule."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from supplystream.contracts.lint import lint_schema, record_name_for
from supplystream.contracts.schemas import load_envelope, load_event_schemas
from supplystream.paths import schemas_dir

ENVELOPE = load_envelope(schemas_dir())
EVENTS = load_event_schemas(schemas_dir())
STOCK: dict[str, Any] = json.loads((schemas_dir() / "stock.moved.avsc").read_text())


def f(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The field called ``name``."""
    found: dict[str, Any] = next(field for field in schema["fields"] if field["name"] == name)
    return found


def rules(schema: dict[str, Any], previous: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    return [
        (f.location, f.rule)
        for f in lint_schema("stock.moved.avsc", "stock.moved", schema, ENVELOPE, previous)
    ]


def test_the_project_schemas_are_clean() -> None:
    for event in EVENTS.values():
        assert lint_schema(event.path.name, event.event_type, event.schema, ENVELOPE) == []


def test_every_topic_schema_carries_the_envelope_first() -> None:
    names = [f["name"] for f in ENVELOPE["fields"]]
    assert names == [
        "event_id",
        "event_type",
        "occurred_at",
        "source",
        "correlation_id",
        "causation_id",
        "company",
    ]
    for event in EVENTS.values():
        assert [f["name"] for f in event.schema["fields"][: len(names)]] == names


def test_record_name_follows_event_type() -> None:
    assert record_name_for("shipment.confirmed") == "ShipmentConfirmed"
    schema = copy.deepcopy(STOCK)
    schema["name"] = "Stock"
    assert ("(record)", "record-name") in rules(schema)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: f(s, "sku").pop("doc"), ("sku", "doc")),
        (lambda s: f(s, "sku").__setitem__("name", "SKU"), ("SKU", "field-name")),
        (lambda s: s.__setitem__("namespace", "com.example"), ("(record)", "namespace")),
        (lambda s: f(s, "quantity").__setitem__("type", "double"), ("quantity", "no-float")),
        (lambda s: f(s, "move_kind")["type"].pop("default"), ("move_kind", "enum-default")),
        (lambda s: f(f(s, "source")["type"], "system").pop("doc"), ("source.system", "doc")),
        (lambda s: s["fields"].pop(0), ("event_id", "envelope")),
        (lambda s: f(s, "causation_id").__setitem__("type", "string"), ("causation_id", "envelope")),
    ],
)
def test_each_rule_names_file_field_and_rule(edit: Any, expected: tuple[str, str]) -> None:
    schema = copy.deepcopy(STOCK)
    edit(schema)
    assert expected in rules(schema)
    finding = next(
        f for f in lint_schema("stock.moved.avsc", "stock.moved", schema, ENVELOPE) if f.rule == expected[1]
    )
    assert finding.describe().startswith(f"stock.moved.avsc: {expected[0]}: [{expected[1]}]")


def test_new_field_without_default_since_previous_version() -> None:
    schema = copy.deepcopy(STOCK)
    schema["fields"].append({"name": "lot", "doc": "Lot.", "type": "string"})
    assert ("lot", "new-field-default") in rules(schema, previous=STOCK)
    schema["fields"][-1]["default"] = ""
    assert rules(schema, previous=STOCK) == []


def test_removed_enum_symbol_since_previous_version() -> None:
    schema = copy.deepcopy(STOCK)
    f(schema, "move_kind")["type"]["symbols"].remove("RETURN")
    assert ("move_kind", "enum-symbols") in rules(schema, previous=STOCK)
