"""`supplystream sinks`: help texts and operator errors, without a broker."""

from __future__ import annotations

import pytest

from tests.conftest import supplystream_cli


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("sinks",), "Run the sinks"),
        (("sinks", "run"), "committed only after a batch is applied"),
        (("sinks", "migrate"), "missing database migrations"),
        (("sinks", "lag"), "not applied yet"),
        (("sinks", "list"), "dead-letter topic"),
    ],
)
def test_sink_commands_have_help(command: tuple[str, ...], expected: str) -> None:
    result = supplystream_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert expected in " ".join(result.stdout.split())


def test_an_unknown_sink_is_named_with_the_known_ones() -> None:
    result = supplystream_cli("sinks", "run", "warp-drive")
    assert result.returncode == 2
    assert "unknown sink 'warp-drive'; known sinks:" in result.stderr
    assert "planning" in result.stderr


def test_only_the_planning_sink_has_migrations() -> None:
    result = supplystream_cli("sinks", "migrate", "odoo")
    assert result.returncode == 2
    assert "has no migrations" in result.stderr
