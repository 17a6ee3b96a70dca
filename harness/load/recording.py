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
    generator_pid: int

    @property
    def seconds(self) -> float:
        return self.measured_end - self.measured_start
