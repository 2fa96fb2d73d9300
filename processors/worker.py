"""Run one processor as a faust worker process: `supplystream processors run atp|router`."""

from __future__ import annotations

import logging
from typing import Literal

import faust
from prometheus_client import start_http_server

from processors.atp_processor import AtpProcessor
from processors.config import load_processor_config
from processors.order_router import OrderRouter
from supplystream.settings import Settings

ProcessorName = Literal["atp", "router"]

log = logging.getLogger(__name__)


def build(name: ProcessorName, settings: Settings) -> AtpProcessor | OrderRouter:
    """The processor ``name`` with its faust app, configured from settings and the config file."""
    config = load_processor_config(settings.processors.config_file)
    return AtpProcessor(settings, config) if name == "atp" else OrderRouter(settings, config)


def run(name: ProcessorName, settings: Settings, *, loglevel: str = "WARN") -> None:
    """Start the worker; returns when it stops (SIGTERM/SIGINT stop it gracefully, committing first)."""
    processor = build(name, settings)
    port = settings.processors.metrics_port
    if port is not None:
        start_http_server(port, addr="127.0.0.1", registry=processor.metrics.registry)
    processor.prepare()
    worker = faust.Worker(processor.app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
