"""Rules for using librdkafka that a crash taught us, checked over the whole code base."""

from __future__ import annotations

from pathlib import Path

from supplystream.paths import project_root

PACKAGES = ("supplystream", "producers", "processors", "sinks", "bench", "tests")


def python_files() -> list[Path]:
    root = project_root()
    return [path for package in PACKAGES for path in sorted((root / package).rglob("*.py"))]


def test_no_admin_client_reads_committed_offsets() -> None:
    """`AdminClient.list_consumer_group_offsets` kills the process with SIGSEGV when the broker answers
    NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE (librdkafka re-queries the coordinator through the
    admin client's consumer group, which is NULL): the live demo crashed so on every fresh stack.
    Committed offsets are read with `supplystream.consumer_lag.LagReader` (a group-bound consumer)."""
    forbidden = "list_consumer_group_offsets" + "("
    offenders = [
        f"{path.relative_to(project_root())}:{number}"
        for path in python_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden in line
    ]
    assert offenders == [], f"use supplystream.consumer_lag.LagReader instead: {offenders}"
