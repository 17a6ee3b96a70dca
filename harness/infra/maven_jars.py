"""Java programs the harness runs from Maven Central jars (Kafka), resolved once into a cache.

The cache lives under ``$XDG_CACHE_HOME/loom-bench`` (default ``~/.cache/loom-bench``). A set of
jars is complete only once its ``.complete`` marker exists; it is written last, after the jars were
moved into place, so an interrupted resolve is simply redone. A lock file serialises concurrent
resolves of the same set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from harness.errors import EnvironmentError_, InfraError
from harness.infra.file_lock import file_locked

COMPLETE_MARKER = ".complete"
RESOLVE_TIMEOUT_SECONDS = 900.0


def cache_root() -> Path:
    """Where resolved jar sets live: ``$XDG_CACHE_HOME/loom-bench`` or ``~/.cache/loom-bench``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "loom-bench"


def resolve_jars(name: str, coordinates: Sequence[str], log_path: Path, *, root: Path | None = None) -> list[Path]:
    """The runtime classpath of ``coordinates`` (``group:artifact:version``), with transitive
    dependencies, as jars in ``<root>/<name>/jars``.

    Guarantees: Maven runs only if the set is not complete yet; the result is sorted and every
    path exists. Raises EnvironmentError_ if ``mvn`` is missing and InfraError (with the log's
    tail) if resolution fails, e.g. no network to Maven Central.
    """
    target = (root or cache_root()) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_locked(target.parent / f"{name}.lock"):
        jars_dir = target / "jars"
        if (target / COMPLETE_MARKER).exists():
            jars = sorted(jars_dir.glob("*.jar"))
            if jars:
                return jars
        _resolve(coordinates, target, log_path)
        return sorted(jars_dir.glob("*.jar"))


def _resolve(coordinates: Sequence[str], target: Path, log_path: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise EnvironmentError_(
            "Maven (mvn) is needed once to fetch jars from Maven Central; run scripts/install-system-deps.sh."
        )
    shutil.rmtree(target, ignore_errors=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-mvn-") as tmp:
        project = Path(tmp)
        (project / "pom.xml").write_text(_pom(coordinates), encoding="utf-8")
        staging = project / "jars"
        argv = [
            mvn, "-B", "-q", "dependency:copy-dependencies",
            "-DincludeScope=runtime", f"-DoutputDirectory={staging}",
        ]  # fmt: skip
        with open(log_path, "ab") as log:
            log.write(f"$ {' '.join(argv)}  # for {', '.join(coordinates)}\n".encode())
            log.flush()
            try:
                result = subprocess.run(
                    argv, cwd=project, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    timeout=RESOLVE_TIMEOUT_SECONDS, check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise InfraError(
                    f"Maven did not resolve {', '.join(coordinates)} within {RESOLVE_TIMEOUT_SECONDS:.0f}s; "
                    f"check access to Maven Central; {_log_tail(log_path)}"
                ) from None
        if result.returncode != 0 or not any(staging.glob("*.jar")):
            raise InfraError(
                f"Maven could not resolve {', '.join(coordinates)} (exit {result.returncode}); check the "
                f"versions exist on Maven Central and the network; {_log_tail(log_path)}"
            )
        target.mkdir(parents=True)
        shutil.move(str(staging), str(target / "jars"))
    # Written last: its presence means every jar above is in place.
    (target / COMPLETE_MARKER).write_text("\n".join(coordinates) + "\n", encoding="utf-8")


def _pom(coordinates: Sequence[str]) -> str:
    dependencies = []
    for coordinate in coordinates:
        parts = coordinate.split(":")
        if len(parts) != 3:
            raise ValueError(f"expected group:artifact:version, got {coordinate!r}")
        group, artifact, version = (escape(p) for p in parts)
        dependencies.append(
            f"    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version></dependency>"
        )
    body = "\n".join(dependencies)
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>harness.local</groupId><artifactId>jar-set</artifactId><version>1</version>\n"
        "  <packaging>pom</packaging>\n"
        f"  <dependencies>\n{body}\n  </dependencies>\n"
        "</project>\n"
    )


def _log_tail(log_path: Path, lines: int = 30) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace").splitlines() if log_path.exists() else []
    tail = "\n".join(f"  {line}" for line in text[-lines:])
    return f"last lines of {log_path}:\n{tail}"
