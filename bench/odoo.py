"""Batched versus per-record writes through OdooClient, and JSON-2 against JSON-RPC, in one run.

Run: `.venv/bin/python -m bench.odoo` (with `supplystream stack up --with-odoo` for the Odoo 17
stand-in and the real Odoo 11 of the stack; either is skipped when it does not answer). Two private
stand-ins presenting themselves as Odoo 19 are started for the run, one per API, so JSON-RPC and
JSON-2 meet the same fresh server. Each backend gets the same work: create N partners one call per
record, then in one batched call; write a different value to each one call per record, then grouped
by value (10 groups). Prints calls/s and records/s per mode, the batched/per-record ratio, and
JSON-2/JSON-RPC per mode on Odoo 19.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.odoo_sink import private_standin
from bench.report import Figure
from supplystream.errors import OdooError
from supplystream.odoo.client import CREATE_MULTI_SINCE, OdooClient
from supplystream.odoo.json2 import Json2Transport
from supplystream.odoo.transport import JsonRpcTransport
from supplystream.settings import load_settings
from supplystream_devkit.odoo_standin.seed import API_KEY

API_NAMES = {"jsonrpc": "JSON-RPC", "json2": "JSON-2"}


@dataclass(frozen=True)
class Backend:
    """An Odoo to measure, and the API to reach it by."""

    name: str
    url: str
    database: str
    api: str = "jsonrpc"

    def client(self) -> OdooClient:
        if self.api == "json2":
            return OdooClient(Json2Transport(self.url, self.database, API_KEY, timeout_s=60))
        return OdooClient(JsonRpcTransport(self.url, self.database, "admin", "admin", timeout_s=60))


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


def json2_figures(count: int, rpc: dict[str, Measure], json2: dict[str, Measure]) -> list[Figure]:
    """JSON-2 against JSON-RPC, records/s per mode, on the same (fresh) Odoo 19 stand-in."""
    return [
        Figure(
            bench="odoo",
            name=f"Odoo 19 stand-in: {mode} over JSON-2, {count} records",
            ours=json2[mode].records / json2[mode].seconds,
            unit="records/s",
            reference=rpc[mode].records / rpc[mode].seconds,
            reference_name="JSON-RPC (odoorpc)",
            target="none (JSON-2 vs JSON-RPC, same run)",
            met=None,
        )
        for mode in rpc
    ]


def measure_backend(backend: Backend, count: int) -> tuple[int, dict[str, Measure]] | None:
    """The server's version and the four modes on ``backend``, printed; None when it does not answer."""
    client = backend.client()
    try:
        client.login()
    except OdooError as exc:
        print(f"{backend.name} at {backend.url}: not measured ({exc})")
        return None
    results = measure(client, count)
    client.close()
    print(f"{backend.name} at {backend.url} (Odoo {client.version}, {client.api}):")
    for label, result in results.items():
        print(result.line(label))
    create = results["create, one call per record"].seconds / results["create, batched"].seconds
    write = results["write, one call per record"].seconds / results["write, grouped by value"].seconds
    print(f"  batched/per-record records/s: create {create:.1f}x, write {write:.1f}x")
    return client.version, results


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Measure every reachable backend, print the report, return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args(argv)
    settings = load_settings()
    stack = [
        Backend("Odoo 17 stand-in", f"http://127.0.0.1:{settings.stack.odoo_standin_port}", "supplystream"),
        Backend("Odoo 11 (real)", f"http://127.0.0.1:{settings.stack.odoo_port}", "supplystream_odoo11"),
    ]
    print(f"{args.records} records per mode, same run")
    measured: list[Figure] = []
    by_api: dict[str, dict[str, Measure]] = {}
    for api in ("jsonrpc", "json2"):
        with private_standin(odoo_version=19) as url:
            backend = Backend(f"Odoo 19 stand-in over {API_NAMES[api]}", url, "supplystream", api)
            found = measure_backend(backend, args.records)
        if found is not None:
            by_api[api] = found[1]
            measured += figures(backend.name, args.records, found[1])
    if len(by_api) == len(API_NAMES):
        print("JSON-2/JSON-RPC records/s on Odoo 19:")
        for mode in by_api["jsonrpc"]:
            rpc, json2 = by_api["jsonrpc"][mode], by_api["json2"][mode]
            print(f"  {mode:<26} {(json2.records / json2.seconds) / (rpc.records / rpc.seconds):>6.2f}x")
        measured += json2_figures(args.records, by_api["jsonrpc"], by_api["json2"])
    for backend in stack:
        found = measure_backend(backend, args.records)
        if found is not None:
            measured += figures(f"{backend.name} (Odoo {found[0]})", args.records, found[1])
    return measured


if __name__ == "__main__":
    main()
