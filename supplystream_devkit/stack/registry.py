"""Apicurio Registry 3 from Maven Central, used only through its Confluent-compatible API.

Storage is the stack's PostgreSQL (``apicurio.storage.kind=sql``, ``sql.kind=postgresql``), so
schemas and their ids survive a restart. Apicurio Registry 3.3 needs Java 21 or newer.
"""

from __future__ import annotations

import httpx

from supplystream.settings import StackSettings
from supplystream_devkit.stack.distributions import registry_home
from supplystream_devkit.stack.layout import ComponentStatus, Report, StackLayout, State
from supplystream_devkit.stack.postgres import SUPERUSER
from supplystream_devkit.stack.prerequisites import find_java
from supplystream_devkit.stack.processes import ManagedProcess, ensure_port_free, wait_until_answers

REGISTRY_MIN_JAVA = 21
CCOMPAT_PATH = "/apis/ccompat/v7"


class SchemaRegistry:
    """The local stack's schema registry process."""

    name = "registry"

    def __init__(self, settings: StackSettings, layout: StackLayout) -> None:
        self._settings = settings
        self._layout = layout
        self._log = layout.logs / "registry.log"
        self._process = ManagedProcess("registry", layout.run / "registry.pid", layout.marker)

    @property
    def url(self) -> str:
        """The Confluent-compatible base URL."""
        return f"http://127.0.0.1:{self._settings.registry_port}{CCOMPAT_PATH}"

    def start(self, report: Report) -> bool:
        """Start the registry unless it runs (PostgreSQL must already answer)."""
        if self._process.pid() is not None:
            return False
        ensure_port_free(
            self._settings.registry_port, "the schema registry", "SUPPLYSTREAM_STACK__REGISTRY_PORT"
        )
        ensure_port_free(
            self._settings.registry_management_port,
            "the registry's management interface",
            "SUPPLYSTREAM_STACK__REGISTRY_MANAGEMENT_PORT",
        )
        home = registry_home(self._layout.dist, report)
        java = find_java(REGISTRY_MIN_JAVA, "Apicurio Registry 3")
        port = self._settings.registry_port
        jdbc = f"jdbc:postgresql://127.0.0.1:{self._settings.postgres_port}/registry"
        properties = {
            "quarkus.http.host": "127.0.0.1",
            "quarkus.http.port": str(port),
            "quarkus.management.host": "127.0.0.1",
            "quarkus.management.port": str(self._settings.registry_management_port),
            "apicurio.storage.kind": "sql",
            "apicurio.storage.sql.kind": "postgresql",
            "apicurio.datasource.url": jdbc,
            "apicurio.datasource.username": SUPERUSER,
            "apicurio.datasource.password": "",
            "apicurio.datasource.jdbc.initial-size": "2",
            "apicurio.datasource.jdbc.min-size": "2",
            "apicurio.datasource.jdbc.max-size": "10",
        }
        argv = [
            str(java.executable),
            f"-Xmx{self._settings.registry_heap}",
            "-XX:+UseSerialGC",
            f"-D{self._layout.marker}",
            *(f"-D{key}={value}" for key, value in properties.items()),
            "-jar",
            str(home / "quarkus-run.jar"),
        ]
        self._process.start(argv, self._log, cwd=home)
        return True

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until the Confluent-compatible API lists subjects."""
        with httpx.Client(timeout=2.0) as client:

            def lists_subjects() -> bool:
                try:
                    return client.get(f"{self.url}/subjects").status_code == 200
                except httpx.TransportError:
                    return False

            wait_until_answers(
                lists_subjects,
                self._process,
                what="the schema registry",
                address=self.url,
                log=self._log,
                timeout_s=timeout_s,
            )

    def stop(self) -> bool:
        """Stop the registry."""
        return self._process.stop(timeout_s=30)

    def status(self) -> ComponentStatus:
        """Running or not, with the number of registered subjects."""
        pid = self._process.pid()
        state: State = "stopped"
        detail = ""
        if pid is not None:
            try:
                response = httpx.get(f"{self.url}/subjects", timeout=5.0)
                response.raise_for_status()
                state, detail = "running", f"{len(response.json())} subjects"
            except httpx.HTTPError as exc:
                state, detail = "unhealthy", str(exc)
        return ComponentStatus(self.name, state, self.url, pid, self.version(), self._log, detail)

    def version(self) -> str | None:
        """The Apicurio Registry version of the unpacked distribution."""
        for jar in (self._layout.dist / "registry" / "app" / "app").glob("apicurio-registry-app-*.jar"):
            return jar.stem.removeprefix("apicurio-registry-app-")
        return None
