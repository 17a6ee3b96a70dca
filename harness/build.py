"""Building the three Spring Boot jars with Maven, only when the sources changed.

Staleness is judged by modification times: the newest source file (every ``pom.xml`` and
everything under a module's ``src/``; ``target/`` is ignored) against the oldest jar. A single
newer source rebuilds everything, because modules depend on each other (order-domain).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BuildError, EnvironmentError_
from harness.jdks import build_jdk

_SKIPPED_DIRS = {"target", "node_modules"}
_LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class Jars:
    """The runnable jars of one build."""

    order_mvc: Path
    order_webflux: Path
    downstream: Path

    def all(self) -> tuple[Path, ...]:
        return (self.order_mvc, self.order_webflux, self.downstream)


def jar_paths(java_apps: Path) -> Jars:
    """Where Maven puts each module's jar (the modules set ``finalName`` to the module name)."""
    return Jars(
        order_mvc=java_apps / "order-mvc" / "target" / "order-mvc.jar",
        order_webflux=java_apps / "order-webflux" / "target" / "order-webflux.jar",
        downstream=java_apps / "downstream" / "target" / "downstream.jar",
    )


def stale_reason(java_apps: Path) -> str | None:
    """Why the jars must be rebuilt (a missing jar, or the source newer than the oldest jar), or None."""
    jars = jar_paths(java_apps)
    for jar in jars.all():
        if not jar.is_file():
            return f"{jar.name} is missing"
    oldest = min(jars.all(), key=lambda jar: jar.stat().st_mtime)
    oldest_mtime = oldest.stat().st_mtime
    newest = _newest_source(java_apps)
    if newest is not None and newest.stat().st_mtime > oldest_mtime:
        shown = newest.relative_to(java_apps.parent)
        return f"{shown} is newer than {oldest.name}"
    return None


def ensure_jars(java_apps: Path, log_path: Path, force: bool = False) -> tuple[Jars, bool]:
    """Return the jars, building them first if stale (or ``force``); the bool says whether it built.

    Maven runs with JAVA_HOME set to ``build_jdk()``; its output goes to ``log_path``. On failure
    raises BuildError with the log's tail and the command to reproduce it by hand.
    """
    jars = jar_paths(java_apps)
    if not force and stale_reason(java_apps) is None:
        return jars, False
    _run_maven(java_apps, log_path, maven_command(java_apps))
    for jar in jars.all():
        if not jar.is_file():
            raise BuildError(
                f"Maven succeeded but {jar} was not produced; check <finalName> in "
                f"{jar.parent.parent / 'pom.xml'} (full log: {log_path})."
            )
        # Belt and braces: the jar was rewritten by `clean package`, but its mtime must be newer than
        # every source for the staleness check even on coarse-timestamp filesystems.
        os.utime(jar)
    return jars, True


def ensure_downstream_jar(java_apps: Path, log_path: Path) -> Path:
    """The downstream jar alone, rebuilt only when its own sources, the domain's main sources or a
    pom changed. ``harness infra exec`` needs nothing else, and must not rebuild (and so wipe) the
    order apps' ``target/`` under a developer's running Maven build."""
    jar = jar_paths(java_apps).downstream
    sources = [java_apps / "pom.xml", java_apps / "downstream", java_apps / "order-domain" / "pom.xml",
               java_apps / "order-domain" / "src" / "main"]
    if jar.is_file() and not any(path.stat().st_mtime > jar.stat().st_mtime
                                 for source in sources for path in _files_below(source)):
        return jar
    # Only this module's output is removed: order-domain is a plain jar, not repackaged, so the
    # stale-nested-library problem `clean` solves (see maven_command) cannot occur there.
    shutil.rmtree(jar.parent, ignore_errors=True)
    command = ["mvn", "-B", "-q", "-f", f"{java_apps.name}/pom.xml", "-DskipTests", "-pl", "downstream", "-am",
               "package"]
    _run_maven(java_apps, log_path, command)
    if not jar.is_file():
        raise BuildError(f"Maven succeeded but {jar} was not produced (full log: {log_path}).")
    return jar


def maven_command(java_apps: Path) -> list[str]:
    """The Maven invocation, relative to the directory holding ``java_apps``.

    ``clean`` matters: without it a module whose classes did not change keeps its old, already
    repackaged jar, and Spring Boot's repackage then keeps the old nested libraries even after a
    dependency version changed in a pom (seen: reactor-netty stayed 1.3.6 after the pin to 1.3.8)."""
    return ["mvn", "-B", "-q", "-f", f"{java_apps.name}/pom.xml", "-DskipTests", "clean", "package"]


def _run_maven(java_apps: Path, log_path: Path, command: list[str]) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise EnvironmentError_("Maven (mvn) is not on PATH; run scripts/install-system-deps.sh.")
    jdk = build_jdk()
    env = dict(os.environ, JAVA_HOME=str(jdk.home))
    env["PATH"] = f"{jdk.home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        log.write(f"$ JAVA_HOME={jdk.home} {shlex.join(command)}\n".encode())
        log.flush()
        # Same session as the harness on purpose: a Ctrl-C in the terminal stops Maven too.
        result = subprocess.run(
            [mvn, *command[1:]],
            cwd=java_apps.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        raise BuildError(_failure_message(java_apps, log_path, jdk.home, command, result.returncode))


def _failure_message(java_apps: Path, log_path: Path, java_home: Path, command: list[str], code: int) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    tail = "\n".join(f"  {line}" for line in lines[-_LOG_TAIL_LINES:])
    reproduce = f"cd {shlex.quote(str(java_apps.parent))} && JAVA_HOME={java_home} {shlex.join(command)}"
    return (
        f"Maven build failed (exit {code}); last lines of {log_path}:\n{tail}\nReproduce with:\n  {reproduce}"
    )


def _newest_source(java_apps: Path) -> Path | None:
    newest: Path | None = None
    newest_mtime = float("-inf")
    for path in _source_files(java_apps):
        mtime = path.stat().st_mtime
        if mtime > newest_mtime:
            newest, newest_mtime = path, mtime
    return newest


def _files_below(path: Path) -> Iterator[Path]:
    """``path`` itself if it is a file, else every file below it outside build output."""
    if path.is_file():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".")]
        for name in files:
            yield Path(root) / name


def _source_files(java_apps: Path) -> Iterator[Path]:
    """Every pom.xml, and every file below a directory named ``src``; build output is skipped."""
    for root, dirs, files in os.walk(java_apps):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        root_path = Path(root)
        in_src = "src" in root_path.relative_to(java_apps).parts
        for name in files:
            if in_src or name == "pom.xml":
                yield root_path / name
