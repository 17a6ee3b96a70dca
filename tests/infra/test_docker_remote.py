"""Reading a container through the engine's API only (a remote engine's host is not this machine): its stats as
samples, and the files it wrote copied out once it has stopped. Hand-made stats documents, then a real engine."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path

import docker
import psutil
import pytest

from harness.errors import AppError
from harness.infra.docker_containers import new_run_id, owner_labels
from harness.infra.docker_images import ImageChoice
from harness.infra.docker_remote import copy_out, extract_into, remove_quietly, sample_from_stats, stats_reader
from harness.sampling import ProcessSample, Reader, SourceGone

CGROUP_V1 = {
    "cpu_stats": {"cpu_usage": {"total_usage": 2_500_000_000},
                  "throttling_data": {"periods": 40, "throttled_periods": 3, "throttled_time": 150_000_000}},
    "memory_stats": {"usage": 300 << 20, "stats": {"rss": 200 << 20, "cache": 100 << 20}},
}  # fmt: skip
CGROUP_V2 = {
    "cpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000}, "throttling_data": {}},
    "memory_stats": {"usage": 64 << 20, "stats": {"anon": 50 << 20, "file": 14 << 20}},
}  # fmt: skip


def test_a_stats_document_becomes_a_sample_with_the_cgroup_counters() -> None:
    sample = sample_from_stats("app", CGROUP_V1, 1.5, t=10.0)
    assert (sample.t, sample.name, sample.cpu_seconds) == (10.0, "app", 2.5)
    assert sample.rss_bytes == 200 << 20  # anonymous memory, not the page cache
    assert sample.cgroup_memory_bytes == 300 << 20  # what the memory limit is enforced against
    assert sample.cgroup is not None
    assert (sample.cgroup.periods, sample.cgroup.throttled_periods, sample.cgroup.quota_cpus) == (40, 3, 1.5)
    assert sample.cgroup.throttled_s == pytest.approx(0.15)
    v2 = sample_from_stats("app", CGROUP_V2, None, t=1.0)
    assert v2.rss_bytes == 50 << 20 and v2.cpu_seconds == 1.0 and v2.cgroup is not None
    assert v2.cgroup.periods == 0 and v2.cgroup.quota_cpus is None


def test_the_stats_of_a_stopped_container_end_its_watch() -> None:
    # What the engine answers for a container that is no longer running: no counters.
    with pytest.raises(SourceGone):
        sample_from_stats("app", {"cpu_stats": {"cpu_usage": {}}, "memory_stats": {}}, None, t=1.0)


def _archive(members: dict[str, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_copied_folder_lands_in_the_same_folder_here_and_nothing_outside_it(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    (folder / "logs").mkdir(parents=True)
    (folder / "logs" / "harness.log").write_text("kept")
    data = _archive({"run": None, "run/logs": None, "run/logs/app-gc.log": b"gc", "run/jfr/app.jfr": b"jfr",
                     "run/../escape.txt": b"no"})
    written = extract_into(data, folder)
    assert sorted(p.relative_to(folder).as_posix() for p in written) == ["jfr/app.jfr", "logs/app-gc.log"]
    assert (folder / "logs" / "app-gc.log").read_bytes() == b"gc"
    assert (folder / "logs" / "harness.log").read_text() == "kept"
    assert not (tmp_path / "escape.txt").exists()


def _gone_within(read: Reader, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            read()
        except SourceGone:
            return True
        time.sleep(0.2)
    return False


# Writes a file into the folder, then burns CPU until told to stop: SIGTERM exits at once.
_WRITE_AND_BURN = "mkdir -p {folder}/logs && echo written-inside > {folder}/logs/app-gc.log && " \
                  "trap 'exit 0' TERM && while :; do :; done"


def test_a_real_container_is_sampled_through_the_api_and_its_files_copied_out(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice, tmp_path: Path
) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    name = f"loom-bench-remote-test-{new_run_id()}"
    docker_engine.containers.run(
        postgres_image.ref, ["sh", "-c", _WRITE_AND_BURN.format(folder=folder)], name=name, detach=True,
        labels=owner_labels(new_run_id()), network_mode="host", nano_cpus=500_000_000,
        mounts=[docker.types.Mount(str(folder), None, type="volume")],
    )  # fmt: skip
    try:
        read = stats_reader(docker_engine, name, "app")
        first = read()
        deadline = time.monotonic() + 60
        while (later := read()).cpu_seconds <= first.cpu_seconds and time.monotonic() < deadline:
            time.sleep(0.2)
        assert later.cpu_seconds > first.cpu_seconds  # the busy loop's CPU, through the engine's stats
        assert later.cgroup is not None and later.cgroup.quota_cpus == 0.5
        assert later.cgroup_memory_bytes is not None and later.cgroup_memory_bytes > 0
        copied = copy_out(docker_engine, name, folder)  # stops it first, then copies
        assert copied == [folder / "logs" / "app-gc.log"]
        assert copied[0].read_text() == "written-inside\n"  # written only inside: nothing is shared
        assert docker_engine.containers.get(name).status == "exited"
        assert _gone_within(read, 30.0)  # the stream follows the container's end: the watch ends too
    finally:
        remove_quietly(docker_engine, name)
    with pytest.raises(AppError, match=f"could not copy {folder} out of container {name}"):
        copy_out(docker_engine, name, folder)  # removed: the run must fail, not look complete


def test_the_engines_stats_agree_with_proc_on_the_cpu_of_the_same_container(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice
) -> None:
    """Calibration: on this machine both instruments can read one container, so the API's figure must give the
    answer /proc gives (a busy loop under a 0.5-CPU quota), within the stats' 1 s granularity."""
    name = f"loom-bench-remote-test-{new_run_id()}"
    docker_engine.containers.run(
        postgres_image.ref, ["sh", "-c", "trap 'exit 0' TERM && while :; do :; done"], name=name, detach=True,
        labels=owner_labels(new_run_id()), network_mode="host", nano_cpus=500_000_000,
    )  # fmt: skip
    try:
        pid = int(docker_engine.api.inspect_container(name)["State"]["Pid"])
        process = psutil.Process(pid)
        read = stats_reader(docker_engine, name, "app")

        def both() -> tuple[ProcessSample, float, float]:
            # A new stats document arrives once a second: read /proc when one has just arrived.
            last = read().t
            deadline = time.monotonic() + 10
            while (sample := read()).t == last and time.monotonic() < deadline:
                time.sleep(0.01)
            times = process.cpu_times()
            return sample, time.time(), times.user + times.system

        first, proc_t0, proc_cpu0 = both()
        time.sleep(8)
        last, proc_t1, proc_cpu1 = both()
        api_rate = (last.cpu_seconds - first.cpu_seconds) / (last.t - first.t)
        proc_rate = (proc_cpu1 - proc_cpu0) / (proc_t1 - proc_t0)
        assert proc_rate > 0.1, proc_rate  # the loop ran
        assert api_rate == pytest.approx(proc_rate, rel=0.15), (api_rate, proc_rate)
    finally:
        remove_quietly(docker_engine, name)
