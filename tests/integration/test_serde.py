"""The serde against the real registry: typed round trips, evolution, errors, and interop with
confluent-kafka's own AvroSerializer / AvroDeserializer in both directions."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer as ConfluentDeserializer
from confluent_kafka.schema_registry.avro import AvroSerializer as ConfluentSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from supplystream.contracts.schemas import load_event_schemas
from supplystream.errors import DeserializationError, SerializationError
from supplystream.paths import schemas_dir
from supplystream.registry import SchemaRegistry
from supplystream.serde import AvroDeserializer, AvroSerializer
from tests.conftest import registry_config

pytestmark = pytest.mark.integration

EVENTS = load_event_schemas(schemas_dir())
STOCK = EVENTS["stock.moved"].schema
ORDERS = EVENTS["order.placed"].schema
NOW = dt.datetime(2026, 11, 24, 23, 59, 1, 123000, tzinfo=dt.UTC)


def envelope(event_type: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "event_type": event_type,
        "occurred_at": NOW,
        "source": {"system": "odoo", "adapter": "odoo-source"},
        "correlation_id": "corr-1",
        "causation_id": None,
        "company": "ACME",
    }


def stock_moved(**changes: Any) -> dict[str, Any]:
    record = {
        **envelope("stock.moved"),
        "sku": "SKU-1001",
        "warehouse": "WH-EAST",
        "from_location": "WH-EAST/Stock",
        "from_warehouse": "WH-EAST",
        "to_location": "Partners/Customers",
        "to_warehouse": None,
        "quantity": Decimal("12.500"),
        "uom": "Units",
        "move_kind": "DELIVERY",
        "odoo_move_id": 4711,
        "odoo_picking_id": 12,
        "reference": "WH-EAST/OUT/00012",
    }
    record.update(changes)
    return record


def order_placed() -> dict[str, Any]:
    return {
        **envelope("order.placed"),
        "order_id": "SO-1",
        "channel": "shop",
        "customer_ref": "PO-77",
        "ship_to": {"country": "DE", "region": "BY", "postcode": "80331"},
        "lines": [
            {
                "line_id": "1",
                "sku": "SKU-1",
                "quantity": Decimal("2"),
                "requested_date": dt.date(2026, 12, 1),
            },
            {"line_id": "2", "sku": "SKU-2", "quantity": Decimal("0.250"), "requested_date": None},
        ],
        "priority": 1,
        "allow_partial": True,
    }


def with_lot(schema: dict[str, Any]) -> dict[str, Any]:
    """v2 of a schema: a new optional field with a default (a compatible change)."""
    v2 = copy.deepcopy(schema)
    v2["fields"].append({"name": "lot", "doc": "Lot number.", "type": ["null", "string"], "default": None})
    return v2


class CountingClient(SchemaRegistryClient):
    """The real client, counting the lookups that go to the registry."""

    def __init__(self, conf: dict[str, Any]) -> None:
        super().__init__(conf)
        self.lookups = 0
        self.fetches = 0

    def lookup_schema(self, *args: Any, **kwargs: Any) -> Any:
        self.lookups += 1
        return super().lookup_schema(*args, **kwargs)

    def get_schema(self, *args: Any, **kwargs: Any) -> Any:
        self.fetches += 1
        return super().get_schema(*args, **kwargs)


@pytest.fixture
def subject(topic_prefix: str) -> str:
    return f"{topic_prefix}-value"


def registered(registry: SchemaRegistry, subject: str, schema: dict[str, Any]) -> AvroSerializer:
    serializer = AvroSerializer(registry, subject, schema)
    registry.register(subject, serializer.schema_text)
    return serializer


def test_typed_values_round_trip_exactly(schema_registry: SchemaRegistry, subject: str) -> None:
    serializer = registered(schema_registry, subject, STOCK)
    record = stock_moved()
    data = serializer(record)

    assert data[0] == 0
    assert int.from_bytes(data[1:5], "big") == serializer.schema_id
    decoded = AvroDeserializer(schema_registry, STOCK)(data)
    assert decoded == record
    assert isinstance(decoded["quantity"], Decimal)
    assert decoded["quantity"] == Decimal("12.500")
    assert decoded["occurred_at"] == NOW


def test_nested_arrays_dates_and_decimals(schema_registry: SchemaRegistry, subject: str) -> None:
    serializer = registered(schema_registry, subject, ORDERS)
    record = order_placed()
    assert AvroDeserializer(schema_registry, ORDERS)(serializer(record)) == record


def test_one_registry_round_trip_per_schema_not_per_message(registry_url: str, subject: str) -> None:
    client = CountingClient(registry_config(registry_url))
    with SchemaRegistry(client) as registry:
        serializer = registered(registry, subject, STOCK)
        deserializer = AvroDeserializer(registry, STOCK)
        client.lookups = client.fetches = 0

        for n in range(500):
            assert deserializer(serializer(stock_moved(odoo_move_id=n)))["odoo_move_id"] == n

    assert client.lookups == 1
    assert client.fetches == 1


def test_reader_on_v2_reads_v1_data_and_v1_reads_v2(schema_registry: SchemaRegistry, subject: str) -> None:
    v1_data = registered(schema_registry, subject, STOCK)(stock_moved())
    v2 = with_lot(STOCK)
    v2_data = registered(schema_registry, subject, v2)(stock_moved(lot="L-7"))

    upgraded = AvroDeserializer(schema_registry, v2)
    assert upgraded(v1_data)["lot"] is None
    assert upgraded(v2_data)["lot"] == "L-7"
    old_reader = AvroDeserializer(schema_registry, STOCK)
    assert "lot" not in old_reader(v2_data)
    assert old_reader(v2_data)["sku"] == "SKU-1001"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (stock_moved(quantity=12.5), "quantity: expected a Decimal"),
        (stock_moved(quantity=Decimal("1.2345")), "quantity: 1.2345 has more than 3 decimal places"),
        (stock_moved(occurred_at=dt.datetime(2026, 1, 1)), "occurred_at: expected a timezone-aware datetime"),  # noqa: DTZ001
        (stock_moved(sku=None), "sku"),
        ({k: v for k, v in stock_moved().items() if k != "uom"}, "uom"),
        (stock_moved(move_kind="TELEPORT"), "move_kind"),
    ],
)
def test_a_record_that_does_not_fit_names_the_field(
    schema_registry: SchemaRegistry, subject: str, record: dict[str, Any], expected: str
) -> None:
    serializer = registered(schema_registry, subject, STOCK)
    with pytest.raises(SerializationError, match=expected):
        serializer(record)


def test_nested_field_path_in_the_error(schema_registry: SchemaRegistry, subject: str) -> None:
    serializer = registered(schema_registry, subject, ORDERS)
    record = order_placed()
    record["lines"][1]["quantity"] = 0.25
    with pytest.raises(SerializationError, match=r"lines: \[1\]\.quantity: expected a Decimal"):
        serializer(record)


def test_bytes_that_are_not_framed_avro(schema_registry: SchemaRegistry, subject: str) -> None:
    deserializer = AvroDeserializer(schema_registry, STOCK)
    with pytest.raises(DeserializationError, match="magic byte 0"):
        deserializer(b'{"sku": "SKU-1"}')
    good = registered(schema_registry, subject, STOCK)(stock_moved())
    with pytest.raises(DeserializationError, match="cannot decode"):
        deserializer(good[:20])
    with pytest.raises(DeserializationError, match="trailing bytes"):
        deserializer(good + b"\x00\x00")


def test_confluent_serializer_to_our_deserializer(
    registry_url: str, schema_registry: SchemaRegistry, topic_prefix: str
) -> None:
    with SchemaRegistryClient(registry_config(registry_url)) as client:
        theirs = ConfluentSerializer(client, EVENTS["order.placed"].text)
        data = theirs(order_placed(), SerializationContext(topic_prefix, MessageField.VALUE))
    assert data is not None
    record = order_placed()
    decoded = AvroDeserializer(schema_registry, ORDERS)(data)
    assert decoded["lines"] == record["lines"]
    assert decoded["ship_to"] == record["ship_to"]
    assert decoded["occurred_at"] == NOW


def test_our_serializer_to_confluent_deserializer(
    registry_url: str, schema_registry: SchemaRegistry, subject: str, topic_prefix: str
) -> None:
    ours = registered(schema_registry, subject, STOCK)
    record = stock_moved()
    with SchemaRegistryClient(registry_config(registry_url)) as client:
        theirs = ConfluentDeserializer(client)
        decoded = theirs(ours(record), SerializationContext(topic_prefix, MessageField.VALUE))
    assert decoded == record


def test_both_serializers_write_identical_bytes(
    registry_url: str, schema_registry: SchemaRegistry, subject: str, topic_prefix: str
) -> None:
    ours = registered(schema_registry, subject, STOCK)
    with SchemaRegistryClient(registry_config(registry_url)) as client:
        client.register_schema(subject, Schema(ours.schema_text, "AVRO"))
        theirs = ConfluentSerializer(client, ours.schema_text, conf={"auto.register.schemas": False})
        record = stock_moved()
        assert ours(record) == theirs(record, SerializationContext(topic_prefix, MessageField.VALUE))
