"""What a sink consumes and where its dead letters go, read from topics.yaml (pure).

The consumer group is the sink's name; its topics are those whose ``consumers`` list the sink; its
dead-letter topic follows the catalog's ``dead_letters`` rule (``{consumer}.dlq``). Tests and
re-drives override any of the three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supplystream.errors import ConfigurationError
from supplystream.topics.catalog import TopicCatalog


@dataclass(frozen=True, slots=True)
class SinkRoutes:
    """A sink's consumer group, input topics and dead-letter topic."""

    sink: str
    group_id: str
    topics: tuple[str, ...]
    dead_letter_topic: str


def routes_for(
    catalog: TopicCatalog,
    sink: str,
    *,
    topics: Sequence[str] | None = None,
    group_id: str | None = None,
    dead_letter_topic: str | None = None,
) -> SinkRoutes:
    """The routes of ``sink`` from the catalog, with optional overrides."""
    declared = tuple(entry.name for entry in catalog.topics if sink in entry.consumers)
    if not declared and topics is None:
        known = ", ".join(catalog.consumers()) or "none"
        raise ConfigurationError(
            f"no topic in topics.yaml lists {sink!r} among its consumers (consumers: {known}); "
            "add it to the `consumers` of the topics it reads"
        )
    return SinkRoutes(
        sink=sink,
        group_id=group_id or sink,
        topics=tuple(topics) if topics is not None else declared,
        dead_letter_topic=dead_letter_topic or catalog.dead_letters.topic_for(sink),
    )
