"""levels.csv and timeseries.csv: rows appended as they are measured.

Each row is written and flushed when it arrives, so a run that fails later keeps every level it
did measure. ``None`` is an empty cell, booleans are ``true``/``false``, error kinds are compact
JSON; ``read_levels`` restores the exact ``LevelResult`` values.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import ResultsError
from harness.level_id import LevelId
from harness.load.recording import WindowStats
from harness.metrics import LevelResult
from harness.sampling import ProcessSample

LEVEL_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(LevelResult))
TIMESERIES_COLUMNS: tuple[str, ...] = (
    "jdk", "variant", "users", "repetition", "t", "requests", "errors", "throughput_rps",
    "p50_ms", "p99_ms", "max_ms", "app_rss_mb", "app_cpu_pct",
)  # fmt: skip
_LEVEL_TYPES: dict[str, Any] = typing.get_type_hints(LevelResult)
_MIB = 1024 * 1024


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def append_rows(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Append rows, writing the header first into a new or empty file; refuse a foreign header."""
    fresh = not path.exists() or path.stat().st_size == 0
    if not fresh:
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), [])
        if tuple(header) != tuple(columns):
            raise ResultsError(f"{path}: its columns {header} differ from {list(columns)}; not appending")
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if fresh:
            writer.writerow(columns)
        writer.writerows([[_cell(v) for v in row] for row in rows])


class LevelTable:
    """levels.csv of one run; the header is written at construction so even an empty run has it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        append_rows(path, LEVEL_COLUMNS, [])

    def append(self, result: LevelResult) -> None:
        append_rows(self.path, LEVEL_COLUMNS, [[getattr(result, name) for name in LEVEL_COLUMNS]])


def parse_cell(raw: str, hint: Any) -> Any:
    optional = type(None) in typing.get_args(hint)
    if raw == "":
        if optional:
            return None
        raise ValueError("empty cell in a required column")
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint) if optional else hint
    if base is bool:
        if raw not in ("true", "false"):
            raise ValueError(f"{raw!r} is not true/false")
        return raw == "true"
    if base is int:
        return int(raw)
    if base is float:
        return float(raw)
    if base is str:
        return raw
    if typing.get_origin(base) is dict:
        kinds = json.loads(raw)
        return {str(k): int(v) for k, v in kinds.items()}
    raise TypeError(f"no CSV parser for {hint!r}")


def read_levels(path: Path) -> list[LevelResult]:
    """Every row of levels.csv as a ``LevelResult``, in file order, with the original types.

    Raises ResultsError (naming the line) for a missing file, unknown columns or a malformed cell.
    """
    try:
        handle = path.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no levels table") from None
    with handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != LEVEL_COLUMNS:
            raise ResultsError(f"{path}: columns {reader.fieldnames} are not those of this harness version")
        results = []
        for row in reader:
            try:
                values = {name: parse_cell(row[name], _LEVEL_TYPES[name]) for name in LEVEL_COLUMNS}
            except (ValueError, TypeError, AttributeError) as error:
                raise ResultsError(f"{path}:{reader.line_num}: {error}") from None
            results.append(LevelResult(**values))
    return results


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


def append_windows(
    path: Path,
    level: LevelId,
    windows: Sequence[WindowStats],
    samples: Mapping[str, Sequence[ProcessSample]],
) -> None:
    """Append one timeseries.csv row per one-second window of a level.

    ``t`` is seconds since the level's first measured window. App RSS is the sample nearest the
    window's middle (within a second); app CPU % is interpolated between the samples around the
    window's edges. Either is empty when the samples do not cover the window.
    """
    if not windows:
        return
    app = sorted(samples.get("app", ()), key=lambda s: s.t)
    origin = windows[0].start
    rows = []
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
        rows.append([
            level.jdk, level.variant, level.users, level.repetition,
            round(window.start - origin, 3), window.requests, window.errors,
            round((window.requests - window.errors) / length, 3),
            _ms(window.p50_us), _ms(window.p99_us), _ms(window.max_us),
            nearest_rss_mb(app, window.start + length / 2, within=1.0), cpu_pct,
        ])  # fmt: skip
    append_rows(path, TIMESERIES_COLUMNS, rows)
