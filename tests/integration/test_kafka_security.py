"""Kafka security on a private broker with an authorizer: SCRAM-SHA-512 and PLAIN logins, and the ACLs
of topics.yaml applied by `topics apply`, enforced by the broker, idempotent and pruned.

The broker is the local stack's own (same jars, same start-up code) on a private home and free ports,
with extra server properties: a SASL_PLAINTEXT listener (SCRAM-SHA-512, PLAIN), the KRaft
StandardAuthorizer, and ``super.users=User:ANONYMOUS`` so the PLAINTEXT listener keeps administering.
(TLS is not exercised here: the unit tests cover the TLS settings of both client families.)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import SecretStr

from processors.streams import _credentials
from supplystream.clients import make_admin, make_consumer, make_producer
from supplystream.settings import KafkaSettings, Settings, StackSettings, load_settings
from supplystream_devkit.ports import free_port
from supplystream_devkit.stack import kafka_broker
from supplystream_devkit.stack.kafka_broker import KafkaBroker
from supplystream_devkit.stack.layout import StackLayout
from tests.conftest import supplystream_cli

pytestmark = pytest.mark.integration

SCRAM_USER, SCRAM_PASSWORD = "planning-sink", "scram-pw-61c0"
PLAIN_USER, PLAIN_PASSWORD = "plain-user", "plain-pw-0b7e"


@dataclass(frozen=True)
class SecuredBroker:
    plaintext: str
    sasl: str


def _with_security(sasl_port: int) -> Any:
    original = kafka_broker.server_properties

    def server_properties(settings: StackSettings, data_dir: Path) -> str:
        lines = dict(
            line.split("=", 1)
            for line in original(settings, data_dir).splitlines()
            if "=" in line and line[0] != "#"
        )
        broker = f"127.0.0.1:{settings.kafka_port}"
        sasl = f"127.0.0.1:{sasl_port}"
        lines |= {
            "listeners": f"PLAINTEXT://{broker},SASL_PLAINTEXT://{sasl},CONTROLLER://127.0.0.1:{settings.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{broker},SASL_PLAINTEXT://{sasl}",
            "listener.security.protocol.map":
                "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512,PLAIN",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config":
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config":
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'user_{PLAIN_USER}="{PLAIN_PASSWORD}";',
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": "User:ANONYMOUS",
            "allow.everyone.if.no.acl.found": "false",
        }  # fmt: skip
        return "".join(f"{key}={value}\n" for key, value in lines.items())

    return server_properties


#: Starts the broker in a process of its own (the stack's start-up leaves a running Popen behind).
_START = """
import sys
from pathlib import Path
from supplystream.settings import StackSettings
from supplystream_devkit.stack import kafka_broker
from tests.integration.test_kafka_security import _with_security
settings = StackSettings.model_validate_json(sys.argv[1])
kafka_broker.server_properties = _with_security(int(sys.argv[2]))
broker = kafka_broker.KafkaBroker(settings, kafka_broker.StackLayout(settings.home))
broker.start(print)
broker.wait_ready(settings.start_timeout_s)
"""


@pytest.fixture(scope="module")
def secured_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    home = tmp_path_factory.mktemp("secured-stack")
    shared_dist = load_settings().stack.root / "dist"
    if (shared_dist / "kafka" / "libs").is_dir():
        (home / "dist").symlink_to(shared_dist)  # the jars the local stack already resolved
    settings = StackSettings(
        home=home, kafka_port=free_port(), controller_port=free_port(), kafka_heap="256m", start_timeout_s=120
    )
    sasl_port = free_port()
    broker = KafkaBroker(settings, StackLayout(home))
    try:
        started = subprocess.run(
            [sys.executable, "-c", _START, settings.model_dump_json(), str(sasl_port)],
            capture_output=True, text=True, check=False, timeout=300, cwd=Path(__file__).parents[2],
        )  # fmt: skip
        assert started.returncode == 0, started.stdout + started.stderr
        plaintext = f"127.0.0.1:{settings.kafka_port}"
        admin = make_admin(Settings(kafka=KafkaSettings(bootstrap_servers=plaintext)))
        upsert = UserScramCredentialUpsertion(
            SCRAM_USER, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), SCRAM_PASSWORD.encode()
        )
        for future in admin.alter_user_scram_credentials([upsert]).values():
            future.result(timeout=30)
        yield SecuredBroker(plaintext, f"127.0.0.1:{sasl_port}")
    finally:
        broker.stop()


def sasl_settings(broker: SecuredBroker, mechanism: str, user: str, password: str) -> Settings:
    return Settings(
        kafka=KafkaSettings(
            bootstrap_servers=broker.sasl,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism=mechanism,
            sasl_username=user,
            sasl_password=SecretStr(password),
        )
    )


def catalog_file(folder: Path, topic: str, granted: str, with_consume: bool = True) -> Path:
    consume = f"consume: [{granted}]\n    " if with_consume else ""
    path = folder / f"topics-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(
        f"""version: 1
environments:
  local: {{replication_factor: 1}}
topics:
  - {{name: {topic}, description: d, key: id, value_format: json, owner: test, consumers: [{SCRAM_USER}]}}
  - {{name: {topic}.other, description: d, key: id, value_format: json, owner: test}}
acls:
  - principal: User:{SCRAM_USER}
    {consume}produce: [{granted}]
    groups: [{SCRAM_USER}-{topic}]
"""
    )
    return path


def cli(broker: SecuredBroker, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if k.startswith("SUPPLYSTREAM_STACK__")}
    return supplystream_cli(*args, env={**env, "SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": broker.plaintext})


def produce(settings: Settings, topic: str) -> None:
    producer = make_producer(settings, **{"message.timeout.ms": 10_000})
    errors: list[KafkaError | None] = []
    producer.produce(topic, key=b"k", value=b'{"id": 1}', on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(15)
    if errors and errors[0] is not None:
        raise KafkaException(errors[0])


def test_topics_apply_grants_the_catalog_acls_and_the_broker_enforces_them(
    secured_broker: SecuredBroker, tmp_path: Path
) -> None:
    topic = f"secured.{uuid.uuid4().hex[:8]}"
    path = catalog_file(tmp_path, topic, topic)
    applied = cli(secured_broker, "topics", "apply", "--file", str(path))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"+ allow User:{SCRAM_USER}@* WRITE topic {topic}" in applied.stdout
    assert "granting" in applied.stdout
    again = cli(secured_broker, "topics", "plan", "--file", str(path))
    assert again.returncode == 0, again.stderr
    assert "no changes" in again.stdout

    scram = sasl_settings(secured_broker, "SCRAM-SHA-512", SCRAM_USER, SCRAM_PASSWORD)
    produce(scram, topic)  # granted WRITE
    with pytest.raises(KafkaException) as denied:
        produce(scram, f"{topic}.other")  # no ACL on it
    assert denied.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    consumer = make_consumer(scram, f"{SCRAM_USER}-{topic}")
    try:
        consumer.subscribe([topic])
        message = None
        for _ in range(30):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                break
        assert message is not None
        assert message.error() is None, message.error()
        assert message.value() == b'{"id": 1}'
        consumer.commit(message=message, asynchronous=False)  # group READ granted
    finally:
        consumer.close()


def test_prune_revokes_acls_the_catalog_dropped_only_with_yes(
    secured_broker: SecuredBroker, tmp_path: Path
) -> None:
    topic = f"pruned.{uuid.uuid4().hex[:8]}"
    assert (
        cli(secured_broker, "topics", "apply", "--file", str(catalog_file(tmp_path, topic, topic))).returncode
        == 0
    )
    narrower = catalog_file(tmp_path, topic, topic, with_consume=False)
    refused = cli(secured_broker, "topics", "apply", "--file", str(narrower), "--prune")
    assert refused.returncode == 3
    assert f"- revoke User:{SCRAM_USER}@* READ topic {topic}" in refused.stdout
    assert "--yes" in refused.stderr
    pruned = cli(secured_broker, "topics", "apply", "--file", str(narrower), "--prune", "--yes")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    after = cli(secured_broker, "topics", "plan", "--file", str(narrower), "--prune")
    assert f"READ topic {topic}" not in after.stdout
    assert f"WRITE topic {topic}" not in after.stdout


def test_processor_credentials_log_in_with_scram_sha_512(
    secured_broker: SecuredBroker, tmp_path: Path
) -> None:
    """aiokafka (under faust) with `processors.streams._credentials`: SCRAM login and a granted write."""
    topic = f"faust.{uuid.uuid4().hex[:8]}"
    assert (
        cli(secured_broker, "topics", "apply", "--file", str(catalog_file(tmp_path, topic, topic))).returncode
        == 0
    )
    auth = dict(credentials_to_aiokafka_auth(_credentials(
        sasl_settings(secured_broker, "SCRAM-SHA-512", SCRAM_USER, SCRAM_PASSWORD)
    )))  # fmt: skip

    async def send() -> Any:
        producer = AIOKafkaProducer(bootstrap_servers=secured_broker.sasl, request_timeout_ms=15_000, **auth)
        await producer.start()
        try:
            return await producer.send_and_wait(topic, b'{"id": 2}', key=b"k")
        finally:
            await producer.stop()

    metadata = asyncio.run(send())
    assert metadata.topic == topic


def test_plain_login_and_wrong_passwords(secured_broker: SecuredBroker) -> None:
    plain = make_admin(sasl_settings(secured_broker, "PLAIN", PLAIN_USER, PLAIN_PASSWORD))
    assert plain.list_topics(timeout=15).brokers  # authenticated (it may see no topic: no ACL)
    for mechanism, user in (("PLAIN", PLAIN_USER), ("SCRAM-SHA-512", SCRAM_USER)):
        wrong = make_admin(sasl_settings(secured_broker, mechanism, user, "wrong-password"))
        with pytest.raises(KafkaException):
            wrong.list_topics(timeout=5)
