"""The pure parts of replay and re-drive: windows, pace, shadow groups, re-drive selection and headers."""

from __future__ import annotations

import datetime as dt

import pytest

from supplystream.dead_letters import HEADER_PREFIX
from supplystream.errors import ConfigurationError
from supplystream_app.operations.redrive import (
    NotADeadLetterError,
    Origin,
    RedriveFilter,
    origin_of,
    redrive_group,
    redriven_headers,
    with_origin,
)
from supplystream_app.operations.window import (
    Pace,
    PartitionWindow,
    check_window_options,
    clamp_window,
    offset_for_time,
    parse_moment,
    shadow_group,
    total,
)


def test_clamp_window_defaults_to_the_retained_offsets() -> None:
    assert clamp_window("t", 0, 5, 50, start=None, end=None) == PartitionWindow("t", 0, 5, 50)


def test_clamp_window_keeps_the_window_inside_what_is_retained() -> None:
    assert clamp_window("t", 1, 5, 50, start=0, end=99) == PartitionWindow("t", 1, 5, 50)
    assert clamp_window("t", 1, 5, 50, start=20, end=30).size == 10
    assert clamp_window("t", 1, 5, 50, start=40, end=30).size == 0
    assert clamp_window("t", 1, 5, 50, start=70, end=None) == PartitionWindow("t", 1, 50, 50)


def test_offsets_for_times_without_a_record_means_the_end() -> None:
    assert offset_for_time(-1, 42) == 42
    assert offset_for_time(7, 42) == 7


def test_total_counts_offsets() -> None:
    assert total([PartitionWindow("t", 0, 0, 10), PartitionWindow("t", 1, 3, 3)]) == 10


def test_parse_moment_is_utc_without_a_zone_and_refuses_nonsense() -> None:
    assert parse_moment("2026-05-09T07:30:00") == dt.datetime(2026, 5, 9, 7, 30, tzinfo=dt.UTC)
    assert parse_moment("2026-05-09T09:30:00+02:00") == dt.datetime(2026, 5, 9, 7, 30, tzinfo=dt.UTC)
    with pytest.raises(ConfigurationError, match="ISO 8601"):
        parse_moment("yesterday")


def test_shadow_group_is_never_the_live_group() -> None:
    moment = dt.datetime(2026, 5, 9, 9, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert shadow_group("planning-sink", moment) == "planning-sink.replay.20260509T073005Z"


def test_window_by_times_or_offsets_not_both() -> None:
    check_window_options("2026-05-09", None, None, None)
    check_window_options(None, None, 3, 9)
    with pytest.raises(ConfigurationError, match="not both"):
        check_window_options("2026-05-09", None, 3, None)


def test_pace_spreads_records_over_time() -> None:
    pace = Pace(100.0, started=10.0)
    assert pace.batch(1000) == 10
    assert pace.wait_before(10.0) == 0.0
    pace.release(50)
    assert pace.wait_before(10.1) == pytest.approx(0.4)
    assert pace.wait_before(11.0) == 0.0
    assert Pace(2.0, 0.0).batch(1000) == 1
    with pytest.raises(ConfigurationError):
        Pace(0.0, 0.0)


def _letter(**extra: bytes) -> dict[str, bytes]:
    return {
        "event_id": b"e-1",
        HEADER_PREFIX + "topic": b"order.placed",
        HEADER_PREFIX + "partition": b"2",
        HEADER_PREFIX + "offset": b"17",
        HEADER_PREFIX + "class": b"sinks.base.PermanentSinkError",
        **extra,
    }


def test_origin_comes_from_the_error_headers_or_an_earlier_redrive() -> None:
    assert origin_of(_letter()) == Origin("order.placed", 2, 17)
    again = {**with_origin(_letter()), HEADER_PREFIX + "topic": b"planning-sink.dlq"}
    assert origin_of(again) == Origin("order.placed", 2, 17)
    with pytest.raises(NotADeadLetterError):
        origin_of({"event_id": b"x"})


def test_filter_by_error_class_full_or_short() -> None:
    assert RedriveFilter().matches(_letter())
    assert RedriveFilter("PermanentSinkError").matches(_letter())
    assert RedriveFilter("sinks.base.PermanentSinkError").matches(_letter())
    assert not RedriveFilter("TransientSinkError").matches(_letter())


def test_redriven_headers_drop_errors_and_say_where_from() -> None:
    headers = dict(redriven_headers(_letter(**{"supplystream.redriven.from": b"old"}), "x.dlq", 1, 4))
    assert headers["supplystream.redriven"] == b"true"
    assert headers["supplystream.redriven.from"] == b"x.dlq@1:4"
    assert headers["supplystream.origin.topic"] == b"order.placed"
    assert headers["event_id"] == b"e-1"
    assert not any(name.startswith(HEADER_PREFIX) for name in headers)


def test_redrive_groups_per_selection() -> None:
    assert redrive_group("a.dlq", RedriveFilter(), explicit_start=False) == "a.dlq.redrive"
    assert redrive_group("a.dlq", RedriveFilter("X"), explicit_start=False) == "a.dlq.redrive.class.X"
    assert redrive_group("a.dlq", RedriveFilter(), explicit_start=True) == "a.dlq.redrive.range"
