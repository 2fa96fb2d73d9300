"""The Odoo stand-in (supplystream_devkit.odoo_standin) as a process of the local stack, presenting itself
as Odoo 17 by default or 19 (``SUPPLYSTREAM_STACK__ODOO_STANDIN_VERSION``).

It keeps its data in SQLite under the stack home, so it survives its own restart; the first start
seeds the demo company (warehouses WH-EAST and WH-WEST, products SKU-1001..SKU-1005, admin/admin).
"""

from __future__ import annotations

import sys

import httpx

from supplystream.settings import StackSettings
from supplystream_devkit.stack.layout import ComponentStatus, Report, StackLayout, State
from supplystream_devkit.stack.processes import ManagedProcess, ensure_port_free, wait_until_answers


class OdooStandin:
    """The local stack's Odoo stand-in process."""

    name = "odoo-standin"

    def __init__(self, settings: StackSettings, layout: StackLayout) -> None:
        self._settings = settings
        self._layout = layout
        self._dir = layout.component("odoo-standin")
        self._log = layout.logs / "odoo-standin.log"
        self._process = ManagedProcess(self.name, layout.run / "odoo-standin.pid", layout.marker)

    @property
    def url(self) -> str:
        """Base URL of its API (JSON-RPC; JSON-2 too when it presents itself as 19)."""
        return f"http://127.0.0.1:{self._settings.odoo_standin_port}"

    def start(self, report: Report) -> bool:
        """Start unless it runs; seed the demo company on the very first start."""
        if self._process.pid() is not None:
            return False
        ensure_port_free(
            self._settings.odoo_standin_port, "the Odoo stand-in", "SUPPLYSTREAM_STACK__ODOO_STANDIN_PORT"
        )
        first_start = not self._dir.exists()
        self._dir.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            f"-X{self._layout.marker}",
            "-m",
            "supplystream_devkit.odoo_standin",
            "--port",
            str(self._settings.odoo_standin_port),
            "--data",
            str(self._dir),
            "--odoo-version",
            str(self._settings.odoo_standin_version),
        ]
        if first_start:
            report(f"seeding the Odoo stand-in's demo company in {self._dir}")
            argv.append("--seed")
        self._process.start(argv, self._log)
        return True

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until /web/webclient/version_info answers."""
        with httpx.Client(timeout=2.0) as client:

            def answers() -> bool:
                try:
                    return client.post(f"{self.url}/web/webclient/version_info", json={}).status_code == 200
                except httpx.TransportError:
                    return False

            wait_until_answers(
                answers,
                self._process,
                what="the Odoo stand-in",
                address=self.url,
                log=self._log,
                timeout_s=timeout_s,
            )

    def stop(self) -> bool:
        """Stop it."""
        return self._process.stop(timeout_s=15)

    def status(self) -> ComponentStatus:
        """Running or not, and the Odoo version it imitates."""
        pid = self._process.pid()
        state: State = "stopped"
        version: str | None = None
        detail = ""
        if pid is not None:
            try:
                response = httpx.post(
                    f"{self.url}/web/webclient/version_info",
                    json={"jsonrpc": "2.0", "params": {}},
                    timeout=5.0,
                )
                response.raise_for_status()
                version = f"stand-in for {response.json()['result']['server_version']}"
                state = "running"
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                state, detail = "unhealthy", str(exc)
        return ComponentStatus(self.name, state, self.url, pid, version, self._log, detail)
