"""`supplystream demo`, the README's first command, as a user runs it (shorter): exit 0 and the report."""

from __future__ import annotations

import pytest

from supplystream.demo.pipeline import GROUPS
from supplystream.paths import project_root
from tests.conftest import supplystream_cli

pytestmark = pytest.mark.integration

CHECKS = (
    "ATP recomputed from the topics = the processor's published ATP",
    "processor's published ATP = planning database (figures)",
    "channel stand-in's last levels = available-to-sell from the published ATP",
    "Odoo pickings validated = shipments confirmed",
    "no event published twice",
    "no order allocated twice",
    "dead letters as expected",
)


def test_demo_runs_end_to_end_and_reconciles() -> None:
    home = project_root() / ".stack" / "demo-tests"
    run = supplystream_cli(
        "demo", "--duration", "15", "--rate", "30", "--no-live", "--home", str(home), env={"COLUMNS": "250"}
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
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
