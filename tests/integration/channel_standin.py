"""The channel stand-in as a separate process for tests: start, stop (an outage), restart, query."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from supplystream_devkit.ports import free_port


class StandinProcess:
    """``python -m sinks.channels.standin`` on a fixed port with its journal in ``data``."""

    def __init__(
        self, data: Path, secret: str, *, auth: str = "bearer", locations: tuple[int, ...] = (1,)
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = data
        self._secret = secret
        self._auth = auth
        self._locations = locations
        self._process: subprocess.Popen[bytes] | None = None
        self._log = (data / "standin.log").open("ab")

    def start(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "sinks.channels.standin",
            "--port",
            str(self.port),
            "--data",
            str(self.data),
        ]
        argv += ["--auth", self._auth, "--secret-env", "STANDIN_SECRET", "--bucket-size", "100000"]
        argv += ["--leak-rate", "100000", "--log-level", "WARNING"]
        for location in self._locations:
            argv += ["--location", str(location)]
        self._process = subprocess.Popen(
            argv, stdout=self._log, stderr=self._log, env={**os.environ, "STANDIN_SECRET": self._secret}
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/_standin/faults", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"the channel stand-in did not answer on {self.url}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            self._process.wait(15)
            self._process = None

    def close(self) -> None:
        self.stop()
        self._log.close()

    def _get(self, path: str, **params: Any) -> Any:
        return httpx.get(f"{self.url}/_standin/{path}", params=params, timeout=10).json()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.url}/_standin/{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def add_products(self, skus: list[str]) -> None:
        self._post("products", {"skus": skus})

    def add_orders(self, names: list[str], location_id: int) -> None:
        self._post("orders", {"names": names, "location_id": location_id})

    def fault(self, mode: str, **options: Any) -> None:
        self._post("faults", {"mode": mode, **options})

    def levels(self, location_id: int) -> dict[str, int]:
        return {
            level["sku"]: level["available"]
            for level in self._get("levels")["levels"]
            if level["location_id"] == location_id
        }

    def fulfillments(self) -> list[dict[str, Any]]:
        return list(self._get("fulfillments")["fulfillments"])

    def requests(self, rest: str | None = None) -> list[dict[str, Any]]:
        params = {"rest": rest} if rest else {}
        return list(self._get("requests", **params)["requests"])
