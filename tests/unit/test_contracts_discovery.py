"""Contracts come from where you stand: topics.yaml and schemas/ at or above the working directory.

The acceptance runs this checkout's installed `supplystream` console script (not ``python -m``,
which would import the other clone's package) inside a second clone of the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from supplystream.paths import find_contracts, installed_contracts_dir, locate_contracts, project_root

#: This installation's console entry point.
SUPPLYSTREAM = Path(sys.executable).parent / "supplystream"


def run_check(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`supplystream schemas check` of this installation, run in ``cwd``, without a topics_file setting."""
    base = {k: v for k, v in os.environ.items() if k != "SUPPLYSTREAM_TOPICS_FILE"}
    return subprocess.run(
        [str(SUPPLYSTREAM), "schemas", "check", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def clone(tmp_path: Path, name: str) -> Path:
    """A second git clone of this checkout (its committed contracts are the git base)."""
    if not (project_root() / ".git").exists():
        pytest.skip("needs this package's git checkout to clone")
    target = tmp_path / name
    subprocess.run(["git", "clone", "--quiet", str(project_root()), str(target)], check=True)
    return target


def add_field_without_default(contracts: Path) -> None:
    """A breaking change for FULL_TRANSITIVE: old events lack the new field and it has no default."""
    path = contracts / "schemas" / "stock.moved.avsc"
    schema = json.loads(path.read_text())
    schema["fields"].append({"name": "lot", "doc": "Lot number.", "type": "string"})
    path.write_text(json.dumps(schema, indent=2))


def test_contracts_are_found_in_a_parent_directory(tmp_path: Path) -> None:
    (tmp_path / "topics.yaml").write_text("topics: []\n")
    below = tmp_path / "schemas" / "deeper"
    below.mkdir(parents=True)
    assert find_contracts(below) == tmp_path.resolve()
    location = locate_contracts(below)
    assert (location.directory, location.discovered) == (tmp_path.resolve(), True)


def test_outside_any_project_the_installed_contracts_are_used(tmp_path: Path) -> None:
    location = locate_contracts(tmp_path)
    assert (location.directory, location.discovered) == (installed_contracts_dir(), False)
    assert "installed package's copy" in location.describe()


def test_check_in_a_second_clone_uses_its_contracts(tmp_path: Path) -> None:
    second = clone(tmp_path, "second").resolve()
    result = run_check(second)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"using {second / 'topics.yaml'} (found from {second})" in result.stderr
    assert f"using {second / 'schemas'} (found from {second})" in result.stderr


def test_field_without_default_in_a_second_clone_exits_1(tmp_path: Path) -> None:
    second = clone(tmp_path, "second").resolve()
    add_field_without_default(second)
    result = run_check(second / "schemas")  # from a subdirectory: found upwards
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"using {second / 'topics.yaml'} (found from {second / 'schemas'})" in result.stderr
    assert "stock.moved-value (FULL_TRANSITIVE, 1 earlier version(s)): incompatible" in result.stdout
    assert "lot: field 'lot' is in the reader's schema without a default" in result.stdout


def test_given_paths_win_over_the_discovered_contracts(tmp_path: Path) -> None:
    broken = clone(tmp_path, "broken").resolve()
    add_field_without_default(broken)
    intact = clone(tmp_path, "intact").resolve()
    result = run_check(
        broken,
        "--schemas", str(intact / "schemas"),
        env={"SUPPLYSTREAM_TOPICS_FILE": str(intact / "topics.yaml")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"using {intact / 'topics.yaml'} (the topics_file setting)" in result.stderr
    assert f"using {intact / 'schemas'} (given)" in result.stderr


def test_outside_any_project_check_names_the_installed_contracts(tmp_path: Path) -> None:
    result = run_check(tmp_path)
    installed = installed_contracts_dir()
    notices = " ".join(result.stderr.split())
    assert f"using {installed / 'topics.yaml'} (the installed package's copy" in notices
    assert f"no topics.yaml in {tmp_path.resolve()} or above" in notices
