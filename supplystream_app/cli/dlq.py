"""`supplystream dlq list | show | redrive`: the sinks' dead-letter topics."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Annotated

import typer

from sinks.registry import sink_factory, sink_names
from sinks.runtime import stop_on_signals
from supplystream.contracts.registration import load_contracts
from supplystream.errors import ConfigurationError
from supplystream_app.cli.output import console, report, settings_of
from supplystream_app.cli.replay import progress_bar
from supplystream_app.operations.bounded import BoundedRun
from supplystream_app.operations.dead_letter_topics import (
    RedriveSummary,
    check_is_dead_letter_topic,
    dead_letter_topics,
    redrive_into_sink,
    redrive_to_original,
    redrive_windows,
    show_dead_letters,
)
from supplystream_app.operations.redrive import RedriveFilter
from supplystream_app.operations.window import total

app = typer.Typer(help="Dead-letter topics: list, read, re-drive.", no_args_is_help=True)

TopicArgument = Annotated[
    str, typer.Argument(help="A dead-letter topic (see `dlq list`).", show_default=False)
]


@app.command("list")
def list_topics(ctx: typer.Context) -> None:
    """Every consumer's dead-letter topic in topics.yaml, with its record count."""
    settings = settings_of(ctx)
    catalog, _ = load_contracts(settings)
    for found in dead_letter_topics(settings, catalog):
        count = "not created (`supplystream topics apply`)" if found.records is None else f"{found.records:,}"
        console.print(f"{found.topic}  {count}  ({found.consumer})", highlight=False)


@app.command()
def show(
    ctx: typer.Context,
    topic: TopicArgument,
    limit: Annotated[int, typer.Option(help="Records to show.", min=1)] = 20,
    offset: Annotated[int | None, typer.Option(help="Start at this offset (each partition).", min=0)] = None,
    partition: Annotated[list[int] | None, typer.Option("--partition", help="Only this partition.")] = None,
) -> None:
    """Dead letters decoded, with their supplystream.error.* headers."""
    settings = settings_of(ctx)
    letters = show_dead_letters(settings, topic, limit=limit, offset=offset, partitions=partition)
    for letter in letters:
        record = letter.sample
        console.print(
            f"[bold]{record.topic}[{record.partition}]@{record.offset}[/bold] key={record.key}",
            highlight=False,
        )
        for name in ("class", "message", "sink", "stage", "topic", "partition", "offset", "attempts"):
            if name in letter.errors:
                console.print(f"  error.{name}: {letter.errors[name]}", highlight=False, markup=False)
        for name, value in sorted(letter.headers.items()):
            console.print(f"  {name}: {value}", highlight=False, markup=False)
        body = (
            json.dumps(record.event, default=str, sort_keys=True, indent=2) if record.event else record.note
        )
        console.print(body, highlight=False, markup=False)
    console.print(f"{len(letters)} dead letters shown", highlight=False)


@app.command()
def redrive(  # noqa: PLR0917 - typer passes each option as an argument
    ctx: typer.Context,
    topic: TopicArgument,
    to: Annotated[str, typer.Option("--to", help="`original` (back to its topic) or `sink` (straight in).")],
    error_class: Annotated[
        str | None, typer.Option(help="Only this error class (full name or its last part).")
    ] = None,
    from_offset: Annotated[int | None, typer.Option(help="First offset (each partition).", min=0)] = None,
    to_offset: Annotated[int | None, typer.Option(help="Last offset (inclusive).", min=0)] = None,
    partition: Annotated[list[int] | None, typer.Option("--partition", help="Only this partition.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Re-drive dead letters to their original topic or straight into their sink.

    Starts where the previous re-drive of the same selection stopped (its consumer group) and ends at
    the end captured now. Re-driven records carry supplystream.redriven=true and
    supplystream.redriven.from=<dlq>@<partition>:<offset>. Progress is committed only after the target
    acknowledged; records that fail again are dead-lettered again: a failed re-drive loses nothing.
    """
    settings = settings_of(ctx)
    if to not in {"original", "sink"}:
        raise ConfigurationError(f"--to is `original` or `sink`, not {to!r}")
    catalog, _ = load_contracts(settings)
    check_is_dead_letter_topic(catalog, topic)
    selection = RedriveFilter(error_class)
    group, windows = redrive_windows(
        settings, topic, selection, from_offset=from_offset, to_offset=to_offset, partitions=partition
    )
    for window in windows:
        console.print(f"{window.label}  {window.size:,} records", highlight=False)
    if total(windows) == 0:
        console.print(f"nothing to re-drive (group {group} is at the end)")
        return
    if not yes:
        typer.confirm(f"re-drive up to {total(windows):,} records of {topic} to {to}?", abort=True)
    stop = threading.Event()
    stop_on_signals(stop)
    report(f"re-drive group {group}")
    with progress_bar() as bar:
        task = bar.add_task("re-drive", total=total(windows))
        if to == "original":
            summary = redrive_to_original(
                settings,
                topic,
                selection,
                group,
                windows,
                stop=stop,
                on_progress=lambda n: bar.advance(task, n),
            )
        else:
            sink = _sink_of(topic, catalog.dead_letters.topic_for)

            def advance(run: BoundedRun) -> None:
                bar.update(task, completed=run.done)

            summary = redrive_into_sink(
                settings, topic, sink_factory(sink)(settings), selection=selection, group_id=group,
                windows=windows, stop=stop, on_step=advance,
            )  # fmt: skip
    _print_summary(summary)


def _sink_of(topic: str, topic_for: Callable[[str], str]) -> str:
    for name in sink_names():
        if topic_for(f"{name}-sink") == topic:
            return name
    raise ConfigurationError(
        f"{topic!r} is not the dead-letter topic of a sink ({', '.join(sink_names())}); use --to original"
    )


def _print_summary(summary: RedriveSummary) -> None:
    where = ", ".join(f"{t}: {n:,}" for t, n in sorted(summary.per_topic.items()))
    console.print(
        f"re-driven {summary.redriven:,}{f' ({where})' if where else ''}, skipped {summary.skipped:,} "
        f"(not selected), dead-lettered again {summary.dead_lettered_again:,}; group {summary.group_id}",
        highlight=False,
    )
