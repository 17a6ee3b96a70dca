"""Memory of a process's cgroup: both layouts from files (the e2e containerised run reads a real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.infra.cgroup_memory import CgroupMemory, read_cgroup_memory


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(("limit", "expected"), [("805306368\n", 805306368), ("9223372036854771712\n", None)])
def test_cgroup_v1(tmp_path: Path, limit: str, expected: int | None) -> None:
    _write(tmp_path / "proc" / "42" / "cgroup", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    group = tmp_path / "cg" / "memory" / "docker" / "abc"
    _write(group / "memory.usage_in_bytes", "314572800\n")
    _write(group / "memory.limit_in_bytes", limit)
    assert read_cgroup_memory(42, proc=tmp_path / "proc", root=tmp_path / "cg") == CgroupMemory(314572800, expected)


@pytest.mark.parametrize(("limit", "expected"), [("1073741824\n", 1073741824), ("max\n", None)])
def test_cgroup_v2(tmp_path: Path, limit: str, expected: int | None) -> None:
    _write(tmp_path / "proc" / "9" / "cgroup", "0::/system.slice/docker-abc.scope\n")
    group = tmp_path / "cg" / "system.slice" / "docker-abc.scope"
    _write(group / "memory.current", "2048\n")
    _write(group / "memory.max", limit)
    assert read_cgroup_memory(9, proc=tmp_path / "proc", root=tmp_path / "cg") == CgroupMemory(2048, expected)


def test_a_process_without_a_memory_controller_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "proc" / "5" / "cgroup", "1:cpu:/x\n")
    with pytest.raises(ValueError, match="no memory controller"):
        read_cgroup_memory(5, proc=tmp_path / "proc", root=tmp_path / "cg")
