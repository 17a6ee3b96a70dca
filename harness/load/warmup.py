"""Steady-state warm-up: load a fresh JVM at the top level until it stops changing.

A fixed warm-up is either too short (the JIT still compiles hot paths while the first level is
measured, which shows up as drift between repetitions) or too long (every JVM pays for the slowest
one). ``warm_up_until_steady`` runs one Locust process for at most ``max`` and watches it: every
``window`` seconds it reads the throughput of the window from Locust's sidecar (rewritten each
second) and the app's JIT compile time from ``/actuator/prometheus``
(``jvm_compilation_time_ms_total``, summed over compiler threads). It stops once the last
``windows`` windows agree within ``tolerance`` and the JIT compiled at most ``jit`` of their time;
a JVM that reaches ``max`` first is not steady, and its levels carry that flag.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.codec import from_json_row
from harness.errors import LoadError
from harness.load.driver import (
    TAIL_S,
    LoadTarget,
    _check_level,
    _Paths,
    _read_sidecar,
    _start_locust,
    _wait,
    run_warmup,
)
from harness.load.recording import SidecarInterval
from harness.processes import Supervisor
from harness.prometheus import ExpositionError, parse_exposition
from harness.scenario import WarmupSettings
from harness.spread import agree

COMPILE_METRIC = "jvm_compilation_time_ms_total"
POLL_S = 0.2


@dataclass(frozen=True)
class WarmupWindow:
    """One window of a warm-up: its successful requests per second and the JIT's compile time per second."""

    index: int
    end_s: float  # seconds since the warm-up started, at the window's end
    throughput_rps: float
    compile_ms_per_s: float | None  # None when the app's metrics could not be read


@dataclass(frozen=True)
class WarmupOutcome:
    windows: tuple[WarmupWindow, ...]
    steady: bool
    seconds: float  # load time the warm-up took


def warm_up(target: LoadTarget, users: int, settings: WarmupSettings, out_dir: Path, supervisor: Supervisor,
            label: str) -> tuple[WarmupOutcome | None, float]:
    """Warm ``target`` up as ``settings`` says: (outcome, seconds). A fixed warm-up loads for its duration and has
    no outcome (nothing judged whether it was steady); an auto one is ``warm_up_until_steady``'s."""
    if settings.mode == "fixed":
        if settings.seconds > 0:
            run_warmup(target, users, settings.seconds, out_dir, supervisor, label=label)
        return None, settings.seconds
    outcome = warm_up_until_steady(target, users, settings, out_dir, supervisor, label)
    return outcome, outcome.seconds


def is_steady(windows: Sequence[WarmupWindow], settings: WarmupSettings) -> bool:
    """Whether the last ``settings.windows`` windows agree: their throughputs' (max - min) / mean is at most
    ``tolerance``, and the JIT compiled at most ``jit`` of their time (when the compile time is known)."""
    last = list(windows)[-settings.windows:]
    if len(last) < settings.windows:
        return False
    if not agree([w.throughput_rps for w in last], settings.tolerance):
        return False
    compile_rates = [w.compile_ms_per_s for w in last]
    if any(rate is None for rate in compile_rates):
        return True  # the app exposes no compile time: throughput alone decides
    return sum(compile_rates) / len(compile_rates) / 1000.0 <= settings.jit  # type: ignore[arg-type]


def compile_ms(base_url: str) -> float | None:
    """The app's accumulated JIT compile time in ms, or None when it cannot be read."""
    try:
        response = httpx.get(f"{base_url}/actuator/prometheus", timeout=5.0)
        response.raise_for_status()
        samples = parse_exposition(response.text).select(COMPILE_METRIC)
    except (httpx.HTTPError, ExpositionError):
        return None
    return sum(s.value for s in samples) if samples else None


def warm_up_until_steady(target: LoadTarget, users: int, settings: WarmupSettings, out_dir: Path,
                         supervisor: Supervisor, label: str, python: str = sys.executable) -> WarmupOutcome:
    """Load ``target`` with ``users`` until steady or ``settings.max`` (see the module docstring). Keeps only the
    Locust log ``out_dir/<label>.locust.log``. Raises ``LoadError`` like ``run_warmup`` does, and when not a
    single request succeeded. Locust has exited when this returns or raises."""
    window_s = int(settings.window)
    count = max(settings.windows, int(settings.max // window_s))
    _check_level(users, 0, count * window_s, label)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-warmup-") as scratch:
        paths = _Paths(log=out_dir / f"{label}.locust.log", hlog=Path(scratch) / "warmup.hlog",
                       sidecar=Path(scratch) / "warmup.json", cwd=Path(scratch))
        run_s = count * window_s + TAIL_S
        readings = [(time.time(), compile_ms(target.base_url))]
        child = _start_locust(target, users, run_s, paths, label, supervisor, python)
        windows: list[WarmupWindow] = []
        steady = False
        try:
            while child.running() and not steady and len(windows) < count:
                time.sleep(POLL_S)
                steady = _advance(windows, _intervals(paths.sidecar), readings, target.base_url, window_s, settings)
            if not steady and len(windows) < count:
                _wait(child, run_s, label, supervisor)  # exited by itself: its final sidecar has the rest
                _, rows = _read_sidecar(paths, child, label, target.profile)
                steady = _advance(windows, rows, readings, target.base_url, window_s, settings)
        finally:
            supervisor.stop(child)
        rows = _intervals(paths.sidecar)
    if not any(row.requests > row.errors for row in rows):
        raise LoadError(f"warm-up {label!r}: {users} users completed no request successfully against "
                        f"{target.base_url}. Is the app up? Locust log {paths.log}, tail:\n{child.log_tail()}")
    return WarmupOutcome(tuple(windows), steady, float(len(windows) * window_s))


def _intervals(sidecar: Path) -> list[SidecarInterval]:
    """The finished seconds the sidecar holds now (none before Locust first wrote it)."""
    try:
        document = json.loads(sidecar.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return [from_json_row(SidecarInterval, row) for row in document.get("intervals", [])]


def _advance(windows: list[WarmupWindow], rows: Sequence[SidecarInterval], readings: list[tuple[float, float | None]],
             base_url: str, window_s: int, settings: WarmupSettings) -> bool:
    """Append every window ``rows`` completes (with the compile time read now) and say whether steady."""
    while len(rows) >= (len(windows) + 1) * window_s:
        index = len(windows)
        seconds = rows[index * window_s:(index + 1) * window_s]
        successes = sum(row.requests - row.errors for row in seconds)
        readings.append((time.time(), compile_ms(base_url)))
        (t0, c0), (t1, c1) = readings[-2], readings[-1]
        # Windows read back together (after Locust's own stop) share one reading: no rate for those.
        known = c0 is not None and c1 is not None and t1 - t0 >= window_s / 2
        rate = (c1 - c0) / (t1 - t0) if known else None  # type: ignore[operator]
        windows.append(WarmupWindow(index, float((index + 1) * window_s), round(successes / window_s, 3),
                                    None if rate is None else round(max(rate, 0.0), 1)))
        if is_steady(windows, settings):
            return True
    return False

