"""Sinks: apply events idempotently to Odoo, sales channels and the planning engine."""
