"""What one load level produced, as read back from the load generator."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogWriter

if TYPE_CHECKING:
    from harness.load.workers import WorkerLoad

# Latency is recorded in microseconds: Locust's own statistics round to whole milliseconds.
LOWEST_US = 1
HIGHEST_US = 3_600_000_000
SIGNIFICANT_DIGITS = 3


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


WORKER_CONFIG_KEYS = ("HARNESS_ORDER_ID_MAX", "HARNESS_SEED", "HARNESS_PROFILE", "HARNESS_MIX",
                      "HARNESS_CUSTOMER_ID_MAX", "HARNESS_CPU_ROUNDS", "HARNESS_RUN_S", "HARNESS_DELAY_MS")
"""The settings a Locust master hands its workers (``--harness-config``); the rest of a worker's
environment is its own."""


def write_measured_hlog(seconds: Iterable[tuple[float, HdrHistogram]], path: Path, tag: str, comment: str) -> None:
    """An HdrHistogram interval log of the measured seconds only (``(unix start, successes)`` each), tagged
    ``tag``: HdrHistogram's own tools read it back to exactly the level's count and percentiles, because
    the level's histogram is the merge of these very seconds. ``comment`` says what the values are."""
    intervals = list(seconds)
    start = intervals[0][0] if intervals else 0.0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        writer = HistogramLogWriter(out)
        # Interval timestamps are relative to the start time (Java's convention). The library's
        # output_start_time() is broken in 0.10.8 (calls datetime.iso_format), so write it here.
        writer.base_time = start * 1000.0
        writer.output_log_format_version()
        writer.output_comment(f"[{comment}]")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)) if math.isfinite(start) else ""
        out.write(f"#[StartTime: {start:f} (seconds since epoch), {stamp}]\n")
        writer.output_base_time(start * 1000.0)
        writer.output_legend()
        for second_start, histogram in intervals:
            histogram.set_start_time_stamp(second_start * 1000.0)
            histogram.set_end_time_stamp((second_start + 1) * 1000.0)
            out.write(f"Tag={tag},")  # the writer has no tag support; same line
            # Interval_Max column in milliseconds (values are microseconds).
            writer.output_interval_histogram(histogram, second_start - start, second_start - start + 1,
                                             max_value_unit_ratio=1000.0)


SIDECAR_FORMAT = 1
"""Version of the Locust sidecar, ``<label>.intervals.json``: the locustfile writes it, the driver reads it."""


@dataclass(frozen=True)
class SidecarInterval:
    """One finished second of a Locust run as the sidecar holds it (``harness.codec.json_row`` form).

    Requests belong to the second that contains their completion time, counted from test start;
    ``end`` is ``start`` + 1 s except for the last second, cut at the stop time.
    """

    index: int
    start: float  # unix time
    end: float
    requests: int  # completed, errors included
    errors: int
    error_kinds: dict[str, int]
    latency_sum_us: int  # over every completed request, errors included
    success_histogram: str  # HdrHistogram of the successes in microseconds, compressed and base64-encoded


@dataclass(frozen=True)
class WindowStats:
    """One second of measured load."""

    start: float  # unix time of the window's start
    requests: int  # completed requests, errors included
    errors: int
    p50_us: int  # of successful requests; 0 when there were none
    p99_us: int
    max_us: int


@dataclass(frozen=True)
class LevelRecording:
    """The measured part of one level (settle time already excluded)."""

    users: int
    measured_start: float  # unix time
    measured_end: float
    histogram: HdrHistogram  # successful requests, microseconds
    requests: int  # completed requests in the measured window, errors included
    errors: int
    error_kinds: Mapping[str, int]  # e.g. {"http_502": 3, "ConnectionRefusedError": 1}
    latency_sum_us: int  # over all completed requests, errors included (Little's law needs them)
    windows: tuple[WindowStats, ...]
    hlog_path: Path  # HdrHistogram interval log of the whole level, settle included, tagged
    generator_pid: int  # the Locust master's when distributed
    workers: tuple[WorkerLoad, ...] = ()  # each worker's share when distributed; the figures above are their sum

    @property
    def seconds(self) -> float:
        return self.measured_end - self.measured_start
