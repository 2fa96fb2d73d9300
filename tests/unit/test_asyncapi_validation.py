"""The generated AsyncAPI document, checked by the official AsyncAPI parser (@asyncapi/parser on Node.js).

tools/asyncapi/validate.mjs parses a file with @asyncapi/parser and its Avro schema parser, and adds
the two checks the parser leaves out for AsyncAPI 3 (Avro schemas valid, examples fit the payload).
deploy/local/bootstrap.sh installs it (`npm ci` in tools/asyncapi). Broken documents must be
rejected, so these tests can fail.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from supplystream.contracts.asyncapi import build_asyncapi, dump_asyncapi
from supplystream.contracts.schemas import load_event_schemas
from supplystream.paths import default_topics_file, project_root, schemas_dir
from supplystream.topics.catalog import load_catalog, parse_catalog
from tests.conftest import supplystream_cli

TOOLS = project_root() / "tools" / "asyncapi"
#: Only this informational note is expected: the brief is AsyncAPI 3.0.0, the parser knows 3.1.0.
ACCEPTED = {("info", "asyncapi-latest-version")}


@pytest.fixture(scope="module")
def node() -> str:
    """The Node.js executable, with the validator's packages installed."""
    executable = shutil.which("node")
    if executable is None or not (TOOLS / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail(
            "the AsyncAPI validator is not installed: run deploy/local/bootstrap.sh (it needs Node.js "
            "20 and runs `npm ci` in tools/asyncapi)"
        )
    return executable


def validate(node: str, *files: Path) -> tuple[int, list[dict[str, Any]]]:
    """Exit code and diagnostics of validate.mjs for ``files``."""
    result = subprocess.run(
        [node, str(TOOLS / "validate.mjs"), "--json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode in {0, 1}, f"validate.mjs failed to run:\n{result.stdout}\n{result.stderr}"
    diagnostics: list[dict[str, Any]] = json.loads(result.stdout)
    return result.returncode, diagnostics


def project_document(environment: str = "production") -> dict[str, Any]:
    return build_asyncapi(
        load_catalog(default_topics_file()),
        load_event_schemas(schemas_dir()),
        environment=environment,
        bootstrap_servers="broker-1.example.com:9093,broker-2.example.com:9093",
        registry_url="https://registry.example.com/apis/ccompat/v7",
    )


def write(tmp_path: Path, document: dict[str, Any], name: str = "asyncapi.yaml") -> Path:
    path = tmp_path / name
    path.write_text(dump_asyncapi(document, "json" if name.endswith(".json") else "yaml"))
    return path


def errors_of(diagnostics: list[dict[str, Any]]) -> list[str]:
    return [f"{d['code']} at {d['path']}: {d['message']}" for d in diagnostics if d["severity"] == "error"]


@pytest.mark.parametrize("environment", ["local", "production"])
def test_the_project_catalog_is_a_valid_asyncapi_document(
    node: str, tmp_path: Path, environment: str
) -> None:
    yaml_file = write(tmp_path, project_document(environment), "asyncapi.yaml")
    json_file = write(tmp_path, project_document(environment), "asyncapi.json")
    code, diagnostics = validate(node, yaml_file, json_file)
    assert errors_of(diagnostics) == []
    assert code == 0
    unexpected = [d for d in diagnostics if (d["severity"], d["code"]) not in ACCEPTED]
    assert unexpected == [], "warnings or notes beyond the expected one"


def test_the_catalog_command_output_is_valid(node: str, tmp_path: Path) -> None:
    result = supplystream_cli("catalog", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    code, diagnostics = validate(node, tmp_path / "asyncapi.yaml")
    assert (code, errors_of(diagnostics)) == (0, [])


def test_an_operation_on_a_missing_channel_is_rejected(node: str, tmp_path: Path) -> None:
    document = project_document()
    document["operations"]["receive-stock.moved"]["channel"] = {"$ref": "#/channels/stock.vanished"}
    code, diagnostics = validate(node, write(tmp_path, document))
    assert code == 1
    assert any(
        d["code"] == "invalid-ref" and "#/channels/stock.vanished" in d["message"] for d in diagnostics
    ), errors_of(diagnostics)


def test_a_wrong_kafka_binding_is_rejected(node: str, tmp_path: Path) -> None:
    document = project_document()
    binding = document["components"]["messages"]["stock.moved"]["bindings"]["kafka"]
    binding["schemaIdLocation"] = "trailer"  # the Kafka binding allows header or payload
    code, diagnostics = validate(node, write(tmp_path, document))
    assert code == 1
    assert any("schemaIdLocation" in d["path"] for d in diagnostics), errors_of(diagnostics)


def test_a_message_missing_from_the_channel_is_rejected(node: str, tmp_path: Path) -> None:
    document = project_document()
    operation = document["operations"]["receive-stock.moved"]
    operation["messages"] = [{"$ref": "#/channels/order.placed/messages/order.placed"}]
    code, diagnostics = validate(node, write(tmp_path, document))
    assert code == 1
    assert any(d["code"] == "asyncapi3-operation-messages-from-referred-channel" for d in diagnostics), (
        errors_of(diagnostics)
    )


def test_an_invalid_avro_schema_is_rejected(node: str, tmp_path: Path) -> None:
    document = project_document()
    schema = document["components"]["messages"]["atp.changed"]["payload"]["schema"]
    next(f for f in schema["fields"] if f["name"] == "sku")["type"] = "strin"
    code, diagnostics = validate(node, write(tmp_path, document))
    assert code == 1
    assert [d["code"] for d in diagnostics if d["severity"] == "error"] == ["avro-schema"]
    assert "strin" in diagnostics[-1]["message"]


def test_an_example_that_does_not_fit_its_payload_is_rejected(node: str, tmp_path: Path) -> None:
    document = project_document()
    broken = copy.deepcopy(document)
    example = broken["components"]["messages"]["stock.moved"]["examples"][0]["payload"]
    example["quantity"] = 12.5  # decimals are bytes in Avro: a JSON number is not one
    del example["sku"]
    code, diagnostics = validate(node, write(tmp_path, broken))
    assert code == 1
    found = errors_of(diagnostics)
    assert any(e.startswith("message-example") and "quantity" in e for e in found), found
    assert any(e.startswith("message-example") and "'sku'" in e for e in found), found


def test_a_topic_with_several_event_types_is_valid(node: str, tmp_path: Path) -> None:
    text = (
        default_topics_file()
        .read_text()
        .replace(
            "value_schemas: [stock.moved]",
            "value_schemas: [stock.moved, atp.changed]\n    subject_strategy: record_name",
        )
    )
    document = build_asyncapi(
        parse_catalog(text),
        load_event_schemas(schemas_dir()),
        environment="local",
        bootstrap_servers="127.0.0.1:9092",
    )
    code, diagnostics = validate(node, write(tmp_path, document))
    assert (code, errors_of(diagnostics)) == (0, [])
