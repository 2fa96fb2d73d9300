"""Terminal output shared by the subcommands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from supplystream.paths import SCHEMAS_DIR, TOPICS_FILE, locate_contracts
from supplystream.settings import Settings

# Piped output (CI logs, `| less`) gets wide lines instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 160
console = Console(highlight=False, width=_WIDTH)
error_console = Console(stderr=True, highlight=False, style="red", width=_WIDTH)
# Where a command's inputs came from: on stderr, so its standard output stays data to pipe.
notice_console = Console(stderr=True, highlight=False, width=_WIDTH)


def report(message: str) -> None:
    """Progress line for long work (resolving jars, starting processes, applying plans)."""
    console.print(f"[dim]·[/dim] {message}", highlight=False, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings parsed once by the root command."""
    settings = ctx.find_root().obj
    if not isinstance(settings, Settings):
        raise TypeError("settings were not loaded by the root command")
    return settings


def contracts_used(
    settings: Settings, schemas: Path | None = None, topics: Path | None = None
) -> tuple[Path, Path]:
    """The topics.yaml and schema directory a command uses, each printed (stderr) with how it was chosen.

    Given paths win, then the topics_file setting, then the contracts found from the working
    directory upwards (the installed package's own only outside any project).
    """
    location = locate_contracts()
    found = location.describe()
    topics_file = topics or settings.topics_file or location.directory / TOPICS_FILE
    topics_how = "given" if topics else "the topics_file setting" if settings.topics_file else found
    schemas_dir = schemas or location.directory / SCHEMAS_DIR
    notice_console.print(f"using {topics_file} ({topics_how})", markup=False, soft_wrap=True)
    schemas_how = "given" if schemas else found
    notice_console.print(f"using {schemas_dir} ({schemas_how})", markup=False, soft_wrap=True)
    return topics_file, schemas_dir
