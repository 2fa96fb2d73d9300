"""The Odoo source: polls Odoo through OdooClient and publishes what changed as events."""
