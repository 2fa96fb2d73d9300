"""Load the Avro contracts: one ``schemas/<event type>.avsc`` per event type, plus the shared envelope.

The .avsc files are the single source of truth; everything else (models, docs, registry subjects)
is derived from what this module loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException

from supplystream.errors import ContractError

ENVELOPE_FILE = "envelope.avsc"
NAMESPACE = "io.supplystream.events"

AvroSchema = dict[str, Any]


@dataclass(frozen=True)
class EventSchema:
    """One event type's contract."""

    event_type: str
    path: Path
    schema: AvroSchema

    @property
    def full_name(self) -> str:
        """The record's full name, e.g. ``io.supplystream.events.StockMoved``."""
        namespace = self.schema.get("namespace")
        name = str(self.schema["name"])
        return f"{namespace}.{name}" if namespace and "." not in name else name

    @property
    def text(self) -> str:
        """The schema as compact JSON: what is registered and looked up in the registry."""
        return json.dumps(self.schema, separators=(",", ":"))

    def parsed(self) -> AvroSchema:
        """fastavro's parsed form (for the serde)."""
        return parse(self.schema, self.path)


def parse(schema: AvroSchema, origin: Path | str) -> AvroSchema:
    """Parse with fastavro, naming the file on failure."""
    try:
        parsed = fastavro.parse_schema(schema)
    except (SchemaParseException, ValueError, TypeError, KeyError) as exc:
        raise ContractError(f"{origin}: not a valid Avro schema: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ContractError(f"{origin}: an event schema is an Avro record at the top level")
    return parsed


def read_schema(path: Path) -> AvroSchema:
    """Read one .avsc file as JSON, naming the file and line on failure."""
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    except OSError as exc:
        raise ContractError(f"cannot read {path}: {exc.strerror}") from exc
    if not isinstance(data, dict) or data.get("type") != "record":
        raise ContractError(f"{path}: an event schema is an Avro record at the top level")
    return data


def load_event_schemas(directory: Path) -> dict[str, EventSchema]:
    """Every event type's schema, keyed by event type (the file name without ``.avsc``)."""
    schemas: dict[str, EventSchema] = {}
    for path in sorted(directory.glob("*.avsc")):
        if path.name == ENVELOPE_FILE:
            continue
        event = EventSchema(path.name.removesuffix(".avsc"), path, read_schema(path))
        event.parsed()
        schemas[event.event_type] = event
    if not schemas:
        raise ContractError(f"no event schemas (*.avsc) in {directory}")
    return schemas


def load_envelope(directory: Path) -> AvroSchema:
    """The shared envelope every event schema starts with."""
    return read_schema(directory / ENVELOPE_FILE)
