"""The `supplystream` command: one console script, a subcommand per job."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from supplystream.errors import SupplyStreamError
from supplystream.settings import load_settings
from supplystream_app.cli import (
    catalog,
    config,
    demo,
    dlq,
    fulfil,
    lag,
    odoo,
    offsets,
    processors,
    replay,
    schemas,
    simulate,
    sinks,
    source,
    stack,
    tail,
    topics,
    webhooks,
)
from supplystream_app.cli.output import console, error_console

app = typer.Typer(
    name="supplystream",
    help="Event streaming on Apache Kafka for distribution businesses that run Odoo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(stack.app, name="stack")
app.add_typer(topics.app, name="topics")
app.add_typer(schemas.app, name="schemas")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(source.app, name="source")
app.add_typer(sinks.app, name="sinks")
app.add_typer(processors.app, name="processors")
app.add_typer(offsets.app, name="offsets")
app.command("lag")(lag.lag)
app.command("tail")(tail.tail)
app.add_typer(config.app, name="config")
app.command("catalog")(catalog.catalog)
app.command("simulate")(simulate.simulate)
app.command("fulfil")(fulfil.fulfil)
app.command("demo")(demo.demo)
app.command("replay")(replay.replay)
app.add_typer(dlq.app, name="dlq")
app.add_typer(odoo.app, name="odoo")


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="TOML settings file (default: $SUPPLYSTREAM_CONFIG, else ./supplystream.toml if present).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Settings come from SUPPLYSTREAM_* environment variables and an optional TOML file."""
    ctx.obj = load_settings(config)


def main() -> None:
    """Console-script entry point: operator-facing errors print as one message and an exit code."""
    try:
        code = app(standalone_mode=False)
    except SupplyStreamError as exc:
        error_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        error_console.print("aborted")
        sys.exit(130)
    console.file.flush()
    sys.exit(code if isinstance(code, int) else 0)
