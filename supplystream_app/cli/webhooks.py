"""`supplystream webhooks serve`: the webhook source (WMS, carrier and marketplace webhooks -> events)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from aiohttp import web

from producers.webhooks import create_app, load_config
from supplystream.clients import make_admin
from supplystream.health import HealthServer, kafka_reachable, main_thread_alive
from supplystream.publisher import Publisher
from supplystream_app.cli.output import console, report, settings_of

app = typer.Typer(
    help="Receive WMS, carrier and marketplace webhooks and publish them as events.", no_args_is_help=True
)


@app.command("serve")
def serve(
    ctx: typer.Context,
    config: Annotated[
        Path,
        typer.Option(
            "--config", help="Webhook senders file (see deploy/webhooks.example.yaml).", dir_okay=False
        ),
    ],
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8090,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve /metrics, /health and /ready on this port (127.0.0.1).", min=0, max=65535),
    ] = None,
) -> None:
    """Serve POST /webhooks/{sender}/{kind} and GET /health until interrupted.

    Answers 202 only after Kafka acknowledged the event; 503 with Retry-After otherwise.
    """
    webhooks = load_config(config)
    settings = settings_of(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    console.print(
        f"webhook source: {len(webhooks.senders)} sender(s) "
        f"({', '.join(s.name for s in webhooks.senders)}) on http://{host}:{port}"
    )
    if metrics_port is not None:
        server = HealthServer("webhooks", metrics_port, host=settings.metrics_host)
        server.live("main", main_thread_alive)
        server.ready("kafka", kafka_reachable(make_admin(settings))).start()
        report(f"metrics on {server.url}/metrics, health on /health and /ready")
    with Publisher.from_settings(settings) as publisher:
        web.run_app(create_app(webhooks, publisher), host=host, port=port, print=None)
