"""End-to-end lag of every processed event: inbox.processed_at − the event's first outbox.created_at.

Both instants come from PostgreSQL's clock, so the figure includes the relay, the broker and the
consumer and nothing of the harness. Recorded in microseconds into an HdrHistogram, like request
latency, and kept as an interval log with one interval per second of processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogWriter
from psycopg.rows import TupleRow

from harness.load.recording import HIGHEST_US, LOWEST_US, new_histogram

LAGS = """
SELECT (extract(epoch FROM i.processed_at - o.first_created) * 1000000)::bigint,
       extract(epoch FROM i.processed_at)::float8
FROM inbox i
JOIN (SELECT event_id, min(created_at) AS first_created FROM outbox GROUP BY event_id) o USING (event_id)
ORDER BY i.processed_at
"""


@dataclass(frozen=True)
class LagSummary:
    """Percentiles in milliseconds (microsecond resolution); all 0.0 when nothing was processed."""

    events: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float


def read_lags(conn: psycopg.Connection[TupleRow]) -> list[tuple[int, float]]:
    """``(lag µs, processed_at as unix time)`` of every processed event, in processing order."""
    return [(int(lag), float(at)) for lag, at in conn.execute(LAGS).fetchall()]


def _clamped(lag_us: int) -> int:
    # A database clock never runs backwards within one server, but 0 is not recordable.
    return min(HIGHEST_US, max(LOWEST_US, lag_us))


def summarise(lags: list[tuple[int, float]]) -> tuple[HdrHistogram, LagSummary]:
    histogram = new_histogram()
    for lag_us, _ in lags:
        histogram.record_value(_clamped(lag_us))
    if histogram.get_total_count() == 0:
        return histogram, LagSummary(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    pct = histogram.get_percentile_to_value_dict([50.0, 90.0, 99.0, 99.9])
    return histogram, LagSummary(
        events=histogram.get_total_count(),
        p50_ms=round(pct[50.0] / 1000.0, 3),
        p90_ms=round(pct[90.0] / 1000.0, 3),
        p99_ms=round(pct[99.0] / 1000.0, 3),
        p999_ms=round(pct[99.9] / 1000.0, 3),
        max_ms=round(histogram.get_max_value() / 1000.0, 3),
    )


def write_hlog(path: Path, lags: list[tuple[int, float]], start: float, tag: str) -> None:
    """An HdrHistogram interval log: one interval per second of processing time from ``start`` (unix
    time), each holding the lags of the events processed in it, tagged ``tag``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    intervals: dict[int, HdrHistogram] = {}
    for lag_us, at in lags:
        index = max(0, int(at - start))
        intervals.setdefault(index, new_histogram()).record_value(_clamped(lag_us))
    with path.open("w", encoding="utf-8") as handle:
        writer = HistogramLogWriter(handle)
        # Interval timestamps are relative to the start (Java's convention); the library's
        # output_start_time() is broken in 0.10.8, so the start line is written here.
        writer.base_time = start * 1000.0
        writer.output_log_format_version()
        writer.output_comment(f"[{tag}: end-to-end lag, inbox.processed_at - first outbox.created_at, "
                              "unit=microseconds, one interval per second of processing]")
        handle.write(f"#[StartTime: {start:f} (seconds since epoch)]\n")
        writer.output_base_time(start * 1000.0)
        writer.output_legend()
        for index in sorted(intervals):
            histogram = intervals[index]
            histogram.set_start_time_stamp((start + index) * 1000.0)
            histogram.set_end_time_stamp((start + index + 1) * 1000.0)
            handle.write(f"Tag={tag},")  # the writer has no tag support; same line
            # Interval_Max column in milliseconds (values are microseconds).
            writer.output_interval_histogram(histogram, index, index + 1, max_value_unit_ratio=1000.0)
