"""One exception root for everything SupplyStream raises on purpose.

Messages are written for the operator: they say what is wrong and what to do about it.
Library errors are wrapped at the boundary with ``raise ... from``.
"""

from __future__ import annotations


class SupplyStreamError(Exception):
    """Root of every error SupplyStream raises deliberately."""

    #: Process exit code the CLI uses for this kind of error.
    exit_code: int = 1


class ConfigurationError(SupplyStreamError):
    """Settings or a settings file are wrong."""

    exit_code = 2


class ConfigFileError(ConfigurationError):
    """A YAML file (topics.yaml, processors.yaml, channels, webhooks) is unreadable, is not YAML or does
    not fit its model (`supplystream.yaml_files.load_yaml_model`). ``source`` names the file,
    ``locations`` are the pydantic error locations (empty when the file could not be read or parsed)."""

    def __init__(
        self, message: str, *, source: str | None = None, locations: tuple[tuple[int | str, ...], ...] = ()
    ) -> None:
        super().__init__(message)
        self.source = source
        self.locations = locations


class CatalogError(ConfigFileError):
    """topics.yaml is malformed: wrong type, unknown key, duplicate topic, bad config name."""


class UnsafeTopicChangeError(SupplyStreamError):
    """A topics.yaml change Kafka cannot make safely (fewer partitions, new replication, ...)."""

    exit_code = 3


class ClusterError(SupplyStreamError):
    """The Kafka cluster refused or failed an operation."""


class ClientUsageError(SupplyStreamError):
    """A Kafka client helper used against its contract (after close, or from another thread)."""


class PrerequisiteMissingError(SupplyStreamError):
    """A tool the local stack needs (Java, Maven, PostgreSQL) is not installed."""


class StackError(SupplyStreamError):
    """A local stack component failed to start, answer or stop."""


class ContractError(SupplyStreamError):
    """A schema file is unreadable or not valid Avro."""

    exit_code = 2


class SerializationError(SupplyStreamError):
    """An event does not fit its schema (the message names the field)."""


class DeserializationError(SupplyStreamError):
    """Bytes are not a Confluent-framed Avro record we can read (bad magic byte, unknown id, corrupt)."""


class RegistryError(SupplyStreamError):
    """The schema registry refused or failed a request."""


class OdooError(SupplyStreamError):
    """Odoo refused or failed a call. Subclasses say why; ``model`` and ``method`` say where,
    ``odoo_name`` is the exception Odoo reported (``error.data.name``), when it reported one.

    This class itself is a call this server does not accept as made (an unknown method or field,
    wrong arguments, a bug in Odoo's code): permanent, like every subclass but the two transient
    ones, `OdooConcurrentUpdateError` and `OdooUnavailableError` (`supplystream.odoo.failures`).
    """

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        method: str | None = None,
        odoo_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.method = method
        self.odoo_name = odoo_name


class OdooAuthenticationError(OdooError):
    """Wrong database, login, password or API key; or the session expired and re-login failed."""


class OdooAccessError(OdooError):
    """The Odoo user lacks the rights for this model or record (odoo.exceptions.AccessError,
    PostgreSQL's insufficient privilege): permanent until somebody grants them."""


class OdooValidationError(OdooError):
    """Odoo rejected the values (ValidationError / UserError, an integrity constraint): a permanent
    error for this input."""


class OdooMissingRecordError(OdooError):
    """The record does not exist (any more) (odoo.exceptions.MissingError)."""


class OdooDataError(OdooError):
    """Odoo's database cannot store a value (PostgreSQL data exception, e.g. ``integer out of range``
    for an Integer field, which is ``int4``): a permanent error for this input."""


class OdooConcurrentUpdateError(OdooError):
    """A concurrent transaction inside Odoo (serialization failure, deadlock, a lock not available):
    retried by the client, transient."""


class OdooUnavailableError(OdooError):
    """Odoo or its database cannot serve now (refused, timed out, 5xx, out of connections, still
    loading): transient, retry later."""


class PublishError(SupplyStreamError):
    """Kafka did not acknowledge an event (or it cannot be routed to a topic)."""


class DeliveryError(PublishError):
    """Kafka did not acknowledge records in time or refused them, or the producer's queue stayed full
    (`supplystream.kafka_io.flush_or_raise`, `produce_with_backpressure`)."""


class ConsumerGroupActiveError(SupplyStreamError):
    """An operation that needs a consumer group without members found members in it."""
