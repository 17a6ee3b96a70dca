"""What one load level produced, as read back from the load generator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hdrh.histogram import HdrHistogram

# Latency is recorded in microseconds: Locust's own statistics round to whole milliseconds.
LOWEST_US = 1
HIGHEST_US = 3_600_000_000
SIGNIFICANT_DIGITS = 3


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


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
    generator_pid: int

    @property
    def seconds(self) -> float:
        return self.measured_end - self.measured_start
