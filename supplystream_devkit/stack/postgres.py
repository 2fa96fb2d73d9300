"""A private PostgreSQL cluster (Debian's `postgresql` package) for the planning sink and the registry.

The cluster lives under the stack home, listens on 127.0.0.1 on its own port, and trusts local
connections (a development stack on loopback only). PostgreSQL refuses to run as root, so when the
stack is started by root the cluster runs as the `postgres` system user, and lives in that user's
home when it could not reach the stack home (supplystream_devkit/stack/postgres_location.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

from supplystream.errors import StackError
from supplystream.settings import StackSettings
from supplystream_devkit.stack.layout import ComponentStatus, Report, StackLayout, State
from supplystream_devkit.stack.postgres_location import (
    abandoned,
    blocking_directory,
    drop_stale_links,
    hand_over,
    is_linked,
    link_cluster,
    postmaster_pid,
    relocation_dir,
    relocation_lock,
    service_user,
)
from supplystream_devkit.stack.prerequisites import find_postgres_bin_dir
from supplystream_devkit.stack.processes import ensure_port_free, tail

SUPERUSER = "supplystream"
#: Databases the stack creates: the registry's storage and the planning engine's tables.
DATABASES = ("registry", "planning")


class PostgresCluster:
    """The local stack's PostgreSQL cluster, driven by initdb and pg_ctl."""

    name = "postgres"

    def __init__(self, settings: StackSettings, layout: StackLayout) -> None:
        self._settings = settings
        self._home = layout.home
        self._dir = layout.component("postgres")

    @property
    def _root(self) -> Path:
        """The cluster's own directory: ``<home>/postgres``, or where its ``data`` link points."""
        return (self._dir / "data").resolve().parent

    @property
    def _data(self) -> Path:
        return self._root / "data"

    @property
    def _socket_dir(self) -> Path:
        return self._root / "run"

    @property
    def _log(self) -> Path:
        return self._root / "postgres.log"

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1."""
        return self._settings.postgres_port

    def dsn(self, database: str = "postgres") -> str:
        """A libpq connection string for ``database``."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self, report: Report) -> bool:
        """initdb on first start, then pg_ctl start; False when it already runs."""
        self._place(report)
        if self._running():
            return False
        ensure_port_free(self.port, "PostgreSQL", "SUPPLYSTREAM_STACK__POSTGRES_PORT")
        bin_dir = find_postgres_bin_dir(self._settings.postgres_bin_dir)
        self._socket_dir.mkdir(parents=True, exist_ok=True)
        self._hand_to_service_user()
        if not (self._data / "PG_VERSION").is_file():
            report(f"initialising PostgreSQL cluster in {self._data}")
            self._run(
                [str(bin_dir / "initdb"), "-D", str(self._data), "-U", SUPERUSER, "-A", "trust",
                 "-E", "UTF8", "--locale=C"],
                "initdb",
            )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._socket_dir}"
        self._run(
            [str(bin_dir / "pg_ctl"), "-D", str(self._data), "-l", str(self._log), "-o", options,
             "-w", "-t", str(int(self._settings.start_timeout_s)), "start"],
            "pg_ctl start",
        )  # fmt: skip
        return True

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until SQL answers, then create the stack's databases if missing."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=2) as conn:
                    existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
                    for database in DATABASES:
                        if database not in existing:
                            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise StackError(
                        f"PostgreSQL did not answer on 127.0.0.1:{self.port} within {timeout_s:.0f}s "
                        f"({exc}); see {self._log}:\n{tail(self._log)}"
                    ) from exc
                time.sleep(0.5)

    def stop(self) -> bool:
        """pg_ctl stop (fast mode); False when it was not running."""
        if not self._running():
            return False
        self._pg_ctl_stop(self._data)
        return True

    def status(self) -> ComponentStatus:
        """Running or not, and the server version."""
        pid = self._pid()
        state: State = "stopped"
        version: str | None = None
        detail = ""
        if pid is not None:
            try:
                with psycopg.connect(self.dsn(), connect_timeout=3) as conn:
                    row = conn.execute("SHOW server_version").fetchone()
                    version = str(row[0]).split()[0] if row else None
                    state = "running"
            except psycopg.OperationalError as exc:
                state, detail = "unhealthy", str(exc).strip()
        return ComponentStatus(self.name, state, f"127.0.0.1:{self.port}", pid, version, self._log, detail)

    def _pid(self) -> int | None:
        return postmaster_pid(self._data)

    def _running(self) -> bool:
        return self._pid() is not None

    def _place(self, report: Report) -> None:
        """Create the cluster's directory; as root, where the `postgres` user can reach it."""
        self._dir.mkdir(parents=True, exist_ok=True)
        drop_stale_links(self._dir)
        if os.geteuid() != 0 or is_linked(self._dir):
            return
        user = service_user()
        blocked = blocking_directory(self._home, user)
        if blocked is None:
            return
        target = relocation_dir(self._home, blocked, user)
        with relocation_lock(target.parent, user):
            for cluster in abandoned(target.parent):
                self._discard(cluster, own=cluster == target)
            link_cluster(self._dir, target)
        report(
            f"PostgreSQL runs as `{user.pw_name}`, which may not enter {blocked}: this stack's cluster "
            f"lives in {target} ({self._dir}/data links there)"
        )

    def _discard(self, cluster: Path, *, own: bool) -> None:
        """Delete a relocated cluster no stack home links to; it may still run only when it is ours."""
        if postmaster_pid(cluster / "data") is not None:
            if not own:
                return
            self._pg_ctl_stop(cluster / "data")
        shutil.rmtree(cluster)

    def _pg_ctl_stop(self, data: Path) -> None:
        bin_dir = find_postgres_bin_dir(self._settings.postgres_bin_dir)
        self._run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            "pg_ctl stop",
            cwd=data.parent,
        )

    def _hand_to_service_user(self) -> None:
        """As root, the cluster's directory belongs to `postgres` (the server refuses root)."""
        if os.geteuid() == 0:
            hand_over(self._root, service_user())

    def _run(self, command: list[str], what: str, cwd: Path | None = None) -> None:
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise StackError(
                    "running PostgreSQL as root needs `runuser` (util-linux) to drop to `postgres`"
                )
            command = [runuser, "-u", service_user().pw_name, "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd or self._root)
        if proc.returncode != 0:
            raise StackError(
                f"{what} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}\n"
                f"{self._log} ends:\n{tail(self._log)}"
            )
