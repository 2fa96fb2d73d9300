"""Batched versus per-record writes through OdooClient, against the stand-in and the real Odoo.

Run: `supplystream stack up --with-odoo`, then `.venv/bin/python -m bench.odoo`. Each backend gets
the same work in the same run: create N partners one call per record, then in one batched call;
write a different value to each one call per record, then grouped by value (10 groups).
Prints calls/s and records/s per mode and the batched/per-record ratio.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.report import Figure
from supplystream.errors import OdooError
from supplystream.odoo.client import CREATE_MULTI_SINCE, OdooClient
from supplystream.odoo.transport import JsonRpcTransport
from supplystream.settings import load_settings


@dataclass(frozen=True)
class Backend:
    """An Odoo to measure."""

    name: str
    url: str
    database: str


@dataclass(frozen=True)
class Measure:
    """One mode's throughput."""

    calls: int
    records: int
    seconds: float

    def line(self, label: str) -> str:
        """A row of the report."""
        calls, records = self.calls / self.seconds, self.records / self.seconds
        return f"  {label:<26} {calls:>9.1f} calls/s {records:>10.1f} records/s"


def _timed(work: Callable[[], int], records: int) -> Measure:
    started = time.perf_counter()
    calls = work()
    return Measure(calls, records, time.perf_counter() - started)


def measure(client: OdooClient, count: int) -> dict[str, Measure]:
    """The four modes on ``client``."""
    tag = uuid.uuid4().hex[:8]
    rows = [{"name": f"bench-{tag}-{n}"} for n in range(count)]
    created: list[int] = []

    def create_each() -> int:
        for row in rows:
            created.extend(client.create("res.partner", [row]))
        return count

    def create_batch() -> int:
        client.create("res.partner", [{"name": f"{r['name']}-b"} for r in rows])
        return 1 if client.version >= CREATE_MULTI_SINCE else count

    def write_each() -> int:
        for n, record_id in enumerate(created):
            client.write("res.partner", [record_id], {"ref": f"value {n % 10}"})
        return len(created)

    def write_grouped() -> int:
        return client.write_grouped(
            "res.partner", {rid: {"ref": f"grouped {n % 10}"} for n, rid in enumerate(created)}
        )

    return {
        "create, one call per record": _timed(create_each, count),
        "create, batched": _timed(create_batch, count),
        "write, one call per record": _timed(write_each, count),
        "write, grouped by value": _timed(write_grouped, count),
    }


def figures(backend: str, count: int, results: dict[str, Measure]) -> list[Figure]:
    """Batched against one call per record, records/s, for create and write on ``backend``."""
    pairs = [
        ("create, batched", "create, one call per record"),
        ("write, grouped by value", "write, one call per record"),
    ]
    return [
        Figure(
            bench="odoo",
            name=f"{backend}: {batched}, {count} records",
            ours=results[batched].records / results[batched].seconds,
            unit="records/s",
            reference=results[single].records / results[single].seconds,
            reference_name=single,
            target="none (batched vs per record, same run)",
            met=None,
        )
        for batched, single in pairs
    ]


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Measure every reachable backend, print the report, return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args(argv)
    settings = load_settings()
    backends = [
        Backend("Odoo 17 stand-in", f"http://127.0.0.1:{settings.stack.odoo_standin_port}", "supplystream"),
        Backend("Odoo 11 (real)", f"http://127.0.0.1:{settings.stack.odoo_port}", "supplystream_odoo11"),
    ]
    print(f"{args.records} records per mode, same run")
    measured: list[Figure] = []
    for backend in backends:
        client = OdooClient(JsonRpcTransport(backend.url, backend.database, "admin", "admin", timeout_s=60))
        try:
            client.login()
        except OdooError as exc:
            print(f"{backend.name} at {backend.url}: not measured ({exc})")
            continue
        results = measure(client, args.records)
        print(f"{backend.name} at {backend.url} (Odoo {client.version}):")
        for label, result in results.items():
            print(result.line(label))
        create = results["create, one call per record"].seconds / results["create, batched"].seconds
        write = results["write, one call per record"].seconds / results["write, grouped by value"].seconds
        print(f"  batched/per-record records/s: create {create:.1f}x, write {write:.1f}x")
        measured += figures(f"{backend.name} (Odoo {client.version})", args.records, results)
    return measured


if __name__ == "__main__":
    main()
