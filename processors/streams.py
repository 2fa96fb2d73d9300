"""The thin faust shell both processors share: the app, its topics, decoding, dead letters, outputs.

Processing guarantee: faust's ``at_least_once``. Before faust commits an offset it flushes its producer
(table changelogs and every output), so anything a committed offset covers is durable; what follows
it may be seen again after a crash, and `processors.ledger` / `processors.router` make seeing it
again change nothing. (faust's ``exactly_once`` was tried and rejected: after a SIGKILL, committed
outputs disagreed with the recovered table — see processors/ATP.md.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import faust
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

from processors.config import ProcessorConfig
from processors.input_order import InputOrder
from supplystream.clients import make_admin
from supplystream.contracts.registration import load_contracts
from supplystream.contracts.schemas import EventSchema
from supplystream.dead_letters import dead_letter_headers, failure_of
from supplystream.errors import ClusterError, ConfigurationError, DeserializationError, RegistryError
from supplystream.events import Event
from supplystream.publisher import EventEncoder
from supplystream.registry import SchemaRegistry, is_unknown_schema
from supplystream.serde import AvroDeserializer
from supplystream.settings import Settings
from supplystream.topics.catalog import TopicCatalog

log = logging.getLogger(__name__)

Agent = Callable[[Any], Awaitable[None]]


#: What a malformed input record raises while it is decoded or mapped: it goes to the dead letters.
#: Tries of a decode while the registry does not answer (a restart), before the agent gives up.
REGISTRY_ATTEMPTS = 6
BAD_RECORD: tuple[type[Exception], ...] = (DeserializationError, KeyError, ValueError, TypeError)
#: The same, for internal JSON messages (a missing field can surface as an AttributeError).
BAD_MESSAGE: tuple[type[Exception], ...] = (*BAD_RECORD, AttributeError)


def _credentials(settings: Settings) -> Any:
    """faust (aiokafka) credentials equivalent to `supplystream.clients.client_config`'s librdkafka ones.

    aiokafka takes TLS as an `ssl.SSLContext` and SASL as PLAIN / SCRAM-SHA-256 / SCRAM-SHA-512 with
    the same mechanism names librdkafka uses; OAUTHBEARER needs a token provider, which the
    processors do not have.
    """
    kafka = settings.kafka
    if kafka.security_protocol == "PLAINTEXT":
        return None
    uses_tls = kafka.security_protocol in {"SSL", "SASL_SSL"}
    context = _tls_context(settings) if uses_tls else None
    if kafka.security_protocol == "SSL":
        return faust.SSLCredentials(context)
    if kafka.sasl_mechanism == "OAUTHBEARER":
        raise ConfigurationError(
            "the stream processors support SASL mechanisms PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, "
            "not OAUTHBEARER: give them a SCRAM or PLAIN user"
        )
    if kafka.sasl_mechanism is None or kafka.sasl_username is None or kafka.sasl_password is None:
        raise ConfigurationError(
            f"security_protocol {kafka.security_protocol} needs SUPPLYSTREAM_KAFKA__SASL_MECHANISM, "
            "__SASL_USERNAME and __SASL_PASSWORD (or __SASL_PASSWORD_FILE)"
        )
    return faust.SASLCredentials(
        username=kafka.sasl_username,
        password=kafka.sasl_password.get_secret_value(),
        mechanism=kafka.sasl_mechanism,
        ssl_context=context,
    )


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context: the configured CA (else the system's), an optional client certificate."""
    kafka = settings.kafka
    context = ssl.create_default_context(cafile=str(kafka.ssl_ca_location) if kafka.ssl_ca_location else None)
    if kafka.ssl_certificate_location is not None:
        context.load_cert_chain(
            str(kafka.ssl_certificate_location),
            str(kafka.ssl_key_location) if kafka.ssl_key_location else None,
            password=kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None,
        )
    return context


def make_app(settings: Settings, app_id: str, *, web_port: int | None = None) -> faust.App:
    """A faust app for one consuming application of topics.yaml (its id is the consumer group)."""
    processors = settings.processors
    datadir = processors.data_dir.expanduser().resolve() / app_id
    datadir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        app_id,
        broker=[f"kafka://{server}" for server in settings.bootstrap_servers.split(",")],
        broker_credentials=_credentials(settings),
        store=processors.store,
        datadir=str(datadir),
        processing_guarantee="at_least_once",
        table_standby_replicas=processors.standby_replicas,
        broker_commit_interval=processors.commit_interval_s,
        topic_replication_factor=1 if settings.environment == "local" else 3,
        # faust creates only its internal topics (table changelogs, the assignor's leader topic), which
        # topics.yaml leaves unmanaged; every other topic comes from `supplystream topics apply`.
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        web_enabled=False,
        web_bind="127.0.0.1",
        web_host="127.0.0.1",
        web_port=web_port or processors.web_port,
        autodiscover=False,
        logging_config=None,
        # faust would let any of ~90 environment variables (BROKER_URL, TOPIC_PARTITIONS, WEB_PORT,
        # PRODUCER_LINGER, ...) override these arguments: a host's stray variable must not change the
        # processors. Every setting comes from SUPPLYSTREAM_* (supplystream.settings) instead.
        env={},
    )


def stop_worker_on_error(app: faust.App, input_order: InputOrder, agent: Agent) -> Agent:
    """``agent``, stopping the whole worker (exit status 1) on an error it does not handle.

    faust's supervisor would restart the agent and acknowledge the record it failed on: skipped for good.
    Here that record stays unacknowledged, faust commits what was finished, and the worker exits; its
    restart (systemd, Kubernetes, the demo's supervisor) resumes from the committed offsets.
    """

    @functools.wraps(agent)
    async def run(stream: Any) -> None:
        try:
            await agent(stream)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            input_order.abandon()
            log.critical(
                "agent %s failed: %r; stopping the worker: restarted, it resumes from its committed "
                "offsets and applies the failed record again",
                agent.__name__,
                exc,
                exc_info=exc,
            )
            await app.crash(exc)  # not raised again: faust's supervisor would restart the agent

    return run


def table_schema() -> Any:
    """Tables: text keys and plain-dict values, both JSON in the changelog (faust's recovery reads
    changelog keys as JSON whatever the table says)."""
    return faust.Schema(key_type=str, key_serializer="json", value_serializer="json")


def ensure_changelog(settings: Settings, app_id: str, table: str, partitions: int) -> None:
    """Create a table's changelog topic (compacted) before the worker starts, if it is missing.

    faust would create it too, but a worker processing its first event before the new topic's
    metadata arrived crashes its agent (PartitionsMismatch: "changelog has 0 partitions").
    """
    name = f"{app_id}-{table}-changelog"
    admin = make_admin(settings)
    if name in admin.list_topics(timeout=10).topics:
        return
    replication = 1 if settings.environment == "local" else 3
    futures = admin.create_topics(
        [NewTopic(name, partitions, replication, config={"cleanup.policy": "compact"})], operation_timeout=30
    )
    for future in futures.values():
        try:
            future.result(timeout=60)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ClusterError(f"cannot create the changelog topic {name}: {exc}") from exc


def raw_topic(app: faust.App, *names: str) -> Any:
    """Topics read and written as raw bytes (decoding is ours: one serde, see supplystream.serde)."""
    return app.topic(*names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


def clock_us() -> int:
    """Wall clock in microseconds (versions of atp.changed)."""
    return time.time_ns() // 1000


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Codecs:
    """Decoders per input topic and the one encoder for outputs, built once from the contracts."""

    catalog: TopicCatalog
    schemas: dict[str, EventSchema]
    registry: SchemaRegistry
    encoder: EventEncoder
    decoders: dict[str, AvroDeserializer]

    @classmethod
    def from_settings(cls, settings: Settings) -> Codecs:
        catalog, schemas = load_contracts(settings)
        registry = SchemaRegistry.from_settings(settings)
        return cls(catalog, schemas, registry, EventEncoder(catalog, schemas, registry), {})

    def event_type_of(self, topic: str) -> str:
        """The event type a topic carries (its first value schema in topics.yaml)."""
        return self.catalog.topic(topic).value_schemas[0]

    def decode(self, topic: str, value: bytes) -> Mapping[str, Any]:
        """Decode a record of ``topic`` into the schema this code was built with."""
        decoder = self.decoders.get(topic)
        if decoder is None:
            decoder = AvroDeserializer(self.registry, self.schemas[self.event_type_of(topic)].schema)
            self.decoders[topic] = decoder
        for attempt in range(REGISTRY_ATTEMPTS):
            try:
                return decoder(value)
            except RegistryError as exc:
                if is_unknown_schema(exc):  # a record nobody can read: dead-lettered like any bad record
                    raise DeserializationError(f"{topic}: {exc}") from exc
                if attempt + 1 == REGISTRY_ATTEMPTS:
                    raise
                time.sleep(0.5 * (attempt + 1))  # a registry restarting: a short, bounded wait
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.registry.close()


Headers = list[tuple[str, bytes]]


@dataclass
class Output:
    """A topic a processor writes to, counted per topic."""

    topic: Any
    name: str
    sent: Any  # the events_out counter child for this topic

    @classmethod
    def of(cls, app: faust.App, name: str, events_out: Any) -> Output:
        return cls(raw_topic(app, name), name, events_out.labels(name))

    async def send(
        self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        """Send through faust's producer (flushed before the next offset commit)."""
        await self.topic.send(key=key, value=value, headers=headers)
        self.sent.inc()


async def send_event(output: Output, codecs: Codecs, event: Event) -> None:
    """Send a business event, encoded by the one encoder."""
    encoded = codecs.encoder.encode(event)
    await output.send(encoded.key, encoded.value, encoded.headers)


async def dead_letter(dlq: Any, consumer: str, message: Any, error: BaseException) -> None:
    """Send an unprocessable input record to the consumer's dead-letter topic, with the error headers."""
    moment = now()
    headers = dead_letter_headers(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        sink=consumer,
        failure=failure_of(error, 1, moment, moment, "decode"),
        original={name: bytes(value) for name, value in (message.headers or [])},
    )
    await dlq.send(message.key, message.value, headers)
    log.warning(
        "dead-lettered %s[%d]@%d: %s",
        message.topic,
        message.partition,
        message.offset,
        error,
        extra={"topic": message.topic, "offset": message.offset, "consumer": consumer},
    )


def header(message: Any, name: str) -> str:
    """A header's value as text ('' when absent)."""
    for key, value in message.headers or []:
        if key == name:
            return bytes(value).decode("utf-8", "replace")
    return ""


__all__ = [
    "Codecs",
    "ProcessorConfig",
    "clock_us",
    "dead_letter",
    "header",
    "make_app",
    "now",
    "raw_topic",
    "send_event",
]
