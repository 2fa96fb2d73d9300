"""`supplystream webhooks serve`: the webhook source (stub until implemented)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Receive WMS, carrier and marketplace webhooks and publish them as events.", no_args_is_help=True
)
