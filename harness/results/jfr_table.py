"""jfr.csv: what each app's flight recording says about each measured level.

JFR is read once per variant, after the app has exited (the recording is written at exit), so
these rows arrive after the variant's levels.csv rows; one row per jdk × variant × users × repetition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.codec import Table
from harness.jfr.summary import Frames, JfrSummary
from harness.level_id import LevelId


@dataclass(frozen=True)
class JfrLevel:
    """A jfr.csv row: the figures of one level's window of the recording (see ``JfrSummary``)."""

    id: LevelId
    pinned_events: int
    pinned_total_ms: float
    pinned_p99_ms: float
    pinned_max_ms: float
    top_pinned_frames: Frames
    submit_failed_events: int
    gc_pauses: int
    gc_pause_total_ms: float
    gc_pause_max_ms: float
    allocation_rate_mb_s: float
    heap_after_gc_mean_mb: float | None
    heap_after_gc_max_mb: float | None
    covered_s: float

    @property
    def top_pinned_frame(self) -> str:
        """``class.method(line) (count)`` of the most frequent pinned frame; ``""`` without one."""
        frames = self.top_pinned_frames
        return f"{frames[0][0]} ({frames[0][1]})" if frames else ""


JFR = Table(JfrLevel, "jfr.csv", 3, added={2: ("rate",), 3: ("cpus",)})  # the level identity gained rate, cpus
JFR_COLUMNS: tuple[str, ...] = JFR.columns


def jfr_level(level: LevelId, s: JfrSummary) -> JfrLevel:
    """The row of one level's summary; durations and rates to the microsecond / thousandth."""
    return JfrLevel(
        level, s.pinned_events, round(s.pinned_total_ms, 3), round(s.pinned_p99_ms, 3), round(s.pinned_max_ms, 3),
        tuple((frame, count) for frame, count in s.top_pinned_frames), s.submit_failed_events, s.gc_pauses,
        round(s.gc_pause_total_ms, 3), round(s.gc_pause_max_ms, 3), round(s.allocation_rate_mb_s, 3),
        s.heap_after_gc_mean_mb, s.heap_after_gc_max_mb, round(s.covered_s, 3),
    )  # fmt: skip


def append_jfr_rows(path: Path, rows: Sequence[JfrLevel]) -> None:
    JFR.append(path, rows)


def read_jfr(path: Path) -> list[JfrLevel]:
    """Rows of jfr.csv; an absent file is no rows (JFR off, or no variant finished)."""
    return JFR.read(path, missing_ok=True)
