"""Start, find and stop the stack's own processes through PID files.

A PID file alone is not proof: PIDs are reused. A process counts as ours only while its command
line still carries the stack's marker (``supplystream_devkit.stack.home=<home>``), so ``stack down``
never signals a process it did not start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from supplystream.errors import StackError


@dataclass(frozen=True)
class ManagedProcess:
    """One long-running process of the stack, tracked by ``pid_file``."""

    name: str
    pid_file: Path
    marker: str

    def pid(self) -> int | None:
        """The live PID of this process, or None when it is not running (stale files are removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if _is_alive(pid) and self.marker in _command_line(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(
        self,
        argv: Sequence[str],
        log_file: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> int:
        """Start ``argv`` detached (own session, output to ``log_file``) and record its PID."""
        if self.marker not in " ".join(argv):
            msg = f"{self.name}: the command line must carry the stack marker {self.marker!r}"
            raise ValueError(msg)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        return process.pid

    def stop(self, timeout_s: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL after ``timeout_s``. Returns False when it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _is_alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _is_alive(pid):
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True


def _is_alive(pid: int) -> bool:
    """True for a running process; a zombie (exited, not yet reaped) counts as gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    for line in status.splitlines():
        if line.startswith("State:"):
            return "Z" not in line.split()[1]
    return True


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def wait_until_answers(
    probe: Callable[[], bool],
    process: ManagedProcess,
    *,
    what: str,
    address: str,
    log: Path,
    timeout_s: float,
) -> None:
    """Poll ``probe`` until it answers True; fail fast, with the log's tail, if the process exits."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        if process.pid() is None:
            raise StackError(f"{what} exited during start-up; {log} ends:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise StackError(
                f"{what} did not answer on {address} within {timeout_s:.0f}s; see {log}:\n{tail(log)}"
            )
        time.sleep(0.5)


def ensure_port_free(port: int, what: str, setting: str) -> None:
    """Refuse to start on a port something else already listens on (it would answer our probes)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise StackError(
                f"cannot start {what}: 127.0.0.1:{port} is already in use by another process. Stop it, "
                f"or pick another port with {setting}=<port>."
            ) from None


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])
