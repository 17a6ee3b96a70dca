from __future__ import annotations

from pathlib import Path

import docker
import pytest

from harness.infra.docker_engine import docker_client
from harness.infra.docker_images import ImageChoice, ensure_image
from harness.infra.docker_postgres import DEFAULT_IMAGE, LOCAL_RECIPE


@pytest.fixture(scope="session")
def docker_engine() -> docker.DockerClient:
    """The engine, or a failure naming what was tried (never a skip)."""
    return docker_client()


@pytest.fixture(scope="session")
def postgres_image(docker_engine: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory) -> ImageChoice:
    """The PostgreSQL image the provider runs by default, on the engine before the first test times
    anything: pulled, or built from Debian packages once and cached."""
    log = Path(tmp_path_factory.mktemp("images")) / "docker-images.log"
    return ensure_image(docker_engine, DEFAULT_IMAGE, LOCAL_RECIPE, log)
