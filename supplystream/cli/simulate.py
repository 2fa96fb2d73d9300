"""`supplystream simulate`: a distribution business generating events (stub until implemented)."""

from __future__ import annotations

import typer


def simulate(ctx: typer.Context) -> None:
    """Publish a simulated distribution business's events."""
    raise typer.Exit(1)
