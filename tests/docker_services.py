"""What the Docker tests look at on the engine: a run's containers and the engine's volumes."""

from __future__ import annotations

import docker
from docker.models.containers import Container

from harness.infra.docker_containers import RUN_LABEL


def containers_of_run(client: docker.DockerClient, run_id: str) -> list[Container]:
    """Every container, running or not, whose run label starts with ``run_id`` (a start may add
    an attempt number)."""
    labelled = client.containers.list(all=True, filters={"label": RUN_LABEL})
    return [c for c in labelled if c.labels[RUN_LABEL].startswith(run_id)]


def volume_names(client: docker.DockerClient) -> set[str]:
    return {str(v.name) for v in client.volumes.list()}
