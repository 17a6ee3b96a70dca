"""The change of one measure from a base run to a new run, with a 95% interval.

The change is relative: ``+12%`` means the new run is 12% above the base. Where every repetition of
both runs is positive (throughput, latency, CPU, memory), it is the ratio of the geometric means, and
its interval and significance come from Welch's interval on the log scale (``stats.ratio_interval``):
noise in these measures is multiplicative, and the interval of a ratio cannot reach below -100%. Where
a repetition is 0 (an error rate, typically), the change is the difference of the means relative to
the base mean, judged by Welch's interval of the plain difference, with the base mean treated as exact;
and when the base mean itself is 0 a percentage is meaningless, so the absolute change is reported.
``difference`` and ``diff_low``/``diff_high`` are always the plain difference of the means and its
Welch interval, in the measure's unit.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from harness.compare.measures import COMPARED, Measure
from harness.compare.runs import Run
from harness.compare.stats import ratio_interval, welch_interval
from harness.level_id import LevelPoint

CONFIDENCE = 0.95
METHOD = ("Welch's t interval (95%) on the log scale: the ratio of geometric means; where a value is 0, of the "
          "difference of means, relative to the base mean")


@dataclass(frozen=True)
class Change:
    """One measure of one level, base vs new.

    ``change``, ``ci_low`` and ``ci_high`` are relative (0.12 = +12%): on the log scale (``on_log_scale``) the
    ratio of the geometric means minus 1, otherwise fractions of the base mean; they are ``None`` when the
    base mean is 0 (then ``difference`` and ``diff_low``/``diff_high`` carry the
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
    def on_log_scale(self) -> bool:
        """Whether the relative change and its interval are the log scale's (every value positive, two or more
        per side), so that a sizing of repetitions must be done on the logarithms too."""
        values = (*self.base_values, *self.new_values)
        return min(len(self.base_values), len(self.new_values)) >= 2 and all(v > 0 for v in values)

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
    ratio = ratio_interval(base_t, new_t, confidence)
    if ratio is not None:
        return Change(key, measure, base_t, new_t, difference, interval.low, interval.high, ratio.ratio - 1.0,
                      ratio.low - 1.0, ratio.high - 1.0, ratio.excludes_one, "; ".join(notes))
    if relative is not None:
        notes.append("a value is 0: linear interval")
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
