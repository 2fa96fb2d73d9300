"""The Odoo contract against a real Odoo 11 Community from PyPI (`stack up --with-odoo`)."""

from __future__ import annotations

import os
import signal

import pytest

from supplystream.errors import StackError
from supplystream.stack.odoo11 import DATABASE
from tests.integration.conftest import OdooStack
from tests.integration.odoo_contract import OdooBackend, OdooContract

pytestmark = [
    pytest.mark.odoo11,
    # restart() starts Odoo from this process, detached on purpose (ManagedProcess keeps no
    # handle; `stack down` stops it through its PID file): Popen warns it is "still running".
    pytest.mark.filterwarnings(r"ignore:subprocess \d+ is still running:ResourceWarning"),
]


@pytest.fixture(scope="module")
def odoo(odoo_stack: OdooStack) -> OdooBackend:
    component = odoo_stack.component

    def kill() -> None:
        pid = component.status().pid
        if pid is None:
            raise StackError("Odoo 11 is not running")
        os.kill(pid, signal.SIGKILL)
        while component.status().pid is not None:
            pass

    def restart() -> None:
        component.start(lambda _line: None)
        component.wait_ready(120)

    return OdooBackend(component.url, DATABASE, 11, kill=kill, restart=restart)


class TestOdooContractOnOdoo11(OdooContract):
    """Every contract test, against the real Odoo 11."""
