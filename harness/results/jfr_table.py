"""jfr.csv: what each app's flight recording says about each measured level.

JFR is read once per variant, after the app has exited (the recording is written at exit), so
these rows arrive after the variant's levels.csv rows; one row per jdk × variant × users × repetition.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ResultsError
from harness.jfr.summary import JfrSummary
from harness.level_id import LevelId
from harness.results.tables import append_rows

JFR_COLUMNS: tuple[str, ...] = (
    "jdk", "variant", "users", "repetition",
    "pinned_events", "pinned_total_ms", "pinned_p99_ms", "pinned_max_ms", "top_pinned_frames",
    "submit_failed_events", "gc_pauses", "gc_pause_total_ms", "gc_pause_max_ms",
    "allocation_rate_mb_s", "heap_after_gc_mean_mb", "heap_after_gc_max_mb", "covered_s",
)  # fmt: skip


@dataclass(frozen=True)
class JfrRow:
    level: LevelId
    summary: JfrSummary

    @property
    def top_frame(self) -> str:
        frames = self.summary.top_pinned_frames
        return f"{frames[0][0]} ({frames[0][1]})" if frames else ""


def append_jfr_rows(path: Path, rows: Sequence[JfrRow]) -> None:
    cells = []
    for row in rows:
        s = row.summary
        cells.append([
            row.level.jdk, row.level.variant, row.level.users, row.level.repetition,
            s.pinned_events, round(s.pinned_total_ms, 3), round(s.pinned_p99_ms, 3), round(s.pinned_max_ms, 3),
            json.dumps([list(f) for f in s.top_pinned_frames], separators=(",", ":")),
            s.submit_failed_events, s.gc_pauses, round(s.gc_pause_total_ms, 3), round(s.gc_pause_max_ms, 3),
            round(s.allocation_rate_mb_s, 3), s.heap_after_gc_mean_mb, s.heap_after_gc_max_mb, round(s.covered_s, 3),
        ])  # fmt: skip
    append_rows(path, JFR_COLUMNS, cells)


@dataclass(frozen=True)
class JfrLevel:
    """A jfr.csv row as read back: the figures the summary and the report show."""

    jdk: int
    variant: str
    users: int
    repetition: int
    pinned_events: int
    pinned_total_ms: float
    pinned_p99_ms: float
    top_pinned_frame: str
    submit_failed_events: int
    gc_pauses: int
    gc_pause_total_ms: float
    gc_pause_max_ms: float
    allocation_rate_mb_s: float
    heap_after_gc_max_mb: float | None


def read_jfr(path: Path) -> list[JfrLevel]:
    """Rows of jfr.csv; an absent file is no rows (JFR off, or no variant finished)."""
    if not path.exists():
        return []
    out = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, raw in enumerate(csv.DictReader(handle), start=2):
            try:
                frames = json.loads(raw["top_pinned_frames"] or "[]")
                out.append(JfrLevel(
                    jdk=int(raw["jdk"]), variant=raw["variant"], users=int(raw["users"]),
                    repetition=int(raw["repetition"]), pinned_events=int(raw["pinned_events"]),
                    pinned_total_ms=float(raw["pinned_total_ms"]), pinned_p99_ms=float(raw["pinned_p99_ms"]),
                    top_pinned_frame=f"{frames[0][0]} ({frames[0][1]})" if frames else "",
                    submit_failed_events=int(raw["submit_failed_events"]), gc_pauses=int(raw["gc_pauses"]),
                    gc_pause_total_ms=float(raw["gc_pause_total_ms"]),
                    gc_pause_max_ms=float(raw["gc_pause_max_ms"]),
                    allocation_rate_mb_s=float(raw["allocation_rate_mb_s"]),
                    heap_after_gc_max_mb=float(raw["heap_after_gc_max_mb"]) if raw["heap_after_gc_max_mb"] else None,
                ))  # fmt: skip
            except (KeyError, ValueError, IndexError) as error:
                raise ResultsError(
                    f"{path}:{number}: unreadable row ({error}); was it written by this harness?"
                ) from None
    return out
