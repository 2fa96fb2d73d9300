"""`supplystream schemas check | lint` through the console entry point, against a git base."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from supplystream.paths import default_topics_file, schemas_dir
from tests.conftest import supplystream_cli

Edit = Callable[[dict[str, Any]], None]


def field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in schema["fields"] if f["name"] == name)
    return found


def add(default: bool) -> Edit:
    def edit(schema: dict[str, Any]) -> None:
        new: dict[str, Any] = {"name": "lot", "doc": "Lot number.", "type": ["null", "string"]}
        if default:
            new["default"] = None
        schema["fields"].append(new)

    return edit


def remove(name: str) -> Edit:
    return lambda schema: schema["fields"].remove(field(schema, name))


def retype(name: str, new_type: str) -> Edit:
    return lambda schema: field(schema, name).__setitem__("type", new_type)


def drop_symbol(symbol: str) -> Edit:
    return lambda schema: field(schema, "move_kind")["type"]["symbols"].remove(symbol)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git checkout holding the project's contracts, committed as the base."""
    shutil.copytree(schemas_dir(), tmp_path / "schemas")
    shutil.copy(default_topics_file(), tmp_path / "topics.yaml")
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "."],
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base"],
    ):
        subprocess.run(command, cwd=tmp_path, check=True)
    return tmp_path


def check(repo: Path, level: str, edit: Edit) -> subprocess.CompletedProcess[str]:
    topics = (repo / "topics.yaml").read_text()
    topics = topics.replace(
        "    value_schemas: [stock.moved]", f"    value_schemas: [stock.moved]\n    compatibility: {level}"
    )
    (repo / "topics.yaml").write_text(topics)
    path = repo / "schemas" / "stock.moved.avsc"
    schema = json.loads(path.read_text())
    edit(schema)
    path.write_text(json.dumps(schema, indent=2))
    return supplystream_cli(
        "schemas", "check", "--schemas", str(repo / "schemas"),
        env={"SUPPLYSTREAM_TOPICS_FILE": str(repo / "topics.yaml")},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("level", "edit", "expected"),
    [
        ("BACKWARD", add(default=False), "lot: field 'lot' is in the reader's schema without a default"),
        ("FORWARD", remove("uom"), "uom: field 'uom' is in the reader's schema without a default"),
        ("BACKWARD", retype("sku", "long"), "sku: reader type: long not compatible with writer type: string"),
        ("FULL_TRANSITIVE", drop_symbol("SCRAP"), "move_kind: enum MoveKind no longer has SCRAP"),
    ],
)
def test_incompatible_change_exits_1_with_the_field_path(
    repo: Path, level: str, edit: Edit, expected: str
) -> None:
    result = check(repo, level, edit)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"stock.moved-value ({level}, 1 earlier version(s)): incompatible" in result.stdout
    assert expected in " ".join(result.stdout.split())


@pytest.mark.parametrize("edit", [add(default=True), remove("reference")])
def test_change_with_defaults_passes_full_transitive(repo: Path, edit: Edit) -> None:
    result = check(repo, "FULL_TRANSITIVE", edit)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stock.moved-value (FULL_TRANSITIVE, 1 earlier version(s)): ok" in result.stdout


def test_unchanged_schemas_have_nothing_to_compare(repo: Path) -> None:
    result = check(repo, "FULL_TRANSITIVE", lambda _schema: None)
    assert result.returncode == 0
    assert "stock.moved-value (FULL_TRANSITIVE, 0 earlier version(s)): ok" in result.stdout


def test_lint_against_base_flags_new_field_without_default(repo: Path) -> None:
    path = repo / "schemas" / "stock.moved.avsc"
    schema = json.loads(path.read_text())
    schema["fields"].append({"name": "lot", "doc": "Lot.", "type": "string"})
    path.write_text(json.dumps(schema))
    result = supplystream_cli(
        "schemas", "lint", "--schemas", str(repo / "schemas"), "--base", "HEAD",
        env={"SUPPLYSTREAM_TOPICS_FILE": str(repo / "topics.yaml")},
    )  # fmt: skip
    assert result.returncode == 1
    assert "stock.moved.avsc: lot: [new-field-default]" in result.stdout


def test_project_schemas_lint_clean() -> None:
    result = supplystream_cli("schemas", "lint")
    assert result.returncode == 0, result.stdout
    assert "8 schemas, 0 finding(s)" in result.stdout
