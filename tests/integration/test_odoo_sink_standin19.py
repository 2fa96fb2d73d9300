"""The Odoo sink contract against the stand-in presenting itself as Odoo 19, over JSON-2: every event
type, the demo catalog (`supplystream odoo seed`'s `ensure_catalog`), refusals and waits, each
JSON-2 call its own transaction as each JSON-RPC call is."""

from __future__ import annotations

import pytest

from tests.integration.odoo_sink_contract import OdooSinkContract
from tests.integration.test_odoo_contract_standin19 import odoo, standin

__all__ = ["odoo", "standin"]

pytestmark = pytest.mark.integration


class TestOdooSinkOnStandin19(OdooSinkContract):
    """Every Odoo sink contract test, against the stand-in as Odoo 19 over JSON-2."""
