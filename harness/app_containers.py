"""Apps in containers (``containers:`` in a scenario): how one is launched, found, checked and cleaned up.

A containerised app is started by the Supervisor like a local one, as ``docker run`` in the
foreground: its output lands in the app's log, and stopping it (SIGTERM to the ``docker`` client)
is forwarded to the JVM, after which the engine removes the container (``--rm``). What the
Supervisor cannot cover is covered here: a container whose client was killed is removed by name
when the app is stopped, every container of the run when the run ends however it ends, and those of
a harness killed with -9 at the next start (the owner labels of ``docker_containers``).

Each container shares the host's network (every app binds 127.0.0.1 itself) and sees the run's
results folder at the same path, so GC logs and flight recordings are written where a local JVM
writes them. The load generator stays outside, on the host.

On a remote engine (``containers.remote``) the engine's host is not this machine: the apps bind the
address the scenario gives, the results folder is an anonymous volume at the same path whose files are
copied here when the JVM has exited (then the container is removed, not by ``--rm``), and the JVM is
sampled through the engine's stats (``harness.infra.docker_remote``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException

from harness.errors import EnvironmentError_
from harness.infra.docker_app_images import APP_JAR, AppImage, ensure_app_image
from harness.infra.docker_containers import (
    LABEL_PREFIX,
    RUN_LABEL,
    SERVICE_LABEL,
    new_run_id,
    owner_labels,
    remove,
    sweep_stale_containers,
)
from harness.infra.docker_engine import reachable_engine, refuse_remote_engine
from harness.jdks import Jdk
from harness.placement import format_cpu_list
from harness.scenario import ContainerSettings, memory_bytes

SERVICE = "app"
START_PLACEHOLDER = "{start}"
_INSPECT_TIMEOUT_S = 30
REMOVAL_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class AppContainer:
    """Where and under which limits one app runs: its image, CPU quota, memory limit and the CPUs it may run on
    (placement's set for its role; None: no limit)."""

    image: AppImage
    labels: Mapping[str, str]
    mounts: tuple[Path, ...]  # host folders the container sees at the same path
    docker_host: str  # the engine, as DOCKER_HOST for the docker client
    cpus: float | None = None
    memory: str | None = None
    cpuset: frozenset[int] | None = None
    remote: bool = False  # on another host: the engine's API only (see the module's docstring)

    def name(self, app: str, start: str) -> str:
        """``loom-bench-app-mvc-virtual-jdk25-c1-<start>``: one container per start of an app."""
        return f"{LABEL_PREFIX}-{SERVICE}-{re.sub(r'[^a-zA-Z0-9_.-]+', '-', app)}-{start}"

    def argv(self, app: str, jvm_flags: tuple[str, ...], env: Mapping[str, str], start: str) -> tuple[str, ...]:
        """The ``docker run`` of one start; ``start`` makes the name unique (the previous start's container may
        still be being removed)."""
        # Removed by the harness once its files are copied out; locally the engine removes it on exit.
        argv = ["docker", "run", *(() if self.remote else ("--rm",)), "--name", self.name(app, start),
                "--network", "host"]
        for key, value in {**self.labels, SERVICE_LABEL: SERVICE, f"{LABEL_PREFIX}.app": app}.items():
            argv += ["--label", f"{key}={value}"]
        if self.cpus is not None:
            argv += ["--cpus", f"{self.cpus:g}"]
        if self.cpuset is not None:
            # The placement of a forked process (Supervisor(cpus_for=...)) cannot reach a JVM the engine starts.
            argv += ["--cpuset-cpus", format_cpu_list(self.cpuset)]
        if self.memory is not None:
            # Swap equal to memory: no swap, so the limit is the memory the JVM may use.
            argv += ["--memory", self.memory, "--memory-swap", self.memory]
        for mount in self.mounts:
            argv += ["--mount", f"type=volume,dst={mount}"] if self.remote else ["--volume", f"{mount}:{mount}"]
        for key, value in env.items():
            argv += ["--env", f"{key}={value}"]
        return (*argv, self.image.ref, "java", *jvm_flags, "-jar", APP_JAR)

    def record(self) -> dict[str, Any]:
        """For the manifest: the image and the limits."""
        return {"image": self.image.describe(), "cpus": self.cpus, "memory": self.memory, "remote": self.remote,
                "memory_bytes": None if self.memory is None else memory_bytes(self.memory),
                "cpuset": None if self.cpuset is None else format_cpu_list(self.cpuset)}  # fmt: skip


def new_start() -> str:
    return uuid.uuid4().hex[:8]


def client_env(docker_host: str) -> dict[str, str]:
    """The environment of a ``docker`` client of this engine."""
    return {**os.environ, "DOCKER_HOST": docker_host}


def container_pid(name: str, docker_host: str) -> int | None:
    """The host pid of the container's JVM (its main process), for sampling CPU, memory and its cgroup;
    None when the engine does not say (gone, or an engine on another host)."""
    if not docker_host.startswith("unix://"):
        return None
    try:
        result = subprocess.run(["docker", "inspect", "--format", "{{.State.Pid}}", name], capture_output=True,
                                text=True, timeout=_INSPECT_TIMEOUT_S, check=False,
                                env=client_env(docker_host))  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = result.stdout.strip()
    return int(text) if result.returncode == 0 and text.isdigit() and int(text) > 0 else None


def remove_by_name(name: str, docker_host: str) -> None:
    """Remove one app container if it is still there (its client was killed before the JVM exited)."""
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(["docker", "rm", "--force", "--volumes", name], capture_output=True,
                       timeout=_INSPECT_TIMEOUT_S, check=False, env=client_env(docker_host))  # fmt: skip


@dataclass
class AppContainers:
    """The run's containerised apps: one engine, one run id, an image per jar × JDK."""

    settings: ContainerSettings
    client: docker.DockerClient
    docker_host: str
    run_id: str
    mounts: tuple[Path, ...]
    log_path: Path
    images: dict[tuple[Path, int], AppImage] = field(default_factory=dict)

    def container(self, jar: Path, jdk: Jdk, cpus: float | None, *, limited: bool = True,
                  cpuset: frozenset[int] | None = None) -> AppContainer:
        """The container of ``jar`` on ``jdk``; ``limited=False`` (the downstream) gets no CPU or memory limit.
        ``cpuset``: the CPUs placement gives its role (None: any)."""
        key = (jar, jdk.feature)
        if key not in self.images:
            self.images[key] = ensure_app_image(self.client, jar, jdk, self.settings.base_image, self.log_path)
        return AppContainer(self.images[key], owner_labels(self.run_id), self.mounts, self.docker_host,
                            cpus if limited else None, self.settings.memory if limited else None, cpuset,
                            remote=self.settings.remote is not None)


@contextlib.contextmanager
def app_containers(settings: ContainerSettings, mounts: tuple[Path, ...], logs_dir: Path) -> Iterator[AppContainers]:
    """The run's app containers for the length of the block; every one still there at its end is removed.

    Containers of harness processes that died (kill -9) are removed first, as for ``infra: docker``.
    Raises EnvironmentError_ when the ``docker`` client is missing or no engine answers.
    """
    if shutil.which("docker") is None:
        raise EnvironmentError_("containers: needs the docker command-line client on PATH (Debian package "
                                "docker.io, or docker-ce-cli); scripts/docker-engine.sh start installs it")
    client, docker_host = reachable_engine()
    refuse_remote_engine(docker_host, remote=settings.remote is not None)
    swept = sweep_stale_containers(client)
    if swept:
        logs_dir.mkdir(parents=True, exist_ok=True)
        with open(logs_dir / "docker-sweep.log", "a", encoding="utf-8") as log:
            log.write("removed containers of dead harness processes: " + ", ".join(swept) + "\n")
    run = AppContainers(settings, client, docker_host, new_run_id(), mounts, logs_dir / "docker-images.log")
    try:
        yield run
    finally:
        _remove_all(client, run.run_id)


def _remove_all(client: docker.DockerClient, run_id: str) -> None:
    """Remove every container of the run and wait until the engine has (``--rm`` removes in the background,
    and on vfs that copies nothing back but still deletes a whole file system, which a busy disk makes slow)."""
    deadline = time.monotonic() + REMOVAL_TIMEOUT_S
    while True:
        try:
            left = client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
        except DockerException:
            return  # the engine is gone: the next start sweeps what is left
        if not left or time.monotonic() > deadline:
            return
        for container in left:
            # One whose removal the engine is already doing must not hide how the run ended.
            with contextlib.suppress(DockerException):
                remove(container)
        time.sleep(0.5)
