"""Missing Java, Maven or PostgreSQL: a clear message that names the fix."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from supplystream.errors import PrerequisiteMissingError, StackError
from supplystream_devkit.stack.prerequisites import find_java, find_maven, find_postgres_bin_dir
from supplystream_devkit.stack.processes import ensure_port_free


def test_java_too_old_names_the_version_and_the_fix() -> None:
    with pytest.raises(PrerequisiteMissingError) as caught:
        find_java(99, "Some component")
    message = str(caught.value)
    assert "Some component needs Java 99 or newer" in message
    assert "JAVA_HOME" in message


def test_java_found_is_new_enough() -> None:
    java = find_java(17, "Apache Kafka 4")
    assert java.major >= 17
    assert java.executable.is_file()


def test_missing_maven_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(PrerequisiteMissingError, match=r"apt-get install maven"):
        find_maven()


def test_configured_postgres_dir_without_pg_ctl(tmp_path: Path) -> None:
    with pytest.raises(PrerequisiteMissingError, match=r"POSTGRES_BIN_DIR=.* holds no pg_ctl"):
        find_postgres_bin_dir(tmp_path)


def test_a_taken_port_is_refused_naming_the_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            StackError, match=rf"127.0.0.1:{port} is already in use.*SUPPLYSTREAM_STACK__KAFKA_PORT"
        ):
            ensure_port_free(port, "the Kafka broker", "SUPPLYSTREAM_STACK__KAFKA_PORT")
