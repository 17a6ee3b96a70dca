"""capacity.csv: one row per JDK × variant × repetition of a capacity search, and their summary per variant.

Each repetition searched in its own fresh JVM, so the repetitions are independent draws of the capacity:
``capacity_estimates`` gives the mean with a Student-t 95% interval (and min–max) per JDK × variant.
The steps themselves are levels.csv rows (their ``rate`` and ``slo_ok``).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.codec import Table
from harness.compare.stats import t_quantile


@dataclass(frozen=True)
class CapacityResult:
    """One repetition's search: the highest rate that held the SLO (0 when even the first step failed)."""

    jdk: int
    variant: str
    repetition: int
    capacity_rps: float
    failing_rps: int | None  # the lowest rate that failed above it; None when the ramp passed up to max
    outcome: str  # bracketed | below_start | at_max (capacity_search.Outcome)
    steps: int
    resolution_rps: int
    slo_p99_ms: float
    slo_error_rate: float
    achieved_rps: float | None  # of the step at the capacity (None when no step passed)
    p50_ms: float | None
    p99_ms: float | None
    failing_reasons: str  # why the step at failing_rps failed ("" when none failed)


CAPACITY = Table(CapacityResult, "capacity.csv", 1)


def append_capacity(path: Path, result: CapacityResult) -> None:
    CAPACITY.append(path, [result])


def read_capacity(path: Path) -> list[CapacityResult]:
    """Rows of capacity.csv; an absent file is no rows (a run without a search)."""
    return CAPACITY.read(path, missing_ok=True)


@dataclass(frozen=True)
class CapacityEstimate:
    """``capacity = mean [low, high]`` of one JDK × variant over its repetitions (no interval with one)."""

    jdk: int
    variant: str
    values: tuple[float, ...]
    mean: float
    low: float | None
    high: float | None
    outcomes: tuple[str, ...]

    @property
    def bounded(self) -> bool:
        """Whether every repetition bracketed its capacity (at_max: only a floor; below_start: a ceiling)."""
        return all(outcome == "bracketed" for outcome in self.outcomes)

    def text(self) -> str:
        """``730 req/s [690–770]``; ``>= 2000 req/s`` when a repetition hit the max, ``< 100`` below start."""
        if "at_max" in self.outcomes:
            return f">= {min(self.values):,.0f} req/s (the search's max)"
        if "below_start" in self.outcomes and max(self.values) == 0:
            return "below the first rate (every repetition failed its first step)"
        interval = f" [{self.low:,.0f}–{self.high:,.0f}]" if self.low is not None and self.high is not None else ""
        return f"{self.mean:,.0f} req/s{interval}"


def capacity_estimates(rows: Sequence[CapacityResult], confidence: float = 0.95) -> list[CapacityEstimate]:
    """Per JDK × variant (in first-seen order): mean capacity and its Student-t interval over repetitions."""
    grouped: dict[tuple[int, str], list[CapacityResult]] = defaultdict(list)
    for row in rows:
        grouped[(row.jdk, row.variant)].append(row)
    out = []
    for (jdk, variant), found in grouped.items():
        values = tuple(r.capacity_rps for r in sorted(found, key=lambda r: r.repetition))
        mean = statistics.fmean(values)
        low = high = None
        if len(values) > 1:
            half = t_quantile(0.5 + confidence / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
            low, high = max(0.0, mean - half), mean + half
        out.append(CapacityEstimate(jdk, variant, values, mean, low, high, tuple(r.outcome for r in found)))
    return out
