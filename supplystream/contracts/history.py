"""Earlier versions of a schema from git (the base of a change), for `schemas check` and `lint`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from supplystream.contracts.schemas import AvroSchema
from supplystream.errors import ContractError


def schema_at(ref: str, path: Path) -> AvroSchema | None:
    """The schema file as it was at git ``ref``; None when it did not exist there."""
    path = path.resolve()
    root = _git(["rev-parse", "--show-toplevel"], path.parent).strip()
    relative = path.relative_to(Path(root).resolve())
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], path.parent, what=f"git ref {ref!r}")
    proc = subprocess.run(
        ["git", "-C", root, "show", f"{ref}:{relative.as_posix()}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None  # the file is new since ref
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise ContractError(f"{relative} at {ref} is not valid JSON: {exc.msg}") from exc
    return data if isinstance(data, dict) else None


def _git(args: list[str], cwd: Path, what: str = "the git repository") -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ContractError(
            f"cannot read {what} of {cwd} ({proc.stderr.strip() or 'not found'}): run inside a git "
            "clone of the contracts, or pass an existing --base"
        )
    return proc.stdout
