"""ACLs in topics.yaml: validation, the bindings they imply, and the pure ACL plan."""

from __future__ import annotations

import pytest

from supplystream.errors import CatalogError
from supplystream.paths import default_topics_file
from supplystream.topics.acls import AclSpec, CreateAcl, DeleteAcl, plan_acls
from supplystream.topics.catalog import TopicCatalog, load_catalog, parse_catalog

CATALOG = """
version: 1
environments:
  local: {{acls: false}}
  production: {{}}
topics:
  - {{name: stock.moved, description: d, key: sku, value_schemas: [stock.moved], owner: inv,
     consumers: [planning-sink]}}
  - {{name: order.placed, description: d, key: order_id, value_schemas: [order.placed], owner: om,
     consumers: [planning-sink]}}
{acls}
"""

PLANNING_ACLS = """
acls:
  - principal: User:planning-sink
    consume: [stock.moved, order.placed]
    produce: [planning-sink.dlq]
    groups: [planning-sink]
  - principal: User:odoo-source
    host: 10.0.0.7
    produce: [stock.moved]
"""


def catalog(acls: str = PLANNING_ACLS) -> TopicCatalog:
    return parse_catalog(CATALOG.format(acls=acls))


def acl(principal: str, resource: str, name: str, operation: str, host: str = "*") -> AclSpec:
    return AclSpec(principal, host, resource, name, operation)  # type: ignore[arg-type]


def test_the_projects_topics_yaml_still_loads_without_acls() -> None:
    project = load_catalog(default_topics_file())
    assert project.acls == []
    assert project.acl_bindings("local") == []


def test_consume_produce_and_groups_become_the_bindings_kafka_needs() -> None:
    bindings = catalog().acl_bindings("production")
    planning = "User:planning-sink"
    assert bindings == sorted(
        [
            acl(planning, "group", "planning-sink", "READ"),
            acl(planning, "topic", "order.placed", "DESCRIBE"),
            acl(planning, "topic", "order.placed", "READ"),
            acl(planning, "topic", "planning-sink.dlq", "DESCRIBE"),
            acl(planning, "topic", "planning-sink.dlq", "WRITE"),
            acl(planning, "topic", "stock.moved", "DESCRIBE"),
            acl(planning, "topic", "stock.moved", "READ"),
            acl("User:odoo-source", "topic", "stock.moved", "DESCRIBE", host="10.0.0.7"),
            acl("User:odoo-source", "topic", "stock.moved", "WRITE", host="10.0.0.7"),
        ]
    )


def test_an_environment_can_switch_acls_off() -> None:
    assert catalog().acl_bindings("local") == []


def test_acls_naming_an_undeclared_topic_are_refused() -> None:
    with pytest.raises(CatalogError, match=r"undeclared topic\(s\) stock\.moveed"):
        catalog("acls:\n  - {principal: 'User:x', consume: [stock.moveed]}")


@pytest.mark.parametrize("principal", ["planning-sink", "User:", "Role:admin", "User:a b"])
def test_principal_must_be_a_kafka_principal(principal: str) -> None:
    with pytest.raises(CatalogError, match="principal"):
        catalog(f"acls:\n  - {{principal: '{principal}', consume: [stock.moved]}}")


def test_unknown_acl_keys_are_refused() -> None:
    with pytest.raises(CatalogError, match="unknown key"):
        catalog("acls:\n  - {principal: 'User:x', read: [stock.moved]}")


def test_plan_creates_what_is_missing_and_leaves_other_principals_alone() -> None:
    desired = catalog().acl_bindings("production")
    foreign = acl("User:other-team", "topic", "their.topic", "READ")
    present = [desired[0], foreign]
    changes = plan_acls(desired, present, prune=True)
    assert [c for c in changes if isinstance(c, CreateAcl)] == [CreateAcl(a) for a in desired[1:]]
    assert not [c for c in changes if isinstance(c, DeleteAcl)]


def test_plan_revokes_stale_bindings_of_catalog_principals_only_with_prune() -> None:
    desired = catalog().acl_bindings("production")
    stale = acl("User:planning-sink", "topic", "order.allocated", "READ")
    assert plan_acls(desired, [*desired, stale], prune=False) == []
    changes = plan_acls(desired, [*desired, stale], prune=True)
    assert changes == [DeleteAcl(stale)]
    assert (
        changes[0].describe()
        == "- revoke User:planning-sink@* READ topic order.allocated (not in topics.yaml)"
    )


def test_a_second_plan_after_applying_is_empty() -> None:
    desired = catalog().acl_bindings("production")
    applied = [c.acl for c in plan_acls(desired, [], prune=False)]
    assert plan_acls(desired, applied, prune=True) == []
