"""`supplystream processors run | rebuild`: the stream processors (ATP and order routing)."""

from __future__ import annotations

from typing import Annotated

import typer

from processors.worker import ProcessorName
from supplystream_app.cli.output import console, settings_of

app = typer.Typer(
    help="Run the stream processors: available-to-promise per SKU and warehouse, and order routing.",
    no_args_is_help=True,
)


@app.command()
def run(
    ctx: typer.Context,
    name: Annotated[
        ProcessorName,
        typer.Argument(help="atp: the ATP processor (atp.changed, reservations); router: the order router."),
    ],
    loglevel: Annotated[
        str, typer.Option(help="faust's log level: crit, error, warn, info, debug.")
    ] = "warn",
) -> None:
    """Run one processor as a worker until SIGTERM/Ctrl-C (it commits what it processed, then stops).

    Start as many workers of each as you like: partitions are shared among them, tables move with
    their partitions and are recovered from their changelogs.
    """
    from processors.worker import run as run_worker  # noqa: PLC0415 - faust is heavy: import only to run

    settings = settings_of(ctx)
    console.print(f"starting the {name} processor on {settings.bootstrap_servers}", highlight=False)
    run_worker(name, settings, loglevel=loglevel.upper())


@app.command()
def rebuild(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What to rebuild: atp (the ATP table and atp.changed).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and compare; write nothing.")] = False,
) -> None:
    """Recompute state from the retained input topics (after a logic or configuration fix).

    Stop the ATP workers first. The rebuild reads stock.moved and the order, shipment and receipt
    topics, recomputes every position with the current code and deploy/processors.yaml, keeps the
    router's live holds, writes the changed ledgers into the table's changelog and publishes each
    changed position once on atp.changed with a higher version, and removes this machine's local copy of
    the table (remove <data_dir>/atp-processor on other machines too). Then start the workers again.
    """
    from processors.config import load_processor_config  # noqa: PLC0415 - faust is heavy: import only to run
    from processors.rebuild import RebuildAtp  # noqa: PLC0415

    if name != "atp":
        raise typer.BadParameter("only `atp` can be rebuilt", param_hint="NAME")
    settings = settings_of(ctx)
    rebuilder = RebuildAtp(
        settings,
        load_processor_config(settings.processors.config_file),
        lambda line: console.print(line, highlight=False),
    )
    rebuilder.ensure_stopped()
    report = rebuilder.plan()
    console.print(
        f"{report.events_read:,} events, {report.keys:,} positions: {len(report.changed):,} ledgers change, "
        f"{report.published:,} published figures change",
        highlight=False,
    )
    for rebuilt in report.changed[:10]:
        before = rebuilt.before.published if rebuilt.before else None
        if rebuilt.publish is not None:
            console.print(
                f"  {rebuilt.key}: atp {before.atp if before else '-'} -> {rebuilt.publish.atp}",
                highlight=False,
            )
    if dry_run:
        console.print("dry run: nothing written", highlight=False)
        return
    rebuilder.write(report)
    console.print("done: start the ATP workers again", highlight=False)
