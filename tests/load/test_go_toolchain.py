"""The Go toolchain vegeta is built with: which machine Go is good enough, and the pinned one
really fetched from the Go module proxy, checked and able to build a program."""

from __future__ import annotations

import hashlib
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from harness.errors import EnvironmentError_
from harness.load.go_toolchain import (
    GO_PINNED,
    GO_PINNED_SHA256,
    fetch_pinned_go,
    go_platform,
    go_version,
    proxy_base,
    toolchain_url,
    unpack_toolchain,
    usable_go,
    verify_sha256,
)


def _stand_in_go(folder: Path, says: str, exit_code: int = 0) -> Path:
    """A program answering ``go version`` like a toolchain of another release would."""
    folder.mkdir(parents=True)
    go = folder / "go"
    go.write_text(f"#!/bin/sh\necho '{says}'\nexit {exit_code}\n")
    go.chmod(0o755)
    return go


def test_a_go_older_than_1_22_is_passed_over_for_the_next_candidate(tmp_path: Path) -> None:
    debian = _stand_in_go(tmp_path / "debian", "go version go1.19.8 linux/amd64")
    recent = _stand_in_go(tmp_path / "recent", "go version go1.22.0 linux/amd64")
    assert go_version(debian) == (1, 19)
    assert usable_go([debian, recent]) == recent


def test_a_go_that_fails_or_is_missing_is_not_usable(tmp_path: Path) -> None:
    broken = _stand_in_go(tmp_path / "broken", "go version go1.26.8 linux/amd64", exit_code=3)
    assert go_version(broken) is None
    assert usable_go([broken, tmp_path / "absent" / "go"]) is None


@pytest.mark.parametrize(
    ("goproxy", "expected"),
    [
        ("", "https://proxy.golang.org"),
        ("direct", "https://proxy.golang.org"),
        ("off", "https://proxy.golang.org"),
        ("https://mirror.example/go/,direct", "https://mirror.example/go"),
        ("direct|http://10.0.0.1:3000", "http://10.0.0.1:3000"),
    ],
)
def test_the_proxy_is_goproxys_first_http_entry(monkeypatch: pytest.MonkeyPatch, goproxy: str, expected: str) -> None:
    monkeypatch.setenv("GOPROXY", goproxy)
    assert proxy_base() == expected
    assert toolchain_url(plat="linux-amd64") == (
        f"{expected}/golang.org/toolchain/@v/v0.0.1-{GO_PINNED}.linux-amd64.zip")


def test_a_download_with_another_digest_is_refused_naming_both(tmp_path: Path) -> None:
    download = tmp_path / "toolchain.zip"
    download.write_bytes(b"not the toolchain")
    with pytest.raises(EnvironmentError_) as refused:
        verify_sha256(download, "0" * 64)
    message = str(refused.value)
    assert "0" * 64 in message
    assert hashlib.sha256(b"not the toolchain").hexdigest() in message
    assert "Nothing was installed" in message


def test_a_zip_that_is_not_a_toolchain_is_refused_and_nothing_is_unpacked(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("example.com/other@v1.0.0/bin/go", "#!/bin/sh\n")
    home = tmp_path / "go-home"
    with pytest.raises(EnvironmentError_, match=r"not a golang\.org/toolchain module zip"):
        unpack_toolchain(archive, home)
    assert not home.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["other.zip"]


def test_every_platform_we_pin_has_a_full_sha256() -> None:
    assert go_platform() in GO_PINNED_SHA256
    for digest in GO_PINNED_SHA256.values():
        assert len(digest) == 64
        int(digest, 16)


# -- the real download --------------------------------------------------------------------------
def test_the_pinned_toolchain_is_fetched_checked_and_builds_a_program(tmp_path: Path) -> None:
    """About 76 MB from the Go module proxy (as configured by GOPROXY), once."""
    go = fetch_pinned_go(tmp_path / "cache")
    assert go_version(go) == tuple(int(part) for part in GO_PINNED.removeprefix("go").split(".")[:2])
    assert fetch_pinned_go(tmp_path / "cache") == go  # the second call finds it and downloads nothing
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"{GO_PINNED}.{go_platform()}",
                                                                      f"{GO_PINNED}.{go_platform()}.lock"]

    program = tmp_path / "hello"
    program.mkdir()
    (program / "go.mod").write_text("module example.com/hello\n\ngo 1.22\n")
    (program / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("built here") }\n')
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOCACHE": str(tmp_path / "gocache"), "GOFLAGS": "-buildvcs=false",
           "CGO_ENABLED": "0"}
    subprocess.run([str(go), "build", "-o", str(tmp_path / "hello-bin"), "."], cwd=program, env=env, check=True,
                   timeout=300)
    ran = subprocess.run([str(tmp_path / "hello-bin")], capture_output=True, text=True, check=True, timeout=30)
    assert ran.stdout == "built here\n"
