"""The stack's PostgreSQL with its home below a private directory (``drwx------``, like root's ``~``
or what ``mktemp -d`` makes) and below a normal one.

As root the server runs as `postgres`, which may not enter a private directory: the cluster must
still start, answer, stop, keep its data across a restart and start empty after the state is wiped
(as the demo does). Only PostgreSQL is started: a few seconds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from supplystream.settings import StackSettings
from supplystream_devkit.ports import free_port
from supplystream_devkit.stack.layout import StackLayout
from supplystream_devkit.stack.postgres import PostgresCluster

pytestmark = pytest.mark.integration


@pytest.fixture(params=["private", "normal"])
def parent(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A fresh directory in /tmp: mode 700 (`mktemp -d`'s) or 755."""
    directory = Path(tempfile.mkdtemp(prefix="supplystream-pg-"))
    if request.param == "normal":
        directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _start(cluster: PostgresCluster, lines: list[str]) -> None:
    assert cluster.start(lines.append)
    cluster.wait_ready(60)
    assert cluster.status().state == "running"


def _stop(cluster: PostgresCluster) -> None:
    assert cluster.stop()
    status = cluster.status()
    assert status.state == "stopped"
    assert status.pid is None


def _has_table(cluster: PostgresCluster) -> bool:
    with psycopg.connect(cluster.dsn("planning"), connect_timeout=5) as conn:
        row = conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone()
        return bool(row and row[0])


def test_cluster_runs_restarts_and_starts_fresh_after_a_wipe(parent: Path) -> None:
    home = parent / "stack"
    settings = StackSettings(home=home, postgres_port=free_port())
    cluster = PostgresCluster(settings, StackLayout(settings.root))
    data = settings.root / "postgres" / "data"
    lines: list[str] = []
    try:
        _start(cluster, lines)
        relocated = os.geteuid() == 0 and parent.stat().st_mode & 0o777 == 0o700
        assert data.is_symlink() == relocated, lines
        assert (f"may not enter {parent}:" in "\n".join(lines)) == relocated
        with psycopg.connect(cluster.dsn("planning"), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int)")
        _stop(cluster)

        _start(cluster, lines)  # `stack down`, then `stack up`: the data stays
        assert _has_table(cluster)
        _stop(cluster)

        shutil.rmtree(home / "postgres")  # the demo's fresh start wipes the state
        _start(cluster, lines)
        assert not _has_table(cluster)
        _stop(cluster)
        assert (data / "PG_VERSION").is_file()
    finally:
        cluster.stop()
        if data.is_symlink():
            shutil.rmtree(data.resolve().parent, ignore_errors=True)
