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
