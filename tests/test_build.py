from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from harness import build
from harness.build import ensure_jars, jar_paths, stale_reason
from harness.errors import BuildError
from harness.jdks import Jdk

MODULES = ("order-domain", "order-mvc", "order-webflux", "downstream")


def _touch(path: Path, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (mtime, mtime))


@pytest.fixture
def java_apps(tmp_path: Path) -> Path:
    """A fake java-apps tree: sources at t=1000, jars at t=2000..2002 (so up to date)."""
    root = tmp_path / "java-apps"
    _touch(root / "pom.xml", 1000)
    for module in MODULES:
        _touch(root / module / "pom.xml", 1000)
        _touch(root / module / "src" / "main" / "java" / "App.java", 1000)
    for offset, jar in enumerate(jar_paths(root).all()):
        _touch(jar, 2000 + offset)
    return root


def test_up_to_date_tree_is_not_stale(java_apps: Path) -> None:
    assert stale_reason(java_apps) is None


def test_missing_jar_is_named(java_apps: Path) -> None:
    jar_paths(java_apps).order_webflux.unlink()
    assert stale_reason(java_apps) == "order-webflux.jar is missing"


def test_source_newer_than_the_oldest_jar_is_named(java_apps: Path) -> None:
    # Newer than the oldest jar (2000) though older than the others: still stale.
    source = java_apps / "order-domain" / "src" / "main" / "java" / "App.java"
    os.utime(source, (2001, 2001))
    assert (
        stale_reason(java_apps) == "java-apps/order-domain/src/main/java/App.java is newer than order-mvc.jar"
    )


def test_pom_change_makes_it_stale(java_apps: Path) -> None:
    os.utime(java_apps / "pom.xml", (3000, 3000))
    assert stale_reason(java_apps) == "java-apps/pom.xml is newer than order-mvc.jar"


def test_build_output_and_non_sources_are_ignored(java_apps: Path) -> None:
    _touch(java_apps / "order-mvc" / "target" / "classes" / "App.class", 5000)
    _touch(java_apps / "order-mvc" / "README.md", 5000)
    _touch(java_apps / ".idea" / "workspace.xml", 5000)
    assert stale_reason(java_apps) is None


def test_ensure_jars_does_nothing_when_up_to_date(java_apps: Path, tmp_path: Path) -> None:
    jars, built = ensure_jars(java_apps, tmp_path / "logs" / "build.log")
    assert (jars, built) == (jar_paths(java_apps), False)
    assert not (tmp_path / "logs" / "build.log").exists()


@pytest.fixture
def fake_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``mvn`` on PATH whose behaviour the test writes, and a fixed build JDK."""
    bindir = tmp_path / "fake-bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    fake_jdk = Jdk(tmp_path / "jdk-25", 25, "25.0.3", "Acme", True, "system")
    monkeypatch.setattr(build, "build_jdk", lambda: fake_jdk)
    return bindir / "mvn"


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_ensure_jars_builds_when_forced_and_refreshes_jar_times(
    java_apps: Path, tmp_path: Path, fake_maven: Path
) -> None:
    _script(fake_maven, 'echo "JAVA_HOME=$JAVA_HOME args=$*"\n')
    log = tmp_path / "build.log"

    jars, built = ensure_jars(java_apps, log, force=True)

    assert built
    text = log.read_text()
    assert f"JAVA_HOME={tmp_path / 'jdk-25'}" in text
    assert "args=-B -q -f java-apps/pom.xml -DskipTests clean package" in text
    assert all(jar.stat().st_mtime > 3000 for jar in jars.all())
    assert stale_reason(java_apps) is None


def test_failed_build_reports_log_tail_and_command(java_apps: Path, tmp_path: Path, fake_maven: Path) -> None:
    _script(fake_maven, 'echo "[ERROR] cannot find symbol: class OrderRepository"\nexit 1\n')
    jar_paths(java_apps).downstream.unlink()
    log = tmp_path / "build.log"

    with pytest.raises(BuildError) as caught:
        ensure_jars(java_apps, log)

    message = str(caught.value)
    assert "exit 1" in message
    assert "cannot find symbol: class OrderRepository" in message
    assert (
        f"cd {java_apps.parent} && JAVA_HOME={tmp_path / 'jdk-25'} mvn -B -q -f java-apps/pom.xml" in message
    )
    assert str(log) in message


def test_build_without_a_jar_is_an_error(java_apps: Path, tmp_path: Path, fake_maven: Path) -> None:
    _script(fake_maven, "exit 0\n")
    jar_paths(java_apps).downstream.unlink()

    with pytest.raises(BuildError, match=r"downstream\.jar was not produced"):
        ensure_jars(java_apps, tmp_path / "build.log")


def test_downstream_jar_ignores_the_order_apps_and_rebuilds_only_itself(
    java_apps: Path, tmp_path: Path, fake_maven: Path
) -> None:
    # The fake Maven records its arguments and produces the jar, as `-pl downstream -am package` would.
    jar = jar_paths(java_apps).downstream
    _script(fake_maven, f'echo "args=$*"\nmkdir -p {jar.parent}\ntouch {jar}\n')
    log = tmp_path / "build.log"
    _touch(java_apps / "order-mvc" / "src" / "main" / "java" / "App.java", 9000)
    _touch(java_apps / "order-domain" / "src" / "test" / "java" / "Fixture.java", 9000)

    assert build.ensure_downstream_jar(java_apps, log) == jar
    assert not log.exists()

    _touch(java_apps / "order-domain" / "src" / "main" / "java" / "App.java", 9000)
    assert build.ensure_downstream_jar(java_apps, log) == jar
    assert "args=-B -q -f java-apps/pom.xml -DskipTests -pl downstream -am package" in log.read_text()
    assert jar_paths(java_apps).order_mvc.is_file()
