"""What the integration tests need of the locally installed PostgreSQL, Kafka and RabbitMQ: whether they
can run here (a skip marker each), a PostgreSQL with a schema applied, and waiting for processes to go."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from harness.infra.postgres import PostgresEndpoint, apply_schema, local_postgres, postgres_bindir
from harness.infra.rabbitmq import RABBITMQ_BIN
from harness.processes import Supervisor

REPO = Path(__file__).resolve().parent.parent
SCHEMA_DIR = REPO / "java-apps" / "order-domain" / "src" / "main" / "resources" / "db" / "schema"


def postgres_available() -> bool:
    try:
        postgres_bindir()
    except Exception:
        return False
    return True


def kafka_available() -> bool:
    try:
        from harness.infra.kafka import _kafka_jdk

        _kafka_jdk()
    except Exception:
        return False
    return True


requires_postgres = pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed")
requires_kafka = pytest.mark.skipif(not kafka_available(), reason="no JDK >= 21 to run Kafka")
requires_rabbitmq = pytest.mark.skipif(
    not (RABBITMQ_BIN / "rabbitmq-server").exists(), reason="RabbitMQ (Debian rabbitmq-server) not installed"
)


@contextmanager
def postgres_with_schema(base: Path, schema_dir: Path) -> Iterator[PostgresEndpoint]:
    """A private PostgreSQL under ``base`` (data in base/work, log in base/pg.log) with ``schema_dir`` applied."""
    with Supervisor() as supervisor, local_postgres(supervisor, base / "work", base / "pg.log") as postgres:
        apply_schema(postgres, schema_dir)
        yield postgres


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(pids: list[int], timeout: float = 30.0) -> list[int]:
    """Pids still alive (zombies count as gone) after waiting up to ``timeout``."""
    deadline = time.monotonic() + timeout
    still = pids
    while still and time.monotonic() < deadline:
        still = [pid for pid in still if alive(pid)]
        time.sleep(0.1)
    return still
