"""`supplystream schemas lint | check | register | codegen`: govern the Avro contracts."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from supplystream.contracts.codegen import MODELS_FILE, render_models
from supplystream.contracts.compatibility import Incompatibility, PreviousVersion, check
from supplystream.contracts.history import schema_at
from supplystream.contracts.lint import Finding, lint_schema
from supplystream.contracts.registration import load_contracts, register_all, value_subjects
from supplystream.contracts.schemas import load_envelope
from supplystream.errors import ContractError
from supplystream.paths import installed_contracts_dir, locate_contracts
from supplystream.registry import SchemaRegistry
from supplystream_app.cli.output import console, contracts_used, settings_of

app = typer.Typer(
    help="Govern the Avro contracts in schemas/: lint, compatibility check, register, generate models.",
    no_args_is_help=True,
)

SchemasOption = Annotated[
    Path | None,
    typer.Option(
        "--schemas",
        help="Schema directory (default: schemas/ beside the nearest topics.yaml at or above the "
        "working directory, else the installed package's).",
    ),
]
BaseOption = Annotated[
    str | None, typer.Option("--base", help="Git ref of the previous contracts, e.g. origin/main.")
]


@app.command()
def lint(ctx: typer.Context, schemas: SchemasOption = None, base: BaseOption = None) -> None:
    """Check naming, namespace, docs, the envelope, exact quantities and enum defaults.

    With --base, also that fields added since that git ref carry defaults and no enum symbol was
    removed. Each finding names the file, the field and the rule. Exit 1 when anything is found.
    """
    settings = settings_of(ctx)
    _, directory = contracts_used(settings, schemas)
    _, events = load_contracts(settings, directory)
    envelope = load_envelope(directory)
    findings: list[Finding] = []
    for event in events.values():
        previous = schema_at(base, event.path) if base else None
        findings.extend(lint_schema(event.path.name, event.event_type, event.schema, envelope, previous))
    for finding in findings:
        console.print(finding.describe(), markup=False, soft_wrap=True)
    console.print(f"{len(events)} schemas, {len(findings)} finding(s)")
    if findings:
        raise typer.Exit(1)


@app.command("check")
def check_compatibility(
    ctx: typer.Context,
    registry: Annotated[
        bool, typer.Option("--registry", help="Also check against every version registered for the subject.")
    ] = False,
    base: BaseOption = None,
    schemas: SchemasOption = None,
) -> None:
    """Check every schema against its previous versions under its subject's compatibility level.

    The contracts are topics.yaml and schemas/ of the nearest directory at or above the working
    directory holding topics.yaml (the installed package's own outside any project); the files
    used are printed first. Previous versions come from git (--base, default HEAD: your uncommitted
    changes) and, with --registry, from the registry. Transitive levels check every version.
    Apache Avro's checker decides, client-side. Exit 1 when anything is incompatible.
    """
    settings = settings_of(ctx)
    _, directory = contracts_used(settings, schemas)
    catalog, events = load_contracts(settings, directory)
    ref = base or "HEAD"
    problems: list[tuple[str, Incompatibility]] = []
    with SchemaRegistry.from_settings(settings) if registry else nullcontext() as client:
        for value in value_subjects(catalog, events):
            previous: list[PreviousVersion] = []
            if client is not None:
                previous.extend(
                    PreviousVersion(f"registered version {number} of {value.subject}", _json(text))
                    for number, text in client.versions(value.subject)
                )
            at_base = schema_at(ref, value.event.path)
            if at_base is not None and at_base != value.event.schema:
                previous.append(PreviousVersion(f"git {ref}", at_base))
            found = check(value.event.schema, previous, value.compatibility)
            state = "[red]incompatible[/]" if found else "[green]ok[/]"
            console.print(
                f"{value.subject} ({value.compatibility}, {len(previous)} earlier version(s)): {state}"
            )
            problems.extend((value.subject, problem) for problem in found)
    for subject, problem in problems:
        console.print(f"  {subject}: {problem.describe()}", markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)


@app.command()
def register(ctx: typer.Context, schemas: SchemasOption = None) -> None:
    """Register every value schema under its subject with the level from topics.yaml. Idempotent."""
    settings = settings_of(ctx)
    _, directory = contracts_used(settings, schemas)
    catalog, events = load_contracts(settings, directory)
    subjects = value_subjects(catalog, events)
    with SchemaRegistry.from_settings(settings) as client:
        for value, registered in zip(subjects, register_all(client, subjects), strict=True):
            console.print(
                f"{registered.subject}: version {registered.version}, id {registered.schema_id}, "
                f"{value.compatibility}",
                highlight=False,
            )


@app.command()
def codegen(
    ctx: typer.Context,
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Exit 1 when supplystream/events.py is out of date; write nothing."),
    ] = False,
    schemas: SchemasOption = None,
) -> None:
    """Generate the typed event models (supplystream/events.py) from schemas/*.avsc.

    The module written is that of the project whose contracts are used (see `schemas check`).
    """
    _, directory = contracts_used(settings_of(ctx), schemas)
    target = _models_file(locate_contracts().directory)
    text = render_models(directory)
    if check_only:
        if not target.is_file() or target.read_text() != text:
            console.print(f"{target} is out of date: run `supplystream schemas codegen`")
            raise typer.Exit(1)
        console.print(f"{target} is up to date")
        return
    target.write_text(text)
    console.print(f"wrote {target}")


def _models_file(contracts: Path) -> Path:
    """The generated models of the project holding ``contracts``: this package's, or a clone's own."""
    if contracts == installed_contracts_dir():
        return MODELS_FILE
    target = contracts / "supplystream" / MODELS_FILE.name
    if not target.is_file():
        raise ContractError(
            f"codegen writes supplystream/{MODELS_FILE.name} of a SupplyStream checkout; "
            f"{contracts} has none (its topics.yaml is the nearest to the working directory)"
        )
    return target


def _json(text: str) -> dict[str, object]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ContractError("the registry returned a schema that is not a record")
    return data
