"""Reaching a Docker engine: ``DOCKER_HOST``, else the default socket, else the project's private one.

``scripts/docker-engine.sh start`` starts a private engine on its own socket (never the system
engine's) when none answers; the harness finds that socket here without being told, so a user does
not have to export ``DOCKER_HOST`` after starting it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import docker
from docker.errors import DockerException

from harness.errors import EnvironmentError_
from harness.load.loopback import is_loopback

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


def refuse_remote_engine(docker_host: str, remote: bool = False) -> None:
    """Raise EnvironmentError_ unless the engine is where the scenario says: on this machine (a unix socket or a
    loopback address), or, with ``containers.remote``, reached over the network (``tcp://``).

    Without ``remote`` the harness samples the JVMs through this host's /proc and shares the results folder with
    them: on another host that would silently measure nothing. With it, a unix socket is refused too: the
    engine's host would be this one, and the scenario's address a guess."""
    url = urlsplit(docker_host)
    if remote:
        if url.scheme in ("tcp", "http", "https"):
            return
        raise EnvironmentError_(
            f"containers.remote: the Docker engine {docker_host} is not reached over the network; set DOCKER_HOST "
            "to the remote engine (tcp://HOST:2375, or an SSH tunnel to it on tcp://127.0.0.1) whose host "
            "containers.remote.address names."
        )
    if url.scheme in ("unix", "npipe") or (url.hostname is not None and is_loopback(url.hostname)):
        return
    raise EnvironmentError_(
        f"the Docker engine {docker_host} (DOCKER_HOST) is not on this machine; apps in containers "
        "need a local engine (they bind 127.0.0.1 and are sampled through /proc). Unset DOCKER_HOST to use the "
        "local or private engine (scripts/docker-engine.sh start), or set containers.remote to run the system "
        "under test on that engine's host."
    )


def _candidate_urls() -> list[str]:
    # An explicit DOCKER_HOST is the user's choice: no fallback behind their back.
    if os.environ.get("DOCKER_HOST"):
        return [os.environ["DOCKER_HOST"]]
    return [f"unix://{DEFAULT_SOCKET}", f"unix://{PRIVATE_SOCKET}"]


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
