"""The event catalog for subscribers, without a broker: example records, Markdown, AsyncAPI structure."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pytest
import yaml
from fastavro.validation import validate

from supplystream.contracts.asyncapi import (
    AVRO_SCHEMA_FORMAT,
    KAFKA_BINDING_VERSION,
    build_asyncapi,
    dump_asyncapi,
    example_json,
    example_record,
    kafka_server,
    topic_configuration,
)
from supplystream.contracts.markdown import duration_text, field_rows, render_markdown, retention_text
from supplystream.contracts.schemas import load_event_schemas
from supplystream.errors import ContractError
from supplystream.paths import default_topics_file, schemas_dir
from supplystream.topics.catalog import TopicCatalog, load_catalog, parse_catalog
from tests.conftest import supplystream_cli

SCHEMAS = load_event_schemas(schemas_dir())
CATALOG = load_catalog(default_topics_file())
#: The topics subscribers read (Avro events); the JSON bookkeeping topics are internal.
EVENT_TOPICS = [entry for entry in CATALOG.topics if entry.value_format == "avro"]
BOOTSTRAP = "broker-1.example.com:9093,broker-2.example.com:9093"
REGISTRY = "https://registry.example.com/apis/ccompat/v7"


def asyncapi(catalog: TopicCatalog = CATALOG, environment: str = "production") -> dict[str, Any]:
    return build_asyncapi(
        catalog, SCHEMAS, environment=environment, bootstrap_servers=BOOTSTRAP, registry_url=REGISTRY
    )


def resolve(document: Mapping[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer (``#/a/b``) in ``document``."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


# ---------------------------------------------------------------------------------------------
# Example records.


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_example_record_is_valid_for_every_schema(event_type: str) -> None:
    event = SCHEMAS[event_type]
    record = example_record(event.schema, event_type=event_type)
    parsed = fastavro.parse_schema(event.schema)
    assert validate(record, parsed, raise_errors=True)
    # And it survives the Avro binary encoding unchanged (logical types included).
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, record)
    buffer.seek(0)
    assert fastavro.schemaless_reader(buffer, parsed, parsed) == record
    assert record["event_type"] == event_type
    assert isinstance(record["event_id"], uuid.UUID)


def test_example_record_uses_field_names_for_plausible_values() -> None:
    stock = example_record(SCHEMAS["stock.moved"].schema)
    assert stock["sku"] == "SKU-1001"
    assert stock["warehouse"] == "WH-EAST"
    assert stock["quantity"] == Decimal("12.000")
    assert stock["occurred_at"].tzinfo is not None
    move_kind = next(f for f in SCHEMAS["stock.moved"].schema["fields"] if f["name"] == "move_kind")
    assert stock["move_kind"] == move_kind["type"]["symbols"][0]
    # Nullable fields get a value, so the example shows what they look like.
    assert stock["to_warehouse"] is not None
    assert stock["event_type"] == "stock.moved"  # read from the event_type field's doc
    placed = example_record(SCHEMAS["order.placed"].schema)
    assert len(placed["lines"]) == 1
    assert placed["lines"][0]["sku"] == "SKU-1001"
    assert placed["lines"][0]["quantity"] == Decimal("12.000")
    assert isinstance(placed["lines"][0]["requested_date"], date)
    assert placed["ship_to"]["country"] == "DE"


def test_example_record_covers_every_avro_shape() -> None:
    schema: dict[str, Any] = {
        "type": "record",
        "name": "Everything",
        "namespace": "test.shapes",
        "fields": [
            {"name": "flag", "type": "boolean"},
            {"name": "count", "type": "int", "default": 7},
            {"name": "ratio", "type": "double"},
            {"name": "blob", "type": "bytes"},
            {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
            {
                "name": "price",
                "type": {
                    "type": "fixed",
                    "name": "Price",
                    "size": 8,
                    "logicalType": "decimal",
                    "precision": 10,
                    "scale": 2,
                },
            },
            {"name": "tags", "type": {"type": "map", "values": "string"}},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"], "default": "B"}},
            {"name": "other_kind", "type": ["null", "Kind"], "default": None},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "at", "type": {"type": "int", "logicalType": "time-millis"}},
            {"name": "at_micros", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {
                "name": "child",
                "type": [
                    "null",
                    {
                        "type": "record",
                        "name": "Child",
                        "fields": [
                            {"name": "next", "type": ["null", "test.shapes.Child"], "default": None},
                            {"name": "sku", "type": "string"},
                        ],
                    },
                ],
                "default": None,
            },
            {"name": "children", "type": {"type": "array", "items": "Child"}},
        ],
    }
    record = example_record(schema)
    assert validate(record, fastavro.parse_schema(schema), raise_errors=True)
    assert record["count"] == 7  # a plain default is kept
    assert record["kind"] == "A"  # enums take their first symbol
    assert record["other_kind"] == "A"  # a named reference resolves
    assert record["child"]["sku"] == "SKU-1001"
    assert record["child"]["next"] is None  # recursion stops at the nullable branch
    assert record["children"][0]["sku"] == "SKU-1001"
    as_json = example_json(record, schema, timestamps="epoch")
    json.dumps(as_json)  # plain JSON
    assert as_json["at_micros"] == record["at_micros"].timestamp() * 1_000_000
    assert as_json["price"] == str(record["price"])


def test_example_record_refuses_what_is_not_a_record() -> None:
    with pytest.raises(ContractError, match="Avro record"):
        example_record({"type": "enum", "name": "E", "symbols": ["A"]})


def test_example_json_renders_decimals_as_strings_and_timestamps_as_iso_or_epoch() -> None:
    schema = SCHEMAS["atp.changed"].schema
    record = example_record(schema)
    iso = example_json(record, schema, timestamps="iso")
    epoch = example_json(record, schema, timestamps="epoch")
    assert iso["atp"] == "104.000"
    assert iso["on_hand"] == "120.000"
    assert datetime.fromisoformat(iso["occurred_at"]) == record["occurred_at"]
    assert iso["occurred_at"].endswith("Z")
    assert epoch["occurred_at"] == int(record["occurred_at"].timestamp() * 1000)
    assert uuid.UUID(iso["event_id"]) == record["event_id"]
    assert record["occurred_at"] == datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Markdown.


def test_duration_and_retention_texts() -> None:
    assert duration_text(1_209_600_000) == "14 days"
    assert duration_text(86_400_000) == "1 day"
    assert duration_text(3_600_000) == "1 hour"
    assert duration_text(1500) == "1500 ms"
    assert retention_text({"retention.ms": "1209600000"}) == "14 days"
    assert retention_text({"retention.ms": "-1"}) == "forever"
    assert retention_text({"cleanup.policy": "compact", "retention.ms": "-1"}).startswith("compacted")
    both = retention_text({"cleanup.policy": "compact,delete", "retention.ms": "2592000000"})
    assert both.startswith("compacted")
    assert "30 days" in both
    assert "Kafka's default" in retention_text({})


def test_markdown_documents_every_topic() -> None:
    text = render_markdown(CATALOG, SCHEMAS, environment="local", bootstrap_servers=BOOTSTRAP)
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    by_topic = {section.split("\n", 1)[0].strip("`"): section for section in sections[1:]}
    for entry in EVENT_TOPICS:
        section = by_topic[entry.name]
        assert entry.description in section
        assert f"`{entry.key.replace('|', chr(92) + '|')}`" in section  # pipes escaped in the table
        for name in entry.key_fields:
            assert f"- `{name}`: " in section
        assert f"| Owner | {entry.owner} |" in section
        for consumer in entry.consumers:
            assert f"`{consumer}` (dead letters: `{CATALOG.dead_letters.topic_for(consumer)}`)" in section
        for event_type in entry.value_schemas:
            event = SCHEMAS[event_type]
            assert event.full_name in section
            assert f"`{entry.value_subject(event.full_name)}`" in section
        assert f"`{CATALOG.compatibility_of(entry)}`" in section
        example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
        assert example["event_type"] == entry.value_schemas[0]
    assert "| Retention | 14 days |" in by_topic["stock.moved"]
    assert "| Retention | 30 days |" in by_topic["order.placed"]
    assert "| Retention | compacted" in by_topic["atp.changed"]
    assert "| Partitions | 12 |" in by_topic["stock.moved"]
    assert "| Replication factor | 1 |" in by_topic["stock.moved"]  # the local environment
    assert "`planning-sink.dlq`" in by_topic["Dead-letter topics"]
    assert BOOTSTRAP in text


def test_markdown_field_table_flattens_nested_records_and_arrays() -> None:
    rows = {name: (kind, doc) for name, kind, doc in field_rows(SCHEMAS["order.placed"].schema)}
    assert rows["source.system"][0] == "string"
    assert rows["lines"][0].startswith("array of record")
    assert rows["lines[].quantity"][0] == "decimal(18,3)"
    assert rows["lines[].requested_date"][0] == "date or null"
    assert rows["occurred_at"][0] == "timestamp-millis (UTC)"
    assert rows["event_id"][0] == "uuid"
    assert "Default: `null`" in rows["causation_id"][1]
    stock = {name: kind for name, kind, _ in field_rows(SCHEMAS["stock.moved"].schema)}
    assert stock["move_kind"].startswith("enum `MoveKind`: `RECEIPT`")


def test_markdown_example_shows_decimals_as_strings_and_iso_timestamps() -> None:
    text = render_markdown(CATALOG, SCHEMAS, environment="local")
    section = text.split("## `atp.changed`", 1)[1]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    assert example["atp"] == "104.000"
    assert example["as_of"] == "2025-03-14T09:30:00Z"


def test_a_topic_without_its_schema_file_is_named() -> None:
    text = (
        default_topics_file()
        .read_text()
        .replace("value_schemas: [order.placed]", "value_schemas: [order.lost]")
    )
    with pytest.raises(ContractError, match=r"'order.placed' carries order.lost.*order.lost.avsc"):
        render_markdown(parse_catalog(text), SCHEMAS, environment="local")


# ---------------------------------------------------------------------------------------------
# AsyncAPI structure (the real parser checks it in test_asyncapi_validation.py).


def test_asyncapi_has_a_channel_operation_and_message_per_topic() -> None:
    document = asyncapi()
    assert document["asyncapi"] == "3.0.0"
    topics = [entry.name for entry in EVENT_TOPICS]
    assert list(document["channels"]) == topics
    assert len(document["operations"]) == len(topics)
    for entry in EVENT_TOPICS:
        channel = document["channels"][entry.name]
        assert channel["address"] == entry.name
        operation = next(
            op for op in document["operations"].values() if op["channel"]["$ref"].endswith(entry.name)
        )
        assert operation["action"] == "receive"
        assert resolve(document, operation["channel"]["$ref"]) is channel
        for ref in operation["messages"]:
            message = resolve(document, resolve(document, ref["$ref"])["$ref"])
            assert message["payload"]["schemaFormat"] == AVRO_SCHEMA_FORMAT
            assert message["payload"]["schema"] == SCHEMAS[message["title"]].schema
            kafka = message["bindings"]["kafka"]
            assert kafka["key"]["type"] == "string"
            assert all(f"`{name}`" in kafka["key"]["description"] for name in entry.key_fields)
            assert kafka["schemaIdLocation"] == "payload"
            assert kafka["schemaIdPayloadEncoding"] == "confluent"
            assert kafka["schemaLookupStrategy"] == "TopicNameStrategy"
            assert kafka["bindingVersion"] == KAFKA_BINDING_VERSION
            assert message["examples"][0]["payload"]["event_type"] == message["title"]
        binding = channel["bindings"]["kafka"]
        spec = next(s for s in CATALOG.resolve("production") if s.name == entry.name)
        assert binding["partitions"] == spec.partitions
        assert binding["replicas"] == spec.replication_factor == 3


def test_asyncapi_channel_binding_carries_retention_and_cleanup_policy() -> None:
    document = asyncapi()
    atp = document["channels"]["atp.changed"]["bindings"]["kafka"]["topicConfiguration"]
    assert atp == {"cleanup.policy": ["compact"], "retention.ms": -1, "delete.retention.ms": 86_400_000}
    stock = document["channels"]["stock.moved"]["bindings"]["kafka"]["topicConfiguration"]
    assert stock == {"retention.ms": 1_209_600_000}
    assert topic_configuration({"cleanup.policy": "compact,delete", "min.insync.replicas": "2"}) == {
        "cleanup.policy": ["compact", "delete"]
    }


def test_asyncapi_server_comes_from_the_bootstrap_string() -> None:
    server = asyncapi()["servers"]["production"]
    assert server["host"] == "broker-1.example.com:9093"
    assert server["protocol"] == "kafka"
    assert "broker-2.example.com:9093" in server["description"]
    assert server["bindings"]["kafka"]["schemaRegistryUrl"] == REGISTRY
    assert "bindings" not in kafka_server("127.0.0.1:9092")
    with pytest.raises(ContractError):
        kafka_server(" , ")


def test_asyncapi_yaml_round_trips_and_quotes_number_like_strings() -> None:
    document = asyncapi()
    text = dump_asyncapi(document)
    assert text.startswith("# Generated by `supplystream catalog`")
    assert "&id" not in text  # no YAML anchors: shared objects are written out
    assert yaml.safe_load(text) == document
    assert json.loads(dump_asyncapi(document, "json")) == document
    # A YAML 1.2 reader (the AsyncAPI tools') would read an unquoted 0034... as a number.
    assert "- '0034'" in dump_asyncapi({"values": ["0034", "1e3", "x"]})


def test_asyncapi_uses_the_subject_strategy_of_the_topic() -> None:
    text = (
        default_topics_file()
        .read_text()
        .replace(
            "value_schemas: [order.placed]",
            "value_schemas: [order.placed]\n    subject_strategy: record_name",
        )
    )
    document = asyncapi(parse_catalog(text))
    message = document["components"]["messages"]["order.placed"]
    assert message["bindings"]["kafka"]["schemaLookupStrategy"] == "RecordNameStrategy"
    assert message["x-subject"] == SCHEMAS["order.placed"].full_name


# ---------------------------------------------------------------------------------------------
# The command.


def test_catalog_command_writes_both_files(tmp_path: Path) -> None:
    out = tmp_path / "catalog"
    result = supplystream_cli("catalog", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"wrote {out / 'asyncapi.yaml'}" in result.stdout
    assert f"wrote {out / 'events.md'}" in result.stdout
    document = yaml.safe_load((out / "asyncapi.yaml").read_text())
    assert set(document["channels"]) == {entry.name for entry in EVENT_TOPICS}
    assert "## `atp.changed`" in (out / "events.md").read_text()
    result = supplystream_cli("catalog", "--out", str(out), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "asyncapi.json").read_text())["asyncapi"] == "3.0.0"


def test_catalog_command_help_explains_it() -> None:
    result = supplystream_cli("catalog", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "AsyncAPI 3.0" in text
    assert "events.md" in text
    assert "--out" in text


def several_event_types() -> TopicCatalog:
    """The project's catalog with stock.moved also carrying atp.changed records."""
    text = (
        default_topics_file()
        .read_text()
        .replace(
            "value_schemas: [stock.moved]",
            "value_schemas: [stock.moved, atp.changed]\n    subject_strategy: topic_record_name",
        )
    )
    return parse_catalog(text)


def test_a_topic_with_several_event_types_gets_a_message_and_a_section_each() -> None:
    document = asyncapi(several_event_types())
    channel = document["channels"]["stock.moved"]
    assert list(channel["messages"]) == ["stock.moved", "stock.moved--atp.changed"]
    operation = document["operations"]["receive-stock.moved"]
    assert [ref["$ref"] for ref in operation["messages"]] == [
        "#/channels/stock.moved/messages/stock.moved",
        "#/channels/stock.moved/messages/stock.moved--atp.changed",
    ]
    second = document["components"]["messages"]["stock.moved--atp.changed"]
    assert second["x-subject"] == "stock.moved-io.supplystream.events.AtpChanged"
    assert second["bindings"]["kafka"]["schemaLookupStrategy"] == "TopicRecordNameStrategy"
    text = render_markdown(several_event_types(), SCHEMAS, environment="local")
    section = text.split("## `stock.moved`", 1)[1].split("\n## ", 1)[0]
    assert "### Value `stock.moved`" in section
    assert "### Value `atp.changed`" in section
    assert section.count("#### Example") == 2
