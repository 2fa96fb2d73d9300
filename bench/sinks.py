"""Sink throughput, one section per sink, all in the same run.

Run: `supplystream stack up`, then `.venv/bin/python -m bench.sinks [--only planning]`. Sections:
planning (PostgreSQL, target >= 50,000 events/s) and odoo (batched versus one event at a time against
a private stand-in, see `bench.odoo_sink`). A section is a function ``(args) -> (lines, figures)``;
add one to ``SECTIONS``. What each measures: "Benchmarks" in the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Sequence

import psycopg
from psycopg import sql

from bench import odoo_sink
from bench.report import Figure
from sinks.base import SinkRecord
from sinks.planning import PlanningSink
from sinks.planning.tables import TABLES
from supplystream.settings import load_settings
from supplystream_devkit.planning_stream import planning_stream

PLANNING_TARGET = 50_000.0

Section = Callable[[argparse.Namespace], tuple[list[str], list[Figure]]]


def _records(count: int) -> list[SinkRecord]:
    events = planning_stream(count, seed=11)
    return [SinkRecord(e.EVENT_TYPE, 0, offset, None, e.to_record(), 0) for offset, e in enumerate(events)]


def _batches(records: Sequence[SinkRecord], size: int) -> list[Sequence[SinkRecord]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def planning(args: argparse.Namespace) -> tuple[list[str], list[Figure]]:
    """Planning sink events/s on the local stack's PostgreSQL."""
    settings = load_settings()
    dsn = settings.postgres_dsn
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    records = _records(args.events)
    batches = _batches(records, args.batch)
    sink = PlanningSink(dsn, schema=schema)
    rates: list[float] = []
    try:
        sink.migrate()
        truncate = sql.SQL("TRUNCATE {}").format(
            sql.SQL(", ").join(sql.Identifier(schema, table.name) for table in TABLES)
        )
        for _ in range(args.rounds):
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(truncate)
            started = time.perf_counter()
            for batch in batches:
                sink.write(batch)
            rates.append(len(records) / (time.perf_counter() - started))
        # Replaying the same events (a sink restarted from older offsets): every write is a no-op.
        started = time.perf_counter()
        for batch in batches:
            sink.write(batch)
        replay = len(records) / (time.perf_counter() - started)
    finally:
        sink.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    rate = statistics.median(rates)
    verdict = "met" if rate >= PLANNING_TARGET else "NOT met"
    shape = f"{len(records):,} events (8 types, 10% duplicates, out-of-order versions)"
    target = f"target >= {PLANNING_TARGET:,.0f}/s: {verdict}"
    figures = [
        Figure(
            bench="sinks/planning",
            name=f"planning sink into empty tables, median of {args.rounds} x {len(records):,} events",
            ours=rate,
            unit="events/s",
            target=f">= {PLANNING_TARGET:,.0f} events/s",
            met=rate >= PLANNING_TARGET,
        ),
        Figure(
            bench="sinks/planning",
            name=f"planning sink replay (all no-op upserts), {len(records):,} events",
            ours=replay,
            unit="events/s",
            target="none (informational)",
            met=None,
        ),
    ]
    lines = [
        f"{args.rounds} rounds x {shape}, batches of {args.batch:,}, median",
        f"planning sink, into empty tables:          {rate:>10,.0f} events/s ({target})",
        f"planning sink, replay (all no-op upserts): {replay:>10,.0f} events/s",
        f"rounds: {', '.join(f'{r:,.0f}' for r in rates)}",
    ]
    return lines, figures


#: (name, section) in the order they run.
SECTIONS: list[tuple[str, Section]] = [
    ("planning", planning),
    ("odoo", odoo_sink.section),
]


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Run the sections, print their lines, return their figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=[name for name, _ in SECTIONS], action="append")
    parser.add_argument("--events", type=int, default=50_000, help="events per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2000, help="records per write (the runtime's batch)")
    parser.add_argument("--odoo-args", default="", help="options for the odoo section (bench.odoo_sink)")
    args = parser.parse_args(argv)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"bench/sinks on {python}, {os.cpu_count()} CPUs")
    figures: list[Figure] = []
    for name, section in SECTIONS:
        if args.only and name not in args.only:
            continue
        print(f"\n== {name}")
        lines, section_figures = section(args)
        for line in lines:
            print(line)
        figures += section_figures
    return figures


if __name__ == "__main__":
    main()
