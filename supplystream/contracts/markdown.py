"""The Markdown event catalog for subscribers: pure functions, no I/O.

Per topic: what it carries, the key and its fields, the value schema (event type, record, subject,
compatibility), partitions, retention, owner, consumers with their dead-letter topics, a table of
the value's fields (nested records and arrays flattened to ``source.system``, ``lines[].sku``) and
an example message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from supplystream.contracts.asyncapi import (
    LOOKUP_STRATEGIES,
    CatalogTopic,
    catalog_topics,
    example_json,
    example_record,
    key_example,
)
from supplystream.contracts.schemas import AvroSchema, EventSchema
from supplystream.topics.catalog import TopicCatalog

#: Kafka's retention.ms when a topic does not set it (7 days).
KAFKA_DEFAULT_RETENTION_MS = 604_800_000
_UNITS = (("day", 86_400_000), ("hour", 3_600_000), ("minute", 60_000), ("second", 1000))
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def duration_text(ms: int) -> str:
    """``1209600000`` → ``14 days``; the largest whole unit, else milliseconds."""
    for unit, size in _UNITS:
        if ms >= size and ms % size == 0:
            count = ms // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{ms} ms"


def retention_text(configs: Mapping[str, str]) -> str:
    """How long records stay, from a topic's configs: ``14 days``, ``forever``, ``compacted``."""
    policies = {p.strip() for p in configs.get("cleanup.policy", "delete").split(",")}
    ms = int(configs.get("retention.ms", str(KAFKA_DEFAULT_RETENTION_MS)))
    span = "forever" if ms < 0 else duration_text(ms)
    if "retention.ms" not in configs:
        span += " (Kafka's default)"
    if "retention.bytes" in configs and int(configs["retention.bytes"]) >= 0:
        span += f", or until a partition exceeds {int(configs['retention.bytes']):,} bytes"
    if "compact" in policies and "delete" in policies:
        return "compacted (latest value per key)" + ("" if ms < 0 else f", and deleted after {span}")
    if "compact" in policies:
        return "compacted (latest value per key, kept forever)"
    return span


def _cell(text: str) -> str:
    """Text that is safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _anchor(topic: str) -> str:
    """The heading id GitHub gives ``## `topic` ``."""
    return "".join(ch for ch in topic.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


# ---------------------------------------------------------------------------------------------
# Field tables.


class _FieldTable:
    """Rows (name, type, doc) of a record's fields, nested records and arrays flattened."""

    def __init__(self) -> None:
        self.defined: set[str] = set()

    def rows(self, schema: AvroSchema) -> list[tuple[str, str, str]]:
        namespace = schema.get("namespace")
        self.defined.add(self._full_name(schema, namespace))
        return list(self._fields(schema, "", namespace))

    @staticmethod
    def _full_name(schema: Mapping[str, Any], namespace: str | None) -> str:
        name = str(schema["name"])
        own = schema.get("namespace", namespace)
        return name if "." in name or not own else f"{own}.{name}"

    def _fields(
        self, record: Mapping[str, Any], prefix: str, namespace: str | None
    ) -> Iterator[tuple[str, str, str]]:
        inner = record.get("namespace", namespace)
        for f in record["fields"]:
            path = f"{prefix}{f['name']}"
            doc = " ".join(str(f.get("doc", "")).split())
            if "default" in f:
                doc = f"{doc} Default: `{json.dumps(f['default'])}`.".strip()
            yield path, self.type_text(f["type"], inner), doc
            yield from self._children(f["type"], path, inner)

    def _children(self, avro: Any, path: str, namespace: str | None) -> Iterator[tuple[str, str, str]]:
        if isinstance(avro, list):
            for branch in avro:
                yield from self._children(branch, path, namespace)
            return
        if not isinstance(avro, dict):
            return  # a primitive, or a reference to a type already expanded where it was defined
        kind = avro["type"]
        if isinstance(kind, list | dict):
            yield from self._children(kind, path, namespace)
        elif kind in {"record", "error"}:
            full = self._full_name(avro, namespace)
            if full not in self.defined:
                self.defined.add(full)
                yield from self._fields(avro, f"{path}.", avro.get("namespace", namespace))
        elif kind == "array":
            yield from self._children(avro["items"], f"{path}[]", namespace)
        elif kind == "map":
            yield from self._children(avro["values"], f"{path}{{}}", namespace)

    def type_text(self, avro: Any, namespace: str | None) -> str:  # noqa: PLR0911
        """A readable type: ``string``, ``decimal(18,3)``, ``array of record Allocation``, ``X or null``."""
        if isinstance(avro, list):
            others = [
                b for b in avro if b != "null" and not (isinstance(b, dict) and b.get("type") == "null")
            ]
            text = " or ".join(self.type_text(b, namespace) for b in others)
            return f"{text} or null" if len(others) != len(avro) else text
        if isinstance(avro, str):
            return avro if avro in _PRIMITIVES else f"`{avro.rsplit('.', 1)[-1]}`"
        kind = avro["type"]
        logical = avro.get("logicalType")
        if isinstance(kind, list | dict):
            return self.type_text(kind, namespace)
        if logical == "decimal":
            return f"decimal({avro.get('precision')},{avro.get('scale', 0)})"
        if logical in {"timestamp-millis", "timestamp-micros"}:
            return f"{logical} (UTC)"
        if logical is not None and kind in _PRIMITIVES:
            return str(logical)
        if kind in {"record", "error"}:
            return f"record `{avro['name']}`"
        if kind == "enum":
            symbols = ", ".join(f"`{s}`" for s in avro["symbols"])
            default = f"; default `{avro['default']}`" if "default" in avro else ""
            return f"enum `{avro['name']}`: {symbols}{default}"
        if kind == "array":
            return f"array of {self.type_text(avro['items'], namespace)}"
        if kind == "map":
            return f"map of {self.type_text(avro['values'], namespace)}"
        if kind == "fixed":
            return f"fixed `{avro['name']}` ({avro['size']} bytes)"
        return str(kind) if kind in _PRIMITIVES else f"`{str(kind).rsplit('.', 1)[-1]}`"


def field_rows(schema: AvroSchema) -> list[tuple[str, str, str]]:
    """(name, type, doc) for every field of ``schema``, nested ones as ``a.b`` and ``lines[].sku``."""
    return _FieldTable().rows(schema)


# ---------------------------------------------------------------------------------------------
# The document.

#: What every subscriber needs to know, whatever the topic.
_CONVENTIONS = (
    (
        "- **Values** are Avro records in the Confluent wire format: a zero magic byte, the 4-byte "
        "big-endian schema id, then the Avro binary body. Fetch the writer schema from the schema "
        "registry by that id; read it with your reader schema."
    ),
    (
        "- **Keys** are UTF-8 strings: the key fields' values, joined by `|` when there are several. "
        "Records with the same key are in one partition, in order."
    ),
    (
        "- **Quantities** are `decimal(18,3)` (exact; never a binary float); **timestamps** are "
        "`timestamp-millis` in UTC. The examples below show decimals as strings and timestamps in "
        "ISO 8601; on the wire they are Avro decimals and milliseconds since the epoch."
    ),
    "- **Delivery** is at least once: deduplicate on `event_id`.",
    (
        "- **Dead letters**: each consuming application parks records it cannot process in its own "
        "dead-letter topic; the original topic, partition and offset travel in the headers."
    ),
)


def render_markdown(
    catalog: TopicCatalog,
    schemas: Mapping[str, EventSchema],
    *,
    environment: str,
    bootstrap_servers: str | None = None,
    registry_url: str | None = None,
) -> str:
    """The Markdown event catalog of ``catalog`` resolved for ``environment``."""
    topics = catalog_topics(catalog, schemas, environment)
    lines = [
        "# SupplyStream event catalog",
        "",
        "<!-- Generated by `supplystream catalog` from topics.yaml and schemas/: do not edit. -->",
        "",
        (
            f"The business events on Kafka, for subscribers, as deployed in the `{environment}` "
            "environment. The same catalog, machine-readable, is `asyncapi.yaml` (AsyncAPI 3.0) next "
            "to this file."
        ),
        "",
        *_CONVENTIONS,
    ]
    if bootstrap_servers:
        lines.append(f"- **Bootstrap servers**: `{bootstrap_servers}`.")
    if registry_url:
        lines.append(f"- **Schema registry** (Confluent API): `{registry_url}`.")
    lines += [
        "",
        "## Topics",
        "",
        "| Topic | Event types | Key | Owner | Partitions | Retention |",
        "|---|---|---|---|---|---|",
    ]
    for topic in topics:
        entry = topic.entry
        events = ", ".join(f"`{e.event_type}`" for e in topic.events)
        lines.append(
            f"| [`{entry.name}`](#{_anchor(entry.name)}) | {_cell(events)} | {_cell(f'`{entry.key}`')} | "
            f"{_cell(entry.owner)} | {topic.spec.partitions} | {_cell(retention_text(topic.spec.configs))} |"
        )
    for topic in topics:
        lines += ["", *_topic_section(catalog, topic)]
    lines += ["", *_dead_letter_section(catalog, environment)]
    return "\n".join(lines).rstrip() + "\n"


def _topic_section(catalog: TopicCatalog, topic: CatalogTopic) -> list[str]:
    entry, spec = topic.entry, topic.spec
    first = topic.events[0].schema
    consumers = (
        ", ".join(f"`{c}` (dead letters: `{catalog.dead_letters.topic_for(c)}`)" for c in entry.consumers)
        or "none declared"
    )
    values = ", ".join(f"`{e.event_type}` (record `{e.full_name}`)" for e in topic.events)
    subjects = ", ".join(f"`{entry.value_subject(e.full_name)}`" for e in topic.events)
    strategy = LOOKUP_STRATEGIES[entry.subject_strategy]
    key_shape = (
        f"`{entry.key}`: the `{entry.key_fields[0]}` field"
        if len(entry.key_fields) == 1
        else f"`{entry.key}`: " + ", ".join(f"`{k}`" for k in entry.key_fields) + " joined by `|`"
    )
    key = key_example(entry, example_record(first))
    lines = [
        f"## `{entry.name}`",
        "",
        " ".join(entry.description.split()),
        "",
        "| | |",
        "|---|---|",
        f"| Key | {_cell(key_shape)} (string), e.g. {_cell(f'`{key}`')} |",
        f"| Value | {_cell(values)} |",
        f"| Subject | {_cell(subjects)} ({strategy}) |",
        f"| Compatibility | `{catalog.compatibility_of(entry)}` |",
        f"| Partitions | {spec.partitions} |",
        f"| Replication factor | {spec.replication_factor} |",
        f"| Retention | {_cell(retention_text(spec.configs))} |",
        f"| Owner | {_cell(entry.owner)} |",
        f"| Consumers | {_cell(consumers)} |",
        "",
        "Key fields:",
        "",
    ]
    docs = {f["name"]: " ".join(str(f.get("doc", "")).split()) for f in first.get("fields", [])}
    lines += [
        f"- `{name}`: {docs.get(name) or 'not a top-level field of the value.'}" for name in entry.key_fields
    ]
    for event in topic.events:
        lines += ["", *_value_section(event, several=len(topic.events) > 1)]
    return lines


def _value_section(event: EventSchema, *, several: bool) -> list[str]:
    level = "####" if several else "###"
    lines: list[str] = []
    if several:
        lines += [f"### Value `{event.event_type}`", ""]
    doc = " ".join(str(event.schema.get("doc", "")).split())
    if doc:
        lines += [f"`{event.full_name}`: {doc}", ""]
    lines += [f"{level} Fields", "", "| Field | Type | Description |", "|---|---|---|"]
    lines += [
        f"| `{_cell(name)}` | {_cell(kind)} | {_cell(doc)} |" for name, kind, doc in field_rows(event.schema)
    ]
    record = example_record(event.schema, event_type=event.event_type)
    example = json.dumps(example_json(record, event.schema, timestamps="iso"), indent=2, ensure_ascii=False)
    lines += ["", f"{level} Example", "", "```json", example, "```"]
    return lines


def _dead_letter_section(catalog: TopicCatalog, environment: str) -> list[str]:
    specs = {spec.name: spec for spec in catalog.resolve(environment)}
    lines = [
        "## Dead-letter topics",
        "",
        (
            "One per consuming application, named by the catalog's rule; records carry their original "
            "topic, partition and offset in the headers, so one topic serves all of a consumer's inputs."
        ),
        "",
        "| Consumer | Dead-letter topic | Reads | Partitions | Retention |",
        "|---|---|---|---|---|",
    ]
    for consumer in catalog.consumers():
        dlq = catalog.dead_letters.topic_for(consumer)
        reads = ", ".join(f"`{e.name}`" for e in catalog.topics if consumer in e.consumers)
        spec = specs[dlq]
        retention = _cell(retention_text(spec.configs))
        lines.append(f"| `{consumer}` | `{dlq}` | {_cell(reads)} | {spec.partitions} | {retention} |")
    return lines
