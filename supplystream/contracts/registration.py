"""The contracts as the platform uses them: topics.yaml joined with schemas/, and their registration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from supplystream.contracts.schemas import EventSchema, load_event_schemas
from supplystream.errors import ContractError
from supplystream.paths import schemas_dir
from supplystream.registry import RegisteredSchema, SchemaRegistry
from supplystream.settings import Settings
from supplystream.topics.catalog import Compatibility, TopicCatalog, TopicEntry, load_catalog
from supplystream.topics.sync import catalog_path


@dataclass(frozen=True)
class ValueSubject:
    """One registry subject: the topic, the event schema it carries, and its compatibility level."""

    topic: TopicEntry
    event: EventSchema
    subject: str
    compatibility: Compatibility


def load_contracts(
    settings: Settings, directory: Path | None = None
) -> tuple[TopicCatalog, dict[str, EventSchema]]:
    """The topic catalog and every event schema; every event type topics.yaml names must exist."""
    catalog = load_catalog(catalog_path(settings))
    schemas = load_event_schemas(directory or schemas_dir())
    missing = sorted({t for e in catalog.topics for t in e.value_schemas} - schemas.keys())
    if missing:
        raise ContractError(f"topics.yaml names event types without a schema file: {', '.join(missing)}")
    return catalog, schemas


def value_subjects(catalog: TopicCatalog, schemas: dict[str, EventSchema]) -> list[ValueSubject]:
    """Every (topic, event type) pair with its subject under the topic's naming strategy."""
    return [
        ValueSubject(
            entry,
            schemas[event_type],
            entry.value_subject(schemas[event_type].full_name),
            catalog.compatibility_of(entry),
        )
        for entry in catalog.topics
        for event_type in entry.value_schemas
    ]


def register_all(registry: SchemaRegistry, subjects: list[ValueSubject]) -> list[RegisteredSchema]:
    """Register every value schema with its level; idempotent (same id and version the second time)."""
    results = []
    for value in subjects:
        existed = bool(registry.versions(value.subject))
        if existed and registry.compatibility(value.subject) != value.compatibility:
            registry.set_compatibility(value.subject, value.compatibility)
        results.append(registry.register(value.subject, value.event.text))
        if not existed:
            registry.set_compatibility(value.subject, value.compatibility)
    return results
