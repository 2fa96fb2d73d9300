"""The development kit: the embedded local stack (Kafka, registry, PostgreSQL, Odoo 11) and the
stand-ins (Odoo 17/19), for the demo, the tests and bench. Production code does not import it."""
