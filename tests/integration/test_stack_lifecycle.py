"""`stack up && stack status && stack down`, twice, on a second stack of its own: nothing left behind."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from supplystream.contracts.registration import load_contracts, value_subjects
from supplystream.paths import project_root
from supplystream.registry import SchemaRegistry
from supplystream.settings import Settings
from supplystream_devkit.ports import free_port
from tests.conftest import registry_config, supplystream_cli

pytestmark = pytest.mark.integration


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
    # Under the project's .stack/, like the default stack (a home below a private directory is
    # tests/integration/test_postgres_private_home.py's).
    home = project_root() / ".stack" / "test-stacks" / uuid.uuid4().hex[:8]
    home.mkdir(parents=True)
    env = {
        "SUPPLYSTREAM_STACK__HOME": str(home),
        "SUPPLYSTREAM_STACK__KAFKA_PORT": str(free_port()),
        "SUPPLYSTREAM_STACK__CONTROLLER_PORT": str(free_port()),
        "SUPPLYSTREAM_STACK__REGISTRY_PORT": str(free_port()),
        "SUPPLYSTREAM_STACK__REGISTRY_MANAGEMENT_PORT": str(free_port()),
        "SUPPLYSTREAM_STACK__POSTGRES_PORT": str(free_port()),
        "SUPPLYSTREAM_STACK__ODOO_STANDIN_PORT": str(free_port()),
    }
    yield home, env
    supplystream_cli("stack", "down", env=env)
    shutil.rmtree(home, ignore_errors=True)


def test_up_status_down_twice_leaves_no_process(stack_env: tuple[Path, dict[str, str]]) -> None:
    home, env = stack_env
    registry_url = f"http://127.0.0.1:{env['SUPPLYSTREAM_STACK__REGISTRY_PORT']}/apis/ccompat/v7"
    registered: list[str] = []
    for round_number in (1, 2):
        up = supplystream_cli("stack", "up", env=env)
        assert up.returncode == 0, f"round {round_number}: {up.stdout}\n{up.stderr}"
        # `schemas register` is idempotent: after the restart the registry's PostgreSQL storage
        # still has every subject with the same version, id and compatibility level.
        register = supplystream_cli("schemas", "register", env=env)
        assert register.returncode == 0, register.stderr
        lines = sorted(register.stdout.splitlines())
        assert len(lines) == len(value_subjects(*load_contracts(Settings())))
        assert all(re.fullmatch(r"[a-z.]+-value: version 1, id \d+, FULL_TRANSITIVE", line) for line in lines)
        if not registered:
            registered = lines
        else:
            assert lines == registered
            with SchemaRegistry(SchemaRegistryClient(registry_config(registry_url))) as registry:
                for line in lines:
                    subject, rest = line.split(": ", 1)
                    schema_id = int(rest.split("id ")[1].split(",")[0])
                    assert registry.compatibility(subject) == "FULL_TRANSITIVE"
                    assert (
                        json.loads(registry.text_of(schema_id))["name"]
                        == json.loads(registry.versions(subject)[0][1])["name"]
                    )
        again = supplystream_cli("stack", "up", env=env)
        assert again.returncode == 0
        assert again.stdout.count("already running") == 4

        status = supplystream_cli("stack", "status", env=env)
        assert status.returncode == 0, status.stdout
        assert status.stdout.count("running") >= 4
        assert "4." in status.stdout  # the Kafka 4.x broker version
        assert _processes_mentioning(str(home)), "the stack's processes should be running"

        down = supplystream_cli("stack", "down", env=env)
        assert down.returncode == 0, down.stderr
        assert down.stdout.count("stopped") == 4
        assert _processes_mentioning(str(home)) == []
        stopped = supplystream_cli("stack", "status", env=env)
        assert stopped.returncode == 1
        assert stopped.stdout.count("stopped") == 4
    # State survives down/up: storage was formatted once, the database initialised once.
    assert (home / "kafka" / "data" / "meta.properties").is_file()
    assert (home / "postgres" / "data" / "PG_VERSION").is_file()
