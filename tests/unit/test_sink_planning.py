"""The planning sink's pure parts: rows per event, the merge SQL, the migration files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from sinks.planning.migrate import MIGRATIONS_DIR, migrations
from sinks.planning.rows import UnmappableEvent, occurred_version, rows_of
from sinks.planning.tables import INVENTORY_POSITIONS, STOCK_MOVES, TABLES, Table, copy_sql, merge_sql
from supplystream.events import AtpChanged, OrderPlaced
from supplystream_devkit.planning_stream import expected_state, planning_stream

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_every_event_type_maps_to_rows_of_its_table() -> None:
    seen: set[str] = set()
    for event in planning_stream(400):
        table, rows = rows_of(event.to_record())
        seen.add(table.name)
        assert rows
        for row in rows:
            assert len(row) == len(table.columns)
            values = dict(zip(table.columns, row, strict=True))
            assert values["event_id"] == event.event_id
    assert seen == {table.name for table in TABLES}


def test_events_without_a_version_use_occurred_at_millis() -> None:
    assert occurred_version({"occurred_at": NOON}) == int(NOON.timestamp() * 1000)


def test_order_lines_become_one_row_each() -> None:
    event = next(e for e in planning_stream(200) if isinstance(e, OrderPlaced))
    table, rows = rows_of(event.to_record())
    assert table.name == "demand_lines"
    assert [row[1] for row in rows] == [line.line_id for line in event.lines]


def test_unmappable_events_say_why() -> None:
    with pytest.raises(UnmappableEvent, match=r"no table for event type 'order\.teleported'"):
        rows_of({"event_type": "order.teleported"})
    with pytest.raises(UnmappableEvent, match="lacks the field 'sku'"):
        rows_of({"event_type": "atp.changed", "occurred_at": NOON})


def test_versioned_merges_only_move_forward_with_an_event_id_tie_break() -> None:
    text = merge_sql(INVENTORY_POSITIONS, "planning")
    assert 'INSERT INTO "planning"."inventory_positions" AS current' in text
    assert 'SELECT DISTINCT ON ("sku", "warehouse")' in text
    assert 'ORDER BY "sku", "warehouse", "version" DESC, "event_id" DESC' in text
    assert text.endswith(
        'WHERE (excluded."version", excluded."event_id") > (current."version", current."event_id")'
    )
    assert '"sku" = excluded."sku"' not in text  # keys are not updated


def test_fact_tables_insert_once() -> None:
    assert merge_sql(STOCK_MOVES, "planning").endswith('ON CONFLICT ("event_id") DO NOTHING')
    assert copy_sql(STOCK_MOVES).endswith("FROM STDIN (FORMAT BINARY)")


def test_identifiers_are_checked() -> None:
    with pytest.raises(ValueError, match="plain SQL identifier"):
        merge_sql(STOCK_MOVES, 'planning"; DROP TABLE x; --')
    with pytest.raises(ValueError, match="columns lack"):
        Table("broken", ("a",), ("a",), "once")


def test_the_model_keeps_the_newest_version_per_key() -> None:
    events = planning_stream(2000)
    state = expected_state(events)
    atp = [event for event in events if isinstance(event, AtpChanged)]
    newest: dict[tuple[str, str], int] = {}
    for event in atp:
        key = (event.sku, event.warehouse)
        newest[key] = max(newest.get(key, 0), event.version)
    positions = state["inventory_positions"]
    assert {key: row["version"] for key, row in positions.items()} == newest
    # The stream really is out of order: some key sees an older version after a newer one.
    seen: dict[tuple[str, str], int] = {}
    regressions = 0
    for event in atp:
        key = (event.sku, event.warehouse)
        regressions += event.version < seen.get(key, 0)
        seen[key] = max(seen.get(key, 0), event.version)
    assert regressions > 0


def test_migrations_are_numbered_and_ordered(tmp_path: Path) -> None:
    found = migrations()
    assert [m.version for m in found] == sorted(m.version for m in found)
    assert found[0].path.parent == MIGRATIONS_DIR
    twice, misnamed = tmp_path / "twice", tmp_path / "misnamed"
    twice.mkdir()
    misnamed.mkdir()
    (twice / "0001_a.sql").write_text("SELECT 1")
    (twice / "0001_b.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="share version 1"):
        migrations(twice)
    (misnamed / "2_bad.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="NNNN_lower_case_name"):
        migrations(misnamed)


def test_decimal_quantities_stay_exact() -> None:
    event = next(e for e in planning_stream(100) if e.EVENT_TYPE == "stock.moved")
    _, [row] = rows_of(event.to_record())
    assert isinstance(row[STOCK_MOVES.columns.index("quantity")], Decimal)
