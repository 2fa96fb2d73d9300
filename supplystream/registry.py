"""The one way to talk to a Confluent-compatible Schema Registry.

Works with Confluent Schema Registry, Karapace, Redpanda and Apicurio's ``/apis/ccompat/v7``:
only the Confluent REST API is used, through confluent-kafka's `SchemaRegistryClient`. Lookups are
cached here, so a serializer pays one round trip per schema, never one per message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from supplystream.errors import ConfigurationError, RegistryError
from supplystream.settings import Settings

try:  # the HTTP client under confluent-kafka's registry client: httpx2 where installed, else httpx
    from confluent_kafka.schema_registry.common._httpx_compat import httpx as _http
except ImportError:  # pragma: no cover - older confluent-kafka
    import httpx as _http  # type: ignore[no-redef]

#: What the registry client raises when no answer came (connection refused, timeout, TLS, DNS).
NoAnswer: type[Exception] = _http.TransportError
#: Confluent's error codes for "not found" (subject, version, schema).
_NOT_FOUND = {40401, 40402, 40403}


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema as the registry knows it under one subject."""

    subject: str
    version: int
    schema_id: int


def registry_client_config(settings: Settings) -> dict[str, Any]:
    """SchemaRegistryClient configuration: URL, basic or bearer authentication, timeouts.

    The timeout matters: without one the client waits forever on a request the registry never
    answers (seen with Apicurio after a 404), and with one it retries that request.
    """
    registry = settings.registry
    if registry.username is not None and registry.token is not None:
        raise ConfigurationError(
            "the registry settings name both basic authentication (username) and a bearer token: "
            "keep one of SUPPLYSTREAM_REGISTRY__USERNAME/__PASSWORD or SUPPLYSTREAM_REGISTRY__TOKEN"
        )
    config: dict[str, Any] = {"url": settings.registry_url, "timeout": registry.timeout_s}
    if registry.username is not None:
        password = registry.password.get_secret_value() if registry.password else ""
        config["basic.auth.user.info"] = f"{registry.username}:{password}"
    if registry.token is not None:
        config["bearer.auth.credentials.source"] = "STATIC_TOKEN"
        config["bearer.auth.token"] = registry.token.get_secret_value()
        # confluent-kafka sends it as `target-sr-cluster`; Confluent Cloud needs it, others ignore it.
        config["bearer.auth.logical.cluster"] = registry.logical_cluster or "default"
    return config


class SchemaRegistry:
    """Register, look up and govern schemas; every result that cannot change is cached."""

    def __init__(self, client: SchemaRegistryClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._ids: dict[tuple[str, str], int] = {}
        self._texts: dict[int, str] = {}

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> SchemaRegistry:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @classmethod
    def from_settings(cls, settings: Settings) -> SchemaRegistry:
        """A registry for the configured URL (the local stack's by default)."""
        return cls(SchemaRegistryClient(registry_client_config(settings)))

    def id_for(self, subject: str, schema_text: str) -> int:
        """The id of an already registered schema (one round trip per subject and schema)."""
        key = (subject, schema_text)
        cached = self._ids.get(key)
        if cached is not None:
            return cached
        try:
            found = self._client.lookup_schema(subject, Schema(schema_text, "AVRO"))
        except NoAnswer as exc:
            raise RegistryError(f"looking up {subject!r}: {_unreachable(exc)}") from exc
        except SchemaRegistryError as exc:
            if exc.error_code in _NOT_FOUND:
                raise RegistryError(
                    f"this schema is not registered under subject {subject!r}: run "
                    "`supplystream schemas register` (or let the schema owners do it)"
                ) from exc
            raise RegistryError(f"looking up {subject!r} failed: {exc}") from exc
        if found.schema_id is None:
            raise RegistryError(f"the registry returned no id for {subject!r}")
        with self._lock:
            self._ids[key] = found.schema_id
        return found.schema_id

    def text_of(self, schema_id: int) -> str:
        """The schema text registered under ``schema_id`` (ids are immutable, so cached forever)."""
        cached = self._texts.get(schema_id)
        if cached is not None:
            return cached
        try:
            schema = self._client.get_schema(schema_id)
        except NoAnswer as exc:
            raise RegistryError(f"reading schema id {schema_id}: {_unreachable(exc)}") from exc
        except SchemaRegistryError as exc:
            raise RegistryError(f"schema id {schema_id} is unknown to the registry: {exc}") from exc
        if schema.schema_str is None:
            raise RegistryError(f"schema id {schema_id} has no text")
        with self._lock:
            self._texts[schema_id] = schema.schema_str
        return schema.schema_str

    def register(self, subject: str, schema_text: str) -> RegisteredSchema:
        """Register (idempotent: the same schema keeps its id and version)."""
        try:
            schema_id = self._client.register_schema(subject, Schema(schema_text, "AVRO"))
            found = self._client.lookup_schema(subject, Schema(schema_text, "AVRO"))
        except SchemaRegistryError as exc:
            if exc.http_status_code == 409:
                raise RegistryError(
                    f"the registry refused {subject!r} as incompatible with its registered versions "
                    f"(level {self.compatibility(subject)}): {exc.error_message}. Run `supplystream "
                    "schemas check --registry` to see which fields break it."
                ) from exc
            raise RegistryError(f"registering {subject!r} failed: {exc}") from exc
        return RegisteredSchema(subject, int(found.version or 0), schema_id)

    def set_compatibility(self, subject: str, level: str) -> None:
        """Set the subject's compatibility level."""
        try:
            self._client.set_compatibility(subject, level)
        except SchemaRegistryError as exc:
            raise RegistryError(f"setting compatibility of {subject!r} to {level} failed: {exc}") from exc

    def compatibility(self, subject: str) -> str | None:
        """The subject's own compatibility level, or None when it inherits the global one."""
        try:
            return str(self._client.get_compatibility(subject))
        except SchemaRegistryError as exc:
            if exc.error_code in _NOT_FOUND or exc.http_status_code == 404:
                return None
            raise RegistryError(f"reading compatibility of {subject!r} failed: {exc}") from exc

    def versions(self, subject: str) -> list[tuple[int, str]]:
        """Every registered version of ``subject`` as (version, schema text), oldest first."""
        try:
            numbers = self._client.get_versions(subject)
        except SchemaRegistryError as exc:
            if exc.error_code in _NOT_FOUND or exc.http_status_code == 404:
                return []
            raise RegistryError(f"listing versions of {subject!r} failed: {exc}") from exc
        result = []
        for number in sorted(numbers):
            version = self._client.get_version(subject, number)
            result.append((number, version.schema.schema_str or ""))
        return result


def _unreachable(error: Exception) -> str:
    """What to tell the operator when no answer came (connection refused, timeout, TLS, DNS)."""
    url = getattr(error, "request").url if _has_request(error) else None  # noqa: B009
    where = f"{url.scheme}://{url.host}:{url.port}" if url is not None else "the configured URL"
    return (
        f"the schema registry at {where} did not answer ({type(error).__name__}: {error}); check that it "
        "runs and SUPPLYSTREAM_REGISTRY__URL points at it"
    )


def _has_request(error: Exception) -> bool:
    try:
        getattr(error, "request")  # noqa: B009 - httpx raises RuntimeError when it carries none
    except (RuntimeError, AttributeError):
        return False
    return True


def is_unknown_schema(error: RegistryError) -> bool:
    """The registry answered that the schema id does not exist (permanent), rather than not answering."""
    cause = error.__cause__
    return isinstance(cause, SchemaRegistryError) and cause.http_status_code == 404
