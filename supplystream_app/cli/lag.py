"""`supplystream lag [GROUP...]`: how far each consumer group is behind, in records and in time."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from supplystream.clients import make_admin
from supplystream.consumer_lag import LagReader, list_groups
from supplystream_app.cli.output import console, settings_of


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    if value < 120:
        return f"{value:.1f}s"
    if value < 7200:
        return f"{value / 60:.1f}m"
    return f"{value / 3600:.1f}h"


def lag(
    ctx: typer.Context,
    groups: Annotated[
        list[str] | None, typer.Argument(help="Consumer groups (default: every group).", show_default=False)
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Also show these topics' partitions the group never committed on."),
    ] = None,
    all_partitions: Annotated[
        bool, typer.Option("--all", help="Show partitions without lag too (default: lagging ones).")
    ] = False,
    plain: Annotated[
        bool,
        typer.Option("--plain", help="Tab-separated lines without totals (for scripts) instead of a table."),
    ] = False,
) -> None:
    """Per group and partition: committed offset, end offset, lag, and time lag (age of the first record
    the group has not processed: the record at its committed offset)."""
    settings = settings_of(ctx)
    if groups:
        names = groups
    else:
        with make_admin(settings) as admin:
            names = list_groups(admin)
    with LagReader(settings) as reader:
        readings = {group: reader.group_lag(group, topic or ()) for group in names}
    now_ms = int(time.time() * 1000)
    table = Table("group", "topic", "partition", "committed", "end", "lag", "time lag")
    for group, lags in readings.items():
        if not lags:
            table.add_row(group, "-", "-", "-", "-", "-", "no committed offsets")
            continue
        total = sum(item.lag for item in lags)
        worst = max((item.time_lag_s(now_ms) or 0.0 for item in lags), default=0.0)
        for item in lags:
            if item.lag or all_partitions:
                committed = "-" if item.committed is None else f"{item.committed:,}"
                if plain:
                    seconds = item.time_lag_s(now_ms)
                    fields = [group, item.topic, str(item.partition), committed.replace(",", "")]
                    fields += [str(item.end), str(item.lag), "?" if seconds is None else f"{seconds:.3f}"]
                    typer.echo("\t".join(fields))
                table.add_row(
                    group, item.topic, str(item.partition), committed, f"{item.end:,}", f"{item.lag:,}",
                    _seconds(item.time_lag_s(now_ms)),
                )  # fmt: skip
        table.add_row(
            f"[bold]{group}[/bold]", "[bold]total[/bold]", "", "", "", f"{total:,}", _seconds(worst)
        )
    if not plain:
        console.print(table)
