"""The Odoo sink contract against a real Odoo 11 Community (`stack up --with-odoo`, private stack)."""

from __future__ import annotations

import pytest

from tests.integration.odoo_sink_contract import OdooSinkContract
from tests.integration.test_odoo_contract_odoo11 import odoo

__all__ = ["odoo"]

pytestmark = [
    pytest.mark.odoo11,
    # restart() starts Odoo from this process, detached on purpose (see test_odoo_contract_odoo11.py).
    pytest.mark.filterwarnings(r"ignore:subprocess \d+ is still running:ResourceWarning"),
]


class TestOdooSinkOnOdoo11(OdooSinkContract):
    """Every Odoo sink contract test, against the real Odoo 11."""
