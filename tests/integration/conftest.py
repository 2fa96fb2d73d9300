"""Integration fixtures shared by several modules: the real Odoo 11 stack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from supplystream.clients import make_admin
from supplystream.contracts.registration import load_contracts, register_all, value_subjects
from supplystream.errors import PrerequisiteMissingError, StackError
from supplystream.paths import project_root
from supplystream.registry import SchemaRegistry
from supplystream.settings import KafkaSettings, RegistrySettings, Settings, StackSettings
from supplystream.topics.cluster import apply_plan
from supplystream.topics.sync import plan_catalog
from supplystream_devkit.ports import free_port
from supplystream_devkit.processor_workers import Worker
from supplystream_devkit.stack.layout import StackLayout
from supplystream_devkit.stack.odoo11 import Odoo11, find_python37
from supplystream_devkit.stack.private import (
    PrivateStack,
    prepare_contracts,
    start_private_stack,
    stop_private_stack,
)
from tests.conftest import supplystream_cli

HOME = project_root() / ".stack" / "odoo11-tests"


@dataclass(frozen=True)
class OdooStack:
    """The test stack: the environment its CLI calls need and its settings."""

    env: dict[str, str]
    settings: StackSettings
    #: Clients of this stack's own broker and registry (the catalog's topics and schemas are there).
    kafka: Settings

    @property
    def component(self) -> Odoo11:
        """The Odoo 11 component of this stack, for reset_database()."""
        return Odoo11(self.settings, StackLayout(self.settings.root))


@pytest.fixture(scope="session")
def odoo_stack() -> Iterator[OdooStack]:
    """`stack up --with-odoo` on the test home, with a fresh database; `stack down` afterwards."""
    try:
        find_python37()
    except PrerequisiteMissingError as exc:
        pytest.skip(str(exc))
    ports = {
        name: free_port()
        for name in ("kafka", "controller", "registry", "management", "pg", "odoo", "standin")
    }
    settings = StackSettings(
        home=HOME,
        kafka_port=ports["kafka"],
        controller_port=ports["controller"],
        registry_port=ports["registry"],
        registry_management_port=ports["management"],
        postgres_port=ports["pg"],
        odoo_port=ports["odoo"],
        odoo_standin_port=ports["standin"],
    )
    env = {
        "SUPPLYSTREAM_STACK__HOME": str(HOME),
        "SUPPLYSTREAM_STACK__KAFKA_PORT": str(ports["kafka"]),
        "SUPPLYSTREAM_STACK__CONTROLLER_PORT": str(ports["controller"]),
        "SUPPLYSTREAM_STACK__REGISTRY_PORT": str(ports["registry"]),
        "SUPPLYSTREAM_STACK__REGISTRY_MANAGEMENT_PORT": str(ports["management"]),
        "SUPPLYSTREAM_STACK__POSTGRES_PORT": str(ports["pg"]),
        "SUPPLYSTREAM_STACK__ODOO_PORT": str(ports["odoo"]),
        "SUPPLYSTREAM_STACK__ODOO_STANDIN_PORT": str(ports["standin"]),
        "COLUMNS": "200",  # rich tables: no wrapped cells in the captured output
    }
    HOME.mkdir(parents=True, exist_ok=True)
    # A run that died before its teardown leaves processes on other ports: stop them first.
    supplystream_cli("stack", "down", env=env)
    up = supplystream_cli("stack", "up", "--with-odoo", env=env)
    if up.returncode != 0:
        pytest.fail(f"`supplystream stack up --with-odoo` failed:\n{up.stdout}\n{up.stderr}")
    kafka = Settings(
        kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{ports['kafka']}"),
        registry=RegistrySettings(url=f"http://127.0.0.1:{ports['registry']}/apis/ccompat/v7"),
    )
    prepare_contracts(kafka)
    stack = OdooStack(env, settings, kafka)
    # Earlier runs' orders and pickings are in the working database: start from the template.
    stack.component.reset_database(lambda _line: None)
    yield stack
    supplystream_cli("stack", "down", env=env)


#: A private stack on free ports whose Kafka and registry start empty: topic names of its own.
FreshStack = PrivateStack


@pytest.fixture(scope="module")
def fresh_stack(request: pytest.FixtureRequest) -> Iterator[FreshStack]:
    """`stack up` on ``.stack/<module>-tests`` wiped first; its topics carry the catalog's real names."""
    home = project_root() / ".stack" / f"{request.module.__name__.rsplit('.', 1)[-1]}-tests"
    try:
        stack = start_private_stack(home)
    except StackError as exc:
        pytest.fail(str(exc))
    yield stack
    stop_private_stack(stack)


@pytest.fixture
def contracts_ready(settings: Settings) -> Settings:
    """The project's topics exist on the test broker and its schemas are registered."""
    admin = make_admin(settings)
    plan = plan_catalog(settings, admin)
    assert not plan.refusals, [r.describe() for r in plan.refusals]
    apply_plan(admin, plan, lambda _line: None)
    catalog, schemas = load_contracts(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        register_all(registry, value_subjects(catalog, schemas))
    return settings


@pytest.fixture
def workers(fresh_stack: FreshStack, tmp_path: Path) -> Iterator[dict[str, Worker]]:
    """The ATP processor and the order router as processes on ``fresh_stack`` (RocksDB tables)."""
    env = {
        **fresh_stack.env,
        "SUPPLYSTREAM_PROCESSORS__STORE": "rocksdb://",
        "SUPPLYSTREAM_PROCESSORS__DATA_DIR": str(tmp_path / "state"),
        "SUPPLYSTREAM_PROCESSORS__COMMIT_INTERVAL_S": "0.5",
    }
    running = {name: Worker(name, env, tmp_path / f"{name}.log") for name in ("atp", "router")}
    yield running
    for worker in running.values():
        worker.stop()
