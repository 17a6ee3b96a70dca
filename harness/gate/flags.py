"""Why a level's numbers may not be the server's: the harness's self-checks, read per repetition.

A level measured while the load generator was saturated, whose app container was throttled by its
CPU quota (``metrics.THROTTLED_PERIODS_PCT``), or whose throughput × latency does not
give back its users (Little's law), measured the load generator or a queue outside the request
path. A generator that waited on the run queue sent late; a JVM whose warm-up never became steady was
still changing. An open-model level that did not send its rate, or whose latency grew across the window,
did not sustain the rate it names. A level during which processes outside the run used the machine
measured that contention too; one during which the machine was paused (``clock.py``) holds time nothing
ran in. A rule judged on it is UNRELIABLE, not PASS or FAIL. This is the only
place the gate reads the flags of a level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from harness.level_id import LevelPoint
from harness.metrics import LevelResult
from harness.results.capacity_table import CapacityResult

if TYPE_CHECKING:
    from harness.compare.measures import Measure
    from harness.compare.runs import Run

_CHECKS: tuple[tuple[str, Callable[[LevelResult], bool]], ...] = (
    ("load generator saturated", lambda row: row.generator_saturated),
    ("app container throttled", lambda row: row.app_throttled),
    ("Little's law off", lambda row: not row.littles_law_ok),
    ("load generator starved (run queue)", lambda row: row.generator_starved),
    ("not steady after warm-up", lambda row: not row.warmup_steady),
    ("achieved rate below 98% of the target", lambda row: row.rate_ok is False),
    ("latency trending upward", lambda row: row.trend_ok is False),
    ("machine shared with other processes", lambda row: row.machine_busy),
    ("machine paused (clock stepped)", lambda row: row.paused),
)


def level_flags(where: str, rows: Sequence[LevelResult]) -> list[str]:
    """One phrase per self-check that failed in any repetition: ``webflux jdk25 u32: load generator
    saturated (r1, r3)``; empty when every repetition passed every check."""
    out = []
    for name, flagged in _CHECKS:
        repetitions = [f"r{row.repetition}" for row in rows if flagged(row)]
        if repetitions:
            out.append(f"{where}: {name} ({', '.join(repetitions)})")
    return out


def capacity_flags(where: str, rows: Sequence[CapacityResult]) -> list[str]:
    """A capacity is only a floor when its search passed every rate up to its max, and maybe the generator's when
    the step that bounded it had a saturated or starved generator: comparing such figures says nothing about a
    change. (A search whose first step failed has capacity 0: that is a result, not a flag.)"""
    out = []
    at_max = [f"r{row.repetition}" for row in rows if row.outcome == "at_max"]
    if at_max:
        out.append(f"{where}: the search passed up to its max, capacity is only a floor ({', '.join(at_max)})")
    limited = [f"r{row.repetition}" for row in rows if row.generator_limited]
    if limited:
        out.append(f"{where}: the first failing rate had a saturated or starved load generator, the capacity may be "
                   f"the generator's ({', '.join(limited)})")
    return out


def point_flags(run: Run, key: LevelPoint, measure: Measure, prefix: str = "") -> list[str]:
    """The flags of the rows ``measure`` reads at ``key`` (levels or searches); empty when absent."""
    rows = run.rows(measure).get(key, ())
    if measure.source == "capacity":
        return capacity_flags(f"{prefix}{key}", [r for r in rows if isinstance(r, CapacityResult)])
    return level_flags(f"{prefix}{key}", [r for r in rows if isinstance(r, LevelResult)])
