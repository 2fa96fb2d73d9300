"""Where the stack's PostgreSQL cluster keeps its data, socket and log, so that its server can reach them.

Normally in the stack home (``<home>/postgres``). PostgreSQL refuses to run as root, so a stack
started by root runs it as the `postgres` user, which must be able to enter every directory above
its data. A stack home below a directory only root may enter (root's ``~`` is ``drwx------`` on
Debian, and so is what ``mktemp -d`` makes) is out of its reach: then the cluster lives in the
`postgres` user's home instead, in a directory of its own per stack home
(``~postgres/supplystream/<parent>_<home>-<hash of the home's path>``), and ``<home>/postgres/data``
and ``<home>/postgres/postgres.log`` are symbolic links to it. `stack down`, `stack status` and the
logs work through the links; removing ``<home>/postgres`` (a fresh start's wipe) or the whole home
abandons that cluster, and the next relocation deletes abandoned clusters.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from supplystream.errors import StackError

SERVICE_USER = "postgres"
#: The files a relocated cluster keeps in its directory and links to from ``<home>/postgres``.
LINKED = ("data", "postgres.log")
#: In a relocated cluster's directory: the path of the link that points to it (its stack home's).
_LINKED_FROM = "linked-from"


def service_user() -> pwd.struct_passwd:
    """The `postgres` system user the server runs as when the stack is started by root."""
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise StackError(
            "the stack runs as root but there is no `postgres` user to run PostgreSQL as; "
            "install Debian's `postgresql` package (it creates the user) or run as a normal user"
        ) from None


def blocking_directory(path: Path, user: pwd.struct_passwd) -> Path | None:
    """The first directory from ``/`` down to ``path`` (which exists) that ``user`` may not enter."""
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    for directory in (*reversed(path.parents), path):
        if not _may_enter(directory.stat(), user.pw_uid, groups):
            return directory
    return None


def _may_enter(status: os.stat_result, uid: int, groups: set[int]) -> bool:
    """The search (x) permission of the mode's owner, group or other bits, as the kernel picks them."""
    if uid == 0:
        return True
    if status.st_uid == uid:
        return bool(status.st_mode & stat.S_IXUSR)
    if status.st_gid in groups:
        return bool(status.st_mode & stat.S_IXGRP)
    return bool(status.st_mode & stat.S_IXOTH)


def is_linked(component: Path) -> bool:
    """True when ``component``'s data is a link to a relocated cluster's directory that exists."""
    data = component / "data"
    return data.is_symlink() and data.resolve().parent.is_dir()


def drop_stale_links(component: Path) -> None:
    """Remove ``component``'s links to a relocated cluster whose directory is gone."""
    if is_linked(component):
        return
    for name in LINKED:
        if (component / name).is_symlink():
            (component / name).unlink()


def relocation_dir(home: Path, blocked: Path, user: pwd.struct_passwd) -> Path:
    """The directory (not created yet) for ``home``'s cluster in ``user``'s home directory.

    Raises StackError naming the fix when ``user`` has no home directory it can enter.
    """
    user_home = Path(user.pw_dir)
    if not user_home.is_dir() or blocking_directory(user_home, user) is not None:
        raise StackError(
            f"PostgreSQL runs as the `{user.pw_name}` user, which may not enter {blocked} (above the "
            f"stack home {home}), and its own home {user_home} is no directory it can enter either: "
            f"move the stack home where `{user.pw_name}` can reach it (e.g. "
            f"SUPPLYSTREAM_STACK__HOME=/var/tmp/supplystream-stack, or a clone outside {blocked}), "
            f"or let it pass with `chmod o+x {blocked}`."
        )
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
    return user_home / "supplystream" / f"{_readable_name(home)}-{digest}"


def _readable_name(home: Path) -> str:
    """``clone_stack`` for ``/root/clone/.stack``: which home a relocated cluster is, at a glance."""
    return "_".join(part.lstrip(".") for part in home.parts[1:][-2:])[:24] or "stack"


@contextmanager
def relocation_lock(base: Path, user: pwd.struct_passwd) -> Iterator[None]:
    """Create ``base`` (owned by ``user``) and hold its lock: one stack relocates at a time."""
    base.mkdir(mode=0o700, exist_ok=True)
    os.chown(base, user.pw_uid, user.pw_gid, follow_symlinks=False)
    with (base / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def abandoned(base: Path) -> list[Path]:
    """The relocated clusters in ``base`` that no stack home links to any more."""
    return [cluster for cluster in sorted(base.iterdir()) if cluster.is_dir() and not _linked_back(cluster)]


def _linked_back(cluster: Path) -> bool:
    try:
        link = Path((cluster / _LINKED_FROM).read_text().strip())
    except FileNotFoundError:
        return False
    return link.is_symlink() and link.readlink() == cluster / "data"


def link_cluster(component: Path, target: Path) -> None:
    """Make ``target`` the cluster's directory, with ``component``'s data and log linking to it.

    A cluster already in ``component`` (made while the home was within reach) is moved there.
    """
    target.mkdir(mode=0o700, exist_ok=True)
    (target / _LINKED_FROM).write_text(f"{component / 'data'}\n")
    for name in LINKED:
        link = component / name
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            shutil.move(link, target / name)
        link.symlink_to(target / name)


def hand_over(path: Path, user: pwd.struct_passwd) -> None:
    """``path`` and everything below it belong to ``user`` (symbolic links are not followed)."""
    os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
    for parent, directories, files in os.walk(path):
        for name in (*directories, *files):
            os.chown(Path(parent) / name, user.pw_uid, user.pw_gid, follow_symlinks=False)


def postmaster_pid(data: Path) -> int | None:
    """The postmaster's PID from ``data``/postmaster.pid, if that process is alive."""
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None
