"""Resource samples of the processes a run watches (RSS, CPU time), taken on a background thread."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessSample:
    """One reading of one watched process (summed over its descendants when asked to)."""

    t: float  # unix time
    name: str  # "app", "downstream", "postgres", "generator"
    rss_bytes: int
    cpu_seconds: float  # user + system since the process started (cumulative)
