"""CPU quota and throttling of a process's cgroup: both layouts from files, and a real throttled
container on this host's engine."""

from __future__ import annotations

import time
from pathlib import Path

import docker
import pytest

from harness.infra.cgroup_cpu import CpuThrottling, read_cpu_throttling
from harness.infra.docker_containers import host_pid, new_run_id, remove
from harness.infra.docker_images import ImageChoice


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v1_with_cpu_and_cpuacct_mounted_together(tmp_path: Path) -> None:
    _write(tmp_path / "proc" / "42" / "cgroup", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    group = tmp_path / "cg" / "cpu,cpuacct" / "docker" / "abc"
    _write(group / "cpu.stat", "nr_periods 200\nnr_throttled 50\nthrottled_time 2500000000\n")
    _write(group / "cpu.cfs_quota_us", "150000\n")
    _write(group / "cpu.cfs_period_us", "100000\n")
    assert read_cpu_throttling(42, proc=tmp_path / "proc", root=tmp_path / "cg") == CpuThrottling(200, 50, 2.5, 1.5)


def test_cgroup_v1_without_a_quota(tmp_path: Path) -> None:
    _write(tmp_path / "proc" / "7" / "cgroup", "2:cpuacct:/x\n1:cpu:/x\n")
    group = tmp_path / "cg" / "cpu" / "x"
    _write(group / "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n")
    _write(group / "cpu.cfs_quota_us", "-1\n")
    _write(group / "cpu.cfs_period_us", "100000\n")
    assert read_cpu_throttling(7, proc=tmp_path / "proc", root=tmp_path / "cg").quota_cpus is None


@pytest.mark.parametrize(("cpu_max", "quota"), [("200000 100000\n", 2.0), ("max 100000\n", None)])
def test_cgroup_v2(tmp_path: Path, cpu_max: str, quota: float | None) -> None:
    _write(tmp_path / "proc" / "9" / "cgroup", "0::/system.slice/docker-abc.scope\n")
    group = tmp_path / "cg" / "system.slice" / "docker-abc.scope"
    _write(group / "cpu.stat", "usage_usec 9\nuser_usec 5\nsystem_usec 4\nnr_periods 10\nnr_throttled 3\n"
                               "throttled_usec 1500000\n")  # fmt: skip
    _write(group / "cpu.max", cpu_max)
    assert read_cpu_throttling(9, proc=tmp_path / "proc", root=tmp_path / "cg") == CpuThrottling(10, 3, 1.5, quota)


def test_a_busy_container_with_a_twentieth_of_a_cpu_is_throttled(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice
) -> None:
    container = docker_engine.containers.run(
        postgres_image.ref, ["sh", "-c", "while :; do :; done"], name=f"loom-bench-busy-{new_run_id()}",
        network_mode="host", nano_cpus=50_000_000, detach=True, labels={"loom-bench.run": "cgroup-test"},
    )  # fmt: skip
    try:
        pid = host_pid(docker_engine, container)
        assert pid is not None
        first = read_cpu_throttling(pid)
        time.sleep(2)
        second = read_cpu_throttling(pid)
    finally:
        remove(container)
    assert first.quota_cpus == pytest.approx(0.05)
    assert second.throttled_periods > first.throttled_periods
    assert second.throttled_s > first.throttled_s
    # 5 ms of CPU per 100 ms period: a busy loop exhausts it in nearly every one of the ~20 periods,
    # even on a host busy enough to give it only a small share of a core.
    assert second.throttled_periods - first.throttled_periods >= 5
