"""`supplystream demo`: the main job on the embedded local stack.

For now: start the stack, apply topics.yaml, register the contracts, and round-trip real Avro
`stock.moved` events through the broker and the registry.
"""

from __future__ import annotations

from typing import Annotated

import typer

from supplystream.cli.output import console, report, settings_of
from supplystream.clients import make_admin
from supplystream.contracts.registration import load_contracts, register_all, value_subjects
from supplystream.errors import SupplyStreamError
from supplystream.events import StockMoved
from supplystream.registry import SchemaRegistry
from supplystream.roundtrip import round_trip
from supplystream.stack.local_stack import LocalStack
from supplystream.topics.cluster import apply_plan, observe_topics
from supplystream.topics.sync import plan_catalog


def demo(
    ctx: typer.Context,
    records: Annotated[
        int, typer.Option("--events", help="stock.moved events in the round trip.", min=1)
    ] = 10_000,
) -> None:
    """Start the local stack, apply topics.yaml, register the schemas, and round-trip Avro events.

    With SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS set, the external cluster is used instead of the
    local stack.
    """
    settings = settings_of(ctx)
    if settings.kafka.bootstrap_servers is None:
        console.rule("1. local stack")
        LocalStack(settings.stack).up(report)
    console.rule("2. topics.yaml")
    admin = make_admin(settings)
    plan = plan_catalog(settings, admin)
    if plan.refusals:
        raise SupplyStreamError("topics.yaml has unsafe changes: run `supplystream topics plan`")
    apply_plan(admin, plan, report)
    console.print(
        f"{len(plan.changes)} change(s) applied; {len(observe_topics(admin))} topics on the cluster"
    )
    console.rule("3. contracts")
    catalog, schemas = load_contracts(settings)
    subjects = value_subjects(catalog, schemas)
    with SchemaRegistry.from_settings(settings) as registry:
        for registered in register_all(registry, subjects):
            report(f"{registered.subject}: version {registered.version}, id {registered.schema_id}")
    console.rule("4. produce / consume round trip")
    stock = next(s for s in subjects if s.event.event_type == StockMoved.EVENT_TYPE)
    result = round_trip(settings, stock.event, stock.subject, records, report)
    console.print(
        f"produced {result.produced}, consumed {result.consumed}, identical {result.intact}, per-key "
        f"order {'kept' if result.in_order else 'BROKEN'}; {result.produced / result.seconds:,.0f} "
        f"events/s end to end; ack latency p50 {result.ack_p50_ms:.1f} ms, p99 {result.ack_p99_ms:.1f} ms"
    )
    if not result.ok:
        raise SupplyStreamError("the round trip lost, altered or reordered events; see the broker log")
    console.print("[green]round trip OK[/]")
