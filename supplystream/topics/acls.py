"""ACLs in topics.yaml: who may produce to and consume from which topic, as plain data. No Kafka here.

`bindings_for` turns ``acls:`` entries into Kafka ACL bindings and `plan_acls` compares them with the
cluster's; principals the catalog does not name are never touched. The format: "Security and
deployment" (ACLs) in the README.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ResourceKind = Literal["topic", "group"]
Operation = Literal["READ", "WRITE", "DESCRIBE"]


class AclRule(BaseModel):
    """One principal's access, as declared in topics.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A Kafka principal: ``User:<name>`` (SASL user or TLS subject) or ``Group:<name>``.
    principal: str = Field(pattern=r"^(User|Group):\S+$")
    #: The client host the rule applies to; ``*`` for any.
    host: str = "*"
    #: Topics the principal reads (READ and DESCRIBE).
    consume: list[str] = Field(default_factory=list)
    #: Topics the principal writes (WRITE and DESCRIBE).
    produce: list[str] = Field(default_factory=list)
    #: Consumer groups the principal joins and commits in (group READ).
    groups: list[str] = Field(default_factory=list)


@dataclass(frozen=True, order=True)
class AclSpec:
    """One ALLOW binding on a literal resource name, as Kafka stores it."""

    principal: str
    host: str
    resource: ResourceKind
    name: str
    operation: Operation

    def describe(self) -> str:
        """``User:x@* READ topic stock.moved``."""
        return f"{self.principal}@{self.host} {self.operation} {self.resource} {self.name}"


def bindings_for(rules: Iterable[AclRule]) -> list[AclSpec]:
    """Every binding the rules ask for, sorted and without duplicates."""
    specs: set[AclSpec] = set()
    for rule in rules:
        for topic in rule.consume:
            specs.add(AclSpec(rule.principal, rule.host, "topic", topic, "READ"))
            specs.add(AclSpec(rule.principal, rule.host, "topic", topic, "DESCRIBE"))
        for topic in rule.produce:
            specs.add(AclSpec(rule.principal, rule.host, "topic", topic, "WRITE"))
            specs.add(AclSpec(rule.principal, rule.host, "topic", topic, "DESCRIBE"))
        for group in rule.groups:
            specs.add(AclSpec(rule.principal, rule.host, "group", group, "READ"))
    return sorted(specs)


@dataclass(frozen=True)
class CreateAcl:
    """A binding the catalog declares and the cluster lacks."""

    acl: AclSpec

    def describe(self) -> str:
        """One line for the plan output."""
        return f"+ allow {self.acl.describe()}"


@dataclass(frozen=True)
class DeleteAcl:
    """A binding of a catalog principal the catalog no longer declares (only with --prune)."""

    acl: AclSpec

    def describe(self) -> str:
        """One line for the plan output."""
        return f"- revoke {self.acl.describe()} (not in topics.yaml)"


AclChange = CreateAcl | DeleteAcl


def plan_acls(desired: Iterable[AclSpec], observed: Iterable[AclSpec], prune: bool) -> list[AclChange]:
    """Creates for missing bindings; with ``prune``, deletes for bindings of the catalog's principals
    that the catalog does not declare. Bindings of other principals are ignored."""
    wanted = set(desired)
    principals = {acl.principal for acl in wanted}
    present = {acl for acl in observed if acl.principal in principals}
    changes: list[AclChange] = [CreateAcl(acl) for acl in sorted(wanted - present)]
    if prune:
        changes.extend(DeleteAcl(acl) for acl in sorted(present - wanted))
    return changes
