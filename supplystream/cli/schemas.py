"""`supplystream schemas lint | check | register | codegen`: govern the Avro contracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from supplystream.cli.output import console, settings_of
from supplystream.contracts.codegen import MODELS_FILE, render_models
from supplystream.contracts.compatibility import Incompatibility, PreviousVersion, check
from supplystream.contracts.history import schema_at
from supplystream.contracts.lint import Finding, lint_schema
from supplystream.contracts.schemas import EventSchema, load_envelope, load_event_schemas
from supplystream.errors import ContractError
from supplystream.paths import schemas_dir
from supplystream.registry import SchemaRegistry
from supplystream.settings import Settings
from supplystream.topics.catalog import TopicCatalog, TopicEntry, load_catalog
from supplystream.topics.sync import catalog_path

app = typer.Typer(
    help="Govern the Avro contracts in schemas/: lint, compatibility check, register, generate models.",
    no_args_is_help=True,
)

SchemasOption = Annotated[
    Path | None, typer.Option("--schemas", help="Schema directory (default: the project's schemas/).")
]
BaseOption = Annotated[
    str | None, typer.Option("--base", help="Git ref of the previous contracts, e.g. origin/main.")
]


def _contracts(settings: Settings, directory: Path | None) -> tuple[TopicCatalog, dict[str, EventSchema]]:
    catalog = load_catalog(catalog_path(settings))
    schemas = load_event_schemas(directory or schemas_dir())
    missing = sorted({t for e in catalog.topics for t in e.value_schemas} - schemas.keys())
    if missing:
        raise ContractError(f"topics.yaml names event types without a schema file: {', '.join(missing)}")
    return catalog, schemas


def _subjects(
    catalog: TopicCatalog, schemas: dict[str, EventSchema]
) -> list[tuple[TopicEntry, EventSchema, str]]:
    return [
        (entry, schemas[event_type], entry.value_subject(schemas[event_type].full_name))
        for entry in catalog.topics
        for event_type in entry.value_schemas
    ]


@app.command()
def lint(ctx: typer.Context, schemas: SchemasOption = None, base: BaseOption = None) -> None:
    """Check naming, namespace, docs, the envelope, exact quantities and enum defaults.

    With --base, also that fields added since that git ref carry defaults and no enum symbol was
    removed. Each finding names the file, the field and the rule. Exit 1 when anything is found.
    """
    directory = schemas or schemas_dir()
    _, events = _contracts(settings_of(ctx), directory)
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

    Previous versions come from git (--base, default HEAD: your uncommitted changes) and, with
    --registry, from the registry. Transitive levels check every version. Apache Avro's checker
    decides, client-side. Exit 1 when anything is incompatible.
    """
    settings = settings_of(ctx)
    catalog, events = _contracts(settings, schemas)
    client = SchemaRegistry.from_settings(settings) if registry else None
    ref = base or "HEAD"
    problems: list[tuple[str, Incompatibility]] = []
    for entry, event, subject in _subjects(catalog, events):
        level = catalog.compatibility_of(entry)
        previous: list[PreviousVersion] = []
        if client is not None:
            previous.extend(
                PreviousVersion(f"registered version {number} of {subject}", _json(text))
                for number, text in client.versions(subject)
            )
        at_base = schema_at(ref, event.path)
        if at_base is not None and at_base != event.schema:
            previous.append(PreviousVersion(f"git {ref}", at_base))
        found = check(event.schema, previous, level)
        state = "[red]incompatible[/]" if found else "[green]ok[/]"
        console.print(f"{subject} ({level}, {len(previous)} earlier version(s)): {state}")
        problems.extend((subject, problem) for problem in found)
    for subject, problem in problems:
        console.print(f"  {subject}: {problem.describe()}", markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)


@app.command()
def register(ctx: typer.Context, schemas: SchemasOption = None) -> None:
    """Register every value schema under its subject with the level from topics.yaml. Idempotent."""
    settings = settings_of(ctx)
    catalog, events = _contracts(settings, schemas)
    client = SchemaRegistry.from_settings(settings)
    for entry, event, subject in _subjects(catalog, events):
        level = catalog.compatibility_of(entry)
        existed = bool(client.versions(subject))
        if existed and client.compatibility(subject) != level:
            client.set_compatibility(subject, level)
        registered = client.register(subject, event.text)
        if not existed:
            client.set_compatibility(subject, level)
        console.print(
            f"{subject}: version {registered.version}, id {registered.schema_id}, {level}", highlight=False
        )


@app.command()
def codegen(
    check_only: Annotated[
        bool,
        typer.Option("--check", help="Exit 1 when supplystream/events.py is out of date; write nothing."),
    ] = False,
    schemas: SchemasOption = None,
) -> None:
    """Generate the typed event models (supplystream/events.py) from schemas/*.avsc."""
    target = MODELS_FILE
    text = render_models(schemas or schemas_dir())
    if check_only:
        if not target.is_file() or target.read_text() != text:
            console.print(f"{target} is out of date: run `supplystream schemas codegen`")
            raise typer.Exit(1)
        console.print(f"{target} is up to date")
        return
    target.write_text(text)
    console.print(f"wrote {target}")


def _json(text: str) -> dict[str, object]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ContractError("the registry returned a schema that is not a record")
    return data
