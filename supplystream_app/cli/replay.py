"""`supplystream replay`: apply a window of retained topics again, into one sink or another topic.

Runs in a shadow consumer group (``<sink>-sink.replay.<UTC time>``) on assigned partitions, so the
live group keeps running; stops at the end offsets captured at start (or ``--to``/``--to-offset``).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sinks.registry import sink_factory, sink_names
from sinks.runtime import stop_on_signals
from supplystream.contracts.registration import load_contracts
from supplystream.errors import ConfigurationError
from supplystream_app.cli.output import console, report, settings_of
from supplystream_app.cli.sinks import consumer_of
from supplystream_app.operations.bounded import BoundedRun
from supplystream_app.operations.replay import (
    copy_windows,
    partitions_of,
    replay_into_sink,
    resolve_windows,
    sample_windows,
    window_consumer,
)
from supplystream_app.operations.window import (
    PartitionWindow,
    check_window_options,
    parse_moment,
    shadow_group,
    total,
)


def progress_bar() -> Progress:
    """A bar with records done, rate and ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def replay(  # noqa: PLR0917 - typer passes each option as an argument
    ctx: typer.Context,
    topics: Annotated[list[str], typer.Argument(help="Topics to replay.", show_default=False)],
    from_time: Annotated[
        str | None, typer.Option("--from", help="Window start, ISO 8601 (UTC if no zone): offsets_for_times.")
    ] = None,
    to_time: Annotated[str | None, typer.Option("--to", help="Window end (exclusive), ISO 8601.")] = None,
    from_offset: Annotated[int | None, typer.Option(help="First offset (every partition).", min=0)] = None,
    to_offset: Annotated[int | None, typer.Option(help="Last offset to replay (inclusive).", min=0)] = None,
    partition: Annotated[
        list[int] | None, typer.Option("--partition", help="Only this partition (repeatable).")
    ] = None,
    sink: Annotated[
        str | None, typer.Option(help=f"Apply into this sink: {', '.join(sink_names())}.", show_default=False)
    ] = None,
    to_topic: Annotated[
        str | None,
        typer.Option(help="Copy the records into this topic instead.", show_default=False),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print counts per partition and a sample; apply nothing.")
    ] = False,
    sample: Annotated[int, typer.Option(help="Records to show in a dry run.", min=0)] = 5,
    rate: Annotated[float | None, typer.Option(help="At most this many records per second.", min=0.1)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replay a window of TOPICS into one sink (--sink) or another topic (--to-topic).

    Side effects are limited to that target; the sinks apply idempotently, so replaying the same
    window twice changes nothing the second time. Dead letters go to the sink's dead-letter topic.
    """
    settings = settings_of(ctx)
    if (sink is None) == (to_topic is None):
        raise ConfigurationError("choose one target: --sink NAME or --to-topic TOPIC")
    check_window_options(from_time, to_time, from_offset, to_offset)
    start: dt.datetime | int | None = parse_moment(from_time) if from_time else from_offset
    end: dt.datetime | int | None = parse_moment(to_time) if to_time else None
    if to_offset is not None:
        end = to_offset + 1
    consumer_name = consumer_of(sink) if sink is not None else "topic-copy"
    group = shadow_group(consumer_name, dt.datetime.now(dt.UTC))
    probe = window_consumer(settings, group)
    try:
        windows = resolve_windows(probe, partitions_of(probe, topics, partition), start, end)
    finally:
        probe.close()
    _print_windows(windows)
    target = f"sink {sink}" if sink is not None else f"topic {to_topic}"
    if dry_run:
        for record in sample_windows(settings, windows, sample):
            console.print(record.as_text(), highlight=False, soft_wrap=True)
        console.print(f"dry run: nothing applied ({total(windows):,} records would go to {target})")
        return
    if total(windows) == 0:
        console.print("nothing to replay: the window is empty")
        return
    if not yes:
        typer.confirm(f"replay {total(windows):,} records into {target} (group {group})?", abort=True)
    stop = threading.Event()
    stop_on_signals(stop)
    report(f"shadow group {group}; the live group keeps running")
    with progress_bar() as bar:
        task = bar.add_task("replay", total=total(windows))
        if to_topic is not None:
            copied = copy_windows(
                settings, windows, to_topic, group, rate=rate, stop=stop,
                on_progress=lambda n: bar.advance(task, n),
            )  # fmt: skip
            line = f"copied {copied.copied:,} records to {to_topic}"
        else:
            assert sink is not None  # noqa: S101 - checked above
            catalog, _ = load_contracts(settings)
            dead_letters = catalog.dead_letters.topic_for(consumer_name)

            def advance(run: BoundedRun) -> None:
                bar.update(task, completed=run.done)

            summary = replay_into_sink(
                settings, sink_factory(sink)(settings), windows, group_id=group,
                dead_letter_topic=dead_letters, rate=rate, stop=stop, on_step=advance,
            )  # fmt: skip
            line = (
                f"consumed {summary.consumed:,}, applied {summary.applied:,}, dead-lettered "
                f"{summary.dead_lettered:,} (to {dead_letters}), retried {summary.retried:,}"
            )
    console.print(f"replay done in group {group}: {line}", highlight=False)


def _print_windows(windows: list[PartitionWindow]) -> None:
    for window in windows:
        console.print(
            f"{window.label}  {window.size:,} records  offsets {window.start}..{window.end - 1}"
            if window.size
            else f"{window.label}  0 records",
            highlight=False,
        )
