"""levels.csv, timeseries.csv and jvm_timeseries.csv: the per-level tables, rows appended as they are measured.

Each is a ``harness.codec.Table`` of a frozen record whose first columns are the level's
``LevelId``; ``read_levels`` restores the exact ``LevelResult`` values.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.codec import Table
from harness.level_id import LevelId
from harness.load.recording import WindowStats
from harness.metrics import (
    CONTAINER_COLUMNS,
    MACHINE_COLUMNS,
    OPEN_MODEL_COLUMNS,
    PAUSE_COLUMNS,
    TRUST_COLUMNS,
    LevelResult,
)
from harness.prometheus import MetricSample
from harness.sampling import ProcessSample

_MIB = 1024 * 1024


@dataclass(frozen=True)
class LoadSecond:
    """One second of measured load (a timeseries.csv row); ``t`` is seconds since the level's first one."""

    id: LevelId
    t: float
    requests: int
    errors: int
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    app_rss_mb: float | None
    app_cpu_pct: float | None


@dataclass(frozen=True)
class JvmReading:
    """One reading of the app's /actuator/prometheus (a jvm_timeseries.csv row): at unix time ``t``,
    the tidy ``column`` (``harness.prometheus.COLUMN_KINDS``) had ``value``."""

    id: LevelId
    t: float
    column: str
    value: float


@dataclass(frozen=True)
class WorkerLevel:
    """One Locust worker's share of one measured level (a generator_workers.csv row; distributed runs only)."""

    id: LevelId
    worker: str
    host: str
    external: bool
    requests: int
    errors: int
    successes: int
    cpu_pct_mean: float | None
    cpu_pct_max: float | None
    saturated: bool


@dataclass(frozen=True)
class WarmupReading:
    """One window of one JVM's auto warm-up (a warmup.csv row); ``steady`` is that JVM's outcome."""

    jdk: int
    variant: str
    repetition: int
    window: int
    end_s: float  # seconds since the warm-up started
    throughput_rps: float
    compile_ms_per_s: float | None
    steady: bool


# The level dimensions added since format 1 (codec.py's history): the open model's rate, the app
# container's CPU limit.
LEVEL_ID_ADDED = {2: ("rate",), 3: ("cpus",)}
LEVELS = Table(LevelResult, "levels.csv", 6, finite=True,
               added={2: ("rate", *OPEN_MODEL_COLUMNS), 3: TRUST_COLUMNS, 4: ("cpus", *CONTAINER_COLUMNS),
                      5: MACHINE_COLUMNS, 6: PAUSE_COLUMNS})
WARMUP = Table(WarmupReading, "warmup.csv", 1)
GENERATOR_WORKERS = Table(WorkerLevel, "generator_workers.csv", 3, added=LEVEL_ID_ADDED)
TIMESERIES = Table(LoadSecond, "timeseries.csv", 3, added=LEVEL_ID_ADDED)
JVM_TIMESERIES = Table(JvmReading, "jvm_timeseries.csv", 3, added=LEVEL_ID_ADDED)
LEVEL_COLUMNS: tuple[str, ...] = LEVELS.columns
TIMESERIES_COLUMNS: tuple[str, ...] = TIMESERIES.columns


class LevelTable:
    """levels.csv of one run; the header is written at construction so even an empty run has it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        LEVELS.create(path)

    def append(self, result: LevelResult) -> None:
        LEVELS.append(self.path, [result])


def read_levels(path: Path) -> list[LevelResult]:
    """Every row of levels.csv as a ``LevelResult``, in file order, with the original types.

    Raises ResultsError (naming the line) for a missing file, unknown columns, a malformed cell or a
    non-finite number (naming the level and the column too).
    """
    return LEVELS.read(path)


def append_jvm_readings(path: Path, level: LevelId, samples: Sequence[MetricSample]) -> int:
    """Append one jvm_timeseries.csv row per sample, in time order, ``t`` to the millisecond.

    Returns the number of rows written; refuses (ResultsError) a file with another header."""
    ordered = sorted(samples, key=lambda s: (s.t, s.column))
    rows = [JvmReading(level, round(s.t, 3), s.column, s.value) for s in ordered]
    JVM_TIMESERIES.append(path, rows)
    return len(rows)


def interpolated_cpu(samples: Sequence[ProcessSample], t: float) -> float | None:
    """Cumulative CPU seconds at ``t``, interpolated between the samples around it."""
    for before, after in itertools.pairwise(samples):
        if before.t <= t <= after.t:
            if after.t == before.t:
                return before.cpu_seconds
            share = (t - before.t) / (after.t - before.t)
            return before.cpu_seconds + share * (after.cpu_seconds - before.cpu_seconds)
    return None


def nearest_rss_mb(samples: Sequence[ProcessSample], t: float, within: float) -> float | None:
    if not samples:
        return None
    nearest = min(samples, key=lambda s: abs(s.t - t))
    return round(nearest.rss_bytes / _MIB, 1) if abs(nearest.t - t) <= within else None


def _ms(us: int) -> float:
    return round(us / 1000.0, 3)


def load_seconds(
    level: LevelId,
    windows: Sequence[WindowStats],
    samples: Mapping[str, Sequence[ProcessSample]],
) -> list[LoadSecond]:
    """One timeseries.csv row per one-second window of a level.

    ``t`` is seconds since the level's first measured window. App RSS is the sample nearest the
    window's middle (within a second); app CPU % is interpolated between the samples around the
    window's edges. Either is empty when the samples do not cover the window.
    """
    if not windows:
        return []
    app = sorted(samples.get("app", ()), key=lambda s: s.t)
    origin = windows[0].start
    rows: list[LoadSecond] = []
    for index, window in enumerate(windows):
        # Windows are one second long; the next window's start is the exact end when there is one.
        end = windows[index + 1].start if index + 1 < len(windows) else window.start + 1.0
        length = end - window.start if end > window.start else 1.0
        cpu_start, cpu_end = interpolated_cpu(app, window.start), interpolated_cpu(app, end)
        cpu_pct = (
            round(100.0 * (cpu_end - cpu_start) / length, 1)
            if cpu_start is not None and cpu_end is not None
            else None
        )
        rows.append(LoadSecond(
            level, round(window.start - origin, 3), window.requests, window.errors,
            round((window.requests - window.errors) / length, 3),
            _ms(window.p50_us), _ms(window.p99_us), _ms(window.max_us),
            nearest_rss_mb(app, window.start + length / 2, within=1.0), cpu_pct,
        ))  # fmt: skip
    return rows


def append_windows(
    path: Path,
    level: LevelId,
    windows: Sequence[WindowStats],
    samples: Mapping[str, Sequence[ProcessSample]],
) -> None:
    """Append ``load_seconds`` of a level to timeseries.csv."""
    TIMESERIES.append(path, load_seconds(level, windows, samples))
