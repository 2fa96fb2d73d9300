"""Find the tools the local stack runs on (Java, Maven, PostgreSQL) or say exactly how to get them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from supplystream.errors import PrerequisiteMissingError

_JVM_DIRS = (Path("/usr/lib/jvm"), Path("/opt/java"), Path("/usr/local/lib/jvm"))
_POSTGRES_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class JavaRuntime:
    """A `java` executable and its feature version (17, 21, 25, ...)."""

    executable: Path
    major: int


def find_java(min_major: int, needed_by: str) -> JavaRuntime:
    """The newest Java runtime of at least ``min_major``; JAVA_HOME and PATH are looked at first."""
    seen: list[JavaRuntime] = []
    for executable in _java_candidates():
        major = _java_major(executable)
        if major is not None and all(r.executable != executable for r in seen):
            seen.append(JavaRuntime(executable, major))
    fitting = [runtime for runtime in seen if runtime.major >= min_major]
    if fitting:
        return max(fitting, key=lambda runtime: runtime.major)
    found = ", ".join(f"{r.executable} (Java {r.major})" for r in seen) or "no Java at all"
    raise PrerequisiteMissingError(
        f"{needed_by} needs Java {min_major} or newer; found {found}. Install a JDK of version "
        f"{min_major}+ (Debian: `apt-get install openjdk-{max(min_major, 17)}-jre-headless` where the "
        "release has it) and point JAVA_HOME at it."
    )


def find_maven() -> Path:
    """The `mvn` executable that resolves the broker and registry from Maven Central."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise PrerequisiteMissingError(
            "Maven (`mvn`) is not installed; the local stack resolves Kafka and the registry from "
            "Maven Central with it. Install it: `apt-get install maven` (or run `make bootstrap`)."
        )
    return Path(mvn)


def find_postgres_bin_dir(configured: Path | None) -> Path:
    """PostgreSQL's server binaries (initdb, pg_ctl, postgres): the configured directory or the newest."""
    if configured is not None:
        if not (configured / "pg_ctl").is_file():
            raise PrerequisiteMissingError(
                f"SUPPLYSTREAM_STACK__POSTGRES_BIN_DIR={configured} holds no pg_ctl: point it at "
                "PostgreSQL's server bin directory, or unset it to search /usr/lib/postgresql."
            )
        return configured
    candidates = sorted(
        (p for p in _POSTGRES_ROOT.glob("*/bin") if (p / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        bindir = Path(
            subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=False
            ).stdout.strip()
        )
        if (bindir / "initdb").is_file():
            return bindir
    raise PrerequisiteMissingError(
        "PostgreSQL's server is not installed (no initdb under /usr/lib/postgresql/*/bin). "
        "Install it: `apt-get install postgresql` (or run `make bootstrap`)."
    )


def _java_candidates() -> list[Path]:
    candidates: list[Path] = []
    if java_home := os.environ.get("JAVA_HOME"):
        candidates.append(Path(java_home) / "bin" / "java")
    if on_path := shutil.which("java"):
        candidates.append(Path(on_path).resolve())
    for root in _JVM_DIRS:
        candidates.extend(sorted(root.glob("*/bin/java")))
    return [c.resolve() for c in candidates if c.is_file()]


def _java_major(executable: Path) -> int | None:
    """Read the version from the JDK's `release` file, else ask `java -version`."""
    release = executable.parent.parent / "release"
    text = release.read_text(errors="replace") if release.is_file() else ""
    if not text:
        proc = subprocess.run(
            [str(executable), "-version"], capture_output=True, text=True, check=False, timeout=30
        )
        text = proc.stderr
    match = re.search(r'(?:JAVA_VERSION=|version )"(\d+)(?:\.(\d+))?', text)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major
