"""A sink's group, topics and dead-letter topic come from topics.yaml."""

from __future__ import annotations

import pytest

from sinks.registry import sink_factory, sink_names
from sinks.routes import routes_for
from supplystream.errors import ConfigurationError
from supplystream.paths import project_root
from supplystream.topics.catalog import load_catalog

CATALOG = load_catalog(project_root() / "topics.yaml")


def test_the_planning_sink_reads_every_topic_listing_it() -> None:
    routes = routes_for(CATALOG, "planning-sink")
    assert routes.group_id == "planning-sink"
    assert routes.dead_letter_topic == "planning-sink.dlq"
    assert set(routes.topics) == {e.name for e in CATALOG.topics if "planning-sink" in e.consumers}
    assert "atp.changed" in routes.topics


def test_overrides_win() -> None:
    routes = routes_for(CATALOG, "planning-sink", topics=["t1"], group_id="g", dead_letter_topic="d")
    assert (routes.topics, routes.group_id, routes.dead_letter_topic) == (("t1",), "g", "d")


def test_a_sink_no_topic_lists_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="consumers"):
        routes_for(CATALOG, "nobody-sink")


def test_unknown_sinks_are_named() -> None:
    assert "planning" in sink_names()
    with pytest.raises(ConfigurationError, match=r"known sinks: .*planning"):
        sink_factory("warp-drive")
