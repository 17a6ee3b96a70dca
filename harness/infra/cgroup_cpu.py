"""A process's CPU quota and throttling, from its cgroup, on cgroup v1 and v2 hosts.

A container's CPU limit is a CFS quota: per period (100 ms by default) its processes may run
``quota`` microseconds; past that they are throttled until the next period. Throttled time is
latency the application cannot see in its own metrics, so a level whose app was throttled must be
flagged. The cgroup is found through ``/proc/<pid>/cgroup`` (so both the cgroupfs and the systemd
cgroup driver work):

* v1: ``<n>:cpu[,cpuacct]:/path`` under ``/sys/fs/cgroup/cpu[,cpuacct]``; ``cpu.stat`` has
  ``nr_periods``, ``nr_throttled``, ``throttled_time`` (ns); the quota is ``cpu.cfs_quota_us`` /
  ``cpu.cfs_period_us`` (quota -1: none).
* v2: ``0::/path`` under ``/sys/fs/cgroup``; ``cpu.stat`` has ``nr_periods``, ``nr_throttled``,
  ``throttled_usec``; the quota is ``cpu.max`` (``"max 100000"``: none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class CpuThrottling:
    """Cumulative counters since the cgroup was created; subtract two readings for an interval."""

    periods: int
    throttled_periods: int
    throttled_s: float
    quota_cpus: float | None  # None: no quota


def read_cpu_throttling(pid: int, *, proc: Path = Path("/proc"), root: Path = CGROUP_ROOT) -> CpuThrottling:
    """The counters of the cgroup ``pid`` belongs to. Raises OSError if the process or its cgroup
    files are gone, ValueError if they cannot be read as documented above."""
    lines = (proc / str(pid) / "cgroup").read_text(encoding="utf-8").splitlines()
    v1_path = next((_path(line) for line in lines if "cpu" in line.split(":")[1].split(",")), None)
    if v1_path is not None:
        directory = _v1_dir(root, v1_path)
        stat = _stat(directory / "cpu.stat")
        quota_us = int((directory / "cpu.cfs_quota_us").read_text())
        period_us = int((directory / "cpu.cfs_period_us").read_text())
        return CpuThrottling(
            stat["nr_periods"],
            stat["nr_throttled"],
            stat["throttled_time"] / 1e9,
            quota_us / period_us if quota_us > 0 else None,
        )
    v2_path = next((_path(line) for line in lines if line.startswith("0::")), None)
    if v2_path is None:
        raise ValueError(f"no cpu controller in /proc/{pid}/cgroup")
    directory = root / v2_path.lstrip("/")
    stat = _stat(directory / "cpu.stat")
    limit, period = (directory / "cpu.max").read_text().split()
    quota_cpus = None if limit == "max" else int(limit) / int(period)
    return CpuThrottling(stat.get("nr_periods", 0), stat.get("nr_throttled", 0), stat.get("throttled_usec", 0) / 1e6,
                         quota_cpus)  # fmt: skip


def _path(line: str) -> str:
    return line.split(":", 2)[2]


def _v1_dir(root: Path, path: str) -> Path:
    # The cpu controller is mounted alone or together with cpuacct, depending on the distribution.
    for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        candidate = root / mount / path.lstrip("/")
        if (candidate / "cpu.stat").exists():
            return candidate
    raise FileNotFoundError(f"no cpu.stat for cgroup {path} under {root}/cpu*")


def _stat(path: Path) -> dict[str, int]:
    pairs = (line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {name: int(value) for name, value in pairs}
