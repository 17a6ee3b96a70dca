"""A real PostgreSQL with the real schema (V1 + V2 events) and a small seed, shared by the module."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from local_services import SCHEMA_DIR, postgres_available
from psycopg.rows import TupleRow

from harness.consume import database
from harness.infra import start_infrastructure
from harness.infra.postgres import PostgresEndpoint
from harness.processes import Supervisor
from harness.scenario import DataSettings

DATA = DataSettings(orders=2000, customers=200, products=50, seed=11)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresEndpoint]:
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries not installed")
    base = tmp_path_factory.mktemp("consume-pg")
    with (
        Supervisor() as supervisor,
        start_infrastructure(supervisor, base / "work", base, SCHEMA_DIR, DATA) as (infra, _),
    ):
        yield infra.postgres


@pytest.fixture
def conn(postgres: PostgresEndpoint) -> Iterator[psycopg.Connection[TupleRow]]:
    """An autocommit connection to event tables emptied for this test."""
    database.reset_event_tables(postgres)
    with database.connect(postgres) as connection:
        yield connection
