"""The Odoo contract against the Odoo 17 stand-in (a fresh, seeded instance for the session)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.odoo_contract import OdooBackend, OdooContract

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class StandinProcess:
    """A stand-in on its own port and data directory, which a test may kill and restart."""

    def __init__(self, data: Path) -> None:
        self.port = _free_port()
        self.data = data
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.start(seed=True)

    def start(self, seed: bool = False) -> None:
        with (self.data / "standin.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supplystream.odoo.standin", "--port", str(self.port), "--data",
                 str(self.data), *(["--seed"] if seed else [])],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.post(f"{self.url}/web/webclient/version_info", json={}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stand-in did not start: {(self.data / 'standin.log').read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OdooBackend]:
    standin = StandinProcess(tmp_path_factory.mktemp("odoo-standin"))
    try:
        yield OdooBackend(standin.url, "supplystream", 17, kill=standin.kill, restart=standin.start)
    finally:
        standin.kill()


class TestOdooContractOnStandin(OdooContract):
    """Every contract test, against the stand-in."""
