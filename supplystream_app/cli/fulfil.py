"""`supplystream fulfil`: the STAND-IN warehouse management system that ships what the router allocated."""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated

import typer

from producers.simulator import Simulation, SimulationConfig
from producers.warehouse_standin import StandinRoutes, WarehouseStandin, describe_summary
from sinks.runtime import stop_on_signals
from supplystream.contracts.registration import load_contracts
from supplystream_app.cli.output import console, report, settings_of


def fulfil(
    ctx: typer.Context,
    *,
    delay_s: Annotated[
        float,
        typer.Option("--delay-s", help="Seconds (wall clock) between an allocation and its shipment.", min=0),
    ] = 1.0,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Units of measure (kg or Units) of the SKUs of `supplystream simulate --seed`'s catalogue.",
        ),
    ] = 1,
    group: Annotated[
        str | None,
        typer.Option("--group", help="Consumer group (default: wms-standin, its name in topics.yaml)."),
    ] = None,
) -> None:
    """STAND-IN for a warehouse management system: ships what the router allocated.

    For demos and tests, not production. Reads order.allocated and order.cancelled (group
    wms-standin) and, --delay-s after each allocation, publishes one shipment.confirmed per
    allocated warehouse and a stock.moved DELIVERY per line, unless the order was cancelled
    meanwhile. Offsets are committed after Kafka acknowledged the shipments; at start it reads the
    shipment ids already in shipment.confirmed and never ships one twice (safe to kill and restart).
    Undecodable input goes to wms-standin.dlq. SIGTERM/Ctrl-C: finish, flush, commit, exit 0.
    """
    settings = settings_of(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    units = Simulation(seed, SimulationConfig()).units_of_measure()
    catalog, _schemas = load_contracts(settings)
    routes = StandinRoutes.from_catalog(catalog, group_id=group)
    with WarehouseStandin(
        settings, delay_s=delay_s, routes=routes, uom_of=lambda sku: units.get(sku, "Units")
    ) as standin:
        report(
            f"STAND-IN warehouse: group {standin.routes.group_id}, reading {standin.routes.allocations} and "
            f"{standin.routes.cancellations}; dead letters to {standin.routes.dead_letter_topic}"
        )
        stop = threading.Event()
        stop_on_signals(stop)
        started = time.monotonic()
        summary = standin.run(stop)
    console.print(describe_summary(summary, time.monotonic() - started), highlight=False)
