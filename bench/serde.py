"""Encode+decode through our serde vs confluent-kafka's AvroSerializer/AvroDeserializer, same run.

Run: `supplystream stack up` (for the registry), then `.venv/bin/python -m bench.serde`.
Both sides use the same real registry, the same schemas and the same records, and are measured
in alternating rounds; the figure is the median of the rounds. Target: ours >= 3x theirs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer as ConfluentDeserializer
from confluent_kafka.schema_registry.avro import AvroSerializer as ConfluentSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from bench.report import Figure
from supplystream.contracts.schemas import EventSchema, load_event_schemas
from supplystream.paths import schemas_dir
from supplystream.registry import SchemaRegistry, registry_client_config
from supplystream.serde import AvroDeserializer, AvroSerializer
from supplystream.settings import load_settings

TARGET_RATIO = 3.0
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def _envelope(event_type: str) -> dict[str, Any]:
    return {
        "event_id": uuid.UUID("0b8f8c5e-6a7d-4c1e-9b0a-2f3c4d5e6f70"),
        "event_type": event_type,
        "occurred_at": NOW,
        "source": {"system": "odoo", "adapter": "odoo-source"},
        "correlation_id": "SO-1001",
        "causation_id": None,
        "company": "ACME",
    }


RECORDS: dict[str, dict[str, Any]] = {
    "stock.moved": {
        **_envelope("stock.moved"),
        "sku": "SKU-1001",
        "warehouse": "WH-EAST",
        "from_location": "WH-EAST/Stock",
        "from_warehouse": "WH-EAST",
        "to_location": "Partners/Customers",
        "to_warehouse": None,
        "quantity": Decimal("12.500"),
        "uom": "Units",
        "move_kind": "DELIVERY",
        "odoo_move_id": 4711,
        "odoo_picking_id": 812,
        "reference": "WH-EAST/OUT/00812",
    },
    "order.placed": {
        **_envelope("order.placed"),
        "order_id": "SO-1001",
        "channel": "shop",
        "customer_ref": "PO-2026-77",
        "ship_to": {"country": "DE", "region": "BY", "postcode": "80331"},
        "lines": [
            {"line_id": str(n), "sku": f"SKU-{1000 + n}", "quantity": Decimal(n), "requested_date": None}
            for n in range(1, 4)
        ],
        "priority": 0,
        "allow_partial": True,
    },
}


def _rate(round_trip: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        round_trip()
    return count / (time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Print events/s (median of rounds) for both serdes and their ratio, per event type; return them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per serde")
    args = parser.parse_args(argv)
    settings = load_settings()
    schemas = load_event_schemas(schemas_dir())
    print(
        f"machine: {platform.processor() or platform.machine()}, {_cpu()}, Python {platform.python_version()}"
    )
    print(f"fastavro {version('fastavro')}, confluent-kafka {version('confluent-kafka')}")
    print(f"registry: {settings.registry_url}; {args.rounds} rounds x {args.events} events, median")
    figures: list[Figure] = []
    print(f"{'event type':<14} {'ours ev/s':>11} {'confluent ev/s':>15} {'ratio':>7}  target")
    with (
        SchemaRegistry.from_settings(settings) as registry,
        SchemaRegistryClient(registry_client_config(settings)) as client,
    ):
        for event_type, record in RECORDS.items():
            ours, theirs = _round_trips(registry, client, schemas[event_type], record)
            ours_rates, theirs_rates = [], []
            for _ in range(args.rounds):
                ours_rates.append(_rate(ours, args.events))
                theirs_rates.append(_rate(theirs, args.events))
            ours_median = statistics.median(ours_rates)
            theirs_median = statistics.median(theirs_rates)
            ratio = ours_median / theirs_median
            verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
            print(
                f"{event_type:<14} {ours_median:>11,.0f} {theirs_median:>15,.0f} {ratio:>6.2f}x  "
                f">= {TARGET_RATIO:.0f}x {verdict}"
            )
            figures.append(
                Figure(
                    bench="serde",
                    name=f"{event_type} encode+decode, median of {args.rounds} x {args.events:,}",
                    ours=ours_median,
                    unit="events/s",
                    reference=theirs_median,
                    reference_name="confluent-kafka AvroSerializer/AvroDeserializer",
                    target=f">= {TARGET_RATIO:.0f}x the reference",
                    met=ratio >= TARGET_RATIO,
                )
            )
    return figures


def _round_trips(
    registry: SchemaRegistry, client: SchemaRegistryClient, schema: EventSchema, record: dict[str, Any]
) -> tuple[Callable[[], object], Callable[[], object]]:
    """Encode+decode of ``record`` through our serde and through confluent-kafka's."""
    subject = f"bench.{schema.event_type}-value"
    registry.register(subject, schema.text)
    serialize = AvroSerializer(registry, subject, schema.schema)
    deserialize = AvroDeserializer(registry, schema.schema)
    theirs_ser = ConfluentSerializer(client, schema.text)
    theirs_de = ConfluentDeserializer(client, schema.text)
    ctx = SerializationContext(f"bench.{schema.event_type}", MessageField.VALUE)
    if deserialize(serialize(record)) != theirs_de(theirs_ser(record, ctx), ctx):
        raise SystemExit(f"{schema.event_type}: the two serdes disagree; the comparison would be void")
    return (
        lambda: deserialize(serialize(record)),
        lambda: theirs_de(theirs_ser(record, ctx), ctx),
    )


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x{_cores()}"
    except OSError:
        pass
    return f"{_cores()} cores"


def _cores() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
