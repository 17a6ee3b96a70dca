"""The change of one measure from a base run to a new run, with Welch's 95% interval.

The change is reported relative to the base mean: ``+12%`` means the new mean is 12% above the
base mean, and the interval is Welch's interval of the difference divided by the base mean. The
denominator is treated as exact; that is what makes "significant" equal Welch's test of equal
means (the interval excludes 0 exactly when the test rejects), which is the decision the gate
needs. When the base mean is 0 (typically an error rate) a percentage is meaningless, so the
absolute change is reported instead.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from harness.compare.measures import COMPARED, Measure
from harness.compare.runs import Run
from harness.compare.stats import welch_interval
from harness.level_id import LevelPoint

CONFIDENCE = 0.95
METHOD = "Welch's t interval of the difference of means, relative to the base mean (95%)"


@dataclass(frozen=True)
class Change:
    """One measure of one level, base vs new.

    ``change``, ``ci_low`` and ``ci_high`` are fractions of the base mean (0.12 = +12%); they are
    ``None`` when the base mean is 0 (then ``difference`` and ``diff_low``/``diff_high`` carry the
    absolute change). The interval and ``significant`` are ``None`` when either side has a single
    repetition: ``note`` then says "n=1: no interval".
    """

    key: LevelPoint
    measure: Measure
    base_values: tuple[float, ...]
    new_values: tuple[float, ...]
    difference: float | None
    diff_low: float | None
    diff_high: float | None
    change: float | None
    ci_low: float | None
    ci_high: float | None
    significant: bool | None
    note: str

    @property
    def base_mean(self) -> float | None:
        return statistics.fmean(self.base_values) if self.base_values else None

    @property
    def new_mean(self) -> float | None:
        return statistics.fmean(self.new_values) if self.new_values else None

    @property
    def has_interval(self) -> bool:
        return self.diff_low is not None

    @property
    def direction(self) -> str:
        """``worse``, ``better`` or ``same`` judged on the point estimate alone."""
        if not self.difference:
            return "same"
        return "worse" if self.measure.is_worse(self.difference) else "better"


def compare_values(
    key: LevelPoint, measure: Measure, base: Sequence[float], new: Sequence[float], confidence: float = CONFIDENCE
) -> Change:
    """Compare one measure's repetitions; never raises (an empty side gives a Change with a note)."""
    base_t, new_t = tuple(base), tuple(new)
    if not base_t or not new_t:
        missing = "base" if not base_t else "new"
        return Change(key, measure, base_t, new_t, None, None, None, None, None, None, None,
                      f"not measured in the {missing} run")
    base_mean = statistics.fmean(base_t)
    difference = statistics.fmean(new_t) - base_mean
    interval = welch_interval(base_t, new_t, confidence)
    relative = (lambda x: x / base_mean) if base_mean != 0 else None
    change = relative(difference) if relative else None
    if interval is None:
        return Change(key, measure, base_t, new_t, difference, None, None, change, None, None, None,
                      f"n={min(len(base_t), len(new_t))}: no interval")
    notes = []
    if relative is None:
        notes.append("base is 0: absolute change")
    if math.isinf(interval.df):
        notes.append("no variation within either run")
    return Change(
        key, measure, base_t, new_t, difference, interval.low, interval.high, change,
        relative(interval.low) if relative else None, relative(interval.high) if relative else None,
        interval.excludes_zero, "; ".join(notes),
    )  # fmt: skip


def compare_runs(base: Run, new: Run, measures: Sequence[Measure] = COMPARED) -> list[Change]:
    """One Change per level present in both runs × measure, ordered by variant, JDK, users, measure; then the
    capacity of every search both runs made."""
    common = [key for key in new.ordered_levels() if key in base.levels]
    changes = [
        compare_values(key, measure, base.values(key, measure), new.values(key, measure))
        for key in common
        for measure in measures
        if measure.source == "levels"
    ]
    for measure in (m for m in measures if m.source == "capacity"):
        changes += [compare_values(key, measure, base.values(key, measure), new.values(key, measure))
                    for key in new.points(measure) if key in base.capacity]
    return changes


def unmatched_levels(base: Run, new: Run) -> list[str]:
    """One sentence per level measured in only one of the runs (those are not compared)."""
    only_base = [str(k) for k in base.ordered_levels() if k not in new.levels]
    only_new = [str(k) for k in new.ordered_levels() if k not in base.levels]
    out = []
    if only_base:
        out.append(f"only in the base run, not compared: {', '.join(only_base)}")
    if only_new:
        out.append(f"only in the new run, not compared: {', '.join(only_new)}")
    return out


def dependent_repetitions(*runs: Run) -> list[str]:
    """One sentence per run whose repetitions are not independent samples (results format 1 measured them
    back to back inside one warming JVM): Welch's interval assumes independence, so theirs is too narrow."""
    return [
        f"{run.root}: its {run.manifest.scenario.require_load().repetitions} repetitions ran inside one JVM "
        "(results format 1), not as independent samples: JIT warm-up drifts across them and the intervals "
        "below are too narrow; rerun with this harness (a fresh JVM per repetition)"
        for run in runs
        if not run.manifest.independent_repetitions and (run.manifest.scenario.load is not None
                                                          and run.manifest.scenario.load.repetitions > 1)
    ]
