"""Where each piece of the local stack keeps its state, and what a component looks like."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

Report = Callable[[str], None]
State = Literal["running", "stopped", "unhealthy"]


@dataclass(frozen=True)
class StackLayout:
    """Directories under the stack home (``.stack/`` by default); all git-ignored state."""

    home: Path

    @property
    def dist(self) -> Path:
        """Resolved distributions (Kafka jars, the registry), reused across runs."""
        return self.home / "dist"

    @property
    def logs(self) -> Path:
        """One log per component."""
        return self.home / "logs"

    @property
    def run(self) -> Path:
        """PID files."""
        return self.home / "run"

    def component(self, name: str) -> Path:
        """A component's own data directory."""
        return self.home / name

    @property
    def marker(self) -> str:
        """Identifies this stack's processes: it appears in each one's command line.

        JVMs carry it as a system property (``-D<marker>``), Python processes as an ``-X``
        option (``-X<marker>``), which both runtimes accept and ignore.
        """
        return f"supplystream_devkit.stack.home={self.home}"


@dataclass(frozen=True)
class ComponentStatus:
    """What `stack status` shows for one component."""

    name: str
    state: State
    address: str
    pid: int | None
    version: str | None
    log: Path
    detail: str = ""


class Component(Protocol):
    """A process of the local stack."""

    name: str

    def start(self, report: Report) -> bool:
        """Start unless running; True when this call started it."""

    def wait_ready(self, timeout_s: float) -> None:
        """Block until the component answers; raise StackError with its log tail otherwise."""

    def stop(self) -> bool:
        """Stop it if running; True when this call stopped it."""

    def status(self) -> ComponentStatus:
        """Probe the component."""
