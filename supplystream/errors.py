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


class CatalogError(ConfigurationError):
    """topics.yaml is malformed: wrong type, unknown key, duplicate topic, bad config name."""


class UnsafeTopicChangeError(SupplyStreamError):
    """A topics.yaml change Kafka cannot make safely (fewer partitions, new replication, ...)."""

    exit_code = 3


class ClusterError(SupplyStreamError):
    """The Kafka cluster refused or failed an operation."""


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
    """Odoo refused or failed a call. Subclasses say why; ``model`` and ``method`` say where."""

    def __init__(self, message: str, *, model: str | None = None, method: str | None = None) -> None:
        super().__init__(message)
        self.model = model
        self.method = method


class OdooAuthenticationError(OdooError):
    """Wrong database, login, password or API key; or the session expired and re-login failed."""


class OdooAccessError(OdooError):
    """The Odoo user lacks the rights for this model or record (odoo.exceptions.AccessError)."""


class OdooValidationError(OdooError):
    """Odoo rejected the values (ValidationError / UserError): a permanent error for this input."""


class OdooMissingRecordError(OdooError):
    """The record does not exist (any more) (odoo.exceptions.MissingError)."""


class OdooConcurrentUpdateError(OdooError):
    """PostgreSQL serialization failure inside Odoo: retried by the client, transient."""


class OdooUnavailableError(OdooError):
    """Odoo did not answer (refused, timed out, 5xx): transient, retry later."""


class PublishError(SupplyStreamError):
    """Kafka did not acknowledge an event (or it cannot be routed to a topic)."""


class ConsumerGroupActiveError(SupplyStreamError):
    """An operation that needs a consumer group without members found members in it."""
