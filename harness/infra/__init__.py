"""The services a run needs besides the apps: PostgreSQL here, a consume run's broker in ``brokers``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# Imported as a module: binding the function ``seed`` here would shadow the submodule ``seed``.
from harness.infra import seed as seeding
from harness.infra.postgres import PostgresEndpoint, apply_schema, local_postgres
from harness.infra.seed import SeedSummary
from harness.processes import Supervisor
from harness.scenario import DataSettings, DockerImages

InfraKind = Literal["local", "docker"]


@dataclass(frozen=True)
class Infrastructure:
    """Endpoints of the running services, and what they run from (for the manifest)."""

    postgres: PostgresEndpoint
    kind: InfraKind = "local"
    # The server's process on this host, for sampling: None when the Supervisor started it (the
    # sampler finds it among the Supervisor's children) or the engine runs on another host.
    postgres_pid: int | None = None
    images: dict[str, str] = field(default_factory=dict)  # service -> "ref (id, how it got there)"
    postgres_container: str | None = None  # infra: docker: the server's container (sampled by its stats if remote)


@contextlib.contextmanager
def start_infrastructure(
    supervisor: Supervisor,
    workdir: Path,
    logs_dir: Path,
    schema_dir: Path,
    data: DataSettings,
    *,
    kind: InfraKind = "local",
    images: DockerImages | None = None,
    address: str = "127.0.0.1",
    remote: bool = False,
) -> Iterator[tuple[Infrastructure, SeedSummary]]:
    """PostgreSQL started, schema applied and seeded, for the length of the block.

    ``kind`` local: a server process; docker: a container (``images.postgres``), after removing
    containers that a killed harness left behind. Everything started here is stopped and its data
    deleted when the block ends, however it ends. PostgreSQL's output goes to
    ``logs_dir/postgres.log``. ``address``: where a container listens (a remote engine's host; loopback by
    default), and where the harness seeds it; ``remote``: the engine is on another host (``containers.remote``).
    """
    if kind == "docker":
        # Imported here: a local run must not need the Docker SDK to be importable.
        from harness.infra.docker_infra import docker_postgres_for_run

        with docker_postgres_for_run(logs_dir, (images or DockerImages()).postgres, address,
                                     remote) as (
                postgres, pid, image, container):
            apply_schema(postgres, schema_dir)
            summary = seeding.seed(postgres, data)
            yield Infrastructure(postgres, "docker", pid, {"postgres": image}, container), summary
        return
    with local_postgres(supervisor, workdir, logs_dir / "postgres.log") as postgres:
        apply_schema(postgres, schema_dir)
        summary = seeding.seed(postgres, data)
        yield Infrastructure(postgres=postgres), summary


__all__ = ["InfraKind", "Infrastructure", "PostgresEndpoint", "SeedSummary", "start_infrastructure"]
