"""SupplyStream: event streaming on Apache Kafka for distribution businesses that run Odoo.

This package is the shared runtime: settings, the topic catalog, the Kafka client factory, the
local stack and the command line. Sources live in `producers`, stream processors in `processors`,
sinks in `sinks`.
"""

__version__ = "0.1.0"
