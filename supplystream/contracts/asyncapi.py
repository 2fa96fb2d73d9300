"""The AsyncAPI 3.0 document of the event catalog, for subscribers: pure functions, no I/O.

One channel per declared topic (address = topic name) with its Kafka channel binding (partitions,
replicas, retention), one ``receive`` operation per topic, and one message per (topic, event type)
in ``components.messages``: the Avro schema as payload (multi-format schema object), the Kafka
message binding (key, Confluent schema-id framing, subject strategy) and an example.

`example_record` builds a plausible, schema-valid example value from an Avro schema; `example_json`
renders it as JSON (epoch timestamps for the AsyncAPI examples, which are checked against the
payload schema; ISO 8601 for people).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

import fastavro
import yaml
from fastavro.validation import ValidationError, validate

from supplystream import __version__
from supplystream.contracts.schemas import AvroSchema, EventSchema
from supplystream.errors import ContractError
from supplystream.topics.catalog import SubjectStrategy, TopicCatalog, TopicEntry, TopicSpec

ASYNCAPI_VERSION = "3.0.0"
#: Version of the AsyncAPI Kafka bindings used for servers, channels and messages.
KAFKA_BINDING_VERSION = "0.5.0"
AVRO_SCHEMA_FORMAT = "application/vnd.apache.avro;version=1.9.0"
#: Values are Confluent-framed Avro binary: magic byte 0, 4-byte big-endian schema id, Avro body.
VALUE_CONTENT_TYPE = "application/octet-stream"
#: Confluent's serializers' name for each subject naming strategy of topics.yaml.
LOOKUP_STRATEGIES: dict[SubjectStrategy, str] = {
    "topic_name": "TopicNameStrategy",
    "record_name": "RecordNameStrategy",
    "topic_record_name": "TopicRecordNameStrategy",
}
#: Topic configs the Kafka channel binding defines (bindings 0.5.0): all integers but cleanup.policy.
_BINDING_TOPIC_CONFIGS = (
    "cleanup.policy",
    "retention.ms",
    "retention.bytes",
    "delete.retention.ms",
    "max.message.bytes",
)

Document = dict[str, Any]
TimestampStyle = Literal["iso", "epoch"]


# ---------------------------------------------------------------------------------------------
# The catalog as subscribers see it.


@dataclass(frozen=True)
class CatalogTopic:
    """A declared topic with its concrete shape in one environment and its value schemas."""

    entry: TopicEntry
    spec: TopicSpec
    events: tuple[EventSchema, ...]


def catalog_topics(
    catalog: TopicCatalog, schemas: Mapping[str, EventSchema], environment: str
) -> list[CatalogTopic]:
    """Every declared event topic, resolved for ``environment``, with its value schemas (in catalog
    order). The platform's JSON bookkeeping topics are internal and not part of the catalog."""
    specs = {spec.name: spec for spec in catalog.resolve(environment)}
    topics: list[CatalogTopic] = []
    for entry in catalog.topics:
        if entry.value_format != "avro":
            continue
        missing = [event for event in entry.value_schemas if event not in schemas]
        if missing:
            raise ContractError(
                f"topic {entry.name!r} carries {', '.join(missing)}, but schemas/ has no "
                f"{', '.join(f'{event}.avsc' for event in missing)}"
            )
        events = tuple(schemas[event] for event in entry.value_schemas)
        topics.append(CatalogTopic(entry, specs[entry.name], events))
    return topics


def message_id(topic: str, event_type: str) -> str:
    """The ``components.messages`` key of ``event_type`` on ``topic``."""
    return event_type if event_type == topic else f"{topic}--{event_type}"


def operation_id(topic: str) -> str:
    """The ``operations`` key of the subscribe operation of ``topic``."""
    return f"receive-{topic}"


# ---------------------------------------------------------------------------------------------
# The AsyncAPI document.


def build_asyncapi(
    catalog: TopicCatalog,
    schemas: Mapping[str, EventSchema],
    *,
    environment: str,
    bootstrap_servers: str,
    registry_url: str | None = None,
    version: str = __version__,
) -> Document:
    """The AsyncAPI 3.0.0 document of ``catalog`` in ``environment`` (a dict ready for YAML/JSON)."""
    topics = catalog_topics(catalog, schemas, environment)
    channels: Document = {}
    operations: Document = {}
    messages: Document = {}
    for topic in topics:
        name = topic.entry.name
        ids = [message_id(name, event.event_type) for event in topic.events]
        channels[name] = kafka_channel(topic, ids)
        operations[operation_id(name)] = receive_operation(topic, ids)
        for event, mid in zip(topic.events, ids, strict=True):
            if mid in messages:
                raise ContractError(f"two messages would both be called {mid!r}: rename a topic")
            messages[mid] = kafka_message(catalog, topic.entry, event)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "SupplyStream events",
            "version": version,
            "description": _info_description(environment),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
            "tags": [{"name": owner} for owner in sorted({t.entry.owner for t in topics})],
        },
        "defaultContentType": VALUE_CONTENT_TYPE,
        "servers": {
            environment: kafka_server(bootstrap_servers, registry_url=registry_url, environment=environment)
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def _info_description(environment: str) -> str:
    return (
        "Business events of SupplyStream on Apache Kafka, for subscribers: one channel per topic of "
        f"`topics.yaml`, resolved for the `{environment}` environment.\n\n"
        "Values are Avro records in the Confluent wire format: a zero magic byte, the 4-byte "
        "big-endian schema id, then the Avro binary body; fetch the writer schema from the schema "
        "registry by that id. Keys are plain UTF-8 strings (see each message's Kafka binding). "
        "Every event carries `event_id`: deduplicate on it, delivery is at least once.\n\n"
        "Generated by `supplystream catalog` from topics.yaml and schemas/; do not edit."
    )


def kafka_server(
    bootstrap_servers: str, *, registry_url: str | None = None, environment: str = ""
) -> Document:
    """A Kafka server object for a ``host:port[,host:port...]`` bootstrap string."""
    hosts = [host.strip() for host in bootstrap_servers.split(",") if host.strip()]
    if not hosts:
        raise ContractError("no bootstrap servers to describe: set SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS")
    server: Document = {
        "host": hosts[0],
        "protocol": "kafka",
        "title": f"Kafka ({environment})" if environment else "Kafka",
        "description": "Bootstrap servers: " + ", ".join(f"`{host}`" for host in hosts) + ".",
    }
    if registry_url:
        # The registry speaks Confluent's API and clients use Confluent's serdes and wire format.
        server["bindings"] = {
            "kafka": {
                "schemaRegistryUrl": registry_url,
                "schemaRegistryVendor": "confluent",
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        }
    return server


def topic_configuration(configs: Mapping[str, str]) -> Document:
    """The topic configs the Kafka channel binding defines, typed as the binding wants them."""
    result: Document = {}
    for name in _BINDING_TOPIC_CONFIGS:
        if name not in configs:
            continue
        raw = configs[name]
        result[name] = [part.strip() for part in raw.split(",")] if name == "cleanup.policy" else int(raw)
    return result


def kafka_channel(topic: CatalogTopic, message_ids: list[str]) -> Document:
    """The channel of one topic: address, messages, Kafka channel binding."""
    entry, spec = topic.entry, topic.spec
    binding: Document = {
        "topic": spec.name,
        "partitions": spec.partitions,
        "replicas": spec.replication_factor,
    }
    configuration = topic_configuration(spec.configs)
    if configuration:
        binding["topicConfiguration"] = configuration
    binding["bindingVersion"] = KAFKA_BINDING_VERSION
    return {
        "address": entry.name,
        "title": entry.name,
        "description": entry.description,
        "messages": {mid: {"$ref": f"#/components/messages/{mid}"} for mid in message_ids},
        "tags": [{"name": entry.owner, "description": "The team that owns this topic."}],
        "bindings": {"kafka": binding},
        "x-owner": entry.owner,
        "x-key": entry.key,
        "x-consumers": list(entry.consumers),
    }


def receive_operation(topic: CatalogTopic, message_ids: list[str]) -> Document:
    """The subscribe operation of one topic."""
    name = topic.entry.name
    return {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{name}"},
        "title": f"Receive {name}",
        "summary": topic.entry.description,
        "description": (
            f"Consume `{name}` with your own consumer group. Records with the same key "
            f"(`{topic.entry.key}`) are in one partition, in order. Known consumers: "
            + (", ".join(f"`{c}`" for c in topic.entry.consumers) or "none")
            + "."
        ),
        "tags": [{"name": topic.entry.owner}],
        "messages": [{"$ref": f"#/channels/{name}/messages/{mid}"} for mid in message_ids],
    }


def key_schema(entry: TopicEntry, schema: AvroSchema, example: Mapping[str, Any] | None = None) -> Document:
    """The record key as a string schema: which payload fields it joins, and what they mean."""
    fields = entry.key_fields
    docs = {f["name"]: _sentence(str(f.get("doc", ""))) for f in schema.get("fields", [])}
    parts = " ".join(
        f"`{name}`: {docs.get(name) or 'not a top-level field of the value.'}" for name in fields
    )
    if len(fields) == 1:
        shape = f"The value's `{fields[0]}` field as a UTF-8 string"
    else:
        shape = (
            "The values of " + ", ".join(f"`{name}`" for name in fields) + " joined by `|`, as a UTF-8 string"
        )
    key: Document = {"type": "string", "description": f"{shape}. {parts}"}
    if example is not None:
        key["examples"] = [key_example(entry, example)]
    return key


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."


def key_example(entry: TopicEntry, example: Mapping[str, Any]) -> str:
    """The key of an example record: its key fields' values joined by ``|``."""
    return "|".join(str(example.get(name, f"<{name}>")) for name in entry.key_fields)


def kafka_message(catalog: TopicCatalog, entry: TopicEntry, event: EventSchema) -> Document:
    """One event type on one topic: Avro payload, Kafka message binding, example."""
    schema = json.loads(json.dumps(event.schema))  # a copy: the document never aliases the contract
    record = example_record(schema, event_type=event.event_type)
    subject = entry.value_subject(event.full_name)
    compatibility = catalog.compatibility_of(entry)
    doc = str(schema.get("doc", "")).strip()
    return {
        "name": str(schema["name"]),
        "title": event.event_type,
        "summary": doc.split(". ")[0].rstrip(".") + "." if doc else event.event_type,
        "description": (
            (f"{doc}\n\n" if doc else "") + f"Avro record `{event.full_name}`, registry subject `{subject}` "
            f"({LOOKUP_STRATEGIES[entry.subject_strategy]}), compatibility `{compatibility}`."
        ),
        "contentType": VALUE_CONTENT_TYPE,
        "payload": {"schemaFormat": AVRO_SCHEMA_FORMAT, "schema": schema},
        "bindings": {
            "kafka": {
                "key": key_schema(entry, schema, record),
                "schemaIdLocation": "payload",
                "schemaIdPayloadEncoding": "confluent",
                "schemaLookupStrategy": LOOKUP_STRATEGIES[entry.subject_strategy],
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": f"{event.event_type}-example",
                "summary": f"A {event.event_type} event (key `{key_example(entry, record)}`); "
                "timestamps in milliseconds since the epoch, decimals as strings.",
                "payload": example_json(record, schema, timestamps="epoch"),
            }
        ],
        "x-subject": subject,
        "x-compatibility": compatibility,
    }


#: Plain scalars a YAML 1.2 reader (the AsyncAPI tools' js-yaml) takes for a number, boolean or null
#: although PyYAML (YAML 1.1) writes them unquoted as strings, e.g. a tracking number ``0034043416``.
_YAML12_NOT_A_STRING = re.compile(
    r"[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|0[box][0-9a-fA-F_]+|[-+]?\.(inf|nan)"
    r"|true|false|null|~|yes|no|on|off|y|n|",
    re.IGNORECASE,
)


class _NoAliasDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, readable and unambiguous for YAML 1.2 readers.

    Shared sub-objects are written out in full (no anchors and aliases), multi-line text as literal
    blocks, and strings that a YAML 1.2 reader would take for another type are quoted.
    """

    def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 - the signature PyYAML calls
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if _YAML12_NOT_A_STRING.fullmatch(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_str(data)


_NoAliasDumper.add_representer(str, _represent_str)


def dump_asyncapi(document: Document, fmt: Literal["yaml", "json"] = "yaml") -> str:
    """The document as YAML (with a do-not-edit header) or JSON text."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    body = yaml.dump(document, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=110)
    return "# Generated by `supplystream catalog` from topics.yaml and schemas/: do not edit.\n" + body


# ---------------------------------------------------------------------------------------------
# Example values.

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_WHEN = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
_UUID_NAMESPACE = uuid.UUID("6f1c2f0e-3d43-4f0b-9a51-5b1f3c0de001")
_STRINGS = {
    "sku": "SKU-1001",
    "warehouse": "WH-EAST",
    "from_warehouse": "WH-EAST",
    "to_warehouse": "WH-WEST",
    "company": "ACME",
    "correlation_id": "SO-1001",
    "order_id": "SO-1001",
    "line_id": "SO-1001/1",
    "system": "odoo",
    "adapter": "odoo-source",
    "channel": "webshop",
    "customer_ref": "CUST-0042",
    "country": "DE",
    "region": "BY",
    "postcode": "80331",
    "shipment_id": "WH-EAST/OUT/00042",
    "receipt_id": "WH-EAST/IN/00017",
    "purchase_order_id": "PO-2001",
    "supplier": "SUP-0007",
    "asn_reference": "ASN-3001",
    "carrier": "DHL",
    "tracking_number": "00340434161094042557",
    "from_location": "WH-EAST/Stock",
    "to_location": "Partners/Customers",
    "uom": "Units",
    "reference": "WH-EAST/OUT/00042",
    "reason": "Customer request",
    "detail": "No eligible warehouse has stock",
}
_INTEGERS = {"odoo_move_id": 4711, "odoo_picking_id": 815, "version": 42}
_DECIMALS = {
    "on_hand": Decimal("120"),
    "reserved": Decimal("30"),
    "inbound": Decimal("24"),
    "safety_stock": Decimal("10"),
    "atp": Decimal("104"),
}
_EVENT_TYPE_IN_DOC = re.compile(r'always "([^"]+)"')


@dataclass
class _Names:
    """Avro named types (records, enums, fixed) met so far, by full name."""

    types: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def full_name(schema: Mapping[str, Any], namespace: str | None) -> tuple[str, str | None]:
        """(full name, namespace for the type's children) of a named type."""
        name = str(schema["name"])
        if "." in name:
            return name, name.rsplit(".", 1)[0]
        own = schema.get("namespace", namespace)
        return (f"{own}.{name}" if own else name), own

    def define(self, schema: Mapping[str, Any], namespace: str | None) -> str | None:
        full, children_namespace = self.full_name(schema, namespace)
        self.types[full] = schema
        return children_namespace

    def lookup(self, name: str, namespace: str | None) -> tuple[Any, str | None]:
        """(schema, its namespace) of a reference to a named type."""
        candidates = [name] if "." in name else [f"{namespace}.{name}", name] if namespace else [name]
        for candidate in candidates:
            if candidate in self.types:
                return self.types[candidate], candidate.rsplit(".", 1)[0] if "." in candidate else None
        raise ContractError(f"unknown Avro type {name!r} (a named type is defined before it is used)")


def _branches(union: list[Any]) -> tuple[bool, list[Any]]:
    """(whether the union admits null, its other branches)."""
    others = [b for b in union if b != "null" and not (isinstance(b, dict) and b.get("type") == "null")]
    return len(others) != len(union), others


@dataclass
class _Example:
    event_type: str
    names: _Names = field(default_factory=_Names)
    building: set[str] = field(default_factory=set)

    def value(self, avro: Any, name: str, namespace: str | None) -> Any:  # noqa: PLR0911, PLR0912
        if isinstance(avro, list):
            _, others = _branches(avro)
            for branch in others:  # a value where the union allows one, unless it would recurse forever
                if not (isinstance(branch, str) and self._recursive(branch, namespace)):
                    return self.value(branch, name, namespace)
            return None
        if isinstance(avro, str):
            if avro in _PRIMITIVES:
                return self.primitive(avro, {}, name)
            target, target_namespace = self.names.lookup(avro, namespace)
            return self.value(target, name, target_namespace)
        kind = avro["type"]
        if isinstance(kind, list | dict):
            return self.value(kind, name, namespace)
        if kind in {"record", "error"}:
            return self.record(avro, namespace)
        if kind == "enum":
            self.names.define(avro, namespace)
            return avro["symbols"][0]
        if kind == "array":
            return [self.value(avro["items"], name, namespace)]
        if kind == "map":
            return {"key": self.value(avro["values"], name, namespace)}
        if kind == "fixed":
            self.names.define(avro, namespace)
            if avro.get("logicalType") == "decimal":
                return self.decimal(avro, name)
            return bytes(int(avro["size"]))
        if kind in _PRIMITIVES:
            return self.primitive(kind, avro, name)
        target, target_namespace = self.names.lookup(kind, namespace)
        return self.value(target, name, target_namespace)

    def _recursive(self, reference: str, namespace: str | None) -> bool:
        if reference in _PRIMITIVES:
            return False
        full = reference if "." in reference else f"{namespace}.{reference}" if namespace else reference
        return full in self.building or reference in self.building

    def record(self, avro: Mapping[str, Any], namespace: str | None) -> dict[str, Any]:
        full, inner = self.names.full_name(avro, namespace)
        self.names.define(avro, namespace)
        self.building.add(full)
        try:
            result: dict[str, Any] = {}
            for f in avro["fields"]:
                default = f.get("default")
                plain = isinstance(f["type"], str) and f["type"] in {
                    "boolean",
                    "int",
                    "long",
                    "float",
                    "double",
                }
                if default is not None and plain and f["name"] not in _INTEGERS:
                    result[f["name"]] = default
                else:
                    result[f["name"]] = self.value(f["type"], f["name"], inner)
            return result
        finally:
            self.building.discard(full)

    def decimal(self, avro: Mapping[str, Any], name: str) -> Decimal:
        scale = int(avro.get("scale", 0))
        amount = _DECIMALS.get(name, Decimal(12))
        return amount.quantize(Decimal(1).scaleb(-scale))

    def primitive(self, kind: str, avro: Mapping[str, Any], name: str) -> Any:  # noqa: PLR0911
        logical = avro.get("logicalType")
        if logical == "decimal" and kind == "bytes":
            return self.decimal(avro, name)
        if logical == "uuid" and kind == "string":
            return uuid.uuid5(_UUID_NAMESPACE, f"{self.event_type}/{name}")
        if logical in {"timestamp-millis", "timestamp-micros"} and kind == "long":
            return _WHEN
        if logical in {"local-timestamp-millis", "local-timestamp-micros"} and kind == "long":
            return _WHEN.replace(tzinfo=None)
        if logical == "date" and kind == "int":
            return date(2025, 3, 20)
        if logical in {"time-millis", "time-micros"}:
            return time(9, 30)
        return self.plain(kind, name)

    def plain(self, kind: str, name: str) -> Any:  # noqa: PLR0911
        if kind == "string":
            if name == "event_type":
                return self.event_type
            if name.endswith(("event_id", "causation_id")):
                return str(uuid.uuid5(_UUID_NAMESPACE, f"{self.event_type}/{name}"))
            return _STRINGS.get(name, name.replace("_", "-"))
        if kind in {"int", "long"}:
            return _INTEGERS.get(name, 1)
        if kind in {"float", "double"}:
            return 1.5
        if kind == "boolean":
            return True
        if kind == "bytes":
            return b"\x01\x02"
        return None


def declared_event_type(schema: Mapping[str, Any]) -> str | None:
    """The event type a schema's ``event_type`` field documents (``always "x.y"``), if any."""
    for f in schema.get("fields", []):
        if f.get("name") == "event_type":
            match = _EVENT_TYPE_IN_DOC.search(str(f.get("doc", "")))
            if match:
                return match.group(1)
    return None


def example_record(schema: AvroSchema, *, event_type: str | None = None) -> dict[str, Any]:
    """A plausible, schema-valid example record (Python values: Decimal, datetime, UUID, ...).

    Field names choose the values (``sku`` is ``SKU-1001``, ``warehouse`` ``WH-EAST``, quantities
    ``12.000``); enums take their first symbol, nullable fields a value, arrays one element. The
    result is checked with fastavro; a schema it cannot satisfy raises ContractError.
    """
    if schema.get("type") not in {"record", "error"}:
        raise ContractError(f"an example is built for an Avro record, not {schema.get('type')!r}")
    kind = event_type or declared_event_type(schema) or str(schema["name"])
    record = _Example(kind).value(schema, "", None)
    try:
        validate(record, fastavro.parse_schema(schema, _write_hint=False), raise_errors=True)
    except ValidationError as exc:
        raise ContractError(f"example for {schema.get('name')!r} does not fit its schema: {exc}") from exc
    return dict(record)


# ---------------------------------------------------------------------------------------------
# Example values as JSON.


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def _epoch_millis(value: datetime) -> int:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MILLISECOND


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@dataclass
class _Json:
    timestamps: TimestampStyle
    names: _Names = field(default_factory=_Names)

    def convert(self, value: Any, avro: Any, namespace: str | None) -> Any:  # noqa: PLR0911, PLR0912
        if isinstance(avro, list):
            if value is None:
                return None
            _, others = _branches(avro)
            for branch in others:
                try:
                    return self.convert(value, branch, namespace)
                except (TypeError, KeyError, ValueError, AttributeError):
                    continue
            raise ValueError(f"{value!r} fits no branch of {avro!r}")
        if isinstance(avro, str):
            if avro in _PRIMITIVES:
                return self.scalar(value, avro, {})
            target, target_namespace = self.names.lookup(avro, namespace)
            return self.convert(value, target, target_namespace)
        kind = avro["type"]
        if isinstance(kind, list | dict):
            return self.convert(value, kind, namespace)
        if kind in {"record", "error"}:
            inner = self.names.define(avro, namespace)
            if not isinstance(value, Mapping):
                raise TypeError(f"expected a record, got {value!r}")
            return {f["name"]: self.convert(value[f["name"]], f["type"], inner) for f in avro["fields"]}
        if kind in {"enum", "fixed"}:
            self.names.define(avro, namespace)
            return self.scalar(value, "bytes" if kind == "fixed" else "string", avro)
        if kind == "array":
            return [self.convert(item, avro["items"], namespace) for item in value]
        if kind == "map":
            return {str(k): self.convert(v, avro["values"], namespace) for k, v in value.items()}
        if kind in _PRIMITIVES:
            return self.scalar(value, kind, avro)
        target, target_namespace = self.names.lookup(kind, namespace)
        return self.convert(value, target, target_namespace)

    def scalar(self, value: Any, kind: str, avro: Mapping[str, Any]) -> Any:  # noqa: PLR0911
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            if self.timestamps == "iso":
                return _iso(value)
            millis = _epoch_millis(value)
            return millis * 1000 if str(avro.get("logicalType", "")).endswith("micros") else millis
        if isinstance(value, date):
            return value.isoformat() if self.timestamps == "iso" else (value - date(1970, 1, 1)).days
        if isinstance(value, time):
            if self.timestamps == "iso":
                return value.isoformat()
            millis = ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000
            return millis * 1000 if str(avro.get("logicalType", "")).endswith("micros") else millis
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, bytes):
            return value.decode("latin-1")  # Avro's JSON encoding of bytes: one code point per byte
        if kind == "string" and not isinstance(value, str):
            raise TypeError(f"expected a string, got {value!r}")
        return value


def example_json(record: Mapping[str, Any], schema: AvroSchema, *, timestamps: TimestampStyle = "iso") -> Any:
    """``record`` as plain JSON values: decimals as strings, uuids as strings, union values unwrapped.

    ``timestamps="iso"`` renders timestamps and dates as ISO 8601 (for people); ``"epoch"`` as the
    numbers Avro carries (milliseconds since the epoch, days since the epoch), which is what the
    AsyncAPI payload schema derived from the Avro schema accepts.
    """
    return _Json(timestamps).convert(record, schema, None)
