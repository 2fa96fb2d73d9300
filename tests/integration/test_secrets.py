"""The secrets test: no secret value ever reaches stdout, stderr, logs, `--help` or `config show`.

Every secret setting gets a distinctive value, once from environment variables and once from files
(``..._FILE`` variables and a secrets directory), together with the channel sink's token and HMAC key
(``env:`` and ``file:``) and the webhook senders' HMAC secrets. Then, with Python logging at DEBUG and
librdkafka's ``debug=all``: the help of every command, `config show`, and real commands that use the
secrets and fail to connect (Kafka over SASL_SSL with a client key, the registry, PostgreSQL, Odoo, the
channel sink, the webhook source) against closed ports. No output may contain any secret; repr and str
of the settings neither.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from sinks.channels.config import load_channels
from supplystream.errors import OdooError
from supplystream.odoo.transport import JsonRpcTransport
from supplystream.settings import Settings, load_settings
from supplystream_app.cli import app
from supplystream_devkit.ports import free_port

pytestmark = pytest.mark.integration

#: Python logging at DEBUG (every library's logger), then the real console entry point.
DEBUG_CLI = (
    "import logging, sys; "
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, "
    "format='%(levelname)s %(name)s %(message)s'); "
    "from supplystream_app.cli import main; sys.argv[0] = 'supplystream'; main()"
)


@dataclass
class Round:
    """One way of handing over the secrets: the environment to run with, and every secret value."""

    name: str
    env: dict[str, str]
    secrets: list[str]
    folder: Path


def _key(folder: Path, password: str) -> tuple[Path, Path]:
    """A self-signed client certificate whose private key is encrypted with ``password``."""
    cert, key = folder / "client.pem", folder / "client.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=secrets-test",
         "-keyout", str(key), "-out", str(cert), "-passout", f"pass:{password}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _channels_file(folder: Path, token_variable: str, hmac_file: Path) -> Path:
    path = folder / "channels.yaml"
    path.write_text(
        f"""version: 1
channels:
  - name: webshop
    base_url: https://shop.example.com
    location_id: 1
    auth: {{type: bearer, token: {{env: {token_variable}}}}}
    warehouses: [WH-EAST]
  - name: marketplace
    base_url: https://market.example.com
    location_id: 2
    auth: {{type: hmac, secret: {{file: {hmac_file}}}}}
    warehouses: [WH-WEST]
"""
    )
    return path


def _webhooks_file(folder: Path, secret: str) -> Path:
    path = folder / "webhooks.yaml"
    path.write_text(
        f"""senders:
  - name: acme-wms
    secret: {secret}
    kinds: [shipment-confirmed]
    mappings:
      shipment-confirmed:
        fields: {{shipment_id: "$.id"}}
"""
    )
    return path


def _base_env(folder: Path, cert: Path, key: Path) -> dict[str, str]:
    closed = {name: str(free_port()) for name in ("kafka", "registry", "postgres", "odoo")}
    return {
        "SUPPLYSTREAM_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{closed['kafka']}",
        "SUPPLYSTREAM_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "SUPPLYSTREAM_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "SUPPLYSTREAM_KAFKA__SASL_USERNAME": "secrets-test",
        "SUPPLYSTREAM_KAFKA__SSL_CA_LOCATION": str(cert),
        "SUPPLYSTREAM_KAFKA__SSL_CERTIFICATE_LOCATION": str(cert),
        "SUPPLYSTREAM_KAFKA__SSL_KEY_LOCATION": str(key),
        "SUPPLYSTREAM_KAFKA__EXTRA": '{"debug": "all", "log_level": "7"}',
        "SUPPLYSTREAM_REGISTRY__URL": f"http://127.0.0.1:{closed['registry']}/apis/ccompat/v7",
        "SUPPLYSTREAM_REGISTRY__TIMEOUT_S": "2",
        "SUPPLYSTREAM_ODOO__URL": f"http://127.0.0.1:{closed['odoo']}",
        "SUPPLYSTREAM_ODOO__TIMEOUT_S": "2",
        "SUPPLYSTREAM_STACK__HOME": str(folder / "stack"),
        "SUPPLYSTREAM_SECRETS_DIR": str(folder / "run-secrets"),
        "CLOSED_POSTGRES_PORT": closed["postgres"],
    }


@pytest.fixture(scope="module", params=["environment", "files"])
def secrets_round(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Round:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    how = str(request.param)
    folder = tmp_path_factory.mktemp(how)
    (folder / "run-secrets").mkdir()
    tag = "E" if how == "environment" else "F"
    value = {
        "kafka": f"Kafka-SASL-{tag}-7c1e9b",
        "ssl_key": f"TLS-Key-{tag}-4f2a88",
        "registry": f"Registry-Basic-{tag}-19d3",
        "token": f"Registry-Bearer-{tag}-a6e0",
        "postgres": f"Pg-Pass-{tag}-b20c",
        "odoo": f"Odoo-ApiKey-{tag}-5e77",
        "channel_token": f"Shopify-Token-{tag}-93aa",
        "channel_hmac": f"Channel-HMAC-{tag}-0d4f",
        "webhook": f"Webhook-HMAC-{tag}-c3b1",
    }
    cert, key = _key(folder, value["ssl_key"])
    env = _base_env(folder, cert, key)
    dsn = f"postgresql://planning:{value['postgres']}@127.0.0.1:{env.pop('CLOSED_POSTGRES_PORT')}/planning"
    hmac_file = folder / "channel-hmac"
    hmac_file.write_text(value["channel_hmac"] + "\n")
    env["SUPPLYSTREAM_TEST_CHANNEL_TOKEN"] = value["channel_token"]
    env["SUPPLYSTREAM_SINKS__CHANNELS_FILE"] = str(
        _channels_file(folder, "SUPPLYSTREAM_TEST_CHANNEL_TOKEN", hmac_file)
    )
    env["WEBHOOKS_FILE"] = str(_webhooks_file(folder, value["webhook"]))
    if how == "environment":
        env |= {
            "SUPPLYSTREAM_KAFKA__SASL_PASSWORD": value["kafka"],
            "SUPPLYSTREAM_KAFKA__SSL_KEY_PASSWORD": value["ssl_key"],
            "SUPPLYSTREAM_REGISTRY__USERNAME": "sr-user",
            "SUPPLYSTREAM_REGISTRY__PASSWORD": value["registry"],
            "SUPPLYSTREAM_POSTGRES__DSN": dsn,
            "SUPPLYSTREAM_ODOO__PASSWORD": value["odoo"],
        }
        value["token"] = ""  # a bearer token and basic auth exclude each other: the files round has it
    else:
        files = {
            "SUPPLYSTREAM_KAFKA__SASL_PASSWORD_FILE": value["kafka"],
            "SUPPLYSTREAM_KAFKA__SSL_KEY_PASSWORD_FILE": value["ssl_key"],
            "SUPPLYSTREAM_ODOO__API_KEY_FILE": value["odoo"],
        }
        for variable, secret in files.items():
            path = folder / variable.lower()
            path.write_text(secret + "\n")
            env[variable] = str(path)
        (folder / "run-secrets" / "registry__token").write_text(value["token"] + "\n")
        (folder / "run-secrets" / "postgres__dsn").write_text(dsn + "\n")
        value["registry"] = ""
    return Round(how, env, [v for v in value.values() if v], folder)


def _clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("SUPPLYSTREAM_")}


def _start(run: Round, *args: str) -> subprocess.Popen[str]:
    """The CLI with Python logging at DEBUG, output (stdout and stderr together) captured."""
    return subprocess.Popen(
        [sys.executable, "-c", DEBUG_CLI, *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**_clean_environ(), **run.env}, cwd=run.folder,
    )  # fmt: skip


def _output(process: subprocess.Popen[str], stop_after_s: float | None = None) -> str:
    """Everything the process printed; a long-running one gets SIGTERM after ``stop_after_s``."""
    try:
        out, _ = process.communicate(timeout=stop_after_s if stop_after_s is not None else 120)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
    return out


def _assert_clean(run: Round, what: str, output: str) -> None:
    leaked = [secret for secret in run.secrets if secret in output]
    assert not leaked, f"{what} ({run.name}) printed secret(s) {leaked}"


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*prefix, name))


@pytest.fixture
def in_round_environment(secrets_round: Round, monkeypatch: pytest.MonkeyPatch) -> Round:
    for name in list(os.environ):
        if name.upper().startswith("SUPPLYSTREAM_"):
            monkeypatch.delenv(name)
    for name, value in secrets_round.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(secrets_round.folder)
    return secrets_round


def test_settings_hold_the_secrets_but_never_show_them(in_round_environment: Round) -> None:
    settings = load_settings()
    kafka = settings.kafka
    assert kafka.sasl_password is not None
    assert kafka.ssl_key_password is not None
    assert kafka.sasl_password.get_secret_value() in in_round_environment.secrets
    assert kafka.ssl_key_password.get_secret_value() in in_round_environment.secrets
    assert settings.odoo.password.get_secret_value() in in_round_environment.secrets
    for text in (repr(settings), str(settings), repr(settings.kafka), str(settings.model_dump())):
        _assert_clean(in_round_environment, "repr/str of Settings", text)
    channels = load_channels(Path(os.environ["SUPPLYSTREAM_SINKS__CHANNELS_FILE"]))
    _assert_clean(in_round_environment, "the channels file model", repr(channels) + str(channels))


def test_help_of_every_command(in_round_environment: Round, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    paths = list(_command_paths(typer.main.get_command(app)))
    assert len(paths) > 30
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        _assert_clean(in_round_environment, f"supplystream {' '.join(path)} --help", result.output)
    _assert_clean(in_round_environment, "logs during --help", caplog.text)


def test_config_show_masks_every_secret(secrets_round: Round) -> None:
    for output in ("yaml", "json"):
        shown = _output(_start(secrets_round, "config", "show", "--output", output))
        _assert_clean(secrets_round, f"config show -o {output}", shown)
        assert shown.count("**********") >= 4, shown  # kafka x2, odoo, postgres or registry


def test_commands_using_the_secrets_at_debug_level_print_none(secrets_round: Round) -> None:
    """Run concurrently; each fails to connect (closed ports) or is stopped with SIGTERM."""
    run = secrets_round
    failing = {
        "topics plan (Kafka SASL_SSL + client key, debug=all)": _start(run, "topics", "plan"),
        "schemas register (registry auth)": _start(run, "schemas", "register"),
        "sinks migrate planning (PostgreSQL DSN)": _start(run, "sinks", "migrate", "planning"),
        "source odoo --once (Odoo API key)": _start(run, "source", "odoo", "--once"),
    }
    running = {
        "sinks run channel (channel token, HMAC key)": _start(run, "sinks", "run", "channel"),
        "webhooks serve (sender HMAC secrets)": _start(
            run, "webhooks", "serve", "--config", run.env["WEBHOOKS_FILE"], "--port", str(free_port())
        ),
    }
    outputs = {what: _output(process, stop_after_s=10) for what, process in running.items()}
    outputs |= {what: _output(process) for what, process in failing.items()}
    for what, output in outputs.items():
        _assert_clean(run, what, output)
    plan = outputs["topics plan (Kafka SASL_SSL + client key, debug=all)"]
    assert "cannot read cluster metadata" in plan
    assert "DEBUG " in "".join(outputs.values()), "Python logging at DEBUG is not on"
    assert "SASL" in plan, "librdkafka's debug output is missing"
    assert "127.0.0.1" in outputs["sinks migrate planning (PostgreSQL DSN)"]


def test_odoo_calls_at_debug_level_log_no_api_key(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Against a reachable Odoo (the local stack's stand-in): a login at DEBUG must not log the key."""
    api_key = "Odoo-ApiKey-live-8c2d61"
    caplog.set_level("DEBUG")
    transport = JsonRpcTransport(settings.odoo_url, settings.odoo.database, "admin", api_key, timeout_s=10)
    with contextlib.suppress(OdooError):
        transport.authenticate()
    assert "JSON,send" in caplog.text, "odoorpc's debug log did not run"
    assert api_key not in caplog.text
