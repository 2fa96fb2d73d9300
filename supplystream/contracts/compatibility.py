"""Schema compatibility under the registry's seven levels, decided by Apache Avro's own checker.

Runs client-side, so `schemas check` works with or without a registry. Pure: schemas in, findings out.

- BACKWARD: the new schema can read data written with the previous one (consumers upgrade first).
- FORWARD: the previous schema can read data written with the new one (producers upgrade first).
- FULL: both. The ``_TRANSITIVE`` forms check every earlier version, not only the latest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

Level = Literal[
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"
]
LEVELS: tuple[Level, ...] = (
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE",
)  # fmt: skip


@dataclass(frozen=True)
class PreviousVersion:
    """A schema the new one must stay compatible with, and where it comes from."""

    label: str  # e.g. "registered version 3", "git HEAD"
    schema: dict[str, Any]


@dataclass(frozen=True)
class Incompatibility:
    """One reason a new schema breaks readers or writers of a previous version."""

    against: str
    direction: Literal["backward", "forward"]
    kind: str
    location: str
    message: str

    def describe(self) -> str:
        """Human-readable, with the field path."""
        who = "the new schema cannot read data written with" if self.direction == "backward" else "readers on"
        tail = "" if self.direction == "backward" else " cannot read data written with the new schema"
        return f"{self.location}: {self.message} ({self.kind}; {who} {self.against}{tail})"


def reader_writer_problems(
    reader: dict[str, Any], writer: dict[str, Any], *, strict_enums: bool = True
) -> list[tuple[str, str, str]]:
    """(kind, location, message) for each reason ``reader`` cannot read data written by ``writer``.

    ``strict_enums`` also flags writer enum symbols the reader lacks although its enum has a
    default (used for removed symbols; an old reader meeting a new symbol is what defaults are for).
    """
    extra = _removed_enum_symbols(reader, writer) if strict_enums else []
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(_avro(reader), _avro(writer))
    if result.compatibility is SchemaCompatibilityType.compatible:
        return extra
    kinds = [i.value for i in result.incompatibilities] or ["incompatible"]
    messages = sorted(result.messages) or ["incompatible"]
    locations = sorted(result.locations - {"/"}) or ["/"]
    problems = []
    for index, raw in enumerate(messages):
        location = _readable_location(locations[min(index, len(locations) - 1)], reader)
        kind = kinds[min(index, len(kinds) - 1)]
        message = raw
        if kind == "reader_field_missing_default_value":
            location = raw if location == "(record)" else location
            message = f"field {raw!r} is in the reader's schema without a default but not in the data"
        problems.append((kind, location, message))
    problems.extend(p for p in extra if p not in problems)
    return problems


def _removed_enum_symbols(reader: dict[str, Any], writer: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Stricter than Avro: a reader enum that lost a writer's symbol is flagged even with a default,
    because old events carrying that symbol would silently turn into the default."""
    reader_enums = dict(_enums(reader, ""))
    problems = []
    for full_name, (_, symbols) in _enums(writer, ""):
        if full_name not in reader_enums:
            continue
        reader_path, reader_symbols = reader_enums[full_name]
        missing = [s for s in symbols if s not in reader_symbols]
        if missing:
            message = (
                f"enum {full_name.rsplit('.', 1)[-1]} no longer has {', '.join(missing)}: events "
                "carrying it would be read as the enum's default"
            )
            problems.append(("removed_enum_symbol", reader_path, message))
    return problems


def _enums(schema: Any, path: str) -> list[tuple[str, tuple[str, list[str]]]]:  # noqa: PLR0911 - one return per Avro kind
    """(enum name, (field path, symbols)) for every enum defined in ``schema``."""
    if isinstance(schema, list):
        return [found for branch in schema for found in _enums(branch, path)]
    if not isinstance(schema, dict):
        return []
    kind = schema.get("type")
    if kind == "enum":
        return [(str(schema["name"]), (path or "(record)", list(schema["symbols"])))]
    if kind == "record":
        return [
            found
            for field in schema["fields"]
            for found in _enums(field["type"], f"{path}.{field['name']}" if path else field["name"])
        ]
    if kind == "array":
        return _enums(schema["items"], f"{path}[]")
    if kind == "map":
        return _enums(schema["values"], f"{path}{{}}")
    if isinstance(kind, dict | list):
        return _enums(kind, path)
    return []


def check(new: dict[str, Any], previous: Sequence[PreviousVersion], level: Level) -> list[Incompatibility]:
    """Everything that makes ``new`` incompatible with ``previous`` (oldest first) under ``level``."""
    if level == "NONE" or not previous:
        return []
    against = list(previous) if level.endswith("_TRANSITIVE") else [previous[-1]]
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    found: list[Incompatibility] = []
    for version in against:
        if backward:
            found.extend(
                Incompatibility(version.label, "backward", kind, location, message)
                for kind, location, message in reader_writer_problems(new, version.schema)
            )
        if forward:
            found.extend(
                Incompatibility(version.label, "forward", kind, location, message)
                for kind, location, message in reader_writer_problems(version.schema, new, strict_enums=False)
            )
    return found


def _avro(schema: dict[str, Any]) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(schema))


def _readable_location(pointer: str, schema: dict[str, Any]) -> str:
    """Avro's location (``/fields/8/type/items/fields/2/type``) as a field path (``lines[].quantity``)."""
    parts = [part for part in pointer.split("/") if part]
    names: list[str] = []
    node: Any = schema
    index = 0
    while index < len(parts):
        part = parts[index]
        if part == "fields" and index + 1 < len(parts) and isinstance(node, dict) and "fields" in node:
            node = node["fields"][int(parts[index + 1])]
            names.append(str(node["name"]))
            index += 2
            continue
        if part == "type" and isinstance(node, dict):
            node = node["type"]
        elif part == "items" and isinstance(node, dict):
            names[-1:] = [f"{names[-1]}[]"] if names else ["[]"]
            node = node["items"]
        elif part.isdigit() and isinstance(node, list):
            node = node[int(part)]
        elif part == "symbols":
            names.append("symbols")
        index += 1
    return ".".join(names) or "(record)"
