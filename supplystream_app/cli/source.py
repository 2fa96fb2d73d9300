"""`supplystream source odoo`: run the Odoo source."""

from __future__ import annotations

import signal
import threading
import uuid
from typing import Annotated

import typer

from producers.odoo_source.source import OdooSource
from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.health import HealthServer, kafka_reachable, main_thread_alive
from supplystream.odoo.client import OdooClient
from supplystream.publisher import Publisher
from supplystream_app.cli.output import console, report, settings_of

app = typer.Typer(help="Run a source adapter.", no_args_is_help=True)


@app.command()
def odoo(  # noqa: PLR0917 - typer passes each option as an argument
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Publish the backlog, then exit.")] = False,
    page_size: Annotated[int, typer.Option(help="Records per Odoo read.", min=1)] = 500,
    poll_interval: Annotated[
        float, typer.Option(help="Seconds between polls once caught up.", min=0.1)
    ] = 5.0,
    default_country: Annotated[
        str | None,
        typer.Option(help="ISO country for customers without one (else their orders are quarantined)."),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve /metrics, /health and /ready on this port (127.0.0.1).", min=0, max=65535),
    ] = None,
) -> None:
    """Publish what changed in Odoo, from where the source last stopped.

    Confirmed/cancelled sale orders (order.placed / order.cancelled), done deliveries with tracking
    (shipment.confirmed), done receipts (purchase.received) and done stock moves (stock.moved).

    The position (a write_date watermark) lives in the compacted topic supplystream.source-positions
    and moves only after Kafka acknowledged the events; SIGTERM finishes the current page and exits.
    """
    settings = settings_of(ctx)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if metrics_port is not None:
        server = HealthServer("odoo-source", metrics_port, host=settings.metrics_host)
        server.live("main", main_thread_alive)
        server.ready("kafka", kafka_reachable(make_admin(settings))).start()
        report(f"metrics on {server.url}/metrics, health on /health and /ready")
    client = OdooClient.from_settings(settings)
    producer = make_producer(settings)
    consumer = make_consumer(settings, group_id=f"supplystream.odoo-source.positions.{uuid.uuid4().hex[:8]}")
    try:
        with Publisher.from_settings(settings) as publisher:
            source = OdooSource(
                client,
                publisher,
                producer,
                consumer,
                database=settings.odoo.database,
                company=settings.odoo.company,
                page_size=page_size,
                report=report,
                default_country=default_country,
            )
            if once:
                progress = source.drain(stop)
            else:
                try:
                    source.run(stop, poll_interval_s=poll_interval)
                except KeyboardInterrupt:
                    stop.set()
                progress = source.progress
    finally:
        consumer.close()
        producer.flush(30)
    console.print(
        f"published {progress.published}, quarantined {progress.quarantined}, {progress.pages} pages"
    )
