"""A stand-in for an Odoo 17 server, for tests and demos: NOT Odoo.

It speaks the JSON-RPC API that ``odoorpc`` uses (version_info, ``/jsonrpc`` common/object,
web sessions) over a handful of stock and sales models, persisting to SQLite. See README.md in
this directory for exactly what it covers. Run it with
``python -m supplystream_devkit.odoo_standin --port 8069 --data DIR --seed``.
"""
