"""`supplystream schemas lint | check | register | codegen`: govern the Avro contracts."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Govern the Avro contracts in schemas/: lint, compatibility check, register, generate models.",
    no_args_is_help=True,
)
