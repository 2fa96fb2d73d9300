"""Where the stack's PostgreSQL lives when its server (`postgres`, as root) cannot reach the stack home."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from supplystream.errors import StackError
from supplystream_devkit.stack.postgres_location import (
    abandoned,
    blocking_directory,
    drop_stale_links,
    is_linked,
    link_cluster,
    relocation_dir,
)

NOBODY = 65534


def _user(home: Path, uid: int = NOBODY) -> pwd.struct_passwd:
    return pwd.struct_passwd(("pg-test", "x", uid, NOBODY, "", str(home), "/bin/sh"))


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory in /tmp anybody may enter (pytest's tmp_path is below a private one)."""
    directory = Path(tempfile.mkdtemp(prefix="supplystream-location-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


def test_a_private_directory_blocks_another_user(open_dir: Path) -> None:
    private = open_dir / "private"
    (private / "clone" / ".stack").mkdir(parents=True)
    private.chmod(0o700)
    assert blocking_directory(private / "clone" / ".stack", _user(open_dir)) == private
    private.chmod(0o711)
    assert blocking_directory(private / "clone" / ".stack", _user(open_dir)) is None


def test_the_owner_bits_count_for_the_owner(open_dir: Path) -> None:
    own = open_dir / "own"
    own.mkdir(mode=0o700)
    owner = NOBODY if os.geteuid() == 0 else os.geteuid()
    if os.geteuid() == 0:
        os.chown(own, NOBODY, NOBODY)
    assert blocking_directory(own, _user(open_dir, uid=owner)) is None
    own.chmod(0o077)  # others may enter, the owner may not
    assert blocking_directory(own, _user(open_dir, uid=owner)) == own


def test_one_directory_per_stack_home(open_dir: Path) -> None:
    user = _user(open_dir)
    first = relocation_dir(Path("/root/a/.stack"), Path("/root"), user)
    second = relocation_dir(Path("/root/b/.stack"), Path("/root"), user)
    assert first.parent == second.parent == open_dir / "supplystream"
    assert first.name.startswith("a_stack-")
    assert first != second
    assert relocation_dir(Path("/root/a/.stack"), Path("/root"), user) == first


def test_no_usable_home_for_postgres_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StackError) as caught:
        relocation_dir(Path("/root/clone/.stack"), Path("/root"), _user(tmp_path / "missing"))
    message = str(caught.value)
    assert "may not enter /root" in message
    assert "SUPPLYSTREAM_STACK__HOME=" in message
    assert "chmod o+x /root" in message
    assert "\n" not in message


def test_a_wiped_home_abandons_its_cluster(tmp_path: Path) -> None:
    component = tmp_path / "home" / "postgres"
    component.mkdir(parents=True)
    (component / "data").mkdir()
    (component / "data" / "PG_VERSION").write_text("15\n")
    base = tmp_path / "base"
    base.mkdir()
    target = base / "home-0123456789ab"
    link_cluster(component, target)
    assert is_linked(component)
    assert (component / "data" / "PG_VERSION").read_text() == "15\n"  # moved, reachable through the link
    assert (component / "data").resolve() == target.resolve() / "data"
    assert abandoned(base) == []
    (component / "data").unlink()
    assert abandoned(base) == [target]


def test_links_to_a_removed_cluster_are_dropped(tmp_path: Path) -> None:
    component = tmp_path / "home" / "postgres"
    component.mkdir(parents=True)
    target = tmp_path / "base" / "home-0123456789ab"
    target.parent.mkdir()
    link_cluster(component, target)
    drop_stale_links(component)
    assert (component / "data").is_symlink()
    shutil.rmtree(target)
    drop_stale_links(component)
    assert not (component / "data").is_symlink()
    assert not (component / "postgres.log").is_symlink()
