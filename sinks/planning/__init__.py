"""The planning sink: events into the planning engine's PostgreSQL (see `sinks.planning.adapter`)."""

from sinks.planning.adapter import PlanningSink

__all__ = ["PlanningSink"]
