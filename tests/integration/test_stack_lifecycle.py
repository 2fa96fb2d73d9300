"""`stack up && stack status && stack down`, twice, on a second stack of its own: nothing left behind."""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from supplystream.paths import project_root
from tests.conftest import supplystream_cli

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command:
            found.append(f"{cmdline.parent.name}: {command[:200]}")
    return found


@pytest.fixture
def stack_env() -> Iterator[tuple[Path, dict[str, str]]]:
    # Under the project's .stack/ (not /tmp's private dirs): PostgreSQL runs as `postgres` when
    # tests run as root, and must be able to reach its data directory.
    home = project_root() / ".stack" / "test-stacks" / uuid.uuid4().hex[:8]
    home.mkdir(parents=True)
    env = {
        "SUPPLYSTREAM_STACK__HOME": str(home),
        "SUPPLYSTREAM_STACK__KAFKA_PORT": str(_free_port()),
        "SUPPLYSTREAM_STACK__CONTROLLER_PORT": str(_free_port()),
        "SUPPLYSTREAM_STACK__REGISTRY_PORT": str(_free_port()),
        "SUPPLYSTREAM_STACK__REGISTRY_MANAGEMENT_PORT": str(_free_port()),
        "SUPPLYSTREAM_STACK__POSTGRES_PORT": str(_free_port()),
    }
    yield home, env
    supplystream_cli("stack", "down", env=env)
    shutil.rmtree(home, ignore_errors=True)


SCHEMA = '{"type": "record", "name": "Ping", "fields": [{"name": "at", "type": "long"}]}'


def test_up_status_down_twice_leaves_no_process(stack_env: tuple[Path, dict[str, str]]) -> None:
    home, env = stack_env
    registry = f"http://127.0.0.1:{env['SUPPLYSTREAM_STACK__REGISTRY_PORT']}/apis/ccompat/v7"
    schema_id = None
    for round_number in (1, 2):
        up = supplystream_cli("stack", "up", env=env)
        assert up.returncode == 0, f"round {round_number}: {up.stdout}\n{up.stderr}"
        if schema_id is None:
            response = httpx.post(f"{registry}/subjects/ping-value/versions", json={"schema": SCHEMA})
            assert response.status_code == 200, response.text
            schema_id = response.json()["id"]
        else:  # the registry's PostgreSQL storage kept the schema and its id across the restart
            latest = httpx.get(f"{registry}/subjects/ping-value/versions/latest")
            assert latest.status_code == 200, latest.text
            assert latest.json()["id"] == schema_id
        again = supplystream_cli("stack", "up", env=env)
        assert again.returncode == 0
        assert again.stdout.count("already running") == 3

        status = supplystream_cli("stack", "status", env=env)
        assert status.returncode == 0, status.stdout
        assert status.stdout.count("running") >= 3
        assert "4." in status.stdout  # the Kafka 4.x broker version
        assert _processes_mentioning(str(home)), "the stack's processes should be running"

        down = supplystream_cli("stack", "down", env=env)
        assert down.returncode == 0, down.stderr
        assert down.stdout.count("stopped") == 3
        assert _processes_mentioning(str(home)) == []
        stopped = supplystream_cli("stack", "status", env=env)
        assert stopped.returncode == 1
        assert stopped.stdout.count("stopped") == 3
    # State survives down/up: storage was formatted once, the database initialised once.
    assert (home / "kafka" / "data" / "meta.properties").is_file()
    assert (home / "postgres" / "data" / "PG_VERSION").is_file()
