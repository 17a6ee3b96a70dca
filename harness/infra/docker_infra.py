"""``infra: docker`` for a run: the engine found, stale containers swept, the services started."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from harness.infra.docker_containers import host_pid, new_run_id, sweep_stale_containers
from harness.infra.docker_engine import reachable_engine, refuse_remote_engine
from harness.infra.docker_postgres import docker_postgres
from harness.infra.postgres import PostgresEndpoint


@contextlib.contextmanager
def docker_postgres_for_run(logs_dir: Path, image: str, address: str = "127.0.0.1", remote: bool = False) -> Iterator[
        tuple[PostgresEndpoint, int | None, str, str]]:
    """PostgreSQL in a container from ``image``, listening on ``address``: its endpoint, its server's pid on this
    host (None if the engine is elsewhere), a description of the image for the manifest and the container's
    name. ``remote``: the engine is on another host (``containers.remote``); without it such an engine is refused.
    Containers of harness processes that died (kill -9) are removed first; what was removed is logged."""
    client, docker_host = reachable_engine()
    refuse_remote_engine(docker_host, remote)
    swept = sweep_stale_containers(client)
    if swept:
        log = logs_dir / "docker-sweep.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("removed containers of dead harness processes: " + ", ".join(swept) + "\n", encoding="utf-8")
    with docker_postgres(client, new_run_id(), logs_dir / "postgres.log", image=image, address=address) as (
            postgres, container, choice):
        yield (postgres, host_pid(client, container), f"{choice.ref} ({choice.image_id[:19]}, {choice.source})",
               str(container.name))
