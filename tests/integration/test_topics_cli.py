"""`supplystream topics plan | apply` against the real broker, through the real console entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplystream.clients import make_admin
from supplystream.settings import Settings
from supplystream.topics.cluster import observe_topics
from supplystream.topics.sync import plan_catalog
from tests.conftest import supplystream_cli

pytestmark = pytest.mark.integration


def catalog_text(
    prefix: str,
    *,
    orders_partitions: int = 3,
    orders_retention: int = 86_400_000,
    stock_policy: str = "delete",
    stock_extra: str = "",
    extra_topic: bool = False,
) -> str:
    """A small catalog whose topics all start with ``prefix`` (and only those may be pruned)."""
    text = f"""
version: 1
defaults:
  partitions: 2
  replication_factor: 1
environments:
  local: {{}}
dead_letters:
  name: "{prefix}.{{consumer}}.dlq"
  partitions: 1
prune_scope: ["{prefix}.*"]
topics:
  - name: {prefix}.orders
    description: test orders
    key: order_id
    value_schemas: [stock.moved]
    owner: tests
    partitions: {orders_partitions}
    consumers: [reader]
    configs:
      retention.ms: {orders_retention}
  - name: {prefix}.stock
    description: test stock
    key: sku|warehouse
    value_schemas: [stock.moved]
    owner: tests
    configs:
      cleanup.policy: {stock_policy}
{stock_extra}"""
    if extra_topic:
        text += f"""
  - name: {prefix}.shipments
    description: test shipments
    key: order_id
    value_schemas: [stock.moved]
    owner: tests
"""
    return text


@pytest.fixture
def catalog(tmp_path: Path, topic_prefix: str) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(catalog_text(topic_prefix, stock_extra="      min.compaction.lag.ms: 1000"))
    return path


def test_apply_twice_is_a_no_op(
    catalog: Path, broker_env: dict[str, str], settings: Settings, topic_prefix: str
) -> None:
    first = supplystream_cli("topics", "apply", "-f", str(catalog), env=broker_env)
    assert first.returncode == 0, first.stderr
    assert f"+ create {topic_prefix}.orders" in first.stdout
    assert f"+ create {topic_prefix}.reader.dlq" in first.stdout

    second = supplystream_cli("topics", "apply", "-f", str(catalog), env=broker_env)
    assert second.returncode == 0, second.stderr
    assert "no changes" in second.stdout
    assert "applied" not in second.stdout
    assert plan_catalog(settings, make_admin(settings), catalog).is_empty

    observed = observe_topics(make_admin(settings))
    assert observed[f"{topic_prefix}.orders"].partitions == 3
    assert observed[f"{topic_prefix}.orders"].configs["retention.ms"] == "86400000"
    assert observed[f"{topic_prefix}.reader.dlq"].partitions == 1


def test_plan_shows_each_kind_of_change_then_apply_makes_it(
    catalog: Path, broker_env: dict[str, str], settings: Settings, topic_prefix: str
) -> None:
    assert supplystream_cli("topics", "apply", "-f", str(catalog), env=broker_env).returncode == 0
    catalog.write_text(
        catalog_text(topic_prefix, orders_partitions=6, orders_retention=172_800_000, extra_topic=True)
    )

    plan = supplystream_cli("topics", "plan", "-f", str(catalog), env=broker_env)
    assert plan.returncode == 0, plan.stderr
    assert f"+ create {topic_prefix}.shipments" in plan.stdout
    assert f"~ {topic_prefix}.orders: partitions 3 -> 6" in plan.stdout
    assert f"~ {topic_prefix}.orders: retention.ms 86400000 -> 172800000" in plan.stdout
    assert f"~ {topic_prefix}.stock: min.compaction.lag.ms 1000 -> (broker default" in plan.stdout

    assert supplystream_cli("topics", "apply", "-f", str(catalog), env=broker_env).returncode == 0
    observed = observe_topics(make_admin(settings))
    assert observed[f"{topic_prefix}.orders"].partitions == 6
    assert observed[f"{topic_prefix}.orders"].configs["retention.ms"] == "172800000"
    assert "min.compaction.lag.ms" not in observed[f"{topic_prefix}.stock"].overrides
    assert f"{topic_prefix}.shipments" in observed
    assert plan_catalog(settings, make_admin(settings), catalog).is_empty


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"orders_partitions": 1}, "Kafka cannot remove partitions"),
        ({"stock_policy": "compact"}, "flips the topic between compaction and deletion"),
    ],
)
def test_unsafe_change_is_refused_and_nothing_is_applied(
    catalog: Path,
    broker_env: dict[str, str],
    settings: Settings,
    topic_prefix: str,
    edit: dict[str, int | str],
    expected: str,
) -> None:
    assert supplystream_cli("topics", "apply", "-f", str(catalog), env=broker_env).returncode == 0
    # The unsafe edit comes with a safe one (a new topic) that must not be applied either.
    catalog.write_text(catalog_text(topic_prefix, extra_topic=True, **edit))  # type: ignore[arg-type]

    plan = supplystream_cli("topics", "plan", "-f", str(catalog), env=broker_env)
    assert plan.returncode == 3
    assert expected in plan.stdout
    apply = supplystream_cli("topics", "apply", "-f", str(catalog), env=broker_env)
    assert apply.returncode == 3
    assert "nothing applied" in apply.stderr
    assert f"{topic_prefix}.shipments" not in observe_topics(make_admin(settings))


def test_replication_beyond_the_cluster_is_refused(
    catalog: Path, broker_env: dict[str, str], topic_prefix: str
) -> None:
    catalog.write_text(catalog.read_text().replace("replication_factor: 1", "replication_factor: 5"))
    plan = supplystream_cli("topics", "plan", "-f", str(catalog), env=broker_env)
    assert plan.returncode == 3
    assert f"! {topic_prefix}.orders: replication factor 5 needs 5 brokers" in plan.stdout


def test_prune_deletes_only_with_yes_and_only_in_scope(
    catalog: Path, broker_env: dict[str, str], settings: Settings, topic_prefix: str
) -> None:
    catalog.write_text(catalog_text(topic_prefix, extra_topic=True))
    assert supplystream_cli("topics", "apply", "-f", str(catalog), env=broker_env).returncode == 0
    catalog.write_text(catalog_text(topic_prefix))  # shipments no longer declared

    refused = supplystream_cli("topics", "apply", "-f", str(catalog), "--prune", env=broker_env)
    assert refused.returncode == 3
    assert f"- delete {topic_prefix}.shipments" in refused.stdout
    assert "--yes" in refused.stderr
    assert f"{topic_prefix}.shipments" in observe_topics(make_admin(settings))

    pruned = supplystream_cli("topics", "apply", "-f", str(catalog), "--prune", "--yes", env=broker_env)
    assert pruned.returncode == 0, pruned.stderr
    # Only this catalog's own scope: other tests' topics were never candidates.
    assert pruned.stdout.count("- delete ") == 1
    assert f"{topic_prefix}.shipments" not in observe_topics(make_admin(settings))


def test_malformed_catalog_exits_2_naming_topic_and_field(
    tmp_path: Path, broker_env: dict[str, str], topic_prefix: str
) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(catalog_text(topic_prefix).replace("partitions: 3", "partitions: three"))
    result = supplystream_cli("topics", "plan", "-f", str(path), env=broker_env)
    assert result.returncode == 2
    assert f"topic '{topic_prefix}.orders'" in result.stderr
    assert "field 'partitions'" in result.stderr
