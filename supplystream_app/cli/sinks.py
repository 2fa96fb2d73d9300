"""`supplystream sinks list | run | migrate | lag`: run the sinks through the one sink runtime."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import typer

from sinks.health import serve_sink_health
from sinks.registry import SINKS, sink_factory, sink_names
from sinks.routes import SinkRoutes, routes_for
from sinks.runtime import RunSummary, SinkRuntime, stop_on_signals
from supplystream.consumer_lag import partition_lags
from supplystream.contracts.registration import load_contracts
from supplystream.errors import ConfigurationError
from supplystream.settings import Settings
from supplystream_app.cli.output import console, report, settings_of

app = typer.Typer(
    help="Run the sinks (Odoo, channels, planning) that apply events to their targets.",
    no_args_is_help=True,
)

SinkArgument = Annotated[
    str, typer.Argument(help="The sink: see `supplystream sinks list`.", show_default=False)
]
#: Sinks with a database schema of their own.
MIGRATABLE = ("planning",)


def consumer_of(name: str) -> str:
    """The sink's consumer name in topics.yaml: ``planning`` → ``planning-sink``."""
    if name not in SINKS:
        raise ConfigurationError(f"unknown sink {name!r}; known sinks: {', '.join(sink_names())}")
    return f"{name}-sink"


def _routes(settings: Settings, name: str, topics: list[str] | None) -> SinkRoutes:
    catalog, _ = load_contracts(settings)
    return routes_for(catalog, consumer_of(name), topics=topics or None)


@app.command("list")
def list_sinks(ctx: typer.Context) -> None:
    """The sinks, with the consumer group, input topics and dead-letter topic of each."""
    settings = settings_of(ctx)
    for name in sink_names():
        routes = _routes(settings, name, None)
        console.print(
            f"[bold]{name}[/bold]  group {routes.group_id}  dead letters {routes.dead_letter_topic}"
        )
        console.print(f"  reads {', '.join(routes.topics)}", highlight=False)


@app.command()
def run(  # noqa: PLR0917 - typer passes each option as an argument
    ctx: typer.Context,
    name: SinkArgument,
    drain: Annotated[
        bool, typer.Option("--drain", help="Exit once caught up (lag 0 and idle 2 s) instead of running on.")
    ] = False,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="Read only this topic (repeatable); default: topics.yaml's consumers."),
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Records per batch.", min=1)] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve /metrics, /health and /ready on this port (127.0.0.1).", min=0, max=65535),
    ] = None,
) -> None:
    """Consume the sink's topics and apply them to its target until SIGTERM/SIGINT (or --drain).

    Offsets are committed only after a batch is applied; events that cannot be applied go to the
    sink's dead-letter topic with supplystream.error.* headers; while the target is unreachable the
    partitions are paused and the target probed. Ctrl-C finishes the current write, commits and exits.
    """
    settings = settings_of(ctx)
    routes = _routes(settings, name, topic)
    config = settings.sinks
    if batch_size is not None:
        config = config.model_copy(update={"batch_size": batch_size})
    port = metrics_port if metrics_port is not None else config.metrics_port
    adapter = sink_factory(name)(settings)
    report(f"{name}: group {routes.group_id}, reading {', '.join(routes.topics)}")
    report(f"dead letters to {routes.dead_letter_topic}")
    started = time.monotonic()
    last_report = [started]

    def progress(summary: RunSummary) -> None:
        now = time.monotonic()
        if now - last_report[0] >= 5:
            last_report[0] = now
            report(_summary_line(summary, now - started))

    with SinkRuntime(adapter, settings, routes=routes, config=config) as runtime:
        if port is not None:
            server, _sampler = serve_sink_health(settings, runtime, port)
            report(f"metrics on {server.url}/metrics, health on /health and /ready")
        if drain:
            summary = runtime.drain()
        else:
            stop = threading.Event()
            stop_on_signals(stop)
            summary = runtime.run(stop, on_batch=progress)
    console.print(_summary_line(summary, time.monotonic() - started), highlight=False)


def _summary_line(summary: RunSummary, seconds: float) -> str:
    rate = summary.applied / seconds if seconds > 0 else 0.0
    return (
        f"consumed {summary.consumed:,}, applied {summary.applied:,} ({rate:,.0f}/s), "
        f"dead-lettered {summary.dead_lettered:,}, retried {summary.retried:,}, "
        f"circuit opened {summary.circuit_opened}x, in {seconds:,.1f}s"
    )


@app.command()
def migrate(ctx: typer.Context, name: SinkArgument) -> None:
    """Apply the sink's missing database migrations (the planning sink also does it at start)."""
    if name not in MIGRATABLE:
        raise ConfigurationError(f"sink {name!r} has no migrations (only: {', '.join(MIGRATABLE)})")
    settings = settings_of(ctx)
    # Only planning has migrations; the import stays here so other sinks never load psycopg.
    from sinks.planning import PlanningSink  # noqa: PLC0415

    sink = PlanningSink.from_settings(settings)
    try:
        applied = sink.migrate()
    finally:
        sink.close()
    if applied:
        for migration in applied:
            console.print(f"applied {migration} to schema {sink.schema}")
    else:
        console.print(f"schema {sink.schema} is up to date")


@app.command()
def lag(ctx: typer.Context, name: SinkArgument) -> None:
    """Records the sink's consumer group has not applied yet, per partition with any lag."""
    settings = settings_of(ctx)
    routes = _routes(settings, name, None)
    lags = partition_lags(settings, routes.group_id, routes.topics)
    for (topic, partition), behind in sorted(lags.items()):
        if behind:
            console.print(f"{topic}[{partition}]  {behind:,}", highlight=False)
    console.print(f"group {routes.group_id}: lag {sum(lags.values()):,}", highlight=False)
