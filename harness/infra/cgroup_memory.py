"""A process's memory as its cgroup counts it (a container's), on cgroup v1 and v2 hosts.

What a container's memory limit is enforced against: every page of the cgroup, the JVM's heap,
metaspace, thread stacks and direct buffers, and also page cache it caused (files it wrote, such
as its GC log and flight recording). The JVM's RSS leaves the page cache out; the limit does not.

* v1: ``<n>:memory:/path`` under ``/sys/fs/cgroup/memory``: ``memory.usage_in_bytes``,
  ``memory.limit_in_bytes`` (a huge number: none);
* v2: ``0::/path`` under ``/sys/fs/cgroup``: ``memory.current``, ``memory.max`` (``max``: none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.infra.cgroup_cpu import CGROUP_ROOT

_V1_UNLIMITED = 1 << 62  # v1 writes "no limit" as the largest page-aligned long


@dataclass(frozen=True)
class CgroupMemory:
    usage_bytes: int
    limit_bytes: int | None  # None: no limit


def read_cgroup_memory(pid: int, *, proc: Path = Path("/proc"), root: Path = CGROUP_ROOT) -> CgroupMemory:
    """The memory counters of the cgroup ``pid`` belongs to. Raises OSError if the process or its
    cgroup files are gone, ValueError if there is no memory controller or a file cannot be read."""
    lines = (proc / str(pid) / "cgroup").read_text(encoding="utf-8").splitlines()
    v1 = next((line.split(":", 2)[2] for line in lines if "memory" in line.split(":")[1].split(",")), None)
    if v1 is not None:
        directory = root / "memory" / v1.lstrip("/")
        limit = int((directory / "memory.limit_in_bytes").read_text())
        return CgroupMemory(int((directory / "memory.usage_in_bytes").read_text()),
                            None if limit >= _V1_UNLIMITED else limit)
    v2 = next((line.split(":", 2)[2] for line in lines if line.startswith("0::")), None)
    if v2 is None:
        raise ValueError(f"no memory controller in /proc/{pid}/cgroup")
    directory = root / v2.lstrip("/")
    limit_text = (directory / "memory.max").read_text().strip()
    return CgroupMemory(int((directory / "memory.current").read_text()),
                        None if limit_text == "max" else int(limit_text))
