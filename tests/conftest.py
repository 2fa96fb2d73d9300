"""Broker fixtures, layered like confluent-kafka's and faust's integration suites.

The broker is, in order of preference:
1. an external cluster named by ``KAFKA_BOOTSTRAP_SERVERS``;
2. a testcontainers Kafka when a Docker engine answers;
3. the embedded local stack, started by the fixture if needed and stopped again if it started it.
The schema registry is ``SCHEMA_REGISTRY_URL`` when set, else the local stack's.
Each test gets unique topic and group names, so tests never see each other's data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from supplystream.clients import make_admin
from supplystream.registry import SchemaRegistry, registry_client_config
from supplystream.settings import KafkaSettings, RegistrySettings, Settings, load_settings
from supplystream_devkit.stack.distributions import kafka_libs, registry_home
from supplystream_devkit.stack.local_stack import LocalStack

Origin = Literal["external", "testcontainers", "local-stack"]


@dataclass(frozen=True)
class Broker:
    """A reachable Kafka cluster for integration tests."""

    bootstrap_servers: str
    origin: Origin


def supplystream_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point (`python -m supplystream`) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "supplystream", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


#: Fixtures that reach the shared (session) stack on the default ports.
SHARED_STACK_FIXTURES = frozenset({"local_stack", "kafka_broker", "registry_url"})


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist's ``--dist loadgroup`` (`make test`): every test on the shared stack in one
    worker, one after another as without xdist; the Odoo 11 tests in one (one template build); each
    other module in one (its module-scoped private stack starts once)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("odoo11") or "odoo_stack" in fixtures:
            if SHARED_STACK_FIXTURES & fixtures:  # two workers would start the one Odoo 11 home
                raise pytest.UsageError(f"{item.nodeid}: an Odoo 11 test uses the stack's own Kafka")
            group = "odoo11"
        elif SHARED_STACK_FIXTURES & fixtures:
            group = "shared-stack"
        else:
            group = item.module.__name__ if isinstance(item, pytest.Function) else item.nodeid
        item.add_marker(pytest.mark.xdist_group(group))
    # With --no-loadscope-reorder (make test) xdist hands groups out in this order: the longest first.
    items.sort(key=_start_rank)


#: Groups that take minutes (measured in `make test`): they start first, longest first.
LONG_GROUPS = (
    "shared-stack",
    "odoo11",
    "tests.reliability.test_reliability",
    "tests.integration.test_processors",
    "tests.integration.test_demo_signals",
    "tests.integration.test_demo",
    "tests.integration.test_processors_rebuild",
    "tests.integration.test_stack_lifecycle",
)


def _start_rank(item: pytest.Item) -> int:
    marker = item.get_closest_marker("xdist_group")
    group = marker.args[0] if marker is not None else ""
    return LONG_GROUPS.index(group) if group in LONG_GROUPS else len(LONG_GROUPS)


def pytest_sessionstart(session: pytest.Session) -> None:
    """With xdist workers, resolve the broker and registry from Maven Central once, before they start
    private stacks side by side (concurrent first downloads into ~/.m2 would race)."""
    config = session.config
    if getattr(config, "workerinput", None) is not None or not getattr(config.option, "numprocesses", None):
        return
    layout = LocalStack(load_settings().stack).layout
    kafka_libs(layout.dist, print)
    registry_home(layout.dist, print)


def _docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=10, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """The embedded local stack, started if needed and stopped again if this fixture started it."""
    stack = LocalStack(load_settings().stack)
    started_here = not stack.is_up()
    if started_here:
        result = supplystream_cli("stack", "up")
        if result.returncode != 0:
            pytest.fail(f"`supplystream stack up` failed:\n{result.stdout}\n{result.stderr}")
    yield stack
    if started_here:
        supplystream_cli("stack", "down")


@pytest.fixture(scope="session")
def kafka_broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """A Kafka cluster for the whole session (see the module docstring for the order)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield Broker(external, "external")
        return
    if _docker_answers():
        # Imported only where a Docker engine answers: nothing else depends on Docker.
        from testcontainers.kafka import KafkaContainer  # noqa: PLC0415

        with KafkaContainer().with_kraft() as container:
            yield Broker(container.get_bootstrap_server(), "testcontainers")
        return
    stack: LocalStack = request.getfixturevalue("local_stack")
    yield Broker(stack.kafka.bootstrap, "local-stack")


@pytest.fixture(scope="session")
def registry_url(request: pytest.FixtureRequest) -> str:
    """A Confluent-compatible registry: ``SCHEMA_REGISTRY_URL`` if set, else the local stack's."""
    external = os.environ.get("SCHEMA_REGISTRY_URL")
    if external:
        return external
    stack: LocalStack = request.getfixturevalue("local_stack")
    return stack.registry.url


def registry_config(url: str) -> dict[str, Any]:
    """SchemaRegistryClient settings for ``url``, built by the platform's own config function."""
    return registry_client_config(Settings(registry=RegistrySettings(url=url)))


@pytest.fixture
def schema_registry(registry_url: str) -> Iterator[SchemaRegistry]:
    """Our registry adapter on the test registry (fresh caches per test)."""
    with SchemaRegistry(SchemaRegistryClient(registry_config(registry_url))) as registry:
        yield registry


@pytest.fixture
def broker_env(kafka_broker: Broker) -> dict[str, str]:
    """Environment that points a `supplystream` subprocess at the test broker."""
    return {"SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers}


@pytest.fixture
def settings(kafka_broker: Broker, registry_url: str) -> Settings:
    """Settings whose clients reach the test broker and registry."""
    return Settings(
        kafka=KafkaSettings(bootstrap_servers=kafka_broker.bootstrap_servers),
        registry=RegistrySettings(url=registry_url),
    )


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A name prefix unique to this test run: ``test.<test-name>.<random>``."""
    test = re.sub(r"[^A-Za-z0-9-]+", "-", request.node.name)[:60].strip("-")
    return f"test.{test}.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def topic_prefix(unique_name: str, settings: Settings) -> Iterator[str]:
    """A unique prefix for the test's topics and groups; its topics are deleted afterwards."""
    yield unique_name
    admin = make_admin(settings)
    leftovers = [name for name in admin.list_topics(timeout=10).topics if name.startswith(unique_name)]
    if leftovers:
        for future in admin.delete_topics(leftovers, operation_timeout=30).values():
            future.result(timeout=30)
