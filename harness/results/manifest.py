"""manifest.json: what was run, where, how, and whether it finished.

The manifest is written the moment a run starts, with status ``running``, and rewritten
atomically on every change, so at any instant the file on disk is a complete, parseable JSON
document. Only ``finish("complete")`` marks a run complete: a run killed at any point reads as
``running`` (never finished), ``failed`` or ``interrupted``.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import psutil

import harness
from harness.errors import ResultsError
from harness.results.layout import ResultsDir
from harness.scenario import Scenario

FORMAT_VERSION = 1
STATUSES = ("running", "complete", "failed", "interrupted")
FinalStatus = Literal["complete", "failed", "interrupted"]

# Owned by the writer's lifecycle (or by set_variant/add_warning): ``set`` must not forge them.
RESERVED_KEYS = frozenset(
    {
        "format_version",
        "harness_version",
        "status",
        "started_at",
        "finished_at",
        "scenario_path",
        "scenario",
        "argv",
        "git",
        "machine",
        "variants",
        "error",
        "warnings",
    }
)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def collect_machine() -> dict[str, Any]:
    """Describe this machine as it is now; every field is present, ``None`` when unknown."""
    try:
        usable_cores: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable_cores = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "hostname": socket.gethostname(),
        "os": platform.system(),
        "kernel": platform.release(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        # Affinity (taskset, cgroup cpusets) can leave fewer cores than the machine has.
        "usable_cores": usable_cores,
        "memory_total_bytes": psutil.virtual_memory().total,
        "load_average_at_start": load,
    }


def _git(repo_root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo_root, capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.strip()


def git_info(repo_root: Path) -> dict[str, Any]:
    """``{commit, branch, dirty, dirty_files, error}`` of the checkout.

    Never raises: without git (no binary, not a repository) every field is ``None`` and ``error``
    says why.
    """
    try:
        commit = _git(repo_root, "rev-parse", "HEAD")
        branch = _git(repo_root, "rev-parse", "--abbrev-ref", "HEAD")
        # Untracked files count: an uncommitted new source file changes what was measured.
        changes = _git(repo_root, "status", "--porcelain").splitlines()
    except (OSError, subprocess.SubprocessError) as error:
        return {"commit": None, "branch": None, "dirty": None, "dirty_files": None, "error": str(error)}
    return {
        "commit": commit,
        "branch": branch,
        "dirty": bool(changes),
        "dirty_files": len(changes),
        "error": None,
    }


def write_json_atomically(path: Path, document: Any) -> None:
    """Replace ``path`` with ``document`` so readers see the old or the new file, never a torn one."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ManifestWriter:
    """Owns manifest.json of one run; every mutation is written to disk before it returns.

    Usable as a context manager: leaving the block by an exception before ``finish`` records
    ``interrupted`` (KeyboardInterrupt) or ``failed`` with the error, then re-raises.
    """

    def __init__(
        self,
        results: ResultsDir,
        scenario: Scenario,
        scenario_path: Path,
        argv: list[str],
        *,
        repo_root: Path | None = None,
    ) -> None:
        self.path = results.manifest
        self._finished = False
        self._doc: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "harness_version": harness.__version__,
            "status": "running",
            "started_at": _now_iso(),
            "finished_at": None,
            "scenario_path": str(scenario_path),
            "scenario": scenario.model_dump(mode="json"),
            "argv": list(argv),
            "git": git_info(repo_root or Path(__file__).resolve().parents[2]),
            "machine": collect_machine(),
            "jdks": {},
            "infrastructure": {},
            "variants": {},
            "downstream": {},
            "build": {},
            "seed": {},
            "error": None,
            "warnings": [],
        }
        self._write()

    @property
    def document(self) -> dict[str, Any]:
        """A deep copy of what is on disk."""
        copy: dict[str, Any] = json.loads(json.dumps(self._doc, default=str))
        return copy

    def set(self, key: str, value: Any) -> None:
        """Set a top-level section (``jdks``, ``infrastructure``, ``downstream``, ``build``, ``seed``, ...).

        Raises KeyError for the keys the writer owns (status, timestamps, scenario, variants, ...).
        """
        if key in RESERVED_KEYS:
            raise KeyError(f"manifest key {key!r} is managed by ManifestWriter and cannot be set")
        self._doc[key] = value
        self._write()

    def set_variant(self, key: str, record: dict[str, Any]) -> None:
        """Record one variant on one JDK, ``"<variant>@jdk<N>"`` → ``{jvm_flags, env, effective}``."""
        self._doc["variants"][key] = record
        self._write()

    def add_warning(self, msg: str) -> None:
        self._doc["warnings"].append(msg)
        self._write()

    def finish(self, status: FinalStatus, error: str | None = None) -> None:
        """Record how the run ended. The first call wins; later calls change nothing.

        First-wins keeps a clean-up path (``finally: finish("failed")``) from overwriting the
        status the run already chose, and a ``complete`` from ever replacing a failure.
        """
        if self._finished:
            return
        if status not in STATUSES[1:]:
            raise ValueError(f"unknown final status {status!r}")
        self._finished = True
        self._doc["status"] = status
        self._doc["finished_at"] = _now_iso()
        self._doc["error"] = error
        self._write()

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            return
        if isinstance(exc, KeyboardInterrupt):
            self.finish("interrupted", "interrupted (Ctrl-C or SIGINT)")
        else:
            self.finish("failed", f"{type(exc).__name__}: {exc}")

    def _write(self) -> None:
        write_json_atomically(self.path, self._doc)


def read_manifest(path: Path) -> dict[str, Any]:
    """Load manifest.json (``path`` may be the file or its results folder).

    Raises ResultsError when it is missing, not JSON, of another format version, or has an unknown
    status. A returned manifest's ``status`` is one of ``STATUSES``.
    """
    if path.is_dir():
        path = path / "manifest.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no manifest; this is not a results folder") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path}: cannot read the manifest: {error}") from None
    if not isinstance(document, dict):
        raise ResultsError(f"{path}: the manifest is not a JSON object")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ResultsError(
            f"{path}: manifest format version {version!r}, this harness reads version {FORMAT_VERSION}; "
            "use the harness version that wrote it"
        )
    if document.get("status") not in STATUSES:
        raise ResultsError(f"{path}: unknown status {document.get('status')!r}")
    return document
