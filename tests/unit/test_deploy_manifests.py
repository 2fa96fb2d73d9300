"""deploy/compose.yaml and deploy/kubernetes/: structure checked without Docker or a cluster.

Every SupplyStream container runs a real `supplystream` command line (parsed by the CLI itself), secrets
are files the settings read (never inline values), probes call /health and /ready on the port the
process serves, and every process has both a compose service and a Deployment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from sinks.channels.config import parse_channels
from supplystream.settings import secret_settings
from supplystream_app.cli import app

DEPLOY = Path(__file__).parents[2] / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
#: The long-running processes, each with its metrics/health port (deploy/monitoring/prometheus.yml).
PROCESSES = {
    "atp-processor": 9421,
    "order-router": 9422,
    "planning-sink": 9411,
    "odoo-sink": 9412,
    "channel-sink": 9413,
    "webhooks": 9401,
    "odoo-source": 9402,
}
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|API_KEY|DSN", re.IGNORECASE)


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for name in yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())["resources"]:
        docs.extend(d for d in yaml.safe_load_all((KUBERNETES / name).read_text()) if d)
    return docs


def deployments() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_documents() if d["kind"] == "Deployment"}


def parse_cli(args: list[str]) -> Any:
    """Resolve ``supplystream <args>`` to its command and parse its options (nothing runs).

    Raises the CLI's usage error for an unknown command, option or argument.
    """
    command: Any = typer.main.get_command(app)
    context = command.make_context("supplystream", [], resilient_parsing=True)
    rest = list(args)
    while hasattr(command, "commands"):  # a group: the next word names a subcommand
        name = rest.pop(0)
        command = command.get_command(context, name)
        assert command is not None, f"`supplystream {' '.join(args)}`: no command {name!r}"
        if hasattr(command, "commands"):
            context = command.make_context(name, [], parent=context, resilient_parsing=True)
        else:
            context = command.make_context(name, rest, parent=context)
    return context


def test_parse_cli_rejects_unknown_commands_and_options() -> None:
    assert parse_cli(["sinks", "run", "planning", "--metrics-port", "9411"]).params["metrics_port"] == 9411
    with pytest.raises(AssertionError, match="no command"):
        parse_cli(["sinks", "rnu", "planning"])
    with pytest.raises(Exception, match="No such option"):
        parse_cli(["sinks", "run", "planning", "--metrics-prot", "9411"])


def test_every_process_is_a_compose_service_with_infrastructure_and_monitoring() -> None:
    services = compose()["services"]
    assert set(PROCESSES) | {"kafka", "registry", "postgres", "prometheus", "grafana", "init"} == set(
        services
    )
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft
    assert services["registry"]["image"].startswith("apicurio/apicurio-registry:")
    assert services["postgres"]["image"].startswith("postgres:")


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_compose_service_runs_a_real_command_and_checks_its_readiness(process: str) -> None:
    service = compose()["services"][process]
    port = PROCESSES[process]
    served = parse_cli(service["command"]).params.get("metrics_port")
    configured = service["environment"].get("SUPPLYSTREAM_PROCESSORS__METRICS_PORT")
    assert port in {served, int(configured or 0)}
    assert f"http://127.0.0.1:{port}/ready" in " ".join(service["healthcheck"]["test"])
    assert service["depends_on"]["init"]["condition"] == "service_completed_successfully"


def test_compose_init_command_is_real() -> None:
    (script,) = compose()["services"]["init"]["command"]
    for part in script.split("&&"):
        words = part.split()
        assert words[0] == "supplystream"
        parse_cli(words[1:])


def test_compose_secrets_are_files_named_like_settings_and_never_inline() -> None:
    data = compose()
    declared = data["secrets"]
    settings_files = {f"{section}__{name}" for section, name in secret_settings()}
    for name, service in data["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(variable):
                assert variable.endswith("_FILE"), f"{name}: {variable} holds a secret inline"
                assert str(value).startswith("/run/secrets/")
        for secret in service.get("secrets") or []:
            source = secret if isinstance(secret, str) else secret["source"]
            assert source in declared, f"{name}: undeclared secret {source}"
            target = secret if isinstance(secret, str) else secret["target"]
            if "__" in target:
                assert target in settings_files, f"{name}: settings read no secret file {target}"
    for secret in declared.values():
        assert secret["file"].startswith("./compose/secrets/")
    assert "secrets/" in (DEPLOY / "compose" / ".gitignore").read_text().split()


def test_compose_mounted_files_exist() -> None:
    for service in compose()["services"].values():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{source} is mounted but missing"


def test_compose_channels_file_reads_its_secrets_from_compose_secrets() -> None:
    channels = parse_channels((DEPLOY / "compose" / "channels.yaml").read_text())
    targets = {s["target"] for s in compose()["services"]["channel-sink"]["secrets"]}
    for channel in channels.channels:
        source = channel.auth.token if channel.auth.type == "bearer" else channel.auth.secret
        assert source.file is not None
        assert source.file.parent == Path("/run/secrets")
        assert source.file.name in targets


def test_compose_prometheus_scrapes_every_process_on_its_port() -> None:
    config = yaml.safe_load((DEPLOY / "compose" / "prometheus.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for group in job["static_configs"] for t in group["targets"]
    }
    assert targets == {f"{process}:{port}" for process, port in PROCESSES.items()}


def test_one_deployment_per_process_with_probes_on_health_and_ready() -> None:
    found = deployments()
    assert set(found) == set(PROCESSES)
    for name, deployment in found.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        parse_cli(container["args"])
        port = PROCESSES[name]
        assert {"name": "metrics", "containerPort": port} in container["ports"]
        for probe, path in [
            ("livenessProbe", "/health"),
            ("startupProbe", "/health"),
            ("readinessProbe", "/ready"),
        ]:
            assert container[probe]["httpGet"] == {"path": path, "port": port}
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_deployments_reference_config_and_secrets_that_exist_and_hold_no_secret_values() -> None:
    docs = k8s_documents()
    config_maps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    for deployment in deployments().values():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        for source in container["envFrom"]:
            assert source["configMapRef"]["name"] in config_maps
        for variable in container["env"]:
            if SECRET_NAME.search(variable["name"]):
                assert variable["name"].endswith("_FILE")
        volumes = {v["name"] for v in pod["volumes"]}
        assert {m["name"] for m in container["volumeMounts"]} <= volumes
        assert any(m["mountPath"] == "/run/secrets" for m in container["volumeMounts"])
    for config_map in (d for d in docs if d["kind"] == "ConfigMap"):
        for variable in config_map["data"]:
            if variable != "SUPPLYSTREAM_SECRETS_DIR":
                assert not SECRET_NAME.search(variable), f"{variable} belongs in a Secret"


def test_example_secret_keys_are_files_the_settings_read() -> None:
    settings_files = {f"{section}__{name}" for section, name in secret_settings()}
    secret = next(yaml.safe_load_all((KUBERNETES / "secrets.example.yaml").read_text()))
    for key, value in secret["stringData"].items():
        assert value.startswith("REPLACE")
        assert key in settings_files or key.startswith("channel_")


def test_kustomization_includes_the_strimzi_topics() -> None:
    kinds = {d["kind"] for d in k8s_documents()}
    assert {"Namespace", "ConfigMap", "KafkaTopic", "Job", "Deployment", "Service"} <= kinds
    job = next(d for d in k8s_documents() if d["kind"] == "Job")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    for part in container["args"][0].split("&&"):
        parse_cli(part.split()[1:])
