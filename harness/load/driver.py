"""Runs one load level with Locust in a subprocess and reads back what it recorded.

The harness never imports Locust (it monkey-patches with gevent on import): Locust runs
``harness/load/locustfile.py`` in a child started through the ``Supervisor``. That file records
every request into per-second HdrHistograms (microseconds) and writes an interval log plus a JSON
sidecar; this module keeps the seconds of the measured window and merges them exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hdrh.histogram import HdrHistogram

from harness.codec import from_json_row
from harness.errors import LoadError
from harness.load.endpoints import decode_mix, encode_mix
from harness.load.loopback import is_loopback
from harness.load.recording import (
    SIDECAR_FORMAT,
    WORKER_CONFIG_KEYS,
    LevelRecording,
    SidecarInterval,
    WindowStats,
    new_histogram,
    write_measured_hlog,
)
from harness.load.workers import Distribution, read_reports, worker_loads
from harness.processes import ManagedProcess, Supervisor, free_port
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
    delay_ms: int = 0  # the delayed endpoint's (harness calibrate)

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


__all__ = ["LoadTarget", "is_loopback", "run_level", "run_warmup", "worker_argv"]

COLLECT_GRACE_S = 30  # locustfile.COLLECT_GRACE_S: how long the master waits for late workers


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
    distribution: Distribution | None = None,
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

    With a ``distribution``, ``child`` is a Locust master that sends no request, ``distribution.local``
    workers are started here (logs ``<label>.w<N>.locust.log``) and ``distribution.external`` more must
    connect within ``connect_timeout_s``. The recording is then the exact merge of the workers' (its
    ``workers`` their shares, their sum checked); a worker that exits with an error or does not report
    fails the level, and every process of the level is stopped either way.

    Raises ``LoadError`` if settle/duration are not whole seconds, or Locust fails, times out,
    writes no sidecar, or measured less than the whole window.
    """
    _check_level(users, settle_s, duration_s, label)
    paths = _level_paths(out_dir, label)
    # Never read (or leave beside new results) a file left by an earlier attempt.
    for stale in (paths.hlog, paths.sidecar, *([hlog_path] if hlog_path is not None else [])):
        stale.unlink(missing_ok=True)
    run_s = int(settle_s) + int(duration_s) + TAIL_S
    if distribution is not None and not distribution.port:
        distribution = dataclasses.replace(distribution, port=free_port())
    child = _start_locust(target, users, run_s, paths, label, supervisor, python, distribution)
    workers: dict[str, ManagedProcess] = {}
    sampler.watch(GENERATOR, child.pid)
    try:
        if distribution is None:
            _wait(child, run_s, label, supervisor)
        else:
            workers = _start_workers(distribution, out_dir, label, supervisor, python)
            _wait_distributed(child, workers, run_s, label, supervisor, distribution)
    finally:
        sampler.unwatch(GENERATOR)
        supervisor.stop(child)
        for worker in workers.values():
            supervisor.stop(worker)
    interval_s, rows = _read_sidecar(paths, child, label, target.profile)
    if distribution is not None:  # a refused or missing worker says more than the short window it caused
        reports, _ = read_reports(json.loads(paths.sidecar.read_text(encoding="utf-8")), label)
    recording = _recording(interval_s, rows, users, int(settle_s), int(duration_s), paths, child.pid, label,
                           measured_hlog=hlog_path)
    if distribution is None:
        return recording
    measured = _measured(interval_s, rows, int(settle_s), int(duration_s))
    loads = worker_loads(reports, measured, int(settle_s), int(duration_s), interval_s, label)
    return dataclasses.replace(recording, workers=loads)


_WORKER_OWN_KEYS = frozenset({*WORKER_CONFIG_KEYS, "HARNESS_HLOG_PATH", "HARNESS_RESULT_PATH", "HARNESS_HLOG_TAG",
                              "HARNESS_ROLE", "HARNESS_WORKER_NAME", "HARNESS_WORKER_EXTERNAL"})


def worker_argv(python: str, master_host: str, master_port: int) -> list[str]:
    """A Locust worker of the harness's locustfile (env ``HARNESS_ROLE=worker``, see ``worker_env``)."""
    return [python, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
            "--master-host", master_host, "--master-port", str(master_port)]


def worker_env(name: str) -> dict[str, str]:
    """A worker's environment: its name; everything it loads with comes from its master."""
    # Neither LOCUST_* options nor a stray HARNESS_* setting of this shell may override the master's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_") and k not in _WORKER_OWN_KEYS}
    source_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH", "")) if p)
    env.update(HARNESS_ROLE="worker", HARNESS_WORKER_NAME=name)
    return env


def _start_workers(distribution: Distribution, out_dir: Path, label: str, supervisor: Supervisor,
                   python: str) -> dict[str, ManagedProcess]:
    # Local workers reach the master on loopback even when it also listens elsewhere.
    host = distribution.bind_host if is_loopback(distribution.bind_host) else "127.0.0.1"
    workers = {}
    for index in range(1, distribution.local + 1):
        name = f"w{index}"
        workers[name] = (supervisor.start(f"locust-{label}-{name}", worker_argv(python, host, distribution.port),
                                        env=worker_env(name), cwd=out_dir,
                                        log_path=out_dir / f"{label}.{name}.locust.log"))
    return workers


def _wait_distributed(master: ManagedProcess, workers: dict[str, ManagedProcess], run_s: int, label: str,
                      supervisor: Supervisor, distribution: Distribution) -> None:
    timeout = distribution.connect_timeout_s + run_s + COLLECT_GRACE_S + STOP_TIMEOUT_S + WAIT_MARGIN_S
    deadline = time.monotonic() + timeout
    while master.running():
        for name, worker in workers.items():
            code = worker.popen.poll()
            # A worker ends with 0 once its master says quit; anything else is a death mid-level.
            if code is not None and code != 0:
                raise LoadError(
                    f"level {label!r}: Locust worker {name} (pid {worker.pid}) exited with code {code} "
                    f"mid-level; the level is failed and its master and other workers are stopped. Log "
                    f"{worker.log_path}, tail:\n{worker.log_tail()}"
                )
        if time.monotonic() > deadline:
            raise LoadError(f"level {label!r}: the Locust master was still running {timeout}s after start and "
                            f"was stopped. Log {master.log_path}, tail:\n{master.log_tail()}")
        time.sleep(0.2)
    code = master.popen.returncode
    if code != 0 and "Gave up waiting for workers" in (master.log_tail(200) or ""):
        raise LoadError(
            f"level {label!r}: waited {distribution.connect_timeout_s}s for {distribution.expected} Locust "
            f"worker(s) ({distribution.local} local, {distribution.external} external) to connect to "
            f"{distribution.bind_host}:{distribution.port}; not all came. Start the external ones with "
            f"'harness worker --master HOST:{distribution.port}', or raise load.worker_timeout. Master log "
            f"{master.log_path}"
        )
    if code != 0:
        raise LoadError(f"level {label!r}: the Locust master exited with code {code}. Log {master.log_path}, "
                        f"tail:\n{master.log_tail()}")


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
        HARNESS_DELAY_MS=str(target.delay_ms),
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
    distribution: Distribution | None = None,
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
    env = _child_env(target, paths, label, run_s)
    if distribution is not None:
        env["HARNESS_ROLE"] = "master"
        argv += [
            "--master", "--master-bind-host", distribution.bind_host,
            "--master-bind-port", str(distribution.port),
            "--expect-workers", str(distribution.expected),
            "--expect-workers-max-wait", str(distribution.connect_timeout_s),
            "--harness-config", json.dumps({key: env[key] for key in WORKER_CONFIG_KEYS}),
        ]  # fmt: skip
    paths.cwd.mkdir(parents=True, exist_ok=True)  # cwd: keeps Locust away from ./locust.conf files
    try:
        return supervisor.start(
            f"locust-{label}",
            argv,
            env=env,
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


def _measured(interval_s: float, rows: list[SidecarInterval], settle_s: int,
              duration_s: int) -> list[SidecarInterval]:
    # Compare offsets from test start, not absolute floats, so whole seconds compare exactly.
    return [row for row in rows if settle_s - _EPS <= row.index * interval_s < settle_s + duration_s - _EPS]


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
    kept = _measured(interval_s, rows, settle_s, duration_s)
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
