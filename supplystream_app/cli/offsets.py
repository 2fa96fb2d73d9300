"""`supplystream offsets reset GROUP --to-datetime T`: move a stopped group's offsets to a point in time."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from supplystream.clients import make_admin
from supplystream.offset_reset import active_members, apply_reset, plan_for, refuse_when_active
from supplystream_app.cli.output import console, settings_of

app = typer.Typer(help="Consumer group offsets.", no_args_is_help=True)


@app.command()
def reset(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="The consumer group.", show_default=False)],
    to_datetime: Annotated[
        dt.datetime,
        typer.Option(
            "--to-datetime",
            help="The first record at or after this time is read next (ISO; without zone: UTC).",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"],
            show_default=False,
        ),
    ],
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Only these topics (default: every topic the group committed on)."),
    ] = None,
    execute: Annotated[
        bool, typer.Option("--execute", help="Apply the new offsets (default: only print the plan).")
    ] = False,
) -> None:
    """Print current -> new offset per partition; with --execute, commit the new offsets.

    Refused while the group has active members: stop its consumers first, or use `supplystream replay`,
    which re-reads a window in a shadow group while the live group keeps running.
    """
    settings = settings_of(ctx)
    admin = make_admin(settings)
    refuse_when_active(group, active_members(admin, group))
    moves = plan_for(settings, group, to_datetime, topic or ())
    table = Table("topic", "partition", "current", "new", "re-read (+) / skip (-)")
    for move in moves:
        table.add_row(
            move.topic,
            str(move.partition),
            "-" if move.current is None else f"{move.current:,}",
            f"{move.new:,}",
            "-" if move.delta is None else f"{move.delta:+,}",
        )
    console.print(table)
    if not execute:
        console.print("dry run: nothing changed; add --execute to apply", highlight=False)
        return
    refuse_when_active(group, active_members(admin, group))
    apply_reset(admin, group, moves)
    console.print(f"group {group}: {len(moves)} partition offsets reset", highlight=False)
