"""What the harness reads of a container on a remote engine, through the engine's API only.

On an engine of this machine the harness reads a container's JVM by its pid (``/proc``, its cgroup
files) and the JVM writes its GC log and flight recording into the results folder through a bind
mount. On another host neither exists here. So, behind ``containers.remote``:

- CPU, memory and CPU throttling come from the engine's stats (``docker stats``: the container's
  cgroup counters, the same counters the local readers take from ``/sys/fs/cgroup``);
- the JVM writes into an anonymous volume at the results folder's path, and once it has exited the
  folder is copied here (``docker cp``) before the container is removed.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException, NotFound

from harness.errors import AppError
from harness.infra.cgroup_cpu import CpuThrottling
from harness.sampling import ProcessSample, Reader, SourceGone

STOP_TIMEOUT_S = 30  # a JVM dumps its flight recording on SIGTERM before it exits


def engine_client(docker_host: str) -> docker.DockerClient:
    return docker.DockerClient(base_url=docker_host, timeout=120)


def sample_from_stats(name: str, stats: Mapping[str, Any], quota_cpus: float | None, t: float) -> ProcessSample:
    """One ProcessSample from one ``docker stats`` reading. RSS is the cgroup's anonymous memory (``rss`` on
    cgroup v1, ``anon`` on v2), what a process's RSS counts; the limit is enforced against ``usage``.
    Raises SourceGone when the reading has no counters (the container has stopped)."""
    cpu = stats.get("cpu_stats") or {}
    usage = (cpu.get("cpu_usage") or {}).get("total_usage")
    memory = stats.get("memory_stats") or {}
    if usage is None or "usage" not in memory:
        raise SourceGone(name)
    detail = memory.get("stats") or {}
    rss = int(detail.get("rss", detail.get("anon", memory["usage"])))
    throttling = cpu.get("throttling_data") or {}
    return ProcessSample(
        t=t, name=name, rss_bytes=rss, cpu_seconds=usage / 1e9,
        cgroup=CpuThrottling(int(throttling.get("periods", 0)), int(throttling.get("throttled_periods", 0)),
                             int(throttling.get("throttled_time", 0)) / 1e9, quota_cpus),
        cgroup_memory_bytes=int(memory["usage"]),
    )  # fmt: skip


def stats_reader(client: docker.DockerClient, container: str, name: str) -> Reader:
    """A sampler's reader of ``container`` under ``name``: the newest document of the engine's stats stream.

    The engine computes stats once a second per container, and a single request waits for its next round (about
    1 s): asked one by one, three containers would hold the sampler for 3 s per round. So a thread follows the
    stream, and each sample carries the time its document arrived, so a document read twice is one point in
    time, not two. Raises SourceGone when the container does not exist."""
    try:
        attrs = client.api.inspect_container(container)
    except NotFound:
        raise SourceGone(container) from None
    nano = int((attrs.get("HostConfig") or {}).get("NanoCpus") or 0)
    stream = _StatsStream(client, container)
    quota = nano / 1e9 if nano > 0 else None

    def read() -> ProcessSample:
        arrived, stats = stream.newest()
        return sample_from_stats(name, stats, quota, arrived)

    return read


class _StatsStream:
    """The newest document of one container's stats stream, followed on a daemon thread until the stream ends
    (the container stopped or was removed)."""

    FIRST_TIMEOUT_S = 10.0

    def __init__(self, client: docker.DockerClient, container: str) -> None:
        self.container = container
        self.latest: tuple[float, dict[str, Any]] | None = None
        self.ended = threading.Event()
        self._first = threading.Event()
        threading.Thread(target=self._follow, args=(client, container), name=f"stats-{container}",
                         daemon=True).start()  # fmt: skip

    def _follow(self, client: docker.DockerClient, container: str) -> None:
        # Whatever ends the stream (the container stopped, removed, the engine gone) ends the watch.
        with contextlib.suppress(Exception):
            for document in client.api.stats(container, stream=True, decode=True):
                self.latest = (time.time(), document)
                self._first.set()
        self.ended.set()
        self._first.set()

    def newest(self) -> tuple[float, dict[str, Any]]:
        """(when it arrived, the document); raises SourceGone once the stream has ended, or if the first
        document does not come within FIRST_TIMEOUT_S."""
        self._first.wait(self.FIRST_TIMEOUT_S)
        latest = self.latest
        if latest is None or self.ended.is_set():
            raise SourceGone(self.container)
        return latest


def copy_out(client: docker.DockerClient, container: str, folder: Path) -> list[Path]:
    """Stop ``container`` if it still runs (its JVM finishes its files on SIGTERM), then copy what it wrote under
    ``folder`` (the same path inside) into ``folder`` here; return the files copied. Raises AppError when the
    engine cannot hand the folder over: a run without its GC logs and recordings must not look complete."""
    try:
        found = client.containers.get(container)
        if found.status == "running":
            found.stop(timeout=STOP_TIMEOUT_S)
        chunks, _stat = found.get_archive(str(folder))
        data = b"".join(chunks)
    except DockerException as error:
        raise AppError(f"could not copy {folder} out of container {container}: {error}") from error
    return extract_into(data, folder)


def extract_into(data: bytes, folder: Path) -> list[Path]:
    """Unpack a ``docker cp`` archive of ``folder`` (its members start with the folder's own name) into
    ``folder``: regular files only, never outside it."""
    written: list[Path] = []
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) < 2 or ".." in parts:
                continue
            target = folder.joinpath(*parts[1:])
            source = archive.extractfile(member)
            if source is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with source, open(target, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            written.append(target)
    return written


def remove_quietly(client: docker.DockerClient, container: str) -> None:
    with contextlib.suppress(DockerException):
        client.api.remove_container(container, v=True, force=True)
