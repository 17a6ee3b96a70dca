from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.errors import InfraError
from harness.infra.jlink import jlink_runtime
from harness.jdks import build_jdk


def test_a_runtime_is_made_once_and_runs(tmp_path: Path) -> None:
    target = tmp_path / "jre"
    made = jlink_runtime(build_jdk(), "java.base", target, tmp_path / "jlink.log", "a test runtime")
    version = subprocess.run([str(made / "bin" / "java"), "-version"], capture_output=True, text=True, check=True)
    assert build_jdk().version.split("+")[0] in version.stderr
    stamp = (made / "release").stat().st_mtime_ns
    assert jlink_runtime(build_jdk(), "java.base", target, tmp_path / "jlink.log", "a test runtime") == made
    assert (made / "release").stat().st_mtime_ns == stamp, "a second call must reuse the runtime, not remake it"


def test_a_failed_jlink_names_its_purpose_and_leaves_nothing_half_made(tmp_path: Path) -> None:
    target = tmp_path / "jre"
    with pytest.raises(InfraError, match=r"could not make a test runtime .*see .*jlink\.log"):
        jlink_runtime(build_jdk(), "no.such.module", target, tmp_path / "jlink.log", "a test runtime")
    assert not target.exists()
    assert "no.such.module" in (tmp_path / "jlink.log").read_text()
