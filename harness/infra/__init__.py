"""The services a run needs besides the apps: PostgreSQL here, a consume run's broker in ``brokers``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Imported as a module: binding the function ``seed`` here would shadow the submodule ``seed``.
from harness.infra import seed as seeding
from harness.infra.postgres import PostgresEndpoint, apply_schema, local_postgres
from harness.infra.seed import SeedSummary
from harness.processes import Supervisor
from harness.scenario import DataSettings


@dataclass(frozen=True)
class Infrastructure:
    """Endpoints of the running services."""

    postgres: PostgresEndpoint


@contextlib.contextmanager
def start_infrastructure(
    supervisor: Supervisor,
    workdir: Path,
    logs_dir: Path,
    schema_dir: Path,
    data: DataSettings,
) -> Iterator[tuple[Infrastructure, SeedSummary]]:
    """PostgreSQL started, schema applied and seeded, for the length of the block.

    Everything started here is stopped and its data deleted when the block ends, however it ends.
    PostgreSQL's output goes to ``logs_dir/postgres.log``.
    """
    with local_postgres(supervisor, workdir, logs_dir / "postgres.log") as postgres:
        apply_schema(postgres, schema_dir)
        summary = seeding.seed(postgres, data)
        yield Infrastructure(postgres=postgres), summary


__all__ = ["Infrastructure", "PostgresEndpoint", "SeedSummary", "start_infrastructure"]
