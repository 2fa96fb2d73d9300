"""The one place Kafka clients are built: every producer, consumer and admin client comes from here.

Security settings (SASL_SSL and friends) are applied once, so pointing the platform at a production
cluster is a settings change, never a code change.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from supplystream.settings import Settings

ClientConfig = dict[str, Any]


def client_config(settings: Settings) -> ClientConfig:
    """librdkafka properties shared by every client: bootstrap, identity and security."""
    kafka = settings.kafka
    config: ClientConfig = {
        "bootstrap.servers": settings.bootstrap_servers,
        "client.id": kafka.client_id,
        "security.protocol": kafka.security_protocol,
    }
    if kafka.sasl_mechanism is not None:
        config["sasl.mechanism"] = kafka.sasl_mechanism
    if kafka.sasl_username is not None:
        config["sasl.username"] = kafka.sasl_username
    if kafka.sasl_password is not None:
        config["sasl.password"] = kafka.sasl_password.get_secret_value()
    if kafka.ssl_ca_location is not None:
        config["ssl.ca.location"] = str(kafka.ssl_ca_location)
    if kafka.ssl_certificate_location is not None:
        config["ssl.certificate.location"] = str(kafka.ssl_certificate_location)
    if kafka.ssl_key_location is not None:
        config["ssl.key.location"] = str(kafka.ssl_key_location)
    if kafka.ssl_key_password is not None:
        config["ssl.key.password"] = kafka.ssl_key_password.get_secret_value()
    config.update(kafka.extra)
    return config


def producer_config(settings: Settings, **overrides: Any) -> ClientConfig:
    """A durable producer: idempotent, acks from all in-sync replicas, compressed, batched."""
    config = client_config(settings)
    config.update(
        {
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": "zstd",
            "linger.ms": 5,
            "batch.num.messages": 10_000,
            # Java's and aiokafka's (faust's) partitioner: a key lands on the same partition whichever
            # client wrote it, so faust tables stay co-partitioned with topics our producers fill.
            "partitioner": "murmur2_random",
        }
    )
    config.update(overrides)
    return config


def consumer_config(settings: Settings, group_id: str, **overrides: Any) -> ClientConfig:
    """A consumer that commits only what the caller says it has processed."""
    config = client_config(settings)
    config.update(
        {
            "group.id": group_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    config.update(overrides)
    return config


def make_producer(settings: Settings, **overrides: Any) -> Producer:
    """Build a producer (see `producer_config`)."""
    return Producer(producer_config(settings, **overrides))


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> Consumer:
    """Build a consumer in ``group_id`` (see `consumer_config`)."""
    return Consumer(consumer_config(settings, group_id, **overrides))


def make_admin(settings: Settings, **overrides: Any) -> AdminClient:
    """Build an admin client."""
    config = client_config(settings)
    config.update(overrides)
    return AdminClient(config)
