"""The pure parts of the operators' tools: lag arithmetic, tail filters and decoding, reset planning,
health checks (and the health server over real HTTP on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter

from supplystream.consumer_lag import PartitionLag, lag_of, time_lag_of, totals
from supplystream.errors import ConfigurationError, ConsumerGroupActiveError
from supplystream.health import HealthServer, evaluate, recent, run_check
from supplystream.offset_reset import OffsetMove, plan_reset, refuse_when_active, to_epoch_ms
from supplystream.tail import decode_value, field_value, matches, parse_where

# -- lag ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("committed", "low", "end", "expected"),
    [
        (10, 0, 25, 15),
        (25, 0, 25, 0),
        (None, 0, 25, 25),  # never committed: from the low watermark
        (None, 20, 25, 5),
        (3, 20, 25, 5),  # committed before retention deleted: from the low watermark
        (-1001, 4, 9, 5),  # librdkafka's "no offset"
        (30, 0, 25, 0),  # never negative
    ],
)
def test_lag_of(committed: int | None, low: int, end: int, expected: int) -> None:
    assert lag_of(committed, low, end) == expected


def test_time_lag_is_the_age_of_the_first_unprocessed_record() -> None:
    assert time_lag_of(5, 1_000_000, 1_090_500) == 90.5
    assert time_lag_of(0, 1_000_000, 1_090_500) == 0.0  # caught up: no matter how old the last record
    assert time_lag_of(5, None, 1_090_500) is None  # unknown (record not fetched)
    assert time_lag_of(5, 2_000_000, 1_000_000) == 0.0  # clock skew: never negative


def test_partition_lag_and_totals() -> None:
    lags = [
        PartitionLag("g", "t", 0, 10, 0, 30, 1_000),
        PartitionLag("g", "t", 1, 30, 0, 30, None),
        PartitionLag("h", "t", 0, None, 5, 8, 2_000),
    ]
    assert [x.lag for x in lags] == [20, 0, 3]
    assert lags[0].time_lag_s(11_000) == 10.0
    assert lags[1].time_lag_s(11_000) == 0.0
    assert totals(lags) == {"g": 20, "h": 3}


# -- tail --------------------------------------------------------------------------------------------

RECORD = {
    "sku": "SKU-1",
    "quantity": 3,
    "occurred_at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    "lines": [{"sku": "SKU-9", "qty": 1}],
}


def test_parse_where() -> None:
    assert parse_where(["sku=SKU-1", "lines.0.sku = SKU-9", "note=a=b"]) == [
        (("sku",), "SKU-1"),
        (("lines", "0", "sku"), " SKU-9"),
        (("note",), "a=b"),
    ]
    with pytest.raises(ConfigurationError, match="field=value"):
        parse_where(["sku"])
    with pytest.raises(ConfigurationError):
        parse_where(["=x"])


def test_field_value_walks_dicts_and_lists() -> None:
    assert field_value(RECORD, ("lines", "0", "sku")) == "SKU-9"
    with pytest.raises(KeyError):
        field_value(RECORD, ("lines", "1", "sku"))
    with pytest.raises(KeyError):
        field_value(RECORD, ("missing",))


def test_matches_key_and_fields() -> None:
    assert matches("k1", RECORD, None, [])
    assert matches("k1", RECORD, "k1", parse_where(["sku=SKU-1", "quantity=3"]))
    assert not matches("k2", RECORD, "k1", [])
    assert not matches("k1", RECORD, None, parse_where(["sku=SKU-2"]))
    assert not matches("k1", RECORD, None, parse_where(["nothing=here"]))
    assert matches("k1", RECORD, None, parse_where(["occurred_at=2026-01-02T03:04:05+00:00"]))
    assert matches("k1", RECORD, None, parse_where(["lines.0.qty=1"]))
    assert not matches("k1", None, None, parse_where(["sku=SKU-1"]))


def test_decode_value_by_format() -> None:
    def avro(data: bytes) -> dict[str, int]:
        return {"schema_id": int.from_bytes(data[1:5], "big")}

    assert decode_value(b"\x00\x00\x00\x00\x07\x02", avro).value == {"schema_id": 7}
    assert decode_value(b"\x00\x00\x00\x00\x07\x02", avro).format == "avro"
    assert decode_value(b'{"a": 1}', avro).value == {"a": 1}
    assert decode_value(b"plain words", avro).format == "text"
    assert decode_value(b"\xff\xfe", avro).format == "bytes"
    assert decode_value(None, avro).format == "tombstone"


# -- offsets reset -----------------------------------------------------------------------------------


def test_plan_reset_moves_to_the_time_or_the_end() -> None:
    current = {("t", 0): 100, ("t", 1): 50}
    found = {("t", 0): 40, ("t", 1): -1, ("t", 2): 7}
    ends = {("t", 0): 120, ("t", 1): 60, ("t", 2): 9}
    moves = plan_reset(current, found, ends)
    assert moves == [
        OffsetMove("t", 0, 100, 40),
        OffsetMove("t", 1, 50, 60),  # nothing at or after T: the end
        OffsetMove("t", 2, None, 7),  # never committed
    ]
    assert [m.delta for m in moves] == [60, -10, None]


def test_to_epoch_ms_takes_naive_times_as_utc() -> None:
    naive = dt.datetime(1970, 1, 1, 0, 0, 1)  # noqa: DTZ001 - the case under test
    assert to_epoch_ms(naive) == 1000
    assert to_epoch_ms(dt.datetime(1970, 1, 1, 1, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == 1000


def test_refuses_an_active_group_and_says_how_to_proceed() -> None:
    refuse_when_active("g", [])
    with pytest.raises(ConsumerGroupActiveError) as raised:
        refuse_when_active("planning-sink", ["rdkafka@/127.0.0.1"])
    message = str(raised.value)
    assert "1 active member" in message
    assert "Stop its consumers" in message
    assert "supplystream replay" in message


# -- health ------------------------------------------------------------------------------------------


def test_checks_and_verdicts() -> None:
    def broken() -> bool:
        raise RuntimeError("no answer")

    assert run_check(lambda: True).ok
    assert run_check(lambda: (False, "circuit open")).detail == "circuit open"
    assert run_check(broken).detail == "RuntimeError: no answer"
    assert evaluate({}).ok
    verdict = evaluate({"a": lambda: True, "b": lambda: (False, "why")})
    assert not verdict.ok
    assert verdict.as_json() == {
        "status": "failing",
        "checks": {"a": {"ok": True, "detail": ""}, "b": {"ok": False, "detail": "why"}},
    }


def test_recent() -> None:
    assert not run_check(recent(lambda: None, 10, "beat")).ok
    import time  # noqa: PLC0415

    assert run_check(recent(time.monotonic, 10, "beat")).ok
    assert not run_check(recent(lambda: time.monotonic() - 11, 10, "beat")).ok


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local http URL
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_health_server_over_http() -> None:
    registry = CollectorRegistry()
    Counter("demo_events", "x", registry=registry).inc(3)
    state = {"ready": False}
    with HealthServer("demo", 0, registry=registry) as server:
        server.live("loop", lambda: True)
        server.ready("assigned", lambda: (state["ready"], "partitions"))
        status, body = _get(f"{server.url}/metrics")
        assert status == 200
        assert b"demo_events_total 3.0" in body
        assert b'supplystream_ready{process="demo"} 0.0' in body
        assert _get(f"{server.url}/health")[0] == 200
        status, body = _get(f"{server.url}/ready")
        assert status == 503
        assert json.loads(body)["checks"]["assigned"] == {"ok": False, "detail": "partitions"}
        state["ready"] = True
        assert _get(f"{server.url}/ready")[0] == 200
        assert b'supplystream_ready{process="demo"} 1.0' in _get(f"{server.url}/metrics")[1]
        assert _get(f"{server.url}/nothing")[0] == 404
