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


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OdooBackend]:
    port = _free_port()
    data: Path = tmp_path_factory.mktemp("odoo-standin")
    log = (data / "standin.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supplystream.odoo.standin",
            "--port",
            str(port),
            "--data",
            str(data),
            "--seed",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.post(f"{url}/web/webclient/version_info", json={}).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the stand-in did not start: {(data / 'standin.log').read_text()}")
        time.sleep(0.2)
    try:
        yield OdooBackend(url, "supplystream", 17)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


class TestOdooContractOnStandin(OdooContract):
    """Every contract test, against the stand-in."""
