"""Registry client settings: URL, basic or bearer authentication, and a timeout that is never unset."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from supplystream.errors import RegistryError
from supplystream.registry import SchemaRegistry, is_unknown_schema, registry_client_config
from supplystream.settings import RegistrySettings, Settings, StackSettings
from supplystream_devkit.ports import free_port


def test_defaults_point_at_the_local_registry_with_a_timeout() -> None:
    config = registry_client_config(Settings(stack=StackSettings(registry_port=18081)))
    assert config == {"url": "http://127.0.0.1:18081/apis/ccompat/v7", "timeout": 10.0}


def test_basic_auth() -> None:
    registry = RegistrySettings(url="https://sr.example.com", username="key", password=SecretStr("secret"))
    config = registry_client_config(Settings(registry=registry))
    assert config["basic.auth.user.info"] == "key:secret"
    assert "bearer.auth.token" not in config


def test_bearer_token() -> None:
    registry = RegistrySettings(
        url="https://sr.example.com", token=SecretStr("Zq8-bearer-secret"), logical_cluster="lsrc-1"
    )
    config = registry_client_config(Settings(registry=registry))
    assert config["bearer.auth.credentials.source"] == "STATIC_TOKEN"
    assert config["bearer.auth.token"] == "Zq8-bearer-secret"
    assert config["bearer.auth.logical.cluster"] == "lsrc-1"
    assert "Zq8-bearer-secret" not in repr(registry)


def test_a_registry_that_does_not_answer_is_a_registry_error_naming_its_address() -> None:
    port = free_port()  # nothing listens there
    settings = Settings(registry=RegistrySettings(url=f"http://127.0.0.1:{port}"))
    with SchemaRegistry.from_settings(settings) as registry, pytest.raises(RegistryError) as raised:
        registry.text_of(1)
    assert f"127.0.0.1:{port} did not answer" in str(raised.value)
    assert not is_unknown_schema(raised.value)  # readers retry it (a registry restarting)
