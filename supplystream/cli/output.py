"""Terminal output shared by the subcommands."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from supplystream.settings import Settings

# Piped output (CI logs, `| less`) gets wide lines instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 160
console = Console(highlight=False, width=_WIDTH)
error_console = Console(stderr=True, highlight=False, style="red", width=_WIDTH)


def report(message: str) -> None:
    """Progress line for long work (resolving jars, starting processes, applying plans)."""
    console.print(f"[dim]·[/dim] {message}", highlight=False, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings parsed once by the root command."""
    settings = ctx.find_root().obj
    if not isinstance(settings, Settings):
        raise TypeError("settings were not loaded by the root command")
    return settings
