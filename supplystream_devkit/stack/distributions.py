"""Fetch the broker and registry from Maven Central through the Maven projects in deploy/local/.

The versions are written in those poms and nowhere else. A resolved distribution is reused until
its pom changes (a SHA-256 stamp), so only the first `stack up` downloads anything.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

from supplystream.errors import PrerequisiteMissingError, StackError
from supplystream.paths import project_root
from supplystream_devkit.stack.prerequisites import find_maven

Report = Callable[[str], None]

KAFKA_POM = Path("deploy/local/kafka/pom.xml")
REGISTRY_POM = Path("deploy/local/registry/pom.xml")


def kafka_libs(dist_root: Path, report: Report) -> Path:
    """The directory of jars that runs the Kafka broker (kafka_2.13 and its runtime dependencies)."""
    return _copy_dependencies(_pom(KAFKA_POM), dist_root / "kafka" / "libs", "Apache Kafka", report)


def registry_home(dist_root: Path, report: Report) -> Path:
    """The unpacked Apicurio Registry distribution (the directory holding quarkus-run.jar)."""
    pom = _pom(REGISTRY_POM)
    home = dist_root / "registry" / "app"
    stamp = home / ".pom.sha256"
    if stamp.is_file() and stamp.read_text() == _digest(pom):
        return home
    archives = _copy_dependencies(pom, dist_root / "registry" / "archive", "Apicurio Registry", report)
    archive = next(archives.glob("*.tar.gz"), None)
    if archive is None:
        raise StackError(f"Maven resolved no .tar.gz into {archives}: check {REGISTRY_POM}")
    report(f"unpacking {archive.name}")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(home, filter="data")
    if not (home / "quarkus-run.jar").is_file():
        raise StackError(f"{archive.name} holds no quarkus-run.jar at its top level")
    stamp.write_text(_digest(pom))
    return home


def _copy_dependencies(pom: Path, out_dir: Path, what: str, report: Report) -> Path:
    stamp = out_dir / ".pom.sha256"
    if stamp.is_file() and stamp.read_text() == _digest(pom):
        return out_dir
    mvn = find_maven()
    report(f"resolving {what} from Maven Central with {pom} (first run only)")
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    command = [
        str(mvn), "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={out_dir}",
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        output = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise StackError(
            f"Maven could not resolve {what} (exit {proc.returncode}). Check that Maven Central is "
            f"reachable (a mirror in ~/.m2/settings.xml works too).\n{output}"
        )
    stamp.write_text(_digest(pom))
    return out_dir


def _pom(relative: Path) -> Path:
    pom = project_root() / relative
    if not pom.is_file():
        raise PrerequisiteMissingError(
            f"{relative} is missing: the local stack runs from a SupplyStream source checkout."
        )
    return pom


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
