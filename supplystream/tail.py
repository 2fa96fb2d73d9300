"""What `supplystream tail` shows: records decoded (Avro or JSON), filtered by key or by field values."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from supplystream.errors import ConfigurationError
from supplystream.serde import MAGIC_BYTE

#: A field path (``lines.0.sku``: dict keys and list indexes) and the value it must show.
FieldFilter = tuple[tuple[str, ...], str]


def parse_where(expressions: Sequence[str]) -> list[FieldFilter]:
    """``field=value`` expressions (dotted paths into the decoded record)."""
    filters: list[FieldFilter] = []
    for expression in expressions:
        name, sep, value = expression.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(f"--where {expression!r}: expected field=value, e.g. sku=SKU-001")
        filters.append((tuple(name.strip().split(".")), value))
    return filters


def field_value(record: Any, path: Sequence[str]) -> Any:
    """The value at ``path``; `KeyError` when the record has nothing there."""
    current = record
    for part in path:
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise KeyError(".".join(path))
    return current


def shown(value: Any) -> str:
    """A value as the user would type it after ``=`` (datetimes ISO, decimals and enums plain)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def matches(key: str | None, record: Any, wanted_key: str | None, filters: Sequence[FieldFilter]) -> bool:
    """The record passes the key filter and every field filter."""
    if wanted_key is not None and key != wanted_key:
        return False
    for path, expected in filters:
        try:
            if shown(field_value(record, path)) != expected:
                return False
        except KeyError:
            return False
    return True


@dataclass(frozen=True)
class Decoded:
    """A record's value as shown: its format (avro, json, text, bytes, tombstone) and content."""

    format: str
    value: Any


def decode_value(value: bytes | None, avro: Callable[[bytes], Any]) -> Decoded:
    """Confluent-framed Avro through ``avro`` (the platform serde), else JSON, else text or bytes."""
    if value is None:
        return Decoded("tombstone", None)
    if len(value) > 5 and value[0] == MAGIC_BYTE:
        return Decoded("avro", avro(value))
    try:
        return Decoded("json", json.loads(value))
    except ValueError:
        pass
    try:
        return Decoded("text", value.decode("utf-8"))
    except UnicodeDecodeError:
        return Decoded("bytes", value.hex())
