"""Payload mapping and sender configuration: pure functions over bytes and dicts, no HTTP."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from producers.webhooks.config import SenderConfig, WebhooksConfig, load_config, parse_config
from producers.webhooks.errors import MappingError, WebhookConfigError
from producers.webhooks.jsonpath import MISSING, lookup, parse_path
from producers.webhooks.mapping import event_id_for, map_payload
from supplystream.events import OrderPlaced, PurchaseReceived, ShipmentConfirmed
from supplystream.paths import project_root

EXAMPLE = project_root() / "deploy" / "webhooks.example.yaml"
TS = 1_700_000_000


@pytest.fixture(scope="module")
def example() -> WebhooksConfig:
    return load_config(EXAMPLE)


def sender(config: WebhooksConfig, name: str) -> SenderConfig:
    found = config.sender(name)
    assert found is not None
    return found


def body(data: Any) -> bytes:
    return json.dumps(data).encode()


def wms_shipment() -> dict[str, Any]:
    return {
        "shipment": {
            "id": "SHP-1",
            "order_ref": "SO-42",
            "site": "WH1",
            "carrier": {"code": "dhl", "tracking": "JD0001"},
            "shipped_at": "2024-05-01T10:00:00Z",
            "lines": [{"order_line": "1", "item": "SKU-1", "qty": 2.5}, {"item": "SKU-2", "qty": 1}],
        }
    }


# --- JSON paths ---------------------------------------------------------------------------------


def test_json_paths_select_members_items_and_quoted_names() -> None:
    doc = {"a": {"b": [{"c": 1}, {"c": 2}]}, "odd key": True}
    assert lookup(doc, "$") == doc
    assert lookup(doc, "$.a.b[1].c") == 2
    assert lookup(doc, "$.a.b[-1].c") == 2
    assert lookup(doc, "$['odd key']") is True
    assert lookup(doc, "$.a.x") is MISSING
    assert lookup(doc, "$.a.b[5]") is MISSING
    assert lookup(doc, "$.a.b.c") is MISSING


@pytest.mark.parametrize("path", ["a.b", "$.a..b", "$.a[*]", "$..a", "$.a[?(@.x)]"])
def test_unsupported_json_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="JSON path"):
        parse_path(path)


# --- the example configuration ------------------------------------------------------------------


def test_the_example_config_has_a_wms_a_carrier_and_a_marketplace(example: WebhooksConfig) -> None:
    systems = {s.system for s in example.senders}
    assert systems == {"wms", "carrier", "marketplace"}
    wms = sender(example, "acme-wms")
    assert wms.timestamp_tolerance_s == 300
    assert wms.max_body_bytes == 256 * 1024
    assert "change-me" not in repr(wms)  # SecretStr


def test_a_wms_shipment_maps_onto_shipment_confirmed(example: WebhooksConfig) -> None:
    wms = sender(example, "acme-wms")
    event = map_payload(wms, "shipment-confirmed", body(wms_shipment()), delivery_id="d-1", timestamp=TS)
    assert isinstance(event, ShipmentConfirmed)
    assert event.event_id == event_id_for("acme-wms", "d-1")
    assert event.event_type == "shipment.confirmed"
    assert event.source.system == "wms"
    assert event.source.adapter == "webhook-source"
    assert (event.order_id, event.shipment_id, event.warehouse) == ("SO-42", "SHP-1", "WH1")
    assert (event.carrier, event.tracking_number, event.company) == ("dhl", "JD0001", "acme")
    assert event.correlation_id == "SO-42"
    assert event.shipped_at == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    assert event.occurred_at == event.shipped_at
    assert [(line.line_id, line.sku, line.quantity) for line in event.lines] == [
        ("1", "SKU-1", Decimal("2.5")),
        (None, "SKU-2", Decimal(1)),
    ]


def test_the_event_id_is_deterministic_per_sender_and_delivery() -> None:
    assert event_id_for("a", "1") == event_id_for("a", "1")
    assert event_id_for("a", "1") != event_id_for("b", "1")
    assert event_id_for("a", "1") != event_id_for("a", "2")
    assert event_id_for("a", "1").version == 5
    assert isinstance(event_id_for("a", "1"), uuid.UUID)


def test_a_marketplace_order_maps_onto_order_placed(example: WebhooksConfig) -> None:
    payload = {
        "order": {
            "id": 9001,
            "created_at": TS,
            "buyer": {"id": "B-7"},
            "shipping_address": {"country_code": "NL", "zip": "1011"},
            "items": [{"id": "L1", "sku": "SKU-1", "quantity": "3", "deliver_by": "2024-06-01"}],
        }
    }
    event = map_payload(
        sender(example, "shopmarket"), "order-placed", body(payload), delivery_id="x", timestamp=TS
    )
    assert isinstance(event, OrderPlaced)
    assert event.order_id == "9001"  # a JSON number where the contract wants a string
    assert (event.channel, event.customer_ref, event.company) == ("shopmarket", "B-7", "acme")
    assert (event.ship_to.country, event.ship_to.region, event.ship_to.postcode) == ("NL", None, "1011")
    assert event.lines[0].quantity == Decimal(3)
    assert event.lines[0].requested_date == dt.date(2024, 6, 1)
    assert event.occurred_at == dt.datetime.fromtimestamp(TS, dt.UTC)
    assert (event.priority, event.allow_partial) == (0, False)


def test_a_wms_receipt_maps_onto_purchase_received(example: WebhooksConfig) -> None:
    payload = {
        "receipt": {
            "number": "WH1/IN/0001",
            "po": "PO-5",
            "lines": [{"item": "SKU-1", "site": "WH1", "expected": 10, "received": 9.5}],
        }
    }
    event = map_payload(
        sender(example, "acme-wms"), "receipt-confirmed", body(payload), delivery_id="r", timestamp=TS
    )
    assert isinstance(event, PurchaseReceived)
    assert event.receipt_id == "WH1/IN/0001"
    assert event.correlation_id == "WH1/IN/0001"
    assert (event.supplier, event.asn_reference) == (None, None)
    assert event.lines[0].received_quantity == Decimal("9.5")
    # No occurred_at in the payload: the signed timestamp.
    assert event.occurred_at == dt.datetime.fromtimestamp(TS, dt.UTC)


def test_a_tracking_update_becomes_shipment_confirmed_with_the_new_number(example: WebhooksConfig) -> None:
    payload = {
        "event_time": "2024-05-02T08:00:00+02:00",
        "consignment": {
            "reference": "SHP-1",
            "customer_reference": "SO-42",
            "origin_depot": "WH1",
            "tracking_number": "FF-NEW-1",
            "collected_at": "2024-05-01T10:00:00Z",
            "contents": [{"sku": "SKU-1", "units": 2}],
        },
    }
    event = map_payload(
        sender(example, "fastfreight"), "tracking-update", body(payload), delivery_id="t", timestamp=TS
    )
    assert isinstance(event, ShipmentConfirmed)
    assert (event.tracking_number, event.carrier) == ("FF-NEW-1", "fastfreight")


def test_a_tracking_update_without_the_shipment_is_rejected_naming_the_fields(
    example: WebhooksConfig,
) -> None:
    payload = {"consignment": {"reference": "SHP-1", "tracking_number": "FF-NEW-1"}}
    with pytest.raises(MappingError) as caught:
        map_payload(
            sender(example, "fastfreight"), "tracking-update", body(payload), delivery_id="t", timestamp=TS
        )
    fields = {problem["field"] for problem in caught.value.fields}
    assert {"order_id", "warehouse", "shipped_at", "lines"} <= fields
    assert "tracking_number" not in fields


# --- invalid payloads: every problem is listed with its field (and path) -------------------------


def problems(config: WebhooksConfig, data: bytes | Any, kind: str = "shipment-confirmed") -> dict[str, str]:
    raw = data if isinstance(data, bytes) else body(data)
    with pytest.raises(MappingError) as caught:
        map_payload(sender(config, "acme-wms"), kind, raw, delivery_id="d", timestamp=TS)
    return {problem["field"]: problem.get("path", "") for problem in caught.value.fields}


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_rejected(example: WebhooksConfig, raw: bytes) -> None:
    assert set(problems(example, raw)) == {"$"}


def test_missing_and_invalid_fields_are_listed_with_their_paths(example: WebhooksConfig) -> None:
    payload = wms_shipment()
    del payload["shipment"]["order_ref"]
    payload["shipment"]["shipped_at"] = "not a time"
    payload["shipment"]["lines"][1]["qty"] = "lots"
    found = problems(example, payload)
    assert found["order_id"] == "$.shipment.order_ref"
    assert found["shipped_at"] == "$.shipment.shipped_at"
    assert found["lines[1].quantity"] == "$.shipment.lines[1].qty"


def test_lines_that_are_not_a_list_are_rejected(example: WebhooksConfig) -> None:
    payload = wms_shipment()
    payload["shipment"]["lines"] = {"item": "SKU-1"}
    assert problems(example, payload) == {"lines": "$.shipment.lines"}


def test_quantities_with_more_than_three_places_are_rejected(example: WebhooksConfig) -> None:
    payload = wms_shipment()
    payload["shipment"]["lines"][0]["qty"] = 1.0001
    assert set(problems(example, payload)) == {"lines[0].quantity"}


def test_timestamps_without_a_timezone_are_rejected(example: WebhooksConfig) -> None:
    payload = wms_shipment()
    payload["shipment"]["shipped_at"] = "2024-05-01T10:00:00"
    assert set(problems(example, payload)) == {"shipped_at", "occurred_at"}


def test_a_null_required_field_is_rejected(example: WebhooksConfig) -> None:
    payload = wms_shipment()
    payload["shipment"]["site"] = None
    assert set(problems(example, payload)) == {"warehouse"}


# --- configuration validation ---------------------------------------------------------------------


def minimal(**overrides: Any) -> dict[str, Any]:
    sender_data: dict[str, Any] = {
        "name": "wms",
        "secret": "x",
        "kinds": ["order-placed"],
        "mappings": {"order-placed": {"fields": {"order_id": "$.id"}}},
    }
    sender_data.update(overrides)
    return {"senders": [sender_data]}


def test_a_minimal_config_gets_the_defaults() -> None:
    config = parse_config(minimal())
    assert config.senders[0].timestamp_tolerance_s == 300
    assert config.senders[0].max_body_bytes == 262_144
    assert config.ack_timeout_s == 10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"colour": "red"}, "Extra inputs"),
        ({"kinds": ["refund"]}, "kinds"),
        ({"kinds": ["order-placed", "tracking-update"]}, "without a mapping"),
        ({"mappings": {"order-placed": {"fields": {"order_number": "$.id"}}}}, "no field 'order_number'"),
        ({"mappings": {"order-placed": {"fields": {"event_id": "$.id"}}}}, "set by the service"),
        ({"mappings": {"order-placed": {"fields": {"order_id": "id"}}}}, "must start with"),
        ({"mappings": {"order-placed": {"fields": {"ship_to.planet": "$.p"}}}}, "ship_to.planet"),
        (
            {"mappings": {"order-placed": {"lines": {"path": "$.l", "fields": {"colour": "$.c"}}}}},
            "no field 'colour'",
        ),
        ({"mappings": {"order-placed": {"fields": {}, "typo": 1}}}, "Extra inputs"),
    ],
)
def test_invalid_configs_are_refused_with_the_reason(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookConfigError, match=message):
        parse_config(minimal(**overrides))


def test_duplicate_sender_names_are_refused() -> None:
    data = minimal()
    data["senders"] = data["senders"] * 2
    with pytest.raises(WebhookConfigError, match="duplicate"):
        parse_config(data)


def test_an_unreadable_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(WebhookConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("senders: [")
    with pytest.raises(WebhookConfigError, match="not valid YAML"):
        load_config(bad)
