"""A private PostgreSQL cluster (Debian's `postgresql` package) for the planning sink and the registry.

The cluster lives under the stack home, listens on 127.0.0.1 on its own port, and trusts local
connections (a development stack on loopback only). PostgreSQL refuses to run as root, so when the
stack is started by root the cluster runs as the `postgres` system user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql

from supplystream.errors import StackError
from supplystream.settings import StackSettings
from supplystream.stack.layout import ComponentStatus, Report, StackLayout, State
from supplystream.stack.prerequisites import find_postgres_bin_dir
from supplystream.stack.processes import ensure_port_free, tail

SUPERUSER = "supplystream"
#: Databases the stack creates: the registry's storage and the planning engine's tables.
DATABASES = ("registry", "planning")


class PostgresCluster:
    """The local stack's PostgreSQL cluster, driven by initdb and pg_ctl."""

    name = "postgres"

    def __init__(self, settings: StackSettings, layout: StackLayout) -> None:
        self._settings = settings
        self._dir = layout.component("postgres")
        self._data = self._dir / "data"
        self._socket_dir = self._dir / "run"
        self._log = self._dir / "postgres.log"

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1."""
        return self._settings.postgres_port

    def dsn(self, database: str = "postgres") -> str:
        """A libpq connection string for ``database``."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self, report: Report) -> bool:
        """initdb on first start, then pg_ctl start; False when it already runs."""
        if self._running():
            return False
        ensure_port_free(self.port, "PostgreSQL", "SUPPLYSTREAM_STACK__POSTGRES_PORT")
        bin_dir = find_postgres_bin_dir(self._settings.postgres_bin_dir)
        self._dir.mkdir(parents=True, exist_ok=True)
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
        bin_dir = find_postgres_bin_dir(self._settings.postgres_bin_dir)
        self._run(
            [str(bin_dir / "pg_ctl"), "-D", str(self._data), "-m", "fast", "-w", "stop"],
            "pg_ctl stop",
        )
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
        """The postmaster's PID from postmaster.pid, if that process is alive."""
        try:
            pid = int((self._data / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if Path(f"/proc/{pid}").exists() else None

    def _running(self) -> bool:
        return self._pid() is not None

    def _hand_to_service_user(self) -> None:
        """As root, the cluster's directory belongs to `postgres` (the server refuses root)."""
        if os.geteuid() != 0:
            return
        user = self._service_user()
        for path in [self._dir, *self._dir.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _run(self, command: list[str], what: str) -> None:
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise StackError(
                    "running PostgreSQL as root needs `runuser` (util-linux) to drop to `postgres`"
                )
            command = [runuser, "-u", self._service_user().pw_name, "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self._dir)
        if proc.returncode != 0:
            raise StackError(
                f"{what} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}\n"
                f"{self._log} ends:\n{tail(self._log)}"
            )

    @staticmethod
    def _service_user() -> pwd.struct_passwd:
        try:
            return pwd.getpwnam("postgres")
        except KeyError:
            raise StackError(
                "the stack runs as root but there is no `postgres` user to run PostgreSQL as; "
                "install Debian's `postgresql` package (it creates the user) or run as a normal user"
            ) from None
