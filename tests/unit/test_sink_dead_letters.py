"""Dead-letter headers: every header named, original headers kept, times in UTC ISO 8601."""

from __future__ import annotations

import datetime as dt

from sinks.base import PermanentSinkError
from supplystream.dead_letters import (
    HEADER_PREFIX,
    dead_letter_headers,
    error_class_name,
    failure_of,
    headers_as_text,
    iso_millis,
    stack_excerpt,
)

FIRST = dt.datetime(2026, 5, 9, 7, 35, 25, 123456, tzinfo=dt.UTC)
LAST = FIRST + dt.timedelta(seconds=3)


def raised(error: Exception) -> Exception:
    try:
        raise error  # noqa: TRY301 - a real traceback for the excerpt
    except Exception as exc:  # noqa: BLE001 - we want the traceback attached
        return exc


def test_headers_carry_where_it_came_from_and_why() -> None:
    error = raised(PermanentSinkError("picking WH/OUT/7 already shipped with another tracking number"))
    failure = failure_of(error, attempts=4, first_failure=FIRST, last_failure=LAST)
    headers = dead_letter_headers(
        topic="shipment.confirmed",
        partition=2,
        offset=1234,
        sink="odoo-sink",
        failure=failure,
        original={"event_id": b"e-1", "correlation_id": b"SO-7", f"{HEADER_PREFIX}topic": b"older"},
    )
    text = headers_as_text(headers)
    assert text == {
        "event_id": "e-1",
        "correlation_id": "SO-7",
        "supplystream.error.topic": "shipment.confirmed",
        "supplystream.error.partition": "2",
        "supplystream.error.offset": "1234",
        "supplystream.error.sink": "odoo-sink",
        "supplystream.error.stage": "apply",
        "supplystream.error.class": "sinks.base.PermanentSinkError",
        "supplystream.error.message": "picking WH/OUT/7 already shipped with another tracking number",
        "supplystream.error.stacktrace": text["supplystream.error.stacktrace"],
        "supplystream.error.attempts": "4",
        "supplystream.error.first.failure": "2026-05-09T07:35:25.123Z",
        "supplystream.error.last.failure": "2026-05-09T07:35:28.123Z",
    }
    assert "raise error" in text["supplystream.error.stacktrace"]
    # A re-driven dead letter that fails again gets fresh error headers, not two sets.
    assert [name for name, _ in headers].count("supplystream.error.topic") == 1


def test_stack_excerpts_keep_the_innermost_frames() -> None:
    error = raised(ValueError("x" * 5000))
    excerpt = stack_excerpt(error, limit=300)
    assert len(excerpt) == 300
    assert excerpt.startswith("…")
    assert excerpt.endswith("x")


def test_builtin_errors_are_named_without_module() -> None:
    assert error_class_name(KeyError("sku")) == "KeyError"
    assert error_class_name(PermanentSinkError("x")) == "sinks.base.PermanentSinkError"


def test_times_are_rendered_in_utc() -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    assert iso_millis(dt.datetime(2026, 1, 1, 2, 0, 0, 5000, tzinfo=berlin)) == "2026-01-01T00:00:00.005Z"
