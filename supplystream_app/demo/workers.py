"""The demo's workers: every processor, sink and source as a process of its own, like production.

A `Worker` is one module run with ``python -m`` (mostly the CLI: `supplystream sinks run odoo`, ...),
started with the stack's environment, its output in a log file. `Workers` starts them in order, stops
them (SIGTERM: they finish the current batch and commit), and can SIGKILL or restart one — which is
what the reliability suite does to them. A worker that exits on its own is restarted by `supervise`,
as systemd or Kubernetes would, and the restart is counted (the report shows it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from supplystream.paths import project_root

#: Seconds a worker gets to finish its batch and commit after SIGTERM before it is killed.
STOP_GRACE_S = 60.0


@dataclass
class Worker:
    """One long-running platform process."""

    name: str
    #: What follows ``python -m``: a module and its arguments (``supplystream sinks run odoo``).
    args: Sequence[str]
    env: Mapping[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    #: Exits nobody asked for (a crash), each followed by a restart.
    crashes: int = 0
    kills: int = 0
    stopping: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        self.starts += 1
        self.stopping = False
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as handle:  # the child keeps its own descriptor
            handle.write(f"\n=== start {self.starts} at {time.strftime('%H:%M:%S')} ===\n".encode())
            handle.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", *self.args],
                cwd=project_root(),
                env={**os.environ, **self.env, **self.extra_env},
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal reaches the demo only; it stops us in order
            )
        self.pid_file.write_text(f"{self.process.pid}\n")

    @property
    def pid_file(self) -> Path:
        """Where the worker's PID is kept, so a run that was killed can be cleaned up by the next one."""
        return self.log.with_suffix(".pid")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def kill(self) -> None:
        """SIGKILL: no commit, no flush, no goodbye."""
        if self.process is not None and self.alive:
            self.kills += 1
            self.stopping = True
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def terminate(self) -> None:
        """Ask the worker to stop (SIGTERM); `wait_stopped` waits for it."""
        self.stopping = True
        if self.process is not None and self.alive:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout_s: float = STOP_GRACE_S) -> int | None:
        """The exit code once stopped; killed after ``timeout_s``."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=30)

    def stop(self, timeout_s: float = STOP_GRACE_S) -> int | None:
        self.terminate()
        return self.wait_stopped(timeout_s)

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Workers:
    """The pipeline's processes, by name, in start order."""

    members: dict[str, Worker] = field(default_factory=dict)

    def add(self, worker: Worker) -> Worker:
        self.members[worker.name] = worker
        return worker

    def __getitem__(self, name: str) -> Worker:
        return self.members[name]

    def __iter__(self) -> Iterator[Worker]:
        return iter(self.members.values())

    def supervise(self) -> list[str]:
        """Restart every worker that exited without being asked to; the names restarted."""
        restarted = []
        for worker in self.members.values():
            if worker.process is not None and not worker.stopping and not worker.alive:
                worker.crashes += 1
                worker.start()
                restarted.append(worker.name)
        return restarted

    def stop_all(self, names: Iterable[str] | None = None) -> dict[str, int | None]:
        """SIGTERM every worker (in reverse start order), then wait; exit codes by name."""
        chosen = list(names) if names is not None else list(reversed(self.members))
        for name in chosen:
            self.members[name].terminate()
        return {name: self.members[name].wait_stopped() for name in chosen}


def stop_leftovers(directory: Path, marker: str, grace_s: float = STOP_GRACE_S) -> list[int]:
    """SIGTERM (then SIGKILL) the workers a previous run left behind (it was killed before stopping them):
    every PID in ``directory/*.pid`` that is still a Python process whose environment contains ``marker``
    (a PID reused by another program is left alone). The PIDs stopped."""
    stopped = []
    for pid_file in sorted(directory.glob("*.pid")):
        try:
            pid = int(pid_file.read_text().strip())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if "python" in command and marker.encode() in environment:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                stopped.append(pid)
    deadline = time.monotonic() + grace_s
    for pid in stopped:
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _running(pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return stopped


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an orphan's exit waits for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
