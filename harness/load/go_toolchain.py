"""A Go toolchain to build vegeta with: the machine's own when it is recent enough, otherwise a
pinned one fetched from the Go module proxy.

Debian 12 packages Go 1.19, and vegeta v12.13 needs Go >= 1.22, so on a fresh Debian machine the
set-up cannot rely on ``apt``. The Go project publishes every release as a module,
``golang.org/toolchain@v0.0.1-go<version>.<os>-<arch>``, served by the same proxy that serves
vegeta's own dependencies (``go`` itself fetches it this way for ``GOTOOLCHAIN``). We download
that zip over HTTPS, check it against the SHA-256 pinned here (the checksum database is not
reachable everywhere the proxy is), and unpack it into the harness's cache. Nothing outside the
cache is touched.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import stat
import subprocess
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from harness.errors import EnvironmentError_
from harness.infra.file_lock import file_locked
from harness.infra.maven_jars import cache_root

GO_MIN = (1, 22)  # vegeta v12.13.0's go.mod
GO_PINNED = "go1.26.8"
# SHA-256 of golang.org/toolchain@v0.0.1-<GO_PINNED>.<platform>.zip as proxy.golang.org served it on
# 2026-11-30 (pinned on first use: sum.golang.org was not reachable from where it was pinned).
GO_PINNED_SHA256 = {
    "linux-amd64": "30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7",
    "linux-arm64": "02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99",
}
DEFAULT_PROXY = "https://proxy.golang.org"
_ZIP_PREFIX = "golang.org/toolchain@"
_VERSION = re.compile(r"\bgo(\d+)\.(\d+)")


def go_platform() -> str:
    """``<os>-<arch>`` as Go names them, for this machine."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}-{arch}"


def go_version(go: Path) -> tuple[int, int] | None:
    """(major, minor) of the toolchain at ``go``, or None when it does not run or says nothing we read."""
    try:
        # GOTOOLCHAIN=local: a recent go would otherwise switch to whatever a go.mod around asks for.
        done = subprocess.run([str(go), "version"], capture_output=True, text=True, timeout=30, check=False,
                              env={**os.environ, "GOTOOLCHAIN": "local"}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _VERSION.search(done.stdout)
    return (int(found.group(1)), int(found.group(2))) if done.returncode == 0 and found else None


def pinned_go_path(root: Path | None = None) -> Path:
    return (root or cache_root()) / f"{GO_PINNED}.{go_platform()}" / "bin" / "go"


def usable_go(candidates: list[Path]) -> Path | None:
    """The first candidate that runs and is at least GO_MIN."""
    for go in candidates:
        version = go_version(go) if go.is_file() else None
        if version is not None and version >= GO_MIN:
            return go
    return None


def machine_go_candidates() -> list[Path]:
    on_path = shutil.which("go")
    return ([Path(on_path)] if on_path else []) + [Path("/usr/local/go/bin/go")]


def proxy_base() -> str:
    """The first HTTP(S) entry of GOPROXY (``off``/``direct`` entries are skipped), else the public proxy."""
    for entry in re.split(r"[,|]", os.environ.get("GOPROXY", "")):
        if entry.startswith(("https://", "http://")):
            return entry.rstrip("/")
    return DEFAULT_PROXY


def toolchain_url(base: str | None = None, plat: str | None = None) -> str:
    return f"{base or proxy_base()}/golang.org/toolchain/@v/v0.0.1-{GO_PINNED}.{plat or go_platform()}.zip"


def verify_sha256(path: Path, expected: str) -> None:
    """Raises EnvironmentError_ naming both digests when ``path`` is not the pinned file."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise EnvironmentError_(
            f"the Go toolchain download {path.name} has SHA-256 {digest.hexdigest()}, expected {expected} "
            f"({GO_PINNED}); the proxy served a different file. Nothing was installed. Check GOPROXY "
            f"({proxy_base()}), or install Go >= {GO_MIN[0]}.{GO_MIN[1]} yourself and put it on PATH."
        )


def unpack_toolchain(archive: Path, home: Path) -> Path:
    """Unpacks a toolchain module zip into ``home`` (which must not exist yet) and returns its ``go``.

    The zip holds ``golang.org/toolchain@<version>/...`` and, being a module zip, no file modes:
    the programs under bin/ and pkg/tool/ are made executable, as the go command does itself."""
    with tempfile.TemporaryDirectory(prefix="go-unpack-", dir=home.parent) as scratch:
        with zipfile.ZipFile(archive) as zipped:
            names = zipped.namelist()
            if not names or not all(name.startswith(_ZIP_PREFIX) for name in names):
                raise EnvironmentError_(f"{archive.name} is not a golang.org/toolchain module zip")
            zipped.extractall(scratch)
        top = Path(scratch, *names[0].split("/")[:2])  # golang.org/toolchain@v0.0.1-go<version>.<platform>
        for program in [*top.glob("bin/*"), *top.glob("pkg/tool/*/*")]:
            if program.is_file():
                program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        top.replace(home)  # same filesystem: a half-unpacked toolchain is never at the final path
    return home / "bin" / "go"


def fetch_pinned_go(root: Path | None = None, *, base: str | None = None) -> Path:
    """The pinned toolchain in the cache, downloaded and checked on first use."""
    go = pinned_go_path(root)
    go.parent.parent.parent.mkdir(parents=True, exist_ok=True)
    home = go.parent.parent
    with file_locked(home.parent / f"{home.name}.lock"):
        return go if go.is_file() else _download_and_unpack(go, base)


def _download_and_unpack(go: Path, base: str | None) -> Path:
    plat = go_platform()
    expected = GO_PINNED_SHA256.get(plat)
    if not expected:
        raise EnvironmentError_(
            f"no Go >= {GO_MIN[0]}.{GO_MIN[1]} on this machine, and no pinned {GO_PINNED} checksum for {plat}. "
            "Install Go yourself (https://go.dev/dl/), put it on PATH, then run scripts/bootstrap.sh again."
        )
    home = go.parent.parent
    if home.exists():  # a toolchain folder without its go: damaged, never what we unpacked
        shutil.rmtree(home)
    url = toolchain_url(base, plat)
    with tempfile.NamedTemporaryFile(prefix="go-", suffix=".zip", dir=home.parent) as archive:
        try:
            with urllib.request.urlopen(url, timeout=60) as answer:
                shutil.copyfileobj(answer, archive, 1 << 20)
        except OSError as exc:
            raise EnvironmentError_(
                f"could not download the Go toolchain {GO_PINNED} from {url}: {exc}. Check GOPROXY and the "
                f"network, or install Go >= {GO_MIN[0]}.{GO_MIN[1]} yourself and put it on PATH."
            ) from exc
        archive.flush()
        verify_sha256(Path(archive.name), expected)
        return unpack_toolchain(Path(archive.name), home)


def ensure_go(root: Path | None = None) -> Path:
    """A Go >= GO_MIN: PATH's, /usr/local/go's, or the pinned one from the module proxy."""
    return usable_go(machine_go_candidates()) or fetch_pinned_go(root)
