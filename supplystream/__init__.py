"""SupplyStream's core: events, serde, registry, settings, Kafka clients, the publisher, dead-letter
headers, the ATP arithmetic and view, the Odoo client. It imports no role (`producers`, `processors`,
`sinks`); the command line is `supplystream_app`, the local stack `supplystream_devkit`.
"""

__version__ = "0.1.0"
