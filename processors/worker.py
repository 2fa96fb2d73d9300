"""Run one processor as a faust worker process: `supplystream processors run atp|router`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

import faust

from processors.atp_processor import AtpProcessor
from processors.config import load_processor_config
from processors.order_router import OrderRouter
from supplystream.consumer_lag import LagSampler
from supplystream.health import HealthServer, recent
from supplystream.settings import Settings

ProcessorName = Literal["atp", "router"]

log = logging.getLogger(__name__)

#: The event loop not turning for this long means the worker is stuck: /health fails.
LOOP_STALE_S = 60.0


def build(name: ProcessorName, settings: Settings) -> AtpProcessor | OrderRouter:
    """The processor ``name`` with its faust app, configured from settings and the config file."""
    config = load_processor_config(settings.processors.config_file)
    return AtpProcessor(settings, config) if name == "atp" else OrderRouter(settings, config)


@dataclass
class _Observed:
    """The worker's state as last seen from its event loop (read by the health server's thread)."""

    beat: float | None = None
    assigned: int = 0
    rebalancing: bool = True
    recovering: bool = True


def serve_health(
    processor: AtpProcessor | OrderRouter, settings: Settings, port: int
) -> tuple[HealthServer, LagSampler]:
    """/metrics, /health (the event loop turns) and /ready (partitions assigned, not rebalancing, tables
    recovered) on 127.0.0.1; lag gauges of the processor's group. Call before the worker starts; the
    caller stops both (the sampler's Kafka clients too)."""
    app = processor.app
    observed = _Observed()

    @app.timer(1.0)  # type: ignore[untyped-decorator]
    async def observe() -> None:
        observed.beat = time.monotonic()
        observed.assigned = len(app.consumer.assignment())
        observed.rebalancing = bool(app.rebalancing)
        tables: Any = app.tables
        observed.recovering = bool(tables.recovery.in_recovery)

    def ready() -> tuple[bool, str]:
        ok = observed.assigned > 0 and not observed.rebalancing and not observed.recovering
        return ok, (
            f"{observed.assigned} partitions, rebalancing={observed.rebalancing}, "
            f"recovering={observed.recovering}"
        )

    group: Any = app.conf.id
    server = HealthServer(str(group), port, host=settings.metrics_host, registry=processor.metrics.registry)
    server.live("event loop", recent(lambda: observed.beat, LOOP_STALE_S, "last timer tick"))
    server.ready("consumer", ready)
    sampler = LagSampler(settings, str(group), (), processor.metrics.registry)
    return server.start(), sampler.start()


def run(name: ProcessorName, settings: Settings, *, loglevel: str = "WARN") -> None:
    """Start the worker; returns when it stops (SIGTERM/SIGINT stop it gracefully, committing first)."""
    processor = build(name, settings)
    port = settings.processors.metrics_port
    health = serve_health(processor, settings, port) if port is not None else None
    processor.prepare()
    worker = faust.Worker(processor.app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    # faust's terminal spinner sets the root logger to DEBUG so it can spin on every record: every
    # aiokafka debug call then builds a log record (~7% of the worker's CPU in bench/atp's profile).
    worker.spinner = None
    try:
        worker.execute_from_commandline()
    finally:
        if health is not None:
            server, sampler = health
            sampler.stop()
            server.close()
