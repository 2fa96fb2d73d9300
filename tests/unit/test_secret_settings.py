"""Secrets from files (``..._FILE`` variables, a secrets directory), TLS key passwords, the Odoo API key,
registry authentication, and `config show`'s masking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from supplystream.clients import client_config
from supplystream.errors import ConfigurationError
from supplystream.registry import registry_client_config
from supplystream.settings import Settings, load_settings, secret_settings
from supplystream_app.cli.config import MASK, masked_settings

SECRET = "file-borne-s3cr3t-9931"  # noqa: S105 - a test value that must never print


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SUPPLYSTREAM_* variable of the caller's shell; an empty secrets directory of our own."""
    for name in list(os.environ):
        if name.upper().startswith("SUPPLYSTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secrets").mkdir()
    monkeypatch.setenv("SUPPLYSTREAM_SECRETS_DIR", str(tmp_path / "secrets"))


def test_every_secret_setting_is_listed() -> None:
    assert set(secret_settings()) == {
        ("kafka", "sasl_password"),
        ("kafka", "ssl_key_password"),
        ("registry", "password"),
        ("registry", "token"),
        ("postgres", "dsn"),
        ("odoo", "password"),
        ("odoo", "api_key"),
    }


def test_file_variable_reads_the_secret_without_its_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "sasl").write_text(SECRET + "\n")
    monkeypatch.setenv("SUPPLYSTREAM_KAFKA__SASL_PASSWORD_FILE", str(tmp_path / "sasl"))
    settings = load_settings()
    assert settings.kafka.sasl_password == SecretStr(SECRET)
    assert client_config(settings)["sasl.password"] == SECRET
    assert SECRET not in repr(settings)


def test_secrets_directory_file_per_setting(tmp_path: Path) -> None:
    (tmp_path / "secrets" / "registry__token").write_text("token-" + SECRET)
    (tmp_path / "secrets" / "kafka__ssl_key_password").write_text("key-" + SECRET + "\r\n")
    settings = load_settings()
    assert settings.kafka.ssl_key_password == SecretStr("key-" + SECRET)
    assert client_config(settings)["ssl.key.password"] == "key-" + SECRET
    assert registry_client_config(settings)["bearer.auth.token"] == "token-" + SECRET


def test_environment_variable_wins_over_the_secrets_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "secrets" / "registry__token").write_text("from-dir")
    monkeypatch.setenv("SUPPLYSTREAM_REGISTRY__TOKEN", "from-env")
    assert load_settings().registry.token == SecretStr("from-env")


def test_value_and_file_variable_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pw").write_text(SECRET)
    monkeypatch.setenv("SUPPLYSTREAM_REGISTRY__PASSWORD", "other")
    monkeypatch.setenv("SUPPLYSTREAM_REGISTRY__PASSWORD_FILE", str(tmp_path / "pw"))
    with pytest.raises(ConfigurationError, match="keep one of them"):
        load_settings()


def test_missing_or_empty_secret_file_says_which_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_ODOO__PASSWORD_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigurationError, match="SUPPLYSTREAM_ODOO__PASSWORD_FILE"):
        load_settings()
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("SUPPLYSTREAM_ODOO__PASSWORD_FILE", str(tmp_path / "empty"))
    with pytest.raises(ConfigurationError, match="is empty"):
        load_settings()


def test_file_suffix_stays_a_path_for_settings_that_are_no_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_TOPICS_FILE", str(tmp_path / "topics.yaml"))
    monkeypatch.setenv("SUPPLYSTREAM_SINKS__CHANNELS_FILE", str(tmp_path / "channels.yaml"))
    settings = load_settings()
    assert settings.topics_file == tmp_path / "topics.yaml"
    assert settings.sinks.channels_file == tmp_path / "channels.yaml"


def test_odoo_api_key_is_the_password_odoo_receives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUPPLYSTREAM_ODOO__API_KEY", "odoo-key-" + SECRET)
    assert load_settings().odoo.password == SecretStr("odoo-key-" + SECRET)
    monkeypatch.delenv("SUPPLYSTREAM_ODOO__API_KEY")
    (tmp_path / "odoo-key").write_text("odoo-file-key")
    monkeypatch.setenv("SUPPLYSTREAM_ODOO__API_KEY_FILE", str(tmp_path / "odoo-key"))
    assert load_settings().odoo.password == SecretStr("odoo-file-key")


def test_secret_files_also_apply_with_a_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "supplystream.toml"
    config.write_text('[kafka]\nsasl_username = "svc"\nsasl_password = "from-toml"\n')
    (tmp_path / "secrets" / "kafka__sasl_password").write_text("from-dir")
    settings = load_settings(config)
    assert settings.kafka.sasl_username == "svc"
    assert settings.kafka.sasl_password == SecretStr("from-dir")


def test_registry_basic_auth_and_bearer() -> None:
    basic = Settings(registry={"username": "sr-user", "password": SecretStr("pw")})
    assert registry_client_config(basic)["basic.auth.user.info"] == "sr-user:pw"
    bearer = Settings(registry={"token": SecretStr("tok"), "logical_cluster": "lsrc-1"})
    config = registry_client_config(bearer)
    assert config["bearer.auth.credentials.source"] == "STATIC_TOKEN"
    assert (config["bearer.auth.token"], config["bearer.auth.logical.cluster"]) == ("tok", "lsrc-1")
    assert "basic.auth.user.info" not in config
    both = Settings(registry={"username": "u", "token": SecretStr("t")})
    with pytest.raises(ConfigurationError, match="keep one of"):
        registry_client_config(both)


def test_config_show_masks_every_secret_and_secret_looking_extras() -> None:
    settings = Settings(
        kafka={
            "sasl_password": SecretStr("k-" + SECRET),
            "ssl_key_password": SecretStr("s-" + SECRET),
            "extra": {"sasl.oauthbearer.client.secret": "x-" + SECRET, "socket.keepalive.enable": "true"},
        },
        registry={"username": "u", "password": SecretStr("r-" + SECRET)},
        postgres={"dsn": SecretStr(f"postgresql://u:{SECRET}@db/planning")},
        odoo={"password": SecretStr("o-" + SECRET)},
    )
    shown = masked_settings(settings)
    assert SECRET not in str(shown)
    assert shown["kafka"]["sasl_password"] == MASK
    assert shown["kafka"]["extra"] == {
        "sasl.oauthbearer.client.secret": MASK,
        "socket.keepalive.enable": "true",
    }
    assert shown["effective"]["postgres_dsn"] == MASK
    assert shown["registry"]["username"] == "u"
    assert shown["registry"]["token"] is None


def test_config_show_masks_passwords_inside_urls() -> None:
    settings = Settings(
        registry={"url": f"https://sr:{SECRET}@registry.example.com/apis/ccompat/v7"},
        odoo={"url": f"https://admin:{SECRET}@odoo.example.com"},
    )
    shown = masked_settings(settings)
    assert SECRET not in str(shown)
    assert shown["effective"]["registry_url"] == f"https://sr:{MASK}@registry.example.com/apis/ccompat/v7"
    assert shown["odoo"]["url"] == f"https://admin:{MASK}@odoo.example.com"
