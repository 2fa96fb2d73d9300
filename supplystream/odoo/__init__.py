"""Odoo access: one version-aware client (`OdooClient`) used by the Odoo source and the Odoo sink."""
