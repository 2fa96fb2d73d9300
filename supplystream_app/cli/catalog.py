"""`supplystream catalog`: the event catalog for subscribers (AsyncAPI 3.0 and Markdown)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from supplystream.contracts.asyncapi import build_asyncapi, dump_asyncapi
from supplystream.contracts.markdown import render_markdown
from supplystream.contracts.schemas import load_event_schemas
from supplystream.errors import ConfigurationError
from supplystream.topics.catalog import load_catalog
from supplystream_app.cli.output import console, contracts_used, report, settings_of


class DocumentFormat(StrEnum):
    """How the AsyncAPI document is written."""

    yaml = "yaml"
    json = "json"


def catalog(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory to write into; created if missing.", file_okay=False),
    ] = Path("docs/catalog"),
    fmt: Annotated[
        DocumentFormat,
        typer.Option("--format", help="Write the AsyncAPI document as asyncapi.yaml or asyncapi.json."),
    ] = DocumentFormat.yaml,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="Topic catalog (default: the nearest topics.yaml at or above the working directory).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Generate the event catalog for subscribers: AsyncAPI 3.0 and Markdown.

    Writes two files into --out (default docs/catalog): asyncapi.yaml (or asyncapi.json), an
    AsyncAPI 3.0.0 document with one channel and one receive operation per topic of topics.yaml,
    the Avro schema of each event as payload, Kafka bindings (key, partitions, replicas, retention,
    Confluent schema-id framing) and an example per message; and events.md, the same catalog for
    people: key and value, subject and compatibility, retention, owner, consumers and their
    dead-letter topics, a table of every field and an example message. Partitions, replication and
    retention are those of the environment (SUPPLYSTREAM_ENVIRONMENT); the server is the configured
    bootstrap servers and schema registry. Nothing is contacted: the files come from topics.yaml and
    schemas/ alone.
    """
    settings = settings_of(ctx)
    topics_file, schemas_dir = contracts_used(settings, topics=file)
    catalog_ = load_catalog(topics_file)
    schemas = load_event_schemas(schemas_dir)
    document = build_asyncapi(
        catalog_,
        schemas,
        environment=settings.environment,
        bootstrap_servers=settings.bootstrap_servers,
        registry_url=settings.registry_url,
    )
    markdown = render_markdown(
        catalog_,
        schemas,
        environment=settings.environment,
        bootstrap_servers=settings.bootstrap_servers,
        registry_url=settings.registry_url,
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
        asyncapi_path = out / f"asyncapi.{fmt.value}"
        asyncapi_path.write_text(dump_asyncapi(document, fmt.value))
        markdown_path = out / "events.md"
        markdown_path.write_text(markdown)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the catalog into {out}: {exc.strerror}") from exc
    report(
        f"catalog {topics_file} (environment {settings.environment!r}): {len(document['channels'])} "
        f"topic(s), {len(document['components']['messages'])} message(s)"
    )
    console.print(f"wrote {asyncapi_path} (AsyncAPI {document['asyncapi']})", highlight=False, soft_wrap=True)
    console.print(f"wrote {markdown_path} (Markdown)", highlight=False, soft_wrap=True)
