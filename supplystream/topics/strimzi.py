"""topics.yaml as Strimzi custom resources: a `KafkaTopic` per topic, a `KafkaUser` per ACL principal.

Pure: catalog in, plain dicts out (the CLI renders them as a multi-document YAML stream), so the
Kubernetes manifests never restate topic names or configs.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Any

from supplystream.errors import CatalogError
from supplystream.topics.acls import AclSpec
from supplystream.topics.catalog import TopicCatalog

API_VERSION = "kafka.strimzi.io/v1beta2"
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_STRIMZI_OPERATIONS = {"READ": "Read", "WRITE": "Write", "DESCRIBE": "Describe"}


def resource_name(topic: str) -> str:
    """A Kubernetes name for ``topic``: itself when legal, else a lower-cased form plus a short hash
    (so ``Orders_EU`` and ``orders-eu`` never collide); ``spec.topicName`` keeps the real name."""
    if _DNS_NAME.match(topic):
        return topic
    cleaned = re.sub(r"[^a-z0-9.-]+", "-", topic.lower()).strip("-.") or "topic"
    digest = hashlib.sha1(topic.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{cleaned[:240]}-{digest}"


def _metadata(name: str, cluster: str, namespace: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {"strimzi.io/cluster": cluster}}
    if namespace:
        metadata["namespace"] = namespace
    return metadata


def kafka_topics(
    catalog: TopicCatalog, environment: str, cluster: str, namespace: str | None = None
) -> list[dict[str, Any]]:
    """One `KafkaTopic` per topic of ``environment`` (declared ones, then dead-letter topics)."""
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "KafkaTopic",
            "metadata": _metadata(resource_name(spec.name), cluster, namespace),
            "spec": {
                "topicName": spec.name,
                "partitions": spec.partitions,
                "replicas": spec.replication_factor,
                "config": dict(sorted(spec.configs.items())),
            },
        }
        for spec in catalog.resolve(environment)
    ]


def kafka_users(
    catalog: TopicCatalog, environment: str, cluster: str, namespace: str | None = None
) -> list[dict[str, Any]]:
    """One `KafkaUser` (SCRAM-SHA-512, simple authorization) per ``User:`` principal of the ACLs."""
    by_user: dict[str, list[AclSpec]] = defaultdict(list)
    for acl in catalog.acl_bindings(environment):
        if not acl.principal.startswith("User:"):
            raise CatalogError(
                f"{acl.principal}: Strimzi manages ACLs per KafkaUser, so export supports only User: "
                "principals; grant group principals through your authorizer instead"
            )
        by_user[acl.principal.removeprefix("User:")].append(acl)
    users = []
    for user, acls in sorted(by_user.items()):
        if not _DNS_NAME.match(user):
            raise CatalogError(
                f"principal User:{user} is not a valid KafkaUser name (lower-case letters, digits, "
                "'-' and '.'): rename it in topics.yaml's acls"
            )
        merged: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for acl in acls:
            merged[(acl.resource, acl.name, acl.host)].append(_STRIMZI_OPERATIONS[acl.operation])
        users.append(
            {
                "apiVersion": API_VERSION,
                "kind": "KafkaUser",
                "metadata": _metadata(user, cluster, namespace),
                "spec": {
                    "authentication": {"type": "scram-sha-512"},
                    "authorization": {
                        "type": "simple",
                        "acls": [
                            {
                                "resource": {"type": kind, "name": name, "patternType": "literal"},
                                "operations": sorted(operations),
                                "host": host,
                            }
                            for (kind, name, host), operations in sorted(merged.items())
                        ],
                    },
                },
            }
        )
    return users


def strimzi_resources(
    catalog: TopicCatalog, environment: str, cluster: str, namespace: str | None = None
) -> list[dict[str, Any]]:
    """Every Strimzi resource topics.yaml implies for ``environment``: topics, then users."""
    return kafka_topics(catalog, environment, cluster, namespace) + kafka_users(
        catalog, environment, cluster, namespace
    )
