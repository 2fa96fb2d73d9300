"""Typed settings, parsed once at start-up.

Sources, highest first: explicit arguments, ``SUPPLYSTREAM_`` environment variables (``__`` between
nested names), ``.env``, a TOML file. Secrets (`SecretStr`) may also come from files and never print.
Endpoints left unset point at the embedded local stack. Details: "Configuration" and "Security and
deployment" in the README.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from supplystream.errors import ConfigurationError

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
OdooApi = Literal["auto", "json2", "jsonrpc"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KafkaSettings(_Section):
    """How to reach the Kafka cluster. Unset ``bootstrap_servers`` means the local stack."""

    bootstrap_servers: str | None = None
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: Path | None = None
    ssl_certificate_location: Path | None = None
    ssl_key_location: Path | None = None
    #: Password of an encrypted private key (``ssl_key_location``).
    ssl_key_password: SecretStr | None = None
    client_id: str = "supplystream"
    #: Extra librdkafka properties for every client, e.g. ``{"socket.keepalive.enable": "true"}``.
    extra: dict[str, str] = Field(default_factory=dict)


class RegistrySettings(_Section):
    """A Confluent-compatible Schema Registry. Unset ``url`` means the local stack's Apicurio."""

    url: str | None = None
    #: Basic authentication (Confluent Cloud API key/secret, Karapace, Apicurio with basic auth).
    username: str | None = None
    password: SecretStr | None = None
    #: Bearer token (OAuth/OIDC), sent as ``Authorization: Bearer <token>``.
    token: SecretStr | None = None
    #: Confluent Cloud's logical cluster id (``lsrc-...``), needed there with a bearer token.
    logical_cluster: str | None = None
    #: Seconds per request; a request that times out is retried (up to 3 times) by the client.
    timeout_s: float = Field(default=10.0, gt=0)


class PostgresSettings(_Section):
    """The planning engine's PostgreSQL. Unset ``dsn`` means the local stack's cluster."""

    dsn: SecretStr | None = None


class OdooSettings(_Section):
    """How to reach Odoo. Unset ``url`` means the local stack's Odoo (the stand-in by default)."""

    url: str | None = None
    database: str = "supplystream"
    login: str = "admin"
    #: The user's password or, better, an API key (Odoo 14+: Preferences > Account Security); Odoo's
    #: external JSON-RPC API takes an API key in place of the password, JSON-2 (Odoo 19+) only an API
    #: key. Also settable as ``api_key`` (``SUPPLYSTREAM_ODOO__API_KEY`` or ``..._API_KEY_FILE``).
    password: SecretStr = Field(
        default=SecretStr("admin"), validation_alias=AliasChoices("password", "api_key")
    )
    #: Which external API to use: ``auto`` picks JSON-2 from Odoo 19 and JSON-RPC below (asked from
    #: Odoo's ``/web/webclient/version_info``); ``json2`` or ``jsonrpc`` forces one (JSON-RPC still
    #: works on Odoo 19 to 21, deprecated; removal is announced for Odoo 22).
    api: OdooApi = "auto"
    #: Seconds one call may take before it counts as Odoo being unavailable.
    timeout_s: float = Field(default=30.0, gt=0)
    #: Retries of a call that failed on a concurrent update (PostgreSQL serialization failure).
    concurrency_retries: int = Field(default=5, ge=0)
    #: The company code the Odoo source puts in every event's envelope.
    company: str = "main"


class SinkSettings(_Section):
    """The sink runtime (sinks/runtime/): batching, retries, the circuit breaker, metrics."""

    #: Records per consumed batch (one adapter write per batch).
    batch_size: int = Field(default=2000, ge=1)
    #: Seconds one consume call waits for records.
    poll_timeout_s: float = Field(default=0.5, gt=0)
    #: Attempts of a whole batch on transient errors before it is applied record by record.
    max_attempts: int = Field(default=5, ge=1)
    #: Attempts of a single record (after the batch gave up) before it is dead-lettered.
    record_attempts: int = Field(default=3, ge=1)
    #: Exponential backoff between attempts: first delay, cap (jitter: the top half is random).
    backoff_base_s: float = Field(default=0.2, gt=0)
    backoff_max_s: float = Field(default=10.0, gt=0)
    #: While the target is unreachable: first probe delay and the longest gap between probes.
    probe_base_s: float = Field(default=1.0, gt=0)
    probe_max_s: float = Field(default=30.0, gt=0)
    #: A record the target cannot apply yet (`sinks.base.NotYetApplicableError`: it waits for a record
    #: on another topic or partition) is retried for this long after it was first deferred, then
    #: dead-lettered.
    defer_timeout_s: float = Field(default=120.0, gt=0)
    #: Serve Prometheus metrics on this port (``/metrics``); unset: no HTTP server.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    #: The channel sink's channels file (sinks/channels/config.py); unset: deploy/channels.example.yaml.
    channels_file: Path | None = None


class ProcessorSettings(_Section):
    """The stream processors (faust-streaming workers): state stores, recovery, commits, metrics."""

    #: Business configuration: warehouses, cut-offs, distances, safety stock (deploy/processors.yaml).
    config_file: Path | None = None
    #: Table store: ``memory://`` (tests, small catalogues) or ``rocksdb://`` (large ones, via rocksdict).
    store: Literal["memory://", "rocksdb://"] = "rocksdb://"
    #: Where workers keep RocksDB tables; one directory per application below it.
    data_dir: Path = Path(".stack/processors")
    #: Standby replicas of each table partition on other workers (faster fail-over).
    standby_replicas: int = Field(default=0, ge=0)
    #: Seconds between offset commits (outputs and table writes are flushed before each commit).
    commit_interval_s: float = Field(default=1.0, gt=0)
    #: Serve Prometheus metrics on this port (``/metrics``, 127.0.0.1); unset: no HTTP server.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    #: faust's own web server (127.0.0.1); each worker needs its own port.
    web_port: int = Field(default=6066, ge=1, le=65535)


class StackSettings(_Section):
    """The embedded local stack (Kafka, Apicurio Registry, PostgreSQL) for demos and tests."""

    home: Path = Path(".stack")
    kafka_port: int = Field(default=9092, ge=1, le=65535)
    controller_port: int = Field(default=9093, ge=1, le=65535)
    registry_port: int = Field(default=8081, ge=1, le=65535)
    #: Apicurio's (Quarkus) management interface: health and metrics.
    registry_management_port: int = Field(default=8082, ge=1, le=65535)
    postgres_port: int = Field(default=55432, ge=1, le=65535)
    #: The Odoo stand-in (always part of the stack), presenting itself as Odoo 17 (JSON-RPC) or 19
    #: (JSON-2 and the deprecated JSON-RPC). Its data belongs to the version that created it.
    odoo_standin_port: int = Field(default=8069, ge=1, le=65535)
    odoo_standin_version: Literal[17, 19] = 17
    #: The real Odoo 11 (`stack up --with-odoo`).
    odoo_port: int = Field(default=8070, ge=1, le=65535)
    kafka_heap: str = "512m"
    registry_heap: str = "384m"
    #: Seconds each component may take to answer after it was started.
    start_timeout_s: float = Field(default=120.0, gt=0)
    #: Directory holding PostgreSQL's server binaries; found automatically when unset.
    postgres_bin_dir: Path | None = None

    @property
    def root(self) -> Path:
        """The stack's state directory as an absolute path."""
        return self.home.expanduser().resolve()


class Settings(BaseSettings):
    """Everything a SupplyStream process needs to know about its environment."""

    model_config = SettingsConfigDict(
        env_prefix="SUPPLYSTREAM_",
        env_nested_delimiter="__",
        env_file=".env",
        # A .env file is often shared with other tools: ignore what is not ours at the top
        # level. The sections below forbid unknown keys, so typos there still fail loudly.
        extra="ignore",
        frozen=True,
    )

    #: Which `environments:` entry of topics.yaml applies (replication, min.insync.replicas).
    environment: str = "local"
    #: Address every /metrics, /health and /ready server listens on: loopback by default; 0.0.0.0 in a
    #: container so Prometheus and the orchestrator's probes can reach it.
    metrics_host: str = "127.0.0.1"
    #: The topic catalog; defaults to the project's own topics.yaml.
    topics_file: Path | None = None
    kafka: KafkaSettings = KafkaSettings()
    registry: RegistrySettings = RegistrySettings()
    postgres: PostgresSettings = PostgresSettings()
    odoo: OdooSettings = OdooSettings()
    sinks: SinkSettings = SinkSettings()
    processors: ProcessorSettings = ProcessorSettings()
    stack: StackSettings = StackSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            WithoutSecretPointers(settings_cls, env_settings),
            SecretFilesSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @property
    def bootstrap_servers(self) -> str:
        """The Kafka bootstrap servers, falling back to the local stack's broker."""
        return self.kafka.bootstrap_servers or f"127.0.0.1:{self.stack.kafka_port}"

    @property
    def registry_url(self) -> str:
        """The registry's Confluent-compatible base URL, falling back to the local stack."""
        return self.registry.url or f"http://127.0.0.1:{self.stack.registry_port}/apis/ccompat/v7"

    @property
    def odoo_url(self) -> str:
        """Odoo's base URL, falling back to the local stack's stand-in."""
        return self.odoo.url or f"http://127.0.0.1:{self.stack.odoo_standin_port}"

    @property
    def postgres_dsn(self) -> str:
        """The planning database's DSN, falling back to the local stack's cluster."""
        if self.postgres.dsn is not None:
            return self.postgres.dsn.get_secret_value()
        return f"postgresql://supplystream@127.0.0.1:{self.stack.postgres_port}/planning"


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Parse settings once, from the environment and an optional TOML file.

    Raises ConfigurationError naming the offending setting.
    """
    path = config_file
    if path is None and os.environ.get("SUPPLYSTREAM_CONFIG"):
        path = Path(os.environ["SUPPLYSTREAM_CONFIG"])
    if path is None and Path("supplystream.toml").is_file():
        path = Path("supplystream.toml")
    try:
        if path is None:
            return Settings(**overrides)  # type: ignore[arg-type]
        if not path.is_file():
            raise ConfigurationError(
                f"settings file {path} does not exist: fix --config or SUPPLYSTREAM_CONFIG"
            )
        return _settings_from_file(path)(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        where = f" (from {path} and the environment)" if path else " (from the environment)"
        raise ConfigurationError(f"invalid settings{where}: {problems}") from exc


def _settings_from_file(path: Path) -> type[Settings]:
    """A Settings class that also reads ``path`` (TOML) below the environment."""

    class SettingsWithFile(Settings):
        model_config = SettingsConfigDict(toml_file=path)

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                WithoutSecretPointers(settings_cls, env_settings),
                SecretFilesSource(settings_cls),
                dotenv_settings,
                TomlConfigSettingsSource(settings_cls),
                file_secret_settings,
            )

    return SettingsWithFile


#: Where Docker and Kubernetes mount secrets by convention.
DEFAULT_SECRETS_DIR = Path("/run/secrets")
_PREFIX = "SUPPLYSTREAM_"


def _is_secret(field: FieldInfo) -> bool:
    return field.annotation is SecretStr or field.annotation == (SecretStr | None)


def secret_settings(model: type[BaseModel] | None = None) -> list[tuple[str, str]]:
    """Every secret setting as (section, field name), aliases included: ``("odoo", "api_key")``."""
    root = model or Settings
    found: list[tuple[str, str]] = []
    for section, info in root.model_fields.items():
        annotation = info.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            continue
        for name, field in annotation.model_fields.items():
            if not _is_secret(field):
                continue
            alias = field.validation_alias
            names = [str(a) for a in alias.choices] if isinstance(alias, AliasChoices) else [name]
            found.extend((section, n) for n in names)
    return found


def _read_secret(path: Path, variable: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"{variable}: cannot read the secret file {path}: {exc.strerror}; fix the path or mount it"
        ) from exc
    value = text.rstrip("\r\n")
    if not value:
        raise ConfigurationError(f"{variable}: the secret file {path} is empty")
    return value


class SecretFilesSource(PydanticBaseSettingsSource):
    """Secret settings read from files: ``SUPPLYSTREAM_<SECTION>__<NAME>_FILE`` and a secrets directory.

    Only secret settings are read this way (``SUPPLYSTREAM_TOPICS_FILE`` stays a path setting). Setting
    both a variable and its ``_FILE`` twin is an error, so nobody wonders which one won.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: dict[str, str] | None = None) -> None:
        super().__init__(settings_cls)
        self._environ = dict(os.environ) if environ is None else environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # noqa: ARG002
        return None, field_name, False  # everything happens in __call__ (nested sections)

    def __call__(self) -> dict[str, Any]:
        environ = {key.upper(): value for key, value in self._environ.items()}
        directory = Path(environ.get(f"{_PREFIX}SECRETS_DIR", str(DEFAULT_SECRETS_DIR)))
        values: dict[str, dict[str, str]] = {}
        for section, name in secret_settings(self.settings_cls):
            variable = f"{_PREFIX}{section}__{name}".upper()
            pointer = environ.get(f"{variable}_FILE")
            if pointer is not None:
                if variable in environ:
                    raise ConfigurationError(f"both {variable} and {variable}_FILE are set: keep one of them")
                values.setdefault(section, {})[name] = _read_secret(Path(pointer), f"{variable}_FILE")
                continue
            for candidate in (f"{section}__{name}", f"{section}__{name}".upper(), variable.lower()):
                path = directory / candidate
                if path.is_file() and variable not in environ:
                    values.setdefault(section, {})[name] = _read_secret(path, variable)
                    break
        return values


class WithoutSecretPointers(PydanticBaseSettingsSource):
    """The environment source minus ``..._FILE`` twins of secret settings (`SecretFilesSource` reads them)."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        values = self._inner()
        for section, name in secret_settings(self.settings_cls):
            nested = values.get(section)
            if isinstance(nested, dict):
                nested.pop(f"{name}_file", None)
                if not nested:
                    del values[section]
        return values
