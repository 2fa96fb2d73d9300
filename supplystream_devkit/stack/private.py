"""A private stack for tests and benchmarks: `stack up` on a home of its own and free ports.

Its Kafka and registry start empty (the home's state is wiped first), so the catalog's real topic
names can be used without touching the default stack; the catalog's topics are created and its
schemas registered. `stop_private_stack` runs `stack down` on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from supplystream.clients import make_admin
from supplystream.contracts.registration import load_contracts, register_all, value_subjects
from supplystream.errors import CatalogError, StackError
from supplystream.registry import SchemaRegistry
from supplystream.settings import KafkaSettings, RegistrySettings, Settings
from supplystream.topics.cluster import apply_plan
from supplystream.topics.sync import plan_catalog
from supplystream_devkit.ports import free_port

#: The state `stack up` keeps under a home; wiped before a private stack starts.
STATE_DIRS = ("kafka", "postgres", "registry", "logs")
_PORTS = {
    "kafka": "KAFKA_PORT",
    "controller": "CONTROLLER_PORT",
    "registry": "REGISTRY_PORT",
    "management": "REGISTRY_MANAGEMENT_PORT",
    "pg": "POSTGRES_PORT",
    "standin": "ODOO_STANDIN_PORT",
}


@dataclass(frozen=True)
class PrivateStack:
    """The environment CLI calls and workers need to reach the stack, and its settings."""

    env: dict[str, str]
    settings: Settings


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supplystream", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        timeout=600,
    )


def start_private_stack(home: Path) -> PrivateStack:
    """Wipe ``home``'s state, `stack up` on free ports, create the catalog's topics, register its schemas.

    Raises StackError when `stack up` fails (its output is in the message).
    """
    ports = {name: free_port() for name in _PORTS}
    env = {"SUPPLYSTREAM_STACK__HOME": str(home)}
    env.update({f"SUPPLYSTREAM_STACK__{variable}": str(ports[name]) for name, variable in _PORTS.items()})
    _cli("stack", "down", env=env)  # a run that died before its teardown
    for state in STATE_DIRS:
        shutil.rmtree(home / state, ignore_errors=True)
    up = _cli("stack", "up", env=env)
    if up.returncode != 0:
        raise StackError(f"`supplystream stack up` failed:\n{up.stdout}\n{up.stderr}")
    settings = Settings(
        kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{ports['kafka']}"),
        registry=RegistrySettings(url=f"http://127.0.0.1:{ports['registry']}/apis/ccompat/v7"),
    )
    env["SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS"] = settings.bootstrap_servers
    env["SUPPLYSTREAM_REGISTRY__URL"] = settings.registry_url
    prepare_contracts(settings)
    return PrivateStack(env, settings)


def stop_private_stack(stack: PrivateStack) -> None:
    """`stack down` on the private stack (its state stays under its home until the next start)."""
    _cli("stack", "down", env=stack.env)


def prepare_contracts(settings: Settings) -> None:
    """Create the catalog's topics and register its schemas."""
    admin = make_admin(settings)
    plan = plan_catalog(settings, admin)
    if plan.refusals:
        raise CatalogError(
            "the catalog cannot be applied to a fresh cluster: "
            + "; ".join(r.describe() for r in plan.refusals)
        )
    apply_plan(admin, plan, lambda _line: None)
    catalog, schemas = load_contracts(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        register_all(registry, value_subjects(catalog, schemas))
