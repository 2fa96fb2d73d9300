"""`schemas lint`: the rules every event contract follows. Pure: schemas in, findings out.

Rules (each finding names the file, the field and the rule):
  namespace         every named type lives in io.supplystream.events
  record-name       named types are PascalCase; an event's record is named after its type (StockMoved)
  field-name        fields are snake_case
  doc               every record, enum and field has a doc
  envelope          the event starts with the shared envelope (schemas/envelope.avsc), unchanged
  no-float          no float/double: stock arithmetic is exact (decimal or integer units)
  enum-default      every enum has a default symbol, so old readers survive new symbols
  new-field-default fields added since the previous version carry a default
  enum-symbols      no enum symbol removed since the previous version
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from supplystream.contracts.schemas import NAMESPACE, AvroSchema

_PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Finding:
    """One rule a schema breaks."""

    file: str
    location: str
    rule: str
    message: str

    def describe(self) -> str:
        """``file: field: [rule] message``."""
        return f"{self.file}: {self.location}: [{self.rule}] {self.message}"


def record_name_for(event_type: str) -> str:
    """``stock.moved`` -> ``StockMoved``."""
    return "".join(part.capitalize() for part in re.split(r"[._-]", event_type))


def lint_schema(
    file: str,
    event_type: str,
    schema: AvroSchema,
    envelope: AvroSchema,
    previous: AvroSchema | None = None,
) -> list[Finding]:
    """Every rule for one event schema; ``previous`` enables the evolution rules."""
    findings = list(_walk(file, schema, ""))
    expected = record_name_for(event_type)
    if schema.get("name") != expected:
        findings.append(
            Finding(file, "(record)", "record-name", f"the record of {event_type} is named {expected}")
        )
    findings.extend(_envelope(file, schema, envelope))
    if previous is not None:
        findings.extend(_evolution(file, schema, previous))
    return findings


def _walk(file: str, schema: Any, path: str) -> Iterator[Finding]:
    """Naming, doc, float and enum-default rules over every named type and field."""
    if isinstance(schema, list):
        for branch in schema:
            yield from _walk(file, branch, path)
        return
    if isinstance(schema, str):
        if schema in {"float", "double"}:
            yield Finding(
                file, path or "(record)", "no-float", f"{schema} is inexact: use decimal or long units"
            )
        return
    kind = schema.get("type")
    if kind in {"record", "enum", "fixed"}:
        yield from _named_type(file, schema, path or "(record)")
    if kind == "record":
        for field in schema.get("fields", []):
            field_path = f"{path}.{field['name']}" if path else str(field["name"])
            if not _SNAKE.match(str(field["name"])):
                yield Finding(file, field_path, "field-name", "field names are snake_case")
            if not str(field.get("doc", "")).strip():
                yield Finding(file, field_path, "doc", "field has no doc")
            yield from _walk(file, field["type"], field_path)
    elif kind == "array":
        yield from _walk(file, schema["items"], f"{path}[]")
    elif kind == "map":
        yield from _walk(file, schema["values"], f"{path}{{}}")
    elif isinstance(kind, dict | list) or kind in {"float", "double"}:
        yield from _walk(file, kind, path)


def _named_type(file: str, schema: dict[str, Any], where: str) -> Iterator[Finding]:
    kind = schema.get("type")
    name = str(schema.get("name", ""))
    if not _PASCAL.match(name.rsplit(".", 1)[-1]):
        yield Finding(file, where, "record-name", f"type name {name!r} is not PascalCase")
    namespace = schema.get("namespace")
    if namespace is not None and namespace != NAMESPACE:
        yield Finding(file, where, "namespace", f"namespace {namespace!r} is not {NAMESPACE}")
    if not str(schema.get("doc", "")).strip():
        yield Finding(file, where, "doc", f"{kind} {name} has no doc")
    if kind == "enum" and "default" not in schema:
        yield Finding(file, where, "enum-default", "enum has no default symbol for symbols it does not know")


def _envelope(file: str, schema: AvroSchema, envelope: AvroSchema) -> Iterator[Finding]:
    expected = envelope["fields"]
    actual = schema.get("fields", [])[: len(expected)]
    for index, field in enumerate(expected):
        if index >= len(actual) or actual[index].get("name") != field["name"]:
            yield Finding(
                file, field["name"], "envelope", f"envelope field {index + 1} must be {field['name']!r}"
            )
            return
        got = actual[index]
        if got.get("type") != field["type"] or got.get("default", ...) != field.get("default", ...):
            yield Finding(
                file, field["name"], "envelope", "differs from schemas/envelope.avsc (type or default)"
            )


def _fields_by_path(schema: Any, path: str = "") -> dict[str, dict[str, Any]]:
    if isinstance(schema, list):
        return {k: v for branch in schema for k, v in _fields_by_path(branch, path).items()}
    if not isinstance(schema, dict):
        return {}
    kind = schema.get("type")
    found: dict[str, dict[str, Any]] = {}
    if kind == "record":
        for field in schema["fields"]:
            field_path = f"{path}.{field['name']}" if path else str(field["name"])
            found[field_path] = field
            found.update(_fields_by_path(field["type"], field_path))
    elif kind == "array":
        found.update(_fields_by_path(schema["items"], f"{path}[]"))
    elif isinstance(kind, dict | list):
        found.update(_fields_by_path(kind, path))
    return found


def _evolution(file: str, schema: AvroSchema, previous: AvroSchema) -> Iterator[Finding]:
    before = _fields_by_path(previous)
    now = _fields_by_path(schema)
    for path, field in now.items():
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        if path not in before and (not parent or parent in before) and "default" not in field:
            yield Finding(
                file, path, "new-field-default", "a field added to an existing schema needs a default"
            )
    for path, field in now.items():
        old = before.get(path)
        new_symbols = _symbols(field.get("type"))
        old_symbols = _symbols(old.get("type")) if old else None
        if new_symbols is not None and old_symbols is not None:
            removed = [s for s in old_symbols if s not in new_symbols]
            if removed:
                yield Finding(
                    file,
                    path,
                    "enum-symbols",
                    f"symbols removed: {', '.join(removed)} (old events carry them)",
                )


def _symbols(schema: Any) -> list[str] | None:
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"]
        return _symbols(branches[0]) if len(branches) == 1 else None
    if isinstance(schema, dict) and schema.get("type") == "enum":
        return list(schema["symbols"])
    return None
