"""The generated event models (supplystream/events.py) against the Avro contracts they come from.

The .avsc files are the source of truth: the committed module must be exactly what the generator
makes of them, every model must have exactly its schema's fields, and every event must survive a
fastavro round trip unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import decimal
import enum
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import typing
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import fastavro
import pytest

from supplystream import events
from supplystream.contracts.codegen import (
    MODELS_FILE,
    CodegenError,
    format_source,
    generate_models,
    render_models,
)
from supplystream.contracts.schemas import EventSchema, load_event_schemas
from supplystream.paths import schemas_dir

Q = decimal.Decimal
UTC = datetime.UTC
OCCURRED = datetime.datetime(2024, 5, 17, 9, 30, 12, 345_000, tzinfo=UTC)
SOURCE = events.Source(system="odoo", adapter="odoo-source")
CAUSE = "9b2f4f0e-4c1d-4a57-9d55-5f0f6f1a2b3c"


@pytest.fixture(scope="module")
def schemas() -> dict[str, EventSchema]:
    return load_event_schemas(schemas_dir())


def envelope(event_type: str, *, causation: bool = True) -> dict[str, Any]:
    """The envelope fields of an event, as keyword arguments."""
    return {
        "event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"supplystream:{event_type}:1"),
        "event_type": event_type,
        "occurred_at": OCCURRED,
        "source": SOURCE,
        "correlation_id": "SO-2024-00042",
        "causation_id": CAUSE if causation else None,
        "company": "ACME-DE",
    }


#: One realistic instance of every event type, optional fields set (plus one relying on defaults).
SAMPLES: list[events.Event] = [
    events.StockMoved(
        **envelope("stock.moved"),
        sku="SKU-1001",
        warehouse="WH1",
        from_location="WH1/Stock",
        from_warehouse="WH1",
        to_location="Partners/Customers",
        to_warehouse=None,
        quantity=Q("12.500"),
        uom="kg",
        move_kind=events.MoveKind.DELIVERY,
        odoo_move_id=48_213,
        odoo_picking_id=9_117,
        reference="WH1/OUT/00012",
    ),
    events.StockMoved(
        **envelope("stock.moved", causation=False),
        sku="SKU-1002",
        warehouse="WH2",
        from_location="Partners/Vendors",
        to_location="WH2/Stock",
        quantity=Q("3"),
        uom="Units",
        move_kind=events.MoveKind.RECEIPT,
    ),
    events.OrderPlaced(
        **envelope("order.placed", causation=False),
        order_id="ORD-42",
        channel="shop",
        customer_ref="PO-7781",
        ship_to=events.ShipTo(country="DE", region="BY", postcode="80331"),
        lines=(
            events.OrderLine(line_id="1", sku="SKU-1001", quantity=Q("12.500")),
            events.OrderLine(
                line_id="2", sku="SKU-2002", quantity=Q("1.000"), requested_date=datetime.date(2024, 5, 24)
            ),
        ),
        priority=2,
        allow_partial=True,
    ),
    events.OrderAllocated(
        **envelope("order.allocated"),
        order_id="ORD-42",
        lines=(
            events.Allocation(line_id="1", sku="SKU-1001", warehouse="WH1", quantity=Q("10.000")),
            events.Allocation(line_id="1", sku="SKU-1001", warehouse="WH2", quantity=Q("2.500")),
        ),
    ),
    events.OrderBackordered(
        **envelope("order.backordered"),
        order_id="ORD-42",
        lines=(
            events.Backorder(
                line_id="2",
                sku="SKU-2002",
                quantity=Q("1.000"),
                reason=events.BackorderReason.INSUFFICIENT_STOCK,
                detail="considered WH1, WH2",
            ),
            events.Backorder(
                line_id="3", sku="SKU-3003", quantity=Q("0.250"), reason=events.BackorderReason.OTHER
            ),
        ),
    ),
    events.OrderCancelled(
        **envelope("order.cancelled"),
        order_id="ORD-42",
        reason="customer request",
        lines=(
            events.CancelledLine(line_id="1", sku="SKU-1001", warehouse="WH2", quantity=Q("2.500")),
            events.CancelledLine(line_id="2", sku="SKU-2002", quantity=Q("1.000")),
        ),
    ),
    events.ShipmentConfirmed(
        **envelope("shipment.confirmed"),
        shipment_id="WH1/OUT/00012",
        odoo_picking_id=9_117,
        warehouse="WH1",
        order_id="ORD-42",
        lines=(
            events.ShippedLine(line_id="1", sku="SKU-1001", quantity=Q("10.000")),
            events.ShippedLine(sku="SKU-9999", quantity=Q("1.000")),
        ),
        carrier="dhl",
        tracking_number="00340434161094042557",
        shipped_at=datetime.datetime(2024, 5, 17, 14, 5, 0, 120_000, tzinfo=UTC),
    ),
    events.PurchaseReceived(
        **envelope("purchase.received", causation=False),
        receipt_id="WH1/IN/00007",
        purchase_order_id="P00031",
        supplier="Müller GmbH",
        asn_reference="ASN-5521",
        lines=(
            events.ReceivedLine(
                sku="SKU-1001", warehouse="WH1", expected_quantity=Q("100.000"), received_quantity=Q("98.750")
            ),
        ),
    ),
    events.AtpChanged(
        **envelope("atp.changed"),
        sku="SKU-1001",
        warehouse="WH1",
        on_hand=Q("87.500"),
        reserved=Q("10.000"),
        inbound=Q("0.000"),
        safety_stock=Q("5.000"),
        atp=Q("72.500"),
        version=17,
        as_of=OCCURRED,
    ),
]


def fastavro_round_trip(schema: Mapping[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """``record`` written by fastavro's schemaless writer and read back."""
    parsed = fastavro.parse_schema(dict(schema))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, record)
    buffer.seek(0)
    read = fastavro.schemaless_reader(buffer, parsed, None)
    assert isinstance(read, dict)
    return read


# -- (a) drift ------------------------------------------------------------------------------------


def test_committed_models_are_what_the_schemas_generate() -> None:
    assert Path(events.__file__).resolve() == MODELS_FILE
    assert render_models(schemas_dir()) == MODELS_FILE.read_text(encoding="utf-8"), (
        "supplystream/events.py does not match schemas/*.avsc: run `supplystream schemas codegen`"
    )


def test_changing_a_schema_without_regenerating_is_detected(tmp_path: Path) -> None:
    changed_dir = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), changed_dir)
    path = changed_dir / "stock.moved.avsc"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["fields"].append(
        {"name": "lot", "type": ["null", "string"], "default": None, "doc": "Lot or serial number."}
    )
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")

    rendered = render_models(changed_dir)

    assert rendered != MODELS_FILE.read_text(encoding="utf-8")
    assert "    #: Lot or serial number.\n    lot: str | None = None\n" in rendered


def test_generation_is_deterministic(schemas: dict[str, EventSchema]) -> None:
    first = generate_models(schemas)
    assert generate_models(dict(reversed(schemas.items()))) == first
    assert generate_models(copy.deepcopy(schemas)) == first


def test_the_generated_module_says_it_is_generated() -> None:
    first_line = MODELS_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert "supplystream schemas codegen" in first_line
    assert "do not edit" in first_line


# -- (b) the models have exactly their schemas' fields -----------------------------------------


def named_types(schema: Any, namespace: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(full name, definition) of every record and enum defined in ``schema``, depth first."""
    if isinstance(schema, list):
        for branch in schema:
            yield from named_types(branch, namespace)
        return
    if not isinstance(schema, dict):
        return
    kind = schema["type"]
    if kind in {"record", "enum"}:
        namespace = schema.get("namespace", namespace)
        name = schema["name"]
        yield (name if "." in name else f"{namespace}.{name}"), schema
        for avro_field in schema.get("fields", ()):
            yield from named_types(avro_field["type"], namespace)
    elif kind == "array":
        yield from named_types(schema["items"], namespace)
    else:
        yield from named_types(kind, namespace)


def expected_hint(avro: Any) -> Any:
    """The Python type an Avro type should have in the models, worked out independently."""
    if isinstance(avro, list):
        (value,) = [branch for branch in avro if branch != "null"]
        assert "null" in avro
        return expected_hint(value) | None
    if isinstance(avro, str):
        return {"string": str, "int": int, "long": int, "boolean": bool}[avro]
    logical = avro.get("logicalType")
    if logical is not None:
        return {
            "uuid": uuid.UUID,
            "timestamp-millis": datetime.datetime,
            "date": datetime.date,
            "decimal": decimal.Decimal,
        }[logical]
    if avro["type"] in {"record", "enum"}:
        return getattr(events, avro["name"])
    if avro["type"] == "array":
        return tuple[expected_hint(avro["items"]), ...]  # type: ignore[misc]
    return expected_hint(avro["type"])


def test_every_record_and_enum_of_the_schemas_has_a_model(schemas: dict[str, EventSchema]) -> None:
    defined = {
        full_name: definition
        for event in schemas.values()
        for full_name, definition in named_types(event.schema, None)
    }
    model_names = {name for name in events.__all__ if name not in {"Event", "EVENT_TYPES"}}
    assert model_names == {full_name.rsplit(".", 1)[1] for full_name in defined}

    for full_name, definition in defined.items():
        model = getattr(events, definition["name"])
        if definition["type"] == "enum":
            assert issubclass(model, enum.StrEnum)
            assert [member.value for member in model] == definition["symbols"]
            assert f"default symbol ``{definition['default']}``" in (model.__doc__ or "")
        else:
            assert full_name == model.RECORD_NAME
            assert isinstance(model, type)
            assert dataclasses.is_dataclass(model)
            assert " ".join((model.__doc__ or "").split()).startswith(" ".join(definition["doc"].split()))


def test_every_model_has_exactly_its_schema_fields(schemas: dict[str, EventSchema]) -> None:
    checked = 0
    for event in schemas.values():
        for _, definition in named_types(event.schema, None):
            if definition["type"] != "record":
                continue
            model = getattr(events, definition["name"])
            fields = dataclasses.fields(model)
            hints = typing.get_type_hints(model)
            assert [f.name for f in fields] == [f["name"] for f in definition["fields"]], model
            for model_field, avro_field in zip(fields, definition["fields"], strict=True):
                where = f"{definition['name']}.{model_field.name}"
                assert model_field.kw_only, where
                assert hints[model_field.name] == expected_hint(avro_field["type"]), where
                if "default" in avro_field:
                    assert model_field.default == avro_field["default"], where
                else:
                    assert model_field.default is dataclasses.MISSING, where
                assert model_field.default_factory is dataclasses.MISSING, where
            checked += 1
    assert checked >= len(schemas)


def test_event_classes_name_their_event_type_and_record(schemas: dict[str, EventSchema]) -> None:
    assert isinstance(events.EVENT_TYPES, MappingProxyType)
    assert set(events.EVENT_TYPES) == set(schemas)
    for event_type, model in events.EVENT_TYPES.items():
        assert event_type == model.EVENT_TYPE
        assert schemas[event_type].full_name == model.RECORD_NAME
    assert set(typing.get_args(events.Event)) == set(events.EVENT_TYPES.values())


def test_models_are_immutable() -> None:
    event = SAMPLES[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.company = "other"  # type: ignore[misc]
    assert isinstance(events.OrderPlaced.from_record(SAMPLES[2].to_record()).lines, tuple)


# -- (c) round trip ---------------------------------------------------------------------------


def test_the_samples_cover_every_event_type() -> None:
    assert {type(sample) for sample in SAMPLES} == set(events.EVENT_TYPES.values())


@pytest.mark.parametrize("event", SAMPLES, ids=lambda event: event.EVENT_TYPE)
def test_round_trip_through_fastavro(event: events.Event, schemas: dict[str, EventSchema]) -> None:
    record = event.to_record()
    read = fastavro_round_trip(schemas[event.EVENT_TYPE].schema, record)
    restored = type(event).from_record(read)

    assert restored == event
    assert hash(restored) == hash(event)
    assert type(event).from_record(record) == event


def test_to_record_is_plain_fastavro_data() -> None:
    record = SAMPLES[4].to_record()  # order.backordered: nested records, an array, an enum
    assert type(record["source"]) is dict
    assert type(record["lines"]) is list
    assert type(record["lines"][0]["reason"]) is str
    assert record["lines"][0]["reason"] == "INSUFFICIENT_STOCK"


def test_decimals_keep_their_scale(schemas: dict[str, EventSchema]) -> None:
    read = fastavro_round_trip(schemas["stock.moved"].schema, SAMPLES[1].to_record())
    restored = events.StockMoved.from_record(read)
    assert str(restored.quantity) == "3.000"
    assert restored.quantity == Q("3")
    assert restored.occurred_at.tzinfo is not None


def test_from_record_tolerates_encoded_values() -> None:
    """Ids as strings, timestamps as epoch millis, dates as epoch days, decimals as strings."""
    placed = SAMPLES[2]
    assert isinstance(placed, events.OrderPlaced)
    record = placed.to_record()
    record["event_id"] = str(placed.event_id)
    record["occurred_at"] = int(placed.occurred_at.timestamp() * 1000)
    record["lines"][1]["requested_date"] = (datetime.date(2024, 5, 24) - datetime.date(1970, 1, 1)).days
    record["lines"][0]["quantity"] = "12.500"
    assert events.OrderPlaced.from_record(record) == placed

    record["lines"][0]["quantity"] = 12.5
    with pytest.raises(TypeError, match="float"):
        events.OrderPlaced.from_record(record)


# -- (d) named types -----------------------------------------------------------------------------


def test_a_named_type_shared_by_several_schemas_is_generated_once(schemas: dict[str, EventSchema]) -> None:
    source = generate_models(schemas)
    assert source.count("\nclass Source:") == 1
    assert source.count("\nclass ShipTo:") == 1


def test_two_different_definitions_of_a_named_type_are_refused(
    schemas: dict[str, EventSchema], tmp_path: Path
) -> None:
    moved = schemas["stock.moved"]
    changed = copy.deepcopy(moved.schema)
    source = next(f for f in changed["fields"] if f["name"] == "source")
    source["type"]["fields"].append({"name": "instance", "type": "string"})
    conflicting = {
        **schemas,
        "stock.moved": EventSchema("stock.moved", tmp_path / "stock.moved.avsc", changed),
    }

    defined_differently = r"io\.supplystream\.events\.Source is defined differently"
    with pytest.raises(CodegenError, match=defined_differently) as caught:
        generate_models(conflicting)

    message = str(caught.value)
    assert str(schemas["atp.changed"].path) in message  # the first file, in event type order
    assert str(tmp_path / "stock.moved.avsc") in message


def test_two_named_types_that_would_share_a_class_name_are_refused(
    schemas: dict[str, EventSchema], tmp_path: Path
) -> None:
    moved = schemas["stock.moved"]
    changed = copy.deepcopy(moved.schema)
    source = next(f for f in changed["fields"] if f["name"] == "source")
    source["type"]["namespace"] = "io.other"
    with pytest.raises(CodegenError, match="would both become class Source"):
        generate_models({**schemas, "stock.moved": EventSchema("stock.moved", tmp_path / "x.avsc", changed)})


# -- the generator beyond what today's schemas use ---------------------------------------------

WIDGET: dict[str, Any] = {
    "type": "record",
    "name": "WidgetMade",
    "namespace": "test.widgets",
    "doc": 'A "widget" was made; its doc has a backslash \\ and """ quotes.',
    "fields": [
        {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
        {
            "name": "kind",
            "type": {"type": "enum", "name": "Kind", "symbols": ["small", "LARGE"], "default": "LARGE"},
            "default": "small",
        },
        {"name": "kinds", "type": {"type": "array", "items": "Kind"}, "default": []},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": ["a", "b"]},
        {"name": "parent", "type": ["null", "WidgetMade"], "default": None},
        {"name": "maybeKind", "type": ["null", "test.widgets.Kind"], "default": None, "doc": "camelCase."},
        {"name": "due", "type": ["null", {"type": "int", "logicalType": "date"}], "default": None},
        {"name": "ratio", "type": "double", "default": 1},
        {
            "name": "weight",
            "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}],
            "default": None,
        },
        {"name": "made_at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "payload", "type": "bytes"},
        {"name": "label", "type": ["string", "null"], "default": "none"},
        {
            "name": "dims",
            "type": {"type": "record", "name": "other.Dims", "fields": [{"name": "w", "type": "int"}]},
        },
        {"name": "more_dims", "type": {"type": "array", "items": "other.Dims"}},
        {"name": "odd", "type": {"type": "string", "logicalType": "not-a-known-one"}},
    ],
}


def import_generated(source: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, path.stem, module)  # dataclasses resolve ClassVar through it
    spec.loader.exec_module(module)
    return module


def test_generator_handles_defaults_references_recursion_and_odd_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema_path = tmp_path / "widget.made.avsc"
    source = format_source(generate_models({"widget.made": EventSchema("widget.made", schema_path, WIDGET)}))
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--stdin-filename", str(MODELS_FILE), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    models = import_generated(source, tmp_path / "widget_models.py", monkeypatch)
    kind: Any = models.Kind
    dims: Any = models.Dims
    parent = models.WidgetMade(
        event_id=uuid.UUID(int=1),
        made_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 678_901, tzinfo=UTC),
        payload=b"\x00\x01",
        dims=dims(w=3),
        more_dims=(),
        odd="kept as a string",
    )
    assert (parent.kind, parent.kinds, parent.tags, parent.ratio, parent.label) == (
        kind.small,
        (),
        ("a", "b"),
        1.0,
        "none",
    )
    child = models.WidgetMade(
        event_id=uuid.UUID(int=2),
        kind=kind.LARGE,
        kinds=(kind.small, kind.LARGE),
        parent=parent,
        maybeKind=kind.LARGE,
        due=datetime.date(2024, 2, 29),
        weight=Q("1.25"),
        made_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 678_902, tzinfo=UTC),
        payload=b"",
        label=None,
        dims=dims(w=4),
        more_dims=(dims(w=5), dims(w=6)),
        odd="x",
    )
    assert models.WidgetMade.RECORD_NAME == "test.widgets.WidgetMade"
    assert dims.RECORD_NAME == "other.Dims"
    assert models.WidgetMade.__doc__.startswith('A "widget" was made; its doc has a backslash \\ and """')
    assert models.WidgetMade.from_record(fastavro_round_trip(WIDGET, child.to_record())) == child


@pytest.mark.parametrize(
    ("field_type", "message"),
    [
        ({"type": "map", "values": "string"}, "'map' is not supported"),
        (["string", "long"], "only two-branch unions with null"),
        (["null", "string", "long"], "only two-branch unions with null"),
        ({"type": "int", "logicalType": "time-millis"}, "'time-millis' on 'int' is not supported"),
        ({"type": "fixed", "name": "Hash", "size": 16}, "'fixed' is not supported"),
        ("Unknown", "unknown type 'Unknown'"),
    ],
)
def test_types_the_generator_cannot_model_are_refused(field_type: Any, message: str, tmp_path: Path) -> None:
    schema = {"type": "record", "name": "Thing", "fields": [{"name": "value", "type": field_type}]}
    path = tmp_path / "thing.avsc"
    with pytest.raises(CodegenError, match=message) as caught:
        generate_models({"thing": EventSchema("thing", path, schema)})
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("avro_field", "message"),
    [
        ({"name": "class", "type": "string"}, "'class' cannot be a field"),
        ({"name": "to_record", "type": "string"}, "'to_record' cannot be a field"),
        ({"name": "n", "type": ["null", "long"], "default": 0}, "must be null"),
        ({"name": "n", "type": "long", "default": "zero"}, 'cannot turn default "zero"'),
    ],
)
def test_fields_the_generator_cannot_model_are_refused(avro_field: dict[str, Any], message: str) -> None:
    schema = {"type": "record", "name": "Thing", "fields": [avro_field]}
    with pytest.raises(CodegenError, match=message):
        generate_models({"thing": EventSchema("thing", Path("thing.avsc"), schema)})
