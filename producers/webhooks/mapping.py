"""Pure payload mapping: a sender's JSON body -> a validated event model, or the list of what is wrong.

Nothing here does I/O. `map_payload` applies the sender's declarative mapping (see
`producers.webhooks.config`), adds the envelope, and validates the result against the event model
(types, required fields, exact decimals with at most 3 places, timezone-aware timestamps).

The event id is ``uuid5(WEBHOOK_NAMESPACE, "{sender}/{delivery id}")``: a sender's retry of the same
delivery yields the same id, so downstream consumers deduplicate it even across restarts of this
service (whose own dedupe memory is per process).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from producers.webhooks.config import EVENT_OF_KIND, KindMapping, SenderConfig
from producers.webhooks.errors import MappingError
from producers.webhooks.jsonpath import MISSING, lookup
from supplystream.events import Event, PurchaseReceived

WEBHOOK_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://supplystream.io/webhooks")
ADAPTER = "webhook-source"
#: Decimal places every quantity in the contracts allows (decimal(18,3)).
MAX_PLACES = 3
MAX_DIGITS = 18


def event_id_for(sender: str, delivery_id: str) -> uuid.UUID:
    """The deterministic event id of one delivery of one sender."""
    return uuid.uuid5(WEBHOOK_NAMESPACE, f"{sender}/{delivery_id}")


def _problem(field: str, error: str, path: str | None = None) -> dict[str, str]:
    problem = {"field": field, "error": error}
    if path is not None:
        problem["path"] = path
    return problem


def _put(record: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    target = record
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = {}
            target[part] = child
        target = child
    target[last] = value


def _apply(
    document: Any,
    fields: dict[str, str],
    constants: dict[str, Any],
    prefix: str,
    paths: dict[str, str],
) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in {**constants, **fields}:
        value = lookup(document, fields[name]) if name in fields else MISSING
        if name in fields:
            paths[f"{prefix}{name}"] = fields[name]
        if value is MISSING and name in constants:
            value = constants[name]
        if value is not MISSING:
            _put(record, name, value)
    return record


def _validator(event: type[Any]) -> type[BaseModel]:
    # Numbers become strings where the contract wants a string (order ids sent as JSON numbers).
    return create_model(
        f"{event.__name__}Payload",
        __config__=ConfigDict(coerce_numbers_to_str=True),
        event=(event, ...),
    )


_VALIDATORS: dict[str, type[BaseModel]] = {kind: _validator(event) for kind, event in EVENT_OF_KIND.items()}


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _check_values(value: Any, where: str, problems: list[dict[str, str]]) -> None:
    """Exact decimals of at most 3 places and timezone-aware datetimes, anywhere in the event."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if not value.is_finite() or (isinstance(exponent, int) and -exponent > MAX_PLACES):
            problems.append(_problem(where, f"must be a finite decimal with at most {MAX_PLACES} places"))
        elif abs(value) >= Decimal(10) ** (MAX_DIGITS - MAX_PLACES):
            problems.append(_problem(where, f"must be less than 10^{MAX_DIGITS - MAX_PLACES}"))
    elif isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append(_problem(where, "timestamp must include a timezone (e.g. Z or +02:00)"))
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            _check_values(item, f"{where}[{index}]", problems)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            child = f"{where}.{field.name}" if where else field.name
            _check_values(getattr(value, field.name), child, problems)


def _key_field(event: type[Any]) -> str:
    return "receipt_id" if event is PurchaseReceived else "order_id"


def map_payload(sender: SenderConfig, kind: str, body: bytes, *, delivery_id: str, timestamp: int) -> Event:
    """The event ``body`` describes per the sender's ``kind`` mapping; MappingError lists what is wrong."""
    event_cls = EVENT_OF_KIND[kind]
    mapping: KindMapping = sender.mappings[cast("Any", kind)]
    try:
        document = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MappingError("the body is not valid JSON", [_problem("$", f"invalid JSON: {exc}")]) from None
    if not isinstance(document, dict):
        raise MappingError("the body must be a JSON object", [_problem("$", "must be a JSON object")])

    paths: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    record = _apply(document, mapping.fields, mapping.constants, "", paths)
    if mapping.lines is not None:
        lines_mapping = mapping.lines
        items = lookup(document, lines_mapping.path)
        paths["lines"] = lines_mapping.path
        if not isinstance(items, list):
            found = "nothing" if items is MISSING else type(items).__name__
            problems.append(_problem("lines", f"must be a JSON list, found {found}", lines_mapping.path))
        else:
            lines = []
            for index, item in enumerate(items):
                item_paths: dict[str, str] = {}
                lines.append(_apply(item, lines_mapping.fields, lines_mapping.constants, "", item_paths))
                for name, path in item_paths.items():
                    paths[f"lines[{index}].{name}"] = f"{lines_mapping.path}[{index}]{path[1:]}"
            record["lines"] = lines

    record["event_id"] = event_id_for(sender.name, delivery_id)
    record["event_type"] = event_cls.EVENT_TYPE
    record["source"] = {"system": sender.system, "adapter": ADAPTER}
    record.setdefault("occurred_at", dt.datetime.fromtimestamp(timestamp, dt.UTC))
    key = record.get(_key_field(event_cls))
    if "correlation_id" not in record:
        # The flow's key (order or receipt id); without one, that field is reported, not this one.
        record["correlation_id"] = str(key) if isinstance(key, str | int) else str(record["event_id"])

    event: Event | None = None
    try:
        event = cast("Event", _VALIDATORS[kind].model_validate({"event": record}).__dict__["event"])
    except ValidationError as exc:
        for error in exc.errors():
            where = _location(error["loc"][1:])
            problems.append(_problem(where, error["msg"], paths.get(where)))
    if event is not None:
        _check_values(event, "", problems)
    if problems or event is None:
        names = ", ".join(dict.fromkeys(problem["field"] for problem in problems))
        raise MappingError(f"the {kind} payload does not map onto {event_cls.EVENT_TYPE}: {names}", problems)
    return event
