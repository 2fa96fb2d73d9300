"""`supplystream odoo seed`: the simulator's catalog (products, warehouses) created in the configured Odoo."""

from __future__ import annotations

from typing import Annotated

import typer

from producers.simulator import Simulation, SimulationConfig
from supplystream.odoo.client import OdooClient
from supplystream_app.catalog_seed import ensure_catalog, simulation_products, simulation_warehouses
from supplystream_app.cli.output import console, report, settings_of

app = typer.Typer(help="Work with the configured Odoo (SUPPLYSTREAM_ODOO__*).", no_args_is_help=True)


@app.command("seed")
def seed(
    ctx: typer.Context,
    seed: Annotated[
        int, typer.Option("--seed", help="The simulation's seed (as in `supplystream simulate`).")
    ] = 1,
    sku_count: Annotated[
        int | None,
        typer.Option("--sku-count", help="SKUs of the simulation (default: the simulator's).", min=1),
    ] = None,
) -> None:
    """Create the products and warehouses a simulation uses where Odoo lacks them (idempotent)."""
    settings = settings_of(ctx)
    config = SimulationConfig() if sku_count is None else SimulationConfig(sku_count=sku_count)
    simulation = Simulation(seed, config)
    products, warehouses = simulation_products(simulation), simulation_warehouses(simulation)
    report(f"seeding {len(products)} products and {len(warehouses)} warehouses into {settings.odoo_url}")
    client = OdooClient.from_settings(settings)
    summary = ensure_catalog(client, products, warehouses)
    report(f"Odoo {client.version} over {client.api}")
    console.print(
        f"products: {len(summary.products_created)} created, {summary.products_existing} already there"
    )
    created = ", ".join(f"{name} (code {code})" for name, code in summary.warehouses_created) or "none"
    console.print(f"warehouses: {created} created, {summary.warehouses_existing} already there")
