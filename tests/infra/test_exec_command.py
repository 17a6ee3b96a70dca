"""``harness infra exec``: the command sees every service, and nothing outlives the command."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from harness.infra.exec_command import exec_with_infra
from harness.infra.rabbitmq import RABBITMQ_BIN
from harness.jdks import build_jdk


def _has_build_jdk() -> bool:
    try:
        build_jdk()
    except Exception:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not (_has_build_jdk() and (RABBITMQ_BIN / "rabbitmq-server").exists()),
    reason="needs a JDK >= 21 (Kafka) and the Debian rabbitmq-server package",
)


def _descendants() -> set[int]:
    alive = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_brokers_are_exported_to_the_command_and_stopped_after_it(tmp_path: Path, repo_root: Path) -> None:
    env_file = tmp_path / "env"
    before = _descendants()

    code = exec_with_infra(
        ["sh", "-c", f"env > {env_file}; exit 3"],
        repo_root,
        Console(quiet=True),
        downstream=False,
        kafka=True,
        rabbitmq=True,
    )

    assert code == 3, "the command's exit code is the harness's"
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line.startswith("ORDERS_"))
    assert set(env) == {
        "ORDERS_DB_HOST", "ORDERS_DB_PORT", "ORDERS_DB_NAME", "ORDERS_DB_USER", "ORDERS_DB_PASSWORD",
        "ORDERS_KAFKA_BOOTSTRAP",
        "ORDERS_RABBIT_HOST", "ORDERS_RABBIT_PORT", "ORDERS_RABBIT_USER", "ORDERS_RABBIT_PASSWORD",
    }  # fmt: skip
    assert env["ORDERS_KAFKA_BOOTSTRAP"].startswith("127.0.0.1:")
    assert env["ORDERS_RABBIT_HOST"] == "127.0.0.1"
    ports = [int(env["ORDERS_DB_PORT"]), int(env["ORDERS_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1]),
             int(env["ORDERS_RABBIT_PORT"])]  # fmt: skip
    deadline = time.monotonic() + 30
    while (_descendants() - before or any(map(_accepts, ports))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _descendants() - before == set(), "a service outlived the command"
    assert [port for port in ports if _accepts(port)] == []
