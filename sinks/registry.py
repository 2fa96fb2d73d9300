"""Which sinks exist: a short name (``supplystream sinks run <name>``) → where its factory lives.

A factory takes the `Settings` and returns a `SinkAdapter`. Entries are ``"module:callable"`` strings,
imported only when that sink runs, so one sink's dependencies never load for another.
To add a sink, add one line to ``SINKS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from sinks.base import SinkAdapter
from supplystream.errors import ConfigurationError
from supplystream.settings import Settings

SinkFactory = Callable[[Settings], SinkAdapter]

SINKS: dict[str, str] = {
    "planning": "sinks.planning.adapter:PlanningSink.from_settings",
    "odoo": "sinks.odoo.sink:OdooSink.from_settings",
    "channel": "sinks.channels.sink:ChannelSink.from_settings",
}


def sink_names() -> list[str]:
    """The registered sinks, sorted."""
    return sorted(SINKS)


def sink_factory(name: str) -> SinkFactory:
    """The factory of sink ``name``."""
    target = SINKS.get(name)
    if target is None:
        raise ConfigurationError(f"unknown sink {name!r}; known sinks: {', '.join(sink_names())}")
    module_name, _, attribute = target.partition(":")
    found: object = importlib.import_module(module_name)
    for part in attribute.split("."):
        found = getattr(found, part)
    if not callable(found):
        raise ConfigurationError(f"sink {name!r}: {target} is not callable")
    return cast(SinkFactory, found)
