"""`supplystream catalog`: the event catalog for subscribers (AsyncAPI 3.0 and Markdown)."""

from __future__ import annotations

import typer


def catalog(ctx: typer.Context) -> None:
    """Generate the AsyncAPI 3.0 document and the Markdown event catalog."""
    raise typer.Exit(1)
