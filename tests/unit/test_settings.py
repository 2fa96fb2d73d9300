"""Settings: local-stack defaults, environment variables, TOML files, and the Kafka client configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from supplystream.clients import client_config, consumer_config, producer_config
from supplystream.errors import ConfigurationError
from supplystream.settings import Settings, load_settings

#: A credential that must never appear in a repr, a str or an error message.
SASL_CREDENTIAL = "s3cr3t-Kafka-credential-4711"

SASL_SSL_ENV = {
    "SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": "b-1.kafka.example.com:9096,b-2.kafka.example.com:9096",
    "SUPPLYSTREAM_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
    "SUPPLYSTREAM_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
    "SUPPLYSTREAM_KAFKA__SASL_USERNAME": "supplystream-prod",
    "SUPPLYSTREAM_KAFKA__SASL_PASSWORD": SASL_CREDENTIAL,
    "SUPPLYSTREAM_KAFKA__SSL_CA_LOCATION": "/etc/ssl/certs/kafka-ca.pem",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SUPPLYSTREAM_* variable of the caller's shell, and no stray .env or supplystream.toml."""
    for name in list(os.environ):
        if name.upper().startswith("SUPPLYSTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def set_env(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    """Set several environment variables for one test."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


# --- defaults -------------------------------------------------------------------------------------


def test_defaults_point_at_the_local_stack() -> None:
    settings = load_settings()

    assert settings.environment == "local"
    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.registry_url == "http://127.0.0.1:8081/apis/ccompat/v7"
    assert settings.registry_url.endswith("/apis/ccompat/v7")
    assert settings.postgres_dsn == "postgresql://supplystream@127.0.0.1:55432/planning"


def test_local_endpoints_follow_the_stack_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(
        monkeypatch,
        {"SUPPLYSTREAM_STACK__KAFKA_PORT": "19092", "SUPPLYSTREAM_STACK__REGISTRY_PORT": "18081"},
    )

    settings = load_settings()

    assert settings.bootstrap_servers == "127.0.0.1:19092"
    assert settings.registry_url == "http://127.0.0.1:18081/apis/ccompat/v7"


def test_default_client_config_is_plaintext_to_the_local_stack() -> None:
    config = client_config(load_settings())

    assert config == {
        "bootstrap.servers": "127.0.0.1:9092",
        "client.id": "supplystream",
        "security.protocol": "PLAINTEXT",
    }


# --- environment variables ------------------------------------------------------------------------


def test_environment_variables_configure_sasl_ssl(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, SASL_SSL_ENV)

    settings = load_settings()
    config = client_config(settings)

    assert config["bootstrap.servers"] == SASL_SSL_ENV["SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS"]
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanism"] == "SCRAM-SHA-512"
    assert config["sasl.username"] == "supplystream-prod"
    assert config["sasl.password"] == SASL_CREDENTIAL
    assert config["ssl.ca.location"] == "/etc/ssl/certs/kafka-ca.pem"
    assert "ssl.certificate.location" not in config


def test_password_stays_secret_outside_the_client_config(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, SASL_SSL_ENV)

    settings = load_settings()

    assert isinstance(settings.kafka.sasl_password, SecretStr)
    assert settings.kafka.sasl_password.get_secret_value() == SASL_CREDENTIAL
    assert SASL_CREDENTIAL not in repr(settings)
    assert SASL_CREDENTIAL not in str(settings)
    assert SASL_CREDENTIAL not in repr(settings.kafka)
    assert SASL_CREDENTIAL not in str(settings.model_dump())


def test_invalid_setting_does_not_echo_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, {**SASL_SSL_ENV, "SUPPLYSTREAM_KAFKA__SECURITY_PROTOCOL": "SASL-SSL"})

    with pytest.raises(ConfigurationError) as info:
        load_settings()

    assert "kafka.security_protocol" in str(info.value)
    assert SASL_CREDENTIAL not in str(info.value)


def test_extra_librdkafka_properties_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_KAFKA__EXTRA", '{"socket.keepalive.enable": "true"}')

    config = client_config(load_settings())

    assert config["socket.keepalive.enable"] == "true"


def test_environment_name_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_ENVIRONMENT", "production")

    assert load_settings().environment == "production"


def test_explicit_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_ENVIRONMENT", "production")

    assert load_settings(environment="staging").environment == "staging"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUPPLYSTREAM_ENVIRONMENT=production\n")

    assert load_settings().environment == "production"


def test_dotenv_file_shared_with_other_tools(tmp_path: Path) -> None:
    # A project .env usually also holds other tools' variables (docker compose, psql, ...);
    # SupplyStream reads its own and leaves the rest alone.
    (tmp_path / ".env").write_text("COMPOSE_PROJECT_NAME=supplystream\nSUPPLYSTREAM_ENVIRONMENT=production\n")

    assert load_settings().environment == "production"


# --- invalid settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["notaport", "0", "70000"])
def test_invalid_port_names_the_setting(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_STACK__KAFKA_PORT", port)

    with pytest.raises(ConfigurationError) as info:
        load_settings()

    assert "stack.kafka_port" in str(info.value)
    assert info.value.exit_code == 2


def test_unknown_security_protocol_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_KAFKA__SECURITY_PROTOCOL", "TLS")

    with pytest.raises(ConfigurationError, match=r"kafka\.security_protocol"):
        load_settings()


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigurationError, match=r"does not exist") as info:
        load_settings(missing)

    assert str(missing) in str(info.value)


def test_missing_config_file_named_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_CONFIG", "nowhere.toml")

    with pytest.raises(ConfigurationError, match=r"nowhere\.toml does not exist"):
        load_settings()


# --- TOML settings files --------------------------------------------------------------------------

TOML = """\
environment = "production"

[kafka]
bootstrap_servers = "toml-broker:9092"
client_id = "from-toml"

[stack]
kafka_port = 19092
"""


def test_toml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(TOML)

    settings = load_settings(path)

    assert settings.environment == "production"
    assert settings.bootstrap_servers == "toml-broker:9092"
    assert settings.kafka.client_id == "from-toml"
    assert settings.stack.kafka_port == 19092


def test_environment_overrides_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(TOML)
    monkeypatch.setenv("SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS", "env-broker:9092")
    monkeypatch.setenv("SUPPLYSTREAM_ENVIRONMENT", "local")

    settings = load_settings(path)

    assert settings.bootstrap_servers == "env-broker:9092"
    assert settings.environment == "local"
    # The rest of the [kafka] table still comes from the file.
    assert settings.kafka.client_id == "from-toml"
    assert client_config(settings)["client.id"] == "from-toml"


def test_config_file_named_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(TOML)
    monkeypatch.setenv("SUPPLYSTREAM_CONFIG", str(path))

    assert load_settings().kafka.client_id == "from-toml"


def test_supplystream_toml_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "supplystream.toml").write_text(TOML)

    assert load_settings().kafka.client_id == "from-toml"


def test_explicit_file_wins_over_supplystream_toml(tmp_path: Path) -> None:
    (tmp_path / "supplystream.toml").write_text(TOML)
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[kafka]\nclient_id = "explicit"\n')

    assert load_settings(explicit).kafka.client_id == "explicit"


def test_invalid_value_in_toml_names_setting_and_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[stack]\nkafka_port = "notaport"\n')

    with pytest.raises(ConfigurationError) as info:
        load_settings(path)

    assert "stack.kafka_port" in str(info.value)
    assert str(path) in str(info.value)


def test_misspelt_key_in_toml_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[kafka]\nbootstrap_server = "typo:9092"\n')

    with pytest.raises(ConfigurationError, match=r"kafka\.bootstrap_server\b"):
        load_settings(path)


def test_settings_are_frozen() -> None:
    settings = load_settings()

    with pytest.raises(ValueError, match="frozen"):
        settings.environment = "production"  # type: ignore[misc]


# --- client configs -------------------------------------------------------------------------------


def test_producer_config_is_durable(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, SASL_SSL_ENV)

    config = producer_config(load_settings())

    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["security.protocol"] == "SASL_SSL"  # security applies to producers too
    assert config["sasl.password"] == SASL_CREDENTIAL


def test_producer_config_overrides() -> None:
    config = producer_config(load_settings(), **{"linger.ms": 50})

    assert config["linger.ms"] == 50
    assert config["enable.idempotence"] is True


def test_consumer_config_commits_manually() -> None:
    config = consumer_config(Settings(), "atp-processor")

    assert config["enable.auto.commit"] is False
    assert config["group.id"] == "atp-processor"
    assert config["isolation.level"] == "read_committed"
    assert config["bootstrap.servers"] == "127.0.0.1:9092"
