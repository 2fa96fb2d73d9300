"""The console entry point without a broker: help texts, and a malformed catalog exiting 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import supplystream_cli

NOWHERE = {"SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ((), "stack"),
        (("stack",), "Apicurio Registry and PostgreSQL"),
        (("stack", "up"), "idempotent"),
        (("stack", "down"), "PID files"),
        (("stack", "status"), "broker version"),
        (("topics",), "Plan and apply topics.yaml"),
        (("topics", "plan"), "refused as unsafe"),
        (("topics", "apply"), "--prune"),
        (("demo",), "reconciliation"),
    ],
)
def test_every_command_has_help(command: tuple[str, ...], expected: str) -> None:
    result = supplystream_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert expected in " ".join(result.stdout.split())


def test_malformed_catalog_exits_2_before_touching_the_cluster(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(
        (Path(__file__).parents[2] / "topics.yaml")
        .read_text()
        .replace("value_schemas: [order.placed]", "value_schemas: [order.placed]\n    partitons: 3")
    )
    result = supplystream_cli("topics", "plan", "-f", str(path), env=NOWHERE)
    assert result.returncode == 2
    assert "topic 'order.placed' (topics[1]), field 'partitons': unknown key" in result.stderr


def test_unknown_environment_exits_2() -> None:
    result = supplystream_cli("topics", "plan", env={**NOWHERE, "SUPPLYSTREAM_ENVIRONMENT": "staging"})
    assert result.returncode == 2
    assert "environment 'staging' is not declared" in result.stderr
