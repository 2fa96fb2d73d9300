"""The Odoo sink batched versus one event at a time, against the Odoo 17 stand-in, in the same run.

Run: `.venv/bin/python -m bench.odoo_sink` (a private stand-in is started in a temporary directory;
``--url`` measures another Odoo instead). Each mode gets the same stream on fresh keys: ATP versions
(with repeats and older versions), WMS stock moves (with repeats and Odoo echoes), allocations of
draft orders, then their shipments; written through `OdooSink.write` in batches of ``--batch``
records (default: the runtime's batch size), as the runtime hands them over (Kafka is not part of
this measure). Prints Odoo calls/s and events/s per mode and the ratios. `bench.sinks` runs it as
its ``odoo`` section (`section`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.report import Figure
from sinks.base import SinkRecord
from sinks.odoo import OdooSink
from supplystream.events import (
    Allocation,
    AtpChanged,
    Event,
    MoveKind,
    OrderAllocated,
    ShipmentConfirmed,
    ShippedLine,
    Source,
    StockMoved,
)
from supplystream.odoo.client import OdooClient
from supplystream.odoo.operations import set_on_hand
from supplystream.odoo.transport import JsonRpcTransport, OdooTransport
from supplystream.settings import SinkSettings

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
PLATFORM = Source(system="supplystream", adapter="bench")
WMS = Source(system="wms", adapter="bench")
ODOO = Source(system="odoo", adapter="odoo-source")
WAREHOUSES = ("EAST", "WEST")


class CountingTransport:
    """Counts the calls (execute_kw) made through an Odoo transport."""

    def __init__(self, inner: OdooTransport) -> None:
        self.inner = inner
        self.calls = 0

    def server_version(self) -> tuple[int, int]:
        return self.inner.server_version()

    def authenticate(self) -> int:
        return self.inner.authenticate()

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.calls += 1
        return self.inner.call(model, method, args, kwargs)


@dataclass(frozen=True)
class Measure:
    """One mode's throughput."""

    calls: int
    events: int
    seconds: float

    def line(self, label: str) -> str:
        """A row of the report."""
        return (
            f"  {label:<24} {self.events:>6} events {self.calls:>7} calls {self.seconds:>7.2f}s "
            f"{self.calls / self.seconds:>8.1f} calls/s {self.events / self.seconds:>8.1f} events/s"
        )


def _envelope(cls: type[Any], source: Source, correlation: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "event_type": cls.EVENT_TYPE,
        "occurred_at": NOW,
        "source": source,
        "correlation_id": correlation,
        "company": "main",
    }


def atp_stream(rng: random.Random, skus: Sequence[str], versions: int) -> list[Event]:
    """``versions`` ATP versions per SKU and warehouse plus 10% repeats, all shuffled."""
    events: list[Event] = []
    for sku in skus:
        for warehouse in WAREHOUSES:
            per_key: list[Event] = [
                AtpChanged(
                    **_envelope(AtpChanged, PLATFORM, f"{sku}|{warehouse}"),
                    sku=sku,
                    warehouse=warehouse,
                    on_hand=Decimal(v + 2),
                    reserved=Decimal(2),
                    inbound=Decimal(0),
                    safety_stock=Decimal(0),
                    atp=Decimal(v),
                    version=v,
                    as_of=NOW,
                )
                for v in range(1, versions + 1)
            ]
            events += per_key
    events += rng.sample(events, len(events) // 10)
    rng.shuffle(events)  # keys interleaved, versions out of order
    return events


def stock_stream(rng: random.Random, skus: Sequence[str], count: int) -> list[Event]:
    """``count`` WMS moves in and out of the warehouses, plus 10% repeats and 5% Odoo echoes."""
    events: list[Event] = []
    for _ in range(count):
        warehouse, inbound = rng.choice(WAREHOUSES), rng.random() < 0.6
        inside, outside = f"{warehouse}/Stock", "Partners/Vendors" if inbound else "Partners/Customers"
        events.append(
            StockMoved(
                **_envelope(StockMoved, WMS if rng.random() > 0.05 else ODOO, "bench"),
                sku=rng.choice(skus),
                warehouse=warehouse,
                from_location=outside if inbound else inside,
                from_warehouse=None if inbound else warehouse,
                to_location=inside if inbound else outside,
                to_warehouse=warehouse if inbound else None,
                quantity=Decimal(rng.randint(1, 9)),
                uom="Units",
                move_kind=MoveKind.RECEIPT if inbound else MoveKind.DELIVERY,
            )
        )
    return events + rng.sample(events, count // 10)


def order_streams(
    rng: random.Random, orders: Sequence[str], sku: str, shipped: int
) -> tuple[list[Event], list[Event]]:
    """Allocations of ``orders`` (10% repeats) and shipments of the first ``shipped`` of them."""
    allocations: list[Event] = []
    shipments: list[Event] = []
    for n, order in enumerate(orders):
        warehouse = rng.choice(WAREHOUSES)
        line = Allocation(line_id="1", sku=sku, warehouse=warehouse, quantity=Decimal(1))
        allocations.append(
            OrderAllocated(**_envelope(OrderAllocated, PLATFORM, order), order_id=order, lines=(line,))
        )
        if n < shipped:
            shipments.append(
                ShipmentConfirmed(
                    **_envelope(ShipmentConfirmed, WMS, order),
                    shipment_id=f"SHP-{order}",
                    odoo_picking_id=None,
                    warehouse=warehouse,
                    order_id=order,
                    lines=(ShippedLine(sku=sku, quantity=Decimal(1)),),
                    carrier="Standard Delivery",
                    tracking_number=f"TRK-{order}",
                    shipped_at=NOW,
                )
            )
    return allocations + rng.sample(allocations, len(allocations) // 10), shipments


def as_records(events: Sequence[Event]) -> list[SinkRecord]:
    """Events as the runtime hands them to the adapter."""
    return [
        SinkRecord(e.EVENT_TYPE, 0, n, None, e.to_record(), int(NOW.timestamp() * 1000))
        for n, e in enumerate(events)
    ]


def prepare(client: OdooClient, tag: str, orders: int, stock_skus: int) -> tuple[list[str], list[str], str]:
    """Products and draft orders for one mode: (stock SKUs, order names, the shipped SKU)."""
    skus = [f"BENCH-{tag}-{n}" for n in range(stock_skus + 1)]
    ids = client.create("product.product", [{"name": s, "default_code": s, "type": "product"} for s in skus])
    ship_sku, ship_product = skus[-1], ids[-1]
    warehouses = client.search_read("stock.warehouse", [], ["lot_stock_id"])
    for warehouse in warehouses:
        set_on_hand(client, ship_product, int(warehouse["lot_stock_id"][0]), Decimal(1_000_000))
    partner = client.create("res.partner", [{"name": f"Bench customer {tag}"}])[0]
    line = {"product_id": ship_product, "product_uom_qty": 1}
    created = client.create("sale.order", [{"partner_id": partner, "order_line": [(0, 0, line)]}] * orders)
    names = [str(r["name"]) for r in client.read("sale.order", created, ["name"])]
    return skus[:-1], names, ship_sku


def run_mode(url: str, database: str, *, batched: bool, args: argparse.Namespace) -> dict[str, Measure]:
    """The whole stream through one sink; per event type and in total."""
    rng = random.Random(args.seed)  # noqa: S311 - a reproducible workload, not secrets
    setup = OdooClient(JsonRpcTransport(url, database, "admin", "admin", timeout_s=60))
    tag = uuid.uuid4().hex[:6]
    stock_skus, orders, ship_sku = prepare(setup, tag, args.orders, 10)
    allocations, shipments = order_streams(rng, orders, ship_sku, args.orders // 2)
    streams = {
        "atp.changed": atp_stream(rng, [f"BENCH-ATP-{tag}-{n}" for n in range(args.atp_keys)], args.versions),
        "stock.moved": stock_stream(rng, stock_skus, args.moves),
        "order.allocated": allocations,
        "shipment.confirmed": shipments,
    }
    transport = CountingTransport(JsonRpcTransport(url, database, "admin", "admin", timeout_s=60))
    sink = OdooSink(OdooClient(transport), batched=batched)
    sink.probe()
    results: dict[str, Measure] = {}
    for name, events in streams.items():
        records = as_records(events)
        calls, started = transport.calls, time.perf_counter()
        for start in range(0, len(records), args.batch):
            rejected = sink.write(records[start : start + args.batch])
            if rejected:
                raise RuntimeError(f"the sink refused bench events: {[str(r.error) for r in rejected[:3]]}")
        results[name] = Measure(transport.calls - calls, len(records), time.perf_counter() - started)
    results["all"] = Measure(
        sum(m.calls for m in results.values()),
        sum(m.events for m in results.values()),
        sum(m.seconds for m in results.values()),
    )
    return results


@contextmanager
def private_standin(odoo_version: int = 17) -> Iterator[str]:
    """A seeded stand-in presenting itself as ``odoo_version`` on a free port in a temporary
    directory; its URL."""
    with tempfile.TemporaryDirectory(prefix="bench-odoo-") as data:
        command = [
            sys.executable,
            "-m",
            "supplystream_devkit.odoo_standin",
            "--port",
            "0",
            "--data",
            data,
            "--seed",
        ]
        command += ["--odoo-version", str(odoo_version)]
        log = (Path(data) / "standin.log").open("wb")
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
        try:
            line = process.stdout.readline().decode() if process.stdout is not None else ""
            found = re.search(r"listening on (http://\S+)", line)
            if found is None:
                raise RuntimeError(f"the stand-in did not start: {line!r}")
            yield found.group(1)
        finally:
            process.kill()
            process.wait(10)
            log.close()


def report(url: str, database: str, args: argparse.Namespace) -> tuple[list[str], list[Figure]]:
    """Both modes against the Odoo at ``url``: the report's lines and its figures."""
    modes = {
        "batched": run_mode(url, database, batched=True, args=args),
        "one event at a time": run_mode(url, database, batched=False, args=args),
    }
    lines = [f"Odoo sink against {url}: batches of {args.batch} records, the same stream per mode"]
    for mode, results in modes.items():
        lines.append(f" {mode}:")
        lines += [measure.line(name) for name, measure in results.items()]
    batched, single = modes["batched"]["all"], modes["one event at a time"]["all"]
    lines.append(
        f" batched vs one at a time: {single.calls / batched.calls:.1f}x fewer calls, "
        f"{(batched.events / batched.seconds) / (single.events / single.seconds):.1f}x events/s"
    )
    stream = f"{batched.events:,} events, batches of {args.batch}"
    figures = [
        Figure(
            bench="sinks/odoo",
            name=f"Odoo sink batched, {stream}",
            ours=batched.events / batched.seconds,
            unit="events/s",
            reference=single.events / single.seconds,
            reference_name="one event at a time",
            target="none (batched vs one at a time, same stream)",
            met=None,
        ),
        Figure(
            bench="sinks/odoo",
            name=f"Odoo calls for the stream, batched, {stream}",
            ours=batched.calls,
            unit="calls",
            reference=single.calls,
            reference_name="one event at a time",
            target="none (fewer is better)",
            met=None,
        ),
    ]
    return lines, figures


def parser() -> argparse.ArgumentParser:
    """The bench's options."""
    options = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    options.add_argument("--url", help="an Odoo to measure instead of a private stand-in")
    options.add_argument("--database", default="supplystream")
    options.add_argument("--batch", type=int, default=SinkSettings().batch_size, help="records per write")
    options.add_argument("--atp-keys", type=int, default=100, help="SKUs (x2 warehouses) of the ATP stream")
    options.add_argument("--versions", type=int, default=10, help="ATP versions per SKU and warehouse")
    options.add_argument("--moves", type=int, default=1000, help="WMS stock moves")
    options.add_argument("--orders", type=int, default=200, help="orders allocated (half of them shipped)")
    options.add_argument("--seed", type=int, default=1)
    return options


def run(args: argparse.Namespace) -> tuple[list[str], list[Figure]]:
    """Measure ``--url``, or a private stand-in started for the measure: lines and figures."""
    if args.url:
        return report(args.url, args.database, args)
    with private_standin() as url:
        return report(url, args.database, args)


def section(sinks_args: argparse.Namespace) -> tuple[list[str], list[Figure]]:
    """bench/sinks' Odoo section: this bench with its own defaults (Odoo-sized, not planning-sized),
    or the options in bench/sinks' ``--odoo-args``."""
    return run(parser().parse_args(shlex.split(getattr(sinks_args, "odoo_args", "") or "")))


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Parse the options, print the report and return its figures."""
    lines, figures = run(parser().parse_args(argv))
    for line in lines:
        print(line)
    return figures


if __name__ == "__main__":
    main()
