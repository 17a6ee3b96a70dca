"""One service container of a run: started, its logs kept, and always removed with its volumes.

Every container the harness starts carries labels naming the run and the harness process that
started it (pid, that process's start time, host). A harness killed with -9 cannot remove its
containers; the next one removes every container whose starting process is gone
(``sweep_stale_containers``), the way the local providers remove a dead server's data dir.
Containers use host networking (the engine may have no bridge, and on loopback nothing is
translated): each service is told to bind 127.0.0.1 on a port the harness picked.
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import docker
import psutil
from docker.errors import APIError, DockerException, NotFound
from docker.models.containers import Container

from harness.errors import InfraError

LABEL_PREFIX = "loom-bench"
RUN_LABEL = f"{LABEL_PREFIX}.run"
SERVICE_LABEL = f"{LABEL_PREFIX}.service"
OWNER_PID_LABEL = f"{LABEL_PREFIX}.owner-pid"
OWNER_STARTED_LABEL = f"{LABEL_PREFIX}.owner-started"  # the owner's start time: a reused pid is not the owner
OWNER_HOST_LABEL = f"{LABEL_PREFIX}.owner-host"
STOP_TIMEOUT_S = 10
_CONFLICT = 409  # "removal of container ... is already in progress"


@dataclass(frozen=True)
class ContainerSpec:
    """What to run: the image, its command, environment and user (None: the image's own)."""

    service: str  # postgres | kafka | rabbitmq; part of the container's name
    image: str
    command: Sequence[str] | None
    environment: Mapping[str, str]
    user: str | None = None
    stop_signal: str = "SIGTERM"  # what the service takes as "shut down now" (PostgreSQL: SIGINT)


def owner_labels(run_id: str) -> dict[str, str]:
    """The labels that tie a container to this run and this harness process."""
    me = psutil.Process()
    return {
        RUN_LABEL: run_id,
        OWNER_PID_LABEL: str(me.pid),
        OWNER_STARTED_LABEL: f"{me.create_time():.2f}",
        OWNER_HOST_LABEL: socket.gethostname(),
    }


def new_run_id() -> str:
    """Short and unique enough to name containers of concurrent runs apart."""
    return uuid.uuid4().hex[:10]


@contextlib.contextmanager
def service_container(
    client: docker.DockerClient, spec: ContainerSpec, run_id: str, log_path: Path
) -> Iterator[Container]:
    """``spec`` running as ``loom-bench-<service>-<run id>`` for the length of the block.

    However the block ends (an exception, Ctrl-C), the container's output is written to
    ``log_path`` and the container is removed with its anonymous volumes. Raises InfraError if the
    engine refuses to create or start it.
    """
    labels = {**owner_labels(run_id), SERVICE_LABEL: spec.service}
    try:
        container = client.containers.create(
            spec.image,
            list(spec.command) if spec.command is not None else None,
            name=f"{LABEL_PREFIX}-{spec.service}-{run_id}",
            labels=labels,
            environment=dict(spec.environment),
            user=spec.user or "",
            network_mode="host",
            stop_signal=spec.stop_signal,
            detach=True,
        )
    except DockerException as error:
        raise InfraError(f"the Docker engine could not create the {spec.service} container: {error}") from error
    try:
        container.start()
        yield container
    except DockerException as error:
        raise InfraError(f"the {spec.service} container failed: {error}") from error
    finally:
        save_logs(container, log_path)
        remove(container)


def save_logs(container: Container, log_path: Path) -> None:
    """Append the container's stdout and stderr to ``log_path`` (best effort: a container already
    gone has nothing left to save, and that must not hide the error that ended the run)."""
    with contextlib.suppress(DockerException):
        output = container.logs(stdout=True, stderr=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            log.write(output)


def remove(container: Container) -> None:
    """Stop (SIGTERM, then SIGKILL after STOP_TIMEOUT_S) and remove with anonymous volumes; a container the
    engine is removing already (``--rm``, another sweep) is left to it."""
    with contextlib.suppress(NotFound):
        with contextlib.suppress(DockerException):
            container.stop(timeout=STOP_TIMEOUT_S)
        try:
            container.remove(force=True, v=True)
        except APIError as error:
            if error.status_code != _CONFLICT:
                raise


def host_pid(client: docker.DockerClient, container: Container) -> int | None:
    """The pid of the container's main process on this host, for sampling its CPU and memory;
    None when the engine is reached over TCP (its processes may be on another host)."""
    if not str(client.api.base_url).startswith("http+docker://"):
        return None
    with contextlib.suppress(NotFound):
        container.reload()
        pid = int(container.attrs.get("State", {}).get("Pid") or 0)
        return pid if pid > 0 and psutil.pid_exists(pid) else None
    return None


def is_running(container: Container) -> bool:
    with contextlib.suppress(NotFound):
        container.reload()
        return container.status == "running"
    return False


def exit_summary(container: Container) -> str:
    """``exited with code N`` or ``is still running``, for error messages."""
    with contextlib.suppress(NotFound):
        container.reload()
        if container.status != "running":
            return f"exited with code {container.attrs.get('State', {}).get('ExitCode')}"
        return "is still running"
    return "is gone"


def logs_tail(container: Container, lines: int = 30) -> str:
    with contextlib.suppress(DockerException):
        text = container.logs(stdout=True, stderr=True, tail=lines).decode("utf-8", errors="replace")
        return "\n".join(f"  {line}" for line in text.splitlines())
    return "  (no logs)"


def wait_for(container: Container, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``ready()`` every 0.2 s until it returns True; raise InfraError with the container's
    log tail if the container stops or ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_running(container):
            break
        if ready():
            return
        time.sleep(0.2)
    state = exit_summary(container)
    problem = f"did not become ready within {timeout_s:.0f}s" if state == "is still running" else state
    raise InfraError(f"{what} container {container.name} {problem}; last lines of its output:\n{logs_tail(container)}")


def sweep_stale_containers(client: docker.DockerClient) -> list[str]:
    """Remove containers of this host whose starting harness process is gone; return their names.

    Containers of a live harness, or started from another host on the same engine (whose
    processes this host cannot see), are left alone.
    """
    removed = []
    host = socket.gethostname()
    for container in client.containers.list(all=True, filters={"label": OWNER_PID_LABEL}):
        labels = container.labels
        if labels.get(OWNER_HOST_LABEL) != host or _owner_alive(labels):
            continue
        remove(container)
        removed.append(str(container.name))
    return removed


def _owner_alive(labels: Mapping[str, str]) -> bool:
    try:
        pid, started = int(labels.get(OWNER_PID_LABEL, "0")), float(labels.get(OWNER_STARTED_LABEL, "nan"))
        if pid <= 0:
            return False
        owner = psutil.Process(pid)
        return owner.status() != psutil.STATUS_ZOMBIE and abs(owner.create_time() - started) < 0.05
    except (psutil.NoSuchProcess, ValueError):
        return False
    except psutil.Error:
        return True  # cannot tell: never remove what might still be in use
