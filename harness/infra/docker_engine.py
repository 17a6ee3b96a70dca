"""Reaching a Docker engine: ``DOCKER_HOST``, else the default socket, else the project's private one.

``scripts/docker-engine.sh start`` starts a private engine on its own socket (never the system
engine's) when none answers; the harness finds that socket here without being told, so a user does
not have to export ``DOCKER_HOST`` after starting it.
"""

from __future__ import annotations

import os
from pathlib import Path

import docker
from docker.errors import DockerException

from harness.errors import EnvironmentError_

PRIVATE_SOCKET = Path("/run/loom-bench-docker/docker.sock")
DEFAULT_SOCKET = Path("/var/run/docker.sock")
CONNECT_TIMEOUT_S = 120  # per API call; an image import on vfs can take a while


def docker_client() -> docker.DockerClient:
    """A client whose engine answered a ping. Raises EnvironmentError_ naming every place tried."""
    return reachable_engine()[0]


def reachable_engine() -> tuple[docker.DockerClient, str]:
    """A client whose engine answered a ping, and its address (a ``DOCKER_HOST`` value for the ``docker``
    command-line client, which does not look for the private socket by itself)."""
    tried: list[str] = []
    for base_url in _candidate_urls():
        try:
            client = docker.DockerClient(base_url=base_url, timeout=CONNECT_TIMEOUT_S)
            client.ping()
        except DockerException as error:
            tried.append(f"{base_url} ({_first_line(error)})")
            continue
        return client, base_url
    raise EnvironmentError_(
        "no Docker engine answers (tried "
        + "; ".join(tried)
        + "); start one with 'scripts/docker-engine.sh start' (installs docker.io if missing), "
        "or point DOCKER_HOST at a running engine."
    )


def _candidate_urls() -> list[str]:
    # An explicit DOCKER_HOST is the user's choice: no fallback behind their back.
    if os.environ.get("DOCKER_HOST"):
        return [os.environ["DOCKER_HOST"]]
    return [f"unix://{DEFAULT_SOCKET}", f"unix://{PRIVATE_SOCKET}"]


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
