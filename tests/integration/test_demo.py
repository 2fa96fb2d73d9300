"""`supplystream demo`, the README's first command, as users run it (shorter): with its live view in a
terminal (a pseudo-terminal) and with the live view's output going to a pipe (CI, `> out.log`). Both
must exit 0 with the reconciliation report.

The live view once crashed the demo with a segmentation fault a few seconds into the stream (see
`supplystream.consumer_lag`), while `--no-live` passed: these tests run the live view on purpose.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supplystream.paths import project_root
from supplystream_app.demo.pipeline import GROUPS

pytestmark = pytest.mark.integration

CHECKS = (
    "ATP recomputed from the topics = the processor's published ATP",
    "processor's published ATP = planning database (figures)",
    "channel stand-in's last levels = available-to-sell from the published ATP",
    "Odoo pickings validated = shipments confirmed",
    "no event id published with two different payloads",
    "no order allocated twice",
    "dead letters as expected",
)
#: A few seconds of streaming: enough for every worker to join its group and the view to sample it.
ARGUMENTS = ("--duration", "8", "--rate", "30")
TIMEOUT_S = 600


def demo_command(home: Path) -> list[str]:
    return [sys.executable, "-m", "supplystream", "demo", *ARGUMENTS, "--home", str(home)]


def assert_reconciled(code: int, output: str, home: Path) -> None:
    assert code == 0, f"exit {code}:\n{output[-6000:]}"
    assert "reconciliation holds" in output
    for check in CHECKS:
        line = next((line for line in output.splitlines() if check in line), None)
        assert line is not None, f"{check}: missing from the report"
        assert "OK" in line, line
    assert "0 dead letters, as expected" in output
    assert "stack stopped" in output
    # The workers ran as processes of their own and logged there.
    for worker in GROUPS:
        assert (home / "workers" / f"{worker}.log").exists(), worker


def test_demo_with_live_view_to_a_pipe() -> None:
    home = project_root() / ".stack" / "demo-tests"
    run = subprocess.run(
        demo_command(home),
        cwd=project_root(),
        env={**os.environ, "COLUMNS": "250"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert_reconciled(run.returncode, run.stdout, home)
    # The live view drew its panels (rich writes them once to a non-terminal when it stops).
    assert "events per stage" in run.stdout


def test_demo_with_live_view_in_a_terminal() -> None:
    home = project_root() / ".stack" / "demo-tests-pty"
    leader, follower = pty.openpty()
    demo = subprocess.Popen(
        demo_command(home),
        cwd=project_root(),
        env={**os.environ, "COLUMNS": "200", "LINES": "60", "TERM": "xterm-256color"},
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,  # the pseudo-terminal becomes its controlling terminal, as in a shell
    )
    os.close(follower)
    output = bytearray()
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: every holder of the terminal closed it
                    break
                if not chunk:
                    break
                output.extend(chunk)
            elif demo.poll() is not None:
                break
        code = demo.wait(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
        os.close(leader)
    text = output.decode(errors="replace")
    assert_reconciled(code, text, home)
    # A terminal gets the live view redrawn in place (cursor movements), not one final frame.
    assert "events per stage" in text
    assert "\x1b[" in text


@pytest.mark.odoo11
def test_demo_with_the_real_odoo_11() -> None:
    """`supplystream demo --with-odoo`: the real Odoo 11 (installed from PyPI on first use) takes the
    stream's ATP, orders and shipments; Odoo's ATP records equal the stream's, no dead letters."""
    home = project_root() / ".stack" / "demo-tests-odoo11"
    # 660 events: the simulation's 600 opening-stock receipts, then about 50 orders to ship.
    command = [sys.executable, "-m", "supplystream", "demo", "--duration", "22", "--rate", "30"]
    command += ["--with-odoo", "--home", str(home)]
    run = subprocess.run(
        command,
        cwd=project_root(),
        env={**os.environ, "COLUMNS": "250"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1500,
        check=False,
    )
    assert_reconciled(run.returncode, run.stdout, home)
    odoo_atp = next(line for line in run.stdout.splitlines() if "= Odoo's ATP records" in line)
    assert "OK" in odoo_atp, odoo_atp
    assert "positions agree" in odoo_atp, odoo_atp
    shipments = next(line for line in run.stdout.splitlines() if "Odoo pickings validated" in line)
    assert " 0 shipments" not in shipments, shipments  # orders reached Odoo and shipped from it
