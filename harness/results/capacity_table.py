"""capacity.csv: one row per JDK × variant × CPU quota × repetition of a capacity search.

Each repetition searched in its own fresh JVM, so the rows are independent draws of the capacity
(``harness.report.capacity`` gives their mean and interval). The steps themselves are levels.csv rows
(their ``rate`` and ``slo_ok``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.codec import Table


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
    cpus: float | None = None  # the app container's CPU quota (containers.cpus); None: no quota. Format 2.
    # The step at failing_rps had a saturated or starved load generator: the search may have found the
    # generator's limit, not the server's. Format 2.
    generator_limited: bool = False


CAPACITY = Table(CapacityResult, "capacity.csv", 2, added={2: ("cpus", "generator_limited")})


def append_capacity(path: Path, result: CapacityResult) -> None:
    CAPACITY.append(path, [result])


def read_capacity(path: Path) -> list[CapacityResult]:
    """Rows of capacity.csv; an absent file is no rows (a run without a search)."""
    return CAPACITY.read(path, missing_ok=True)
