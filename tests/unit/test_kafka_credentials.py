"""The stream processors' Kafka credentials (faust/aiokafka) match the confluent clients' settings."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiokafka.client import AIOKafkaClient  # type: ignore[import-untyped]
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import SecretStr

from processors.streams import _credentials
from supplystream.clients import client_config
from supplystream.errors import ConfigurationError
from supplystream.settings import Settings

KEY_PASSWORD = "key-pass-5521"  # noqa: S105 - a test value


def kafka(**values: Any) -> Settings:
    return Settings(kafka={"bootstrap_servers": "b-1.example.com:9096", **values})


def aiokafka_auth(settings: Settings) -> dict[str, Any]:
    auth: dict[str, Any] = dict(credentials_to_aiokafka_auth(_credentials(settings)))
    return auth


def aiokafka_accepts(auth: dict[str, Any]) -> None:
    """aiokafka's client validates protocol and mechanism when built (no connection is made)."""

    async def build() -> None:
        client = AIOKafkaClient(bootstrap_servers="b-1.example.com:9096", **auth)
        await client.close()

    asyncio.run(build())


@pytest.fixture(scope="module")
def client_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and its private key, encrypted with KEY_PASSWORD."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "client.pem", folder / "client.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=supplystream-test",
         "-keyout", str(key), "-out", str(cert), "-passout", f"pass:{KEY_PASSWORD}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_plaintext_needs_no_credentials() -> None:
    assert _credentials(kafka()) is None


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
def test_sasl_ssl_gives_aiokafka_the_mechanism_and_a_verifying_tls_context(mechanism: str) -> None:
    settings = kafka(
        security_protocol="SASL_SSL",
        sasl_mechanism=mechanism,
        sasl_username="atp-processor",
        sasl_password=SecretStr("pw"),
    )
    auth = aiokafka_auth(settings)
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["sasl_mechanism"] == mechanism == client_config(settings)["sasl.mechanism"]
    assert (auth["sasl_plain_username"], auth["sasl_plain_password"]) == ("atp-processor", "pw")
    context = auth["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    aiokafka_accepts(auth)


def test_sasl_plaintext_has_no_tls() -> None:
    settings = kafka(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="u",
        sasl_password=SecretStr("pw"),
    )
    auth = aiokafka_auth(settings)
    assert (auth["security_protocol"], auth["ssl_context"]) == ("SASL_PLAINTEXT", None)
    aiokafka_accepts(auth)


def test_mutual_tls_with_an_encrypted_key(client_certificate: tuple[Path, Path]) -> None:
    cert, key = client_certificate
    settings = kafka(
        security_protocol="SSL",
        ssl_ca_location=cert,
        ssl_certificate_location=cert,
        ssl_key_location=key,
        ssl_key_password=SecretStr(KEY_PASSWORD),
    )
    auth = aiokafka_auth(settings)
    assert auth["security_protocol"] == "SSL"
    assert isinstance(auth["ssl_context"], ssl.SSLContext)
    assert client_config(settings)["ssl.key.password"] == KEY_PASSWORD
    aiokafka_accepts(auth)
    wrong = kafka(**{**settings.kafka.model_dump(), "ssl_key_password": SecretStr("wrong")})
    with pytest.raises(ssl.SSLError):
        _credentials(wrong)


def test_sasl_without_a_password_names_the_settings() -> None:
    settings = kafka(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="u")
    with pytest.raises(ConfigurationError, match="SASL_PASSWORD"):
        _credentials(settings)


def test_oauthbearer_is_refused_for_the_processors() -> None:
    settings = kafka(
        security_protocol="SASL_SSL",
        sasl_mechanism="OAUTHBEARER",
        sasl_username="u",
        sasl_password=SecretStr("p"),
    )
    with pytest.raises(ConfigurationError, match="OAUTHBEARER"):
        _credentials(settings)
