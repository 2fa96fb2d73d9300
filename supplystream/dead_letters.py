"""Dead letters: what the runtime writes to a sink's dead-letter topic, and its headers (pure).

A dead letter keeps the original record's key, value and headers untouched (it can be re-driven as
is), plus ``supplystream.error.*`` headers named like Kafka Connect's, UTF-8 text. The header table:
"Sinks" (Dead letters) in the README.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

HEADER_PREFIX = "supplystream.error."
STACK_EXCERPT_CHARS = 2000
MESSAGE_CHARS = 4000

Stage = Literal["decode", "apply"]
Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a record was given up on, and how hard it was tried."""

    error_class: str
    message: str
    stack_excerpt: str
    attempts: int
    first_failure: dt.datetime
    last_failure: dt.datetime
    stage: Stage = "apply"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record bound for the dead-letter topic: its original bytes and the headers to add."""

    key: bytes | None
    value: bytes | None
    headers: Headers
    #: For logs and metrics.
    topic: str
    event_id: str
    correlation_id: str
    error_class: str


def error_class_name(error: BaseException) -> str:
    """``module.Class`` of an error (builtins without the module)."""
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def stack_excerpt(error: BaseException, limit: int = STACK_EXCERPT_CHARS) -> str:
    """The end of the formatted stack trace (the innermost frames say most), at most ``limit`` chars."""
    text = "".join(traceback.format_exception(error)).rstrip()
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def failure_of(
    error: BaseException,
    attempts: int,
    first_failure: dt.datetime,
    last_failure: dt.datetime,
    stage: Stage = "apply",
) -> Failure:
    """A `Failure` from the last error seen."""
    return Failure(
        error_class_name(error),
        str(error)[:MESSAGE_CHARS],
        stack_excerpt(error),
        attempts,
        first_failure,
        last_failure,
        stage,
    )


def iso_millis(moment: dt.datetime) -> str:
    """``2026-05-09T07:35:25.123Z``."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def dead_letter_headers(
    *,
    topic: str,
    partition: int,
    offset: int,
    sink: str,
    failure: Failure,
    original: Mapping[str, bytes] | None = None,
) -> Headers:
    """The original headers followed by the ``supplystream.error.*`` headers (see the module docstring)."""
    ours = {
        "topic": topic,
        "partition": str(partition),
        "offset": str(offset),
        "sink": sink,
        "stage": failure.stage,
        "class": failure.error_class,
        "message": failure.message,
        "stacktrace": failure.stack_excerpt,
        "attempts": str(failure.attempts),
        "first.failure": iso_millis(failure.first_failure),
        "last.failure": iso_millis(failure.last_failure),
    }
    kept = [(name, value) for name, value in (original or {}).items() if not name.startswith(HEADER_PREFIX)]
    return kept + [(HEADER_PREFIX + name, value.encode()) for name, value in ours.items()]


def headers_as_text(headers: Headers) -> dict[str, str]:
    """Headers decoded for reading (tests, the CLI)."""
    return {name: value.decode("utf-8", "replace") for name, value in headers}
