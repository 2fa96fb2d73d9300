"""`supplystream demo` stopped from outside (SIGTERM, a closed terminal): it drains, reports, and leaves
no worker and no stack process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supplystream.paths import project_root

pytestmark = pytest.mark.integration

ARGUMENTS = ("--duration", "120", "--rate", "30", "--no-live")


def processes_of(home: Path) -> list[int]:
    """PIDs whose environment or command line names ``home`` (the demo's workers and its stack)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(home).encode() in blob:
            found.append(int(entry.name))
    return found


def test_sigterm_drains_reports_and_stops_everything(tmp_path: Path) -> None:
    home = project_root() / ".stack" / "demo-signal-tests"
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "supplystream", "demo", *ARGUMENTS, "--home", str(home)],
            cwd=project_root(),
            env={**os.environ, "COLUMNS": "250"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while b"workers started" not in log.read_bytes():
                assert demo.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the demo did not start its workers"
                time.sleep(1)
            time.sleep(10)  # streaming
            demo.send_signal(signal.SIGTERM)
            code = demo.wait(timeout=600)
        finally:
            if demo.poll() is None:
                demo.kill()
    output = log.read_text()
    assert code == 0, output[-5000:]
    assert "stopping the simulator, then draining" in output
    assert "reconciliation holds" in output
    assert processes_of(home) == [], "processes of the demo's stack or workers are still running"


def test_sigkill_of_the_demo_leaves_nothing_running(tmp_path: Path) -> None:
    """Killed outright (no handler runs), the demo's watchdog stops its workers and its stack."""
    home = project_root() / ".stack" / "demo-kill-tests"
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "supplystream", "demo", *ARGUMENTS, "--home", str(home)],
            cwd=project_root(),
            env={**os.environ, "COLUMNS": "250"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while b"workers started" not in log.read_bytes():
                assert demo.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the demo did not start its workers"
                time.sleep(0.5)
            time.sleep(3)  # streaming
            running = processes_of(home)
            assert len(running) >= 10, running  # stack, stand-ins, workers, simulator, watchdog
            demo.send_signal(signal.SIGKILL)
            demo.wait(timeout=30)
        finally:
            if demo.poll() is None:
                demo.kill()
    killed_at = time.monotonic()
    left = processes_of(home)
    while left and time.monotonic() - killed_at < 60:
        time.sleep(0.5)
        left = processes_of(home)
    watchdog_log = (home / "watchdog.log").read_text(errors="replace")
    assert left == [], f"still running 60 s after the SIGKILL: {_commands(left)}\n{watchdog_log}"
    assert "the demo is gone" in watchdog_log
    assert "stack stopped" in watchdog_log


def _commands(pids: list[int]) -> list[str]:
    found = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found.append(f"{pid}: {command[:160]}")
    return found
