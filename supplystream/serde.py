"""The one Avro serde: Confluent wire format (magic byte 0, 4-byte schema id, Avro binary) on fastavro.

Speed comes from doing per-schema work once: each schema is parsed once, its id fetched from the
registry once, and its logical types (timestamps, decimals, dates, uuids) compiled into converters.
fastavro then encodes and decodes a schema *without* logical types — the bytes are identical, Avro
logical types do not change the encoding — and the compiled converters map the values, which is
several times cheaper than fastavro's generic logical-type dispatch.

Errors name the field: a record that does not fit its schema raises `SerializationError` with the
path of the offending field; bytes that are not a framed Avro record raise `DeserializationError`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import fastavro
from fastavro.validation import ValidationError, validate

from supplystream.contracts.schemas import AvroSchema, parse
from supplystream.errors import DeserializationError, SerializationError
from supplystream.registry import SchemaRegistry

MAGIC_BYTE = 0
HEADER_SIZE = 5
Record = dict[str, Any]
Converter = Callable[[Any], Any]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class _FieldError(ValueError):
    """A value that cannot be converted; the serializer adds the field path."""


# ---------------------------------------------------------------------------------------------
# Logical types: compiled converters between Python values and Avro's underlying types.


def _timestamp_millis_to_wire(value: Any) -> int:
    if type(value) is int:
        return value
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise _FieldError(f"expected a timezone-aware datetime, got {value!r}")
    return (value - _EPOCH) // _MILLISECOND


def _timestamp_millis_from_wire(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=value)


def _date_to_wire(value: Any) -> int:
    if type(value) is int:
        return value
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _FieldError(f"expected a date, got {value!r}")
    return value.toordinal() - _EPOCH_ORDINAL


def _date_from_wire(value: int) -> dt.date:
    return dt.date.fromordinal(value + _EPOCH_ORDINAL)


def _uuid_to_wire(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    raise _FieldError(f"expected a UUID, got {value!r}")


def _decimal_converters(precision: int, scale: int) -> tuple[Converter, Converter]:
    limit = 10**precision

    def to_wire(value: Any) -> bytes:
        if not isinstance(value, Decimal | int):
            raise _FieldError(f"expected a Decimal (exact quantity), got {type(value).__name__} {value!r}")
        try:
            unscaled = int(Decimal(value).scaleb(scale))
        except (InvalidOperation, OverflowError, ValueError):
            raise _FieldError(f"{value!r} is not a finite decimal") from None
        if Decimal(unscaled).scaleb(-scale) != value:
            raise _FieldError(f"{value} has more than {scale} decimal places")
        if not -limit < unscaled < limit:
            raise _FieldError(f"{value} exceeds decimal({precision},{scale})")
        return unscaled.to_bytes((unscaled.bit_length() + 8) // 8, "big", signed=True)

    def from_wire(value: bytes) -> Decimal:
        return Decimal(int.from_bytes(value, "big", signed=True)).scaleb(-scale)

    return to_wire, from_wire


def _logical_converters(schema: Mapping[str, Any]) -> tuple[Converter, Converter] | None:
    logical = schema.get("logicalType")
    if logical == "timestamp-millis" and schema.get("type") == "long":
        return _timestamp_millis_to_wire, _timestamp_millis_from_wire
    if logical == "date" and schema.get("type") == "int":
        return _date_to_wire, _date_from_wire
    if logical == "uuid" and schema.get("type") == "string":
        return _uuid_to_wire, uuid.UUID
    if logical == "decimal" and schema.get("type") == "bytes":
        return _decimal_converters(int(schema["precision"]), int(schema.get("scale", 0)))
    return None


def _compile(schema: Any, named: dict[str, Any], to_wire: bool) -> Converter | None:
    """A converter for values of ``schema``, or None when its values need no conversion."""
    if isinstance(schema, str):
        return _compile(named[schema], named, to_wire) if schema in named else None
    if isinstance(schema, list):
        return _compile_union(schema, named, to_wire)
    kind = schema.get("type")
    if isinstance(kind, dict | list):
        return _compile(kind, named, to_wire)
    logical = _logical_converters(schema)
    if logical is not None:
        return logical[0] if to_wire else logical[1]
    compile_complex = {"record": _compile_record, "array": _compile_array, "map": _compile_map}.get(kind)
    return compile_complex(schema, named, to_wire) if compile_complex else None


def _compile_union(schema: list[Any], named: dict[str, Any], to_wire: bool) -> Converter | None:
    """Nullable unions ``["null", X]`` convert X; other unions carry no logical types here."""
    branches = [branch for branch in schema if branch != "null"]
    inner = _compile(branches[0], named, to_wire) if len(branches) == 1 else None
    if inner is None:
        return None
    return lambda value: None if value is None else inner(value)


def _compile_record(schema: dict[str, Any], named: dict[str, Any], to_wire: bool) -> Converter | None:
    name = schema.get("name", "")
    namespace = schema.get("namespace")
    named[f"{namespace}.{name}" if namespace and "." not in name else name] = schema
    named[name] = schema
    fields = [(f["name"], _compile(f["type"], named, to_wire)) for f in schema["fields"]]
    converting = [(field, conv) for field, conv in fields if conv is not None]
    if not converting:
        return None

    def convert_record(value: Mapping[str, Any]) -> Record:
        # Decoded records are fresh dicts of our own: convert in place. Records to encode belong
        # to the caller: convert a shallow copy.
        record = dict(value) if to_wire or not isinstance(value, dict) else value
        for field, conv in converting:
            if field in record:
                try:
                    record[field] = conv(record[field])
                except _FieldError as exc:
                    raise _FieldError(f"{field}: {exc}") from None
        return record

    return convert_record


def _compile_array(schema: dict[str, Any], named: dict[str, Any], to_wire: bool) -> Converter | None:
    item = _compile(schema["items"], named, to_wire)
    if item is None:
        return None

    def convert_array(values: Any) -> list[Any]:
        out = []
        for index, value in enumerate(values):
            try:
                out.append(item(value))
            except _FieldError as exc:
                raise _FieldError(f"[{index}].{exc}") from None
        return out

    return convert_array


def _compile_map(schema: dict[str, Any], named: dict[str, Any], to_wire: bool) -> Converter | None:
    value_conv = _compile(schema["values"], named, to_wire)
    if value_conv is None:
        return None
    return lambda mapping: {key: value_conv(value) for key, value in mapping.items()}


def _without_logical_types(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_logical_types(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_without_logical_types(item) for item in schema]
    return schema


class CompiledSchema:
    """One schema prepared for the hot path: plain parsed form plus compiled converters."""

    def __init__(self, schema: AvroSchema, origin: str) -> None:
        self.schema = schema
        self.origin = origin
        self.full = parse(schema, origin)
        self.plain = parse(_without_logical_types(schema), origin)
        self.to_wire = _compile(schema, {}, to_wire=True)
        self.from_wire = _compile(schema, {}, to_wire=False)
        self.canonical = json.dumps(self.plain, sort_keys=True)

    @classmethod
    def from_text(cls, text: str, origin: str) -> CompiledSchema:
        """Compile a schema from its JSON text (as the registry returns it)."""
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DeserializationError(f"{origin}: the registry returned a schema that is not JSON") from exc
        return cls(schema, origin)


# ---------------------------------------------------------------------------------------------
# The serializer and deserializer.


class AvroSerializer:
    """Encode records of one schema under one subject into Confluent-framed Avro."""

    def __init__(self, registry: SchemaRegistry, subject: str, schema: AvroSchema) -> None:
        self._registry = registry
        self.subject = subject
        self._compiled = CompiledSchema(schema, subject)
        self.schema_text = json.dumps(schema, separators=(",", ":"))
        self._header: bytes | None = None

    @property
    def schema_id(self) -> int:
        """The registry id of the writer schema (looked up once)."""
        return int.from_bytes(self._framing()[1:], "big")

    def _framing(self) -> bytes:
        if self._header is None:
            schema_id = self._registry.id_for(self.subject, self.schema_text)
            self._header = bytes([MAGIC_BYTE]) + schema_id.to_bytes(4, "big")
        return self._header

    def __call__(self, record: Mapping[str, Any]) -> bytes:
        """Encode ``record``; a field that does not fit raises SerializationError naming it."""
        header = self._header or self._framing()
        compiled = self._compiled
        try:
            wire = compiled.to_wire(record) if compiled.to_wire is not None else record
            buffer = io.BytesIO()
            buffer.write(header)
            fastavro.schemaless_writer(buffer, compiled.plain, wire, strict_allow_default=True)
        except _FieldError as exc:
            raise SerializationError(f"{self.subject}: field {exc}") from None
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise SerializationError(f"{self.subject}: {self._explain(record, exc)}") from exc
        return buffer.getvalue()

    def _explain(self, record: Mapping[str, Any], error: Exception) -> str:
        """Find which field is wrong (slow path, only after a failure)."""
        try:
            validate(record, self._compiled.full, raise_errors=True)
        except ValidationError as exc:
            return "; ".join(str(e) for e in exc.errors)
        return f"the record does not fit the schema ({type(error).__name__}: {error})"


class AvroDeserializer:
    """Decode Confluent-framed Avro of any writer schema, optionally into a reader schema.

    With a reader schema, data written with older or newer compatible schemas is resolved into
    it (schema evolution: a consumer on v2 reads v1 data). Without one, records come back in the
    writer's shape.
    """

    def __init__(self, registry: SchemaRegistry, reader_schema: AvroSchema | None = None) -> None:
        self._registry = registry
        self._reader = CompiledSchema(reader_schema, "reader schema") if reader_schema else None
        self._lock = threading.Lock()
        # schema id -> (writer plain schema, reader plain schema or None, from_wire converter)
        self._plans: dict[int, tuple[Any, Any, Converter | None]] = {}

    def _plan(self, schema_id: int) -> tuple[Any, Any, Converter | None]:
        plan = self._plans.get(schema_id)
        if plan is not None:
            return plan
        writer = CompiledSchema.from_text(self._registry.text_of(schema_id), f"schema id {schema_id}")
        reader = self._reader
        if reader is None or reader.canonical == writer.canonical:
            plan = (writer.plain, None, (reader or writer).from_wire)
        else:
            plan = (writer.plain, reader.plain, reader.from_wire)
        with self._lock:
            self._plans[schema_id] = plan
        return plan

    def schema_id_of(self, data: bytes) -> int:
        """The writer schema id in a framed message."""
        if len(data) < HEADER_SIZE or data[0] != MAGIC_BYTE:
            first = data[:1].hex() or "nothing"
            raise DeserializationError(
                f"not Confluent-framed Avro: expected magic byte 0 and a 4-byte schema id, got "
                f"{len(data)} bytes starting with 0x{first}"
            )
        return int.from_bytes(data[1:HEADER_SIZE], "big")

    def __call__(self, data: bytes) -> Record:
        """Decode one message value."""
        schema_id = self.schema_id_of(data)
        writer, reader, convert = self._plans.get(schema_id) or self._plan(schema_id)
        buffer = io.BytesIO(data)
        buffer.seek(HEADER_SIZE)
        try:
            record: Record = fastavro.schemaless_reader(buffer, writer, reader)  # type: ignore[assignment]
        except (EOFError, ValueError, TypeError, IndexError, KeyError, UnicodeDecodeError) as exc:
            raise DeserializationError(
                f"cannot decode a message written with schema id {schema_id}: {type(exc).__name__}: {exc}"
            ) from exc
        if buffer.tell() != len(data):
            raise DeserializationError(
                f"message written with schema id {schema_id} has {len(data) - buffer.tell()} "
                "trailing bytes: it was not written with that schema"
            )
        return convert(record) if convert is not None else record
