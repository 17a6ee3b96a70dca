"""Runs one load level with Locust in a subprocess and reads back what it recorded.

The harness never imports Locust (it monkey-patches with gevent on import): Locust runs
``harness/load/locustfile.py`` in a child started through the ``Supervisor``. That file records
every request into per-second HdrHistograms (microseconds) and writes an interval log plus a JSON
sidecar; this module keeps the seconds of the measured window and merges them exactly.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hdrh.histogram import HdrHistogram

from harness.codec import from_json_row
from harness.errors import LoadError
from harness.load.endpoints import decode_mix, encode_mix
from harness.load.recording import (
    SIDECAR_FORMAT,
    LevelRecording,
    SidecarInterval,
    WindowStats,
    new_histogram,
    write_measured_hlog,
)
from harness.processes import ManagedProcess, Supervisor
from harness.sampling import ProcessSampler

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
GENERATOR = "generator"  # the sampler name of the Locust process
STOP_TIMEOUT_S = 5  # Locust --stop-timeout: in-flight requests may finish
# Locust runs this long past the measured window, so the stop (and the requests it cuts short)
# never lands inside the last measured second.
TAIL_S = 1
RUN_TIME_BACKSTOP_S = 30  # added to Locust's --run-time, which is only a backstop
WAIT_MARGIN_S = 60  # on top of the run time before the driver gives up on Locust
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
_EPS = 1e-6


@dataclass(frozen=True)
class LoadTarget:
    """What to load. Construction refuses a non-loopback host unless ``allow_remote``: a
    benchmark pointed at someone else's server by a typo is a load attack, not a measurement."""

    base_url: str
    order_id_max: int
    seed: int
    profile: str = "io-bound"
    allow_remote: bool = False
    mix: Mapping[str, int] = field(default_factory=lambda: {"orders": 1})
    customer_id_max: int = 1
    cpu_rounds: int = 1000

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LoadError(
                f"load target {self.base_url!r} is not an http(s) URL with a host; expected e.g. http://127.0.0.1:8080"
            )
        if not self.allow_remote and not is_loopback(parts.hostname):
            raise LoadError(
                f"load target {self.base_url!r} is not on this machine (host {parts.hostname!r} is not "
                "loopback: 127.0.0.0/8, ::1 or localhost). Point it at 127.0.0.1, or set allow_remote "
                "if loading that host is intended and permitted."
            )
        if self.order_id_max < 1:
            raise LoadError(f"order_id_max must be >= 1, got {self.order_id_max}; check the seed size")
        try:
            decode_mix(encode_mix(self.mix))
        except ValueError as error:
            raise LoadError(f"load mix of profile {self.profile!r}: {error}") from None


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (no DNS lookup: other names are not loopback)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class _Paths:
    log: Path
    hlog: Path
    sidecar: Path
    cwd: Path


def run_level(
    target: LoadTarget,
    users: int,
    settle_s: float,
    duration_s: float,
    out_dir: Path,
    label: str,
    supervisor: Supervisor,
    sampler: ProcessSampler,
    python: str = sys.executable,
    *,
    hlog_path: Path | None = None,
) -> LevelRecording:
    """Run ``users`` closed-model users for ``settle_s + duration_s`` seconds and return the
    measured part.

    Guarantees: the returned recording covers exactly the ``duration_s`` whole seconds that start
    ``settle_s`` after Locust's test start (settle excluded, by request completion time); its
    histogram is the exact merge of those seconds' success histograms, so ``histogram`` count ==
    ``requests - errors``; the Locust process has exited and been reaped when this returns or
    raises; while it ran, its pid was sampled as ``"generator"``. Files under ``out_dir``:
    ``<label>.locust.log``, ``<label>.intervals.json`` (the per-second sidecar) and ``<label>.hlog``
    (Locust's own log of the whole level, settle included, tagged ``<label>``). ``hlog_path`` gets
    the measured seconds only (``recording.write_measured_hlog``), so HdrHistogram's tools reading it
    reproduce the returned histogram's count and percentiles exactly; ``hlog_path`` of the
    recording names it (the whole-level log without one).

    Raises ``LoadError`` if settle/duration are not whole seconds, or Locust fails, times out,
    writes no sidecar, or measured less than the whole window.
    """
    _check_level(users, settle_s, duration_s, label)
    paths = _level_paths(out_dir, label)
    # Never read (or leave beside new results) a file left by an earlier attempt.
    for stale in (paths.hlog, paths.sidecar, *([hlog_path] if hlog_path is not None else [])):
        stale.unlink(missing_ok=True)
    run_s = int(settle_s) + int(duration_s) + TAIL_S
    child = _start_locust(target, users, run_s, paths, label, supervisor, python)
    sampler.watch(GENERATOR, child.pid)
    try:
        _wait(child, run_s, label, supervisor)
    finally:
        sampler.unwatch(GENERATOR)
        supervisor.stop(child)
    interval_s, rows = _read_sidecar(paths, child, label, target.profile)
    return _recording(interval_s, rows, users, int(settle_s), int(duration_s), paths, child.pid, label,
                      measured_hlog=hlog_path)


def run_warmup(
    target: LoadTarget,
    users: int,
    duration_s: float,
    out_dir: Path,
    supervisor: Supervisor,
    python: str = sys.executable,
    label: str = "warmup",
) -> None:
    """Load the target for ``duration_s`` seconds (rounded up to whole seconds) and keep nothing
    but the Locust log ``out_dir/<label>.locust.log``. Raises ``LoadError`` like ``run_level``
    does, and also when not a single request succeeded (the target is not serving).
    """
    duration_s = max(1, math.ceil(duration_s))
    _check_level(users, 0, duration_s, label)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-warmup-") as scratch:
        paths = _Paths(
            log=out_dir / f"{label}.locust.log",
            hlog=Path(scratch) / "warmup.hlog",
            sidecar=Path(scratch) / "warmup.json",
            cwd=Path(scratch),
        )
        run_s = duration_s + TAIL_S
        child = _start_locust(target, users, run_s, paths, label, supervisor, python)
        try:
            _wait(child, run_s, label, supervisor)
        finally:
            supervisor.stop(child)
        _, rows = _read_sidecar(paths, child, label, target.profile)
    completed = sum(row.requests for row in rows)
    failed = sum(row.errors for row in rows)
    if completed == failed:
        kinds: dict[str, int] = {}
        for row in rows:
            for kind, count in row.error_kinds.items():
                kinds[kind] = kinds.get(kind, 0) + count
        raise LoadError(
            f"warm-up {label!r}: {users} users for {duration_s}s completed no request successfully "
            f"against {target.base_url} ({completed} attempts, errors {kinds or 'none'}). Is the app "
            f"up and answering GET /orders/1? Locust log {paths.log}, tail:\n{child.log_tail()}"
        )


def _check_level(users: int, settle_s: float, duration_s: float, label: str) -> None:
    if users < 1:
        raise LoadError(f"level {label!r}: users must be >= 1, got {users}")
    if settle_s < 0 or duration_s < 1:
        raise LoadError(f"level {label!r}: settle must be >= 0 s and duration >= 1 s, got {settle_s} and {duration_s}")
    if int(settle_s) != settle_s or int(duration_s) != duration_s:
        raise LoadError(
            f"level {label!r}: settle and duration must be whole seconds (the recorder works in 1 s "
            f"intervals), got {settle_s} and {duration_s}; fix load.settle / load.duration in the scenario"
        )
    if not _LABEL.match(label):
        raise LoadError(
            f"level label {label!r} must be letters, digits, '.', '_', '@' or '-' (it names files and is the hlog tag)"
        )


def _level_paths(out_dir: Path, label: str) -> _Paths:
    out_dir.mkdir(parents=True, exist_ok=True)
    return _Paths(
        log=out_dir / f"{label}.locust.log",
        hlog=out_dir / f"{label}.hlog",
        sidecar=out_dir / f"{label}.intervals.json",
        cwd=out_dir,
    )


def _child_env(target: LoadTarget, paths: _Paths, label: str, run_s: int) -> dict[str, str]:
    # LOCUST_* variables would silently override our command line: the run must be what we asked.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    # The locustfile imports harness.load.recording; make that work for any interpreter.
    source_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH", "")) if p)
    env.update(
        HARNESS_ORDER_ID_MAX=str(target.order_id_max),
        HARNESS_SEED=str(target.seed),
        HARNESS_HLOG_PATH=str(paths.hlog),
        HARNESS_RESULT_PATH=str(paths.sidecar),
        HARNESS_PROFILE=target.profile,
        HARNESS_MIX=encode_mix(target.mix),
        HARNESS_CUSTOMER_ID_MAX=str(target.customer_id_max),
        HARNESS_CPU_ROUNDS=str(target.cpu_rounds),
        HARNESS_HLOG_TAG=label,
        HARNESS_RUN_S=str(run_s),
    )
    return env


def _start_locust(
    target: LoadTarget,
    users: int,
    run_s: int,
    paths: _Paths,
    label: str,
    supervisor: Supervisor,
    python: str,
) -> ManagedProcess:
    argv = [
        python, "-m", "locust",
        "-f", str(LOCUSTFILE),
        "--headless",
        "--users", str(users),
        "--spawn-rate", str(users),  # all users in the first second, inside the settle time
        # A backstop only: the locustfile stops at HARNESS_RUN_S (--run-time fires early, see there).
        "--run-time", f"{run_s + RUN_TIME_BACKSTOP_S}s",
        "--host", target.base_url,
        "--only-summary",
        "--stop-timeout", str(STOP_TIMEOUT_S),
        # Failed requests are data (counted per kind), not a failed run.
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    paths.cwd.mkdir(parents=True, exist_ok=True)  # cwd: keeps Locust away from ./locust.conf files
    try:
        return supervisor.start(
            f"locust-{label}",
            argv,
            env=_child_env(target, paths, label, run_s),
            cwd=paths.cwd,
            log_path=paths.log,
        )
    except OSError as exc:
        raise LoadError(
            f"could not start Locust for level {label!r} with {python!r}: {exc}. "
            "Check that this interpreter exists and has locust installed (python -m locust --version)."
        ) from exc


def _wait(child: ManagedProcess, run_s: int, label: str, supervisor: Supervisor) -> None:
    timeout = run_s + RUN_TIME_BACKSTOP_S + STOP_TIMEOUT_S + WAIT_MARGIN_S
    try:
        code = child.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        supervisor.stop(child)  # SIGTERM first: Locust then writes what it recorded
        raise LoadError(
            f"Locust for level {label!r} was still running {timeout}s after start (run time {run_s}s) "
            f"and was stopped. Is the target answering at all? Log {child.log_path}, tail:\n"
            f"{child.log_tail()}"
        ) from None
    if code != 0:
        raise LoadError(
            f"Locust for level {label!r} exited with code {code}. Check the log {child.log_path} "
            f"(a locustfile error or a bad option shows there), tail:\n{child.log_tail()}"
        )


def _read_sidecar(paths: _Paths, child: ManagedProcess, label: str,
                  profile: str) -> tuple[float, list[SidecarInterval]]:
    """(seconds per interval, the finished intervals) of the sidecar; LoadError when it is absent, malformed,
    or says the generator ran another workload profile than ``profile`` (it reports the one it ran)."""
    try:
        document = json.loads(paths.sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoadError(
            f"Locust for level {label!r} exited cleanly but wrote no results to {paths.sidecar}: the "
            "locustfile's test_start/test_stop hooks did not run. Check that Locust loaded "
            f"{LOCUSTFILE} (log {child.log_path}), tail:\n{child.log_tail()}"
        ) from None
    except (OSError, ValueError) as exc:
        raise LoadError(f"level {label!r}: cannot read {paths.sidecar}: {exc}") from exc
    if (
        not isinstance(document, dict)
        or document.get("format") != SIDECAR_FORMAT
        or not isinstance(document.get("intervals"), list)
        or not isinstance(document.get("test_start"), (int, float))
    ):
        raise LoadError(
            f"level {label!r}: {paths.sidecar} is not a format-{SIDECAR_FORMAT} sidecar; was it written "
            f"by {LOCUSTFILE} from this checkout?"
        )
    if document.get("profile") != profile:
        raise LoadError(f"level {label!r}: Locust ran profile {document.get('profile')!r}, the scenario asks "
                        f"{profile!r}; see {paths.log}")
    try:
        rows = [from_json_row(SidecarInterval, row) for row in document["intervals"]]
    except (ValueError, TypeError, AttributeError) as error:
        raise LoadError(f"level {label!r}: {paths.sidecar} has a malformed interval: {error}") from None
    return float(document.get("interval_s", 1.0)), rows


def _recording(
    interval_s: float,
    rows: list[SidecarInterval],
    users: int,
    settle_s: int,
    duration_s: int,
    paths: _Paths,
    pid: int,
    label: str,
    measured_hlog: Path | None = None,
) -> LevelRecording:
    # Compare offsets from test start, not absolute floats, so whole seconds compare exactly.
    kept = [row for row in rows if settle_s - _EPS <= row.index * interval_s < settle_s + duration_s - _EPS]
    expected = math.ceil(duration_s / interval_s)
    partial = [row.index for row in kept if row.end - row.start < interval_s - 0.01]
    if len(kept) < expected or partial:
        raise LoadError(
            f"level {label!r}: Locust measured {len(kept)} of the {expected} seconds after a {settle_s}s "
            f"settle ({len(rows)} seconds in all{', last cut short' if partial else ''}); the run ended "
            f"early. What it measured is in {paths.sidecar}; check {paths.log} for why it stopped."
        )
    merged = new_histogram()
    windows: list[WindowStats] = []
    seconds: list[tuple[float, HdrHistogram]] = []
    requests = errors = latency_sum_us = 0
    error_kinds: dict[str, int] = {}
    for row in kept:
        successes = row.requests - row.errors
        p50 = p99 = top = 0
        # A second without successes stays in the log: a stall is a measurement too.
        seconds.append((row.start, HdrHistogram.decode(row.success_histogram)))
        if successes > 0:
            hist = HdrHistogram.decode(row.success_histogram)
            # Adding an empty histogram would reset the merged minimum to 0 (hdrh 0.10.8): skip those.
            merged.add(hist)
            p50 = int(hist.get_value_at_percentile(50.0))
            p99 = int(hist.get_value_at_percentile(99.0))
            top = int(hist.get_max_value())
        windows.append(WindowStats(row.start, row.requests, row.errors, p50, p99, top))
        requests += row.requests
        errors += row.errors
        latency_sum_us += row.latency_sum_us
        for kind, count in row.error_kinds.items():
            error_kinds[kind] = error_kinds.get(kind, 0) + count
    if measured_hlog is not None:
        write_measured_hlog(seconds, measured_hlog, label, "unit=microseconds successes only, the measured "
                            "seconds of the level (settle excluded); closed model, not corrected for "
                            "coordinated omission")
    return LevelRecording(
        users=users,
        measured_start=kept[0].start,
        measured_end=kept[-1].end,
        histogram=merged,
        requests=requests,
        errors=errors,
        error_kinds=error_kinds,
        latency_sum_us=latency_sum_us,
        windows=tuple(windows),
        hlog_path=measured_hlog if measured_hlog is not None else paths.hlog,
        generator_pid=pid,
    )
