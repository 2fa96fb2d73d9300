"""The Odoo sink: platform events applied to Odoo through the Odoo access layer (see README.md)."""

from sinks.odoo.sink import SINK_NAME, OdooSink, sink_factory

__all__ = ["SINK_NAME", "OdooSink", "sink_factory"]
