"""Evaluate every rule against a run (and a baseline run for regression rules).

Relative and SLO rules use the median over repetitions: one slow repetition on a noisy machine
moves a median far less than a mean. The exception is an ``error_rate`` SLO, judged on the worst
repetition: an error is a bug, not noise, and a median would hide it in one repetition of three.
Regression rules use ``harness.compare`` so that the gate and ``harness compare`` agree on what is
significant.

Every verdict but PASS fails the gate (SKIP only unless the caller allows skips): a gate that
passes on missing data, on an interval too wide to call, or on numbers the harness flagged as the
load generator's, cannot be trusted to catch anything.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from harness.compare.changes import CONFIDENCE, Change, compare_values
from harness.compare.measures import Measure
from harness.compare.runs import Run
from harness.compare.stats import repetitions_to_resolve
from harness.errors import HarnessError
from harness.gate.flags import point_flags
from harness.gate.rules import RegressionRule, RelativeRule, Rule, RuleSet, SloRule
from harness.level_id import LevelPoint

Verdict = Literal["PASS", "FAIL", "INCONCLUSIVE", "UNRELIABLE", "SKIP"]
VERDICTS: tuple[Verdict, ...] = ("PASS", "FAIL", "INCONCLUSIVE", "UNRELIABLE", "SKIP")
_ALWAYS_FAILING: frozenset[str] = frozenset({"FAIL", "INCONCLUSIVE", "UNRELIABLE"})
_WORST_REPETITION = frozenset({"error_rate"})  # SLOs on these use the worst repetition, not the median


class MissingBaselineError(HarnessError):
    """Regression rules need a baseline run that was not given: bad input, exit 2."""

    exit_code = 2


@dataclass(frozen=True)
class Evaluation:
    """One rule applied to one scope (variant/JDK/users); ``reason`` explains any verdict but a plain PASS."""

    rule_index: int
    rule: str
    kind: Literal["relative", "regression", "slo"]
    scope: str
    measured: str
    bound: str
    verdict: Verdict
    reason: str


def _pct(value: float) -> str:
    return f"{value * 100:+.1f}%"


def _flag_verdict(verdict: Verdict, reason: str, flags: list[str], allow_flagged: bool) -> tuple[Verdict, str]:
    """UNRELIABLE when the judged numbers are flagged, unless the rule accepts flagged levels."""
    if not flags:
        return verdict, reason
    flagged = "; ".join(flags)
    if allow_flagged:
        return verdict, "; ".join(filter(None, [reason, f"flagged, judged anyway (allow_flagged): {flagged}"]))
    would = f"; the rule alone would say {verdict}" + (f" ({reason})" if reason else "")
    return "UNRELIABLE", f"{flagged}{would}; set allow_flagged: true on the rule to judge flagged levels"


def _evaluate_relative(rule: RelativeRule, run: Run) -> list[Evaluation]:
    cmp = rule.comparison
    out: list[Evaluation] = []

    def skip(scope: str, reason: str) -> None:
        out.append(Evaluation(rule.index, rule.name, "relative", scope, "—", cmp.bound_text(), "SKIP", reason))

    missing = [v for v in dict.fromkeys((cmp.left.variant, cmp.right.variant)) if v not in run.variants]
    if missing:
        skip("—", f"{' and '.join(missing)} not in this run")
        return out
    # A point without its variant: (jdk, cpus, users, rate); a capacity is at users = rate = 0. A CPU limit
    # (apps in containers) is compared with the same limit only, like a JDK with the same JDK.
    left_levels = {(k.jdk, k.cpus, k.users, k.rate) for k in run.points(cmp.left.measure)
                   if k.variant == cmp.left.variant}
    right_levels = {(k.jdk, k.cpus, k.users, k.rate) for k in run.points(cmp.right.measure)
                    if k.variant == cmp.right.variant}
    jdks = sorted({jdk for jdk, _, _, _ in left_levels | right_levels}) if cmp.jdk is None else [cmp.jdk]
    for jdk in jdks:
        limits = sorted({c for j, c, _, _ in left_levels | right_levels if j == jdk},
                        key=lambda c: -1.0 if c is None else c)
        for cpus in limits or [None]:
            for users, rate in _candidates(cmp.users, jdk, cpus, left_levels | right_levels):
                out.append(_relative_at(rule, run, LevelPoint(jdk=jdk, variant="", users=users, rate=rate, cpus=cpus),
                                        left_levels, right_levels))
    if not out:
        skip("—", f"{cmp.left.variant} and {cmp.right.variant} share no level" +
             (f" on jdk {cmp.jdk}" if cmp.jdk is not None else ""))
    return out


_Point = tuple[int, float | None, int, int]  # jdk, cpus, users, rate: a level point without its variant


def _relative_at(rule: RelativeRule, run: Run, at: LevelPoint, left_levels: set[_Point],
                 right_levels: set[_Point]) -> Evaluation:
    """One relative comparison at one JDK × CPU limit × load point (``at``'s variant is not used)."""
    cmp = rule.comparison
    left_key = replace(at, variant=cmp.left.variant)
    right_key = replace(at, variant=cmp.right.variant)
    scope = left_key.scope

    def skip(reason: str) -> Evaluation:
        return Evaluation(rule.index, rule.name, "relative", scope, "—", cmp.bound_text(), "SKIP", reason)

    wanted = (at.jdk, at.cpus, at.users, at.rate)
    absent = [v for v, levels in ((cmp.left.variant, left_levels), (cmp.right.variant, right_levels))
              if wanted not in levels]
    if absent:
        limit = "" if at.cpus is None else f" {at.cpus:g} CPU"
        point = ("a capacity" if at.is_search else f"level rate={at.rate}" if at.rate
                 else f"level users={at.users}")
        return skip(f"no {point}{limit} on jdk {at.jdk} for {', '.join(dict.fromkeys(absent))}")
    left, right = run.median(left_key, cmp.left.measure), run.median(right_key, cmp.right.measure)
    if left is None or right is None:
        return skip("not measured (no samples of this metric)")
    holds = cmp.holds(left, right)
    measured = f"{cmp.left} = {cmp.left.measure.format(left)}"
    bound = f"{cmp.bound_text()} = {cmp.right.measure.format(cmp.factor * right)}"
    reason = "" if holds else f"{cmp.left.measure.format(left)} is not {cmp.op} " \
                              f"{cmp.right.measure.format(cmp.factor * right)}"
    flags = [*point_flags(run, left_key, cmp.left.measure), *point_flags(run, right_key, cmp.right.measure)]
    verdict, reason = _flag_verdict("PASS" if holds else "FAIL", reason, flags, rule.allow_flagged)
    return Evaluation(rule.index, rule.name, "relative", scope, measured, bound, verdict, reason)


def _candidates(users: int | None, jdk: int, cpus: float | None, levels: set[_Point]) -> list[tuple[int, int]]:
    """The (users, rate) points a relative rule judges: the users level it names, or every point either variant
    has (one that only one of them measured is a SKIP, not silence)."""
    points = sorted((u, r) for j, c, u, r in levels if j == jdk and c == cpus and (users is None or u == users))
    if users is not None and not points:
        return [(users, 0)]
    return points


def _selected(run: Run, rule: RegressionRule | SloRule) -> tuple[list[LevelPoint], list[str]]:
    """Levels of the run the rule selects, and a SKIP reason per explicitly named level that is absent."""
    points = run.points(rule.measure)
    keys = [k for k in points if rule.selection.matches(k)]
    absent = []
    for label, wanted, have in (
        ("variant", rule.selection.variants, {k.variant for k in points}),
        ("users", rule.selection.users, {k.users for k in points}),
        ("jdk", rule.selection.jdks, {k.jdk for k in points}),
    ):
        absent += [f"{label} {value} is not in this run" for value in wanted or () if value not in have]
    return keys, absent


def _bound_text(rule: SloRule) -> str:
    parts = []
    if rule.max is not None:
        parts.append(f"≤ {rule.measure.format(rule.max)}")
    if rule.min is not None:
        parts.append(f"≥ {rule.measure.format(rule.min)}")
    return " and ".join(parts)


def _evaluate_slo(rule: SloRule, run: Run) -> list[Evaluation]:
    keys, absent = _selected(run, rule)
    bound = _bound_text(rule)
    out = [Evaluation(rule.index, rule.name, "slo", "—", "—", bound, "SKIP", reason) for reason in absent]
    worst = rule.measure.name in _WORST_REPETITION
    for key in keys:
        values = run.values(key, rule.measure)
        if not values:
            out.append(Evaluation(rule.index, rule.name, "slo", str(key), "—", bound, "SKIP", "not measured"))
            continue
        if worst:
            value = max(values) if not rule.measure.higher_is_better else min(values)
            measured = f"worst of {len(values)} {rule.measure.format(value)}"
        else:
            value = statistics.median(values)
            measured = f"median {rule.measure.format(value)}"
        broken = []
        if rule.max is not None and value > rule.max:
            broken.append(f"above the ceiling {rule.measure.format(rule.max)}")
        if rule.min is not None and value < rule.min:
            broken.append(f"below the floor {rule.measure.format(rule.min)}")
        verdict, reason = _flag_verdict("FAIL" if broken else "PASS", "; ".join(broken),
                                        point_flags(run, key, rule.measure), rule.allow_flagged)
        out.append(Evaluation(rule.index, rule.name, "slo", str(key), measured, bound, verdict, reason))
    if not out:
        out.append(Evaluation(rule.index, rule.name, "slo", "—", "—", bound, "SKIP", "no level of this run matches"))
    return out


def _tolerance_text(measure: Measure, tolerance: float) -> str:
    return f"{'≥ -' if measure.higher_is_better else '≤ +'}{tolerance * 100:g}%"


def _inconclusive_reason(change: Change, tolerance: float) -> str:
    """How many repetitions would settle it, from the spread this pair of runs showed."""
    base, new = change.base_values, change.new_values
    if change.on_log_scale:  # the verdict's own scale: sized there, the advice matches what the gate will judge
        base, new = tuple(math.log(v) for v in base), tuple(math.log(v) for v in new)
    n = repetitions_to_resolve(base, new, CONFIDENCE)
    have = f"{len(change.base_values)} base and {len(change.new_values)} new repetitions"
    base_sd = change.measure.format(statistics.stdev(change.base_values))
    new_sd = change.measure.format(statistics.stdev(change.new_values))
    advice = (f"about {n} repetitions per side would resolve a change this large" if n is not None
              else "even 1000 repetitions per side would not resolve it; make the runs less noisy")
    return (f"worse than the {tolerance * 100:g}% tolerance, but the 95% interval includes 0 with {have} "
            f"(standard deviation {base_sd} base, {new_sd} new): {advice} if the spread holds "
            "(docs/ci-gate.md, 'Sizing repetitions')")


def _regression_verdict(change: Change, rule: RegressionRule) -> tuple[Verdict, str, str]:
    """(verdict, reason, measured text) of one measured level."""
    assert change.difference is not None
    if change.change is None:
        # Base mean 0 (e.g. no errors at all in the baseline): any increase is infinitely many percent.
        relative = 0.0 if change.difference == 0 else (float("inf") if change.difference > 0 else float("-inf"))
    else:
        relative = change.change
    worse_by = -relative if rule.measure.higher_is_better else relative
    beyond = worse_by > rule.tolerance
    base_text = rule.measure.format(change.base_mean)
    new_text = rule.measure.format(change.new_mean)
    if change.ci_low is not None and change.ci_high is not None:
        measured = f"{_pct(relative)} [{_pct(change.ci_low)}, {_pct(change.ci_high)}] ({base_text} → {new_text})"
    else:
        measured = f"{_pct(relative) if change.change is not None else 'from 0'} ({base_text} → {new_text})"
    if change.significant is None:
        return ("FAIL" if beyond else "PASS", f"{change.note}: judged on the tolerance alone; "
                f"{'worse' if beyond else 'not worse'} than {rule.tolerance * 100:g}%", measured)
    if beyond and change.significant:
        return ("FAIL", f"worse than the {rule.tolerance * 100:g}% tolerance and significant (95% CI excludes 0)",
                measured)
    if beyond:
        return "INCONCLUSIVE", _inconclusive_reason(change, rule.tolerance), measured
    return "PASS", "", measured


def _evaluate_regression(rule: RegressionRule, run: Run, baseline: Run) -> list[Evaluation]:
    keys, absent = _selected(run, rule)
    bound = _tolerance_text(rule.measure, rule.tolerance)
    out = [Evaluation(rule.index, rule.name, "regression", "—", "—", bound, "SKIP", r) for r in absent]
    # Every level the baseline measured must be measured again: a variant that crashed before its
    # levels, or a level dropped from the scenario, would otherwise pass by producing no row.
    for key in baseline.points(rule.measure):
        if rule.selection.matches(key) and key not in run.rows(rule.measure):
            out.append(Evaluation(rule.index, rule.name, "regression", str(key), "—", bound, "FAIL",
                                  "in the baseline run but not measured in this run"))
    for key in keys:
        scope = str(key)
        if key not in baseline.rows(rule.measure):
            out.append(Evaluation(rule.index, rule.name, "regression", scope, "—", bound, "SKIP",
                                  "level not in the baseline run"))
            continue
        change = compare_values(key, rule.measure, baseline.values(key, rule.measure), run.values(key, rule.measure))
        if change.difference is None:
            out.append(Evaluation(rule.index, rule.name, "regression", scope, "—", bound, "SKIP", change.note))
            continue
        verdict, reason, measured = _regression_verdict(change, rule)
        flags = [*point_flags(baseline, key, rule.measure, "baseline "), *point_flags(run, key, rule.measure)]
        verdict, reason = _flag_verdict(verdict, reason, flags, rule.allow_flagged)
        out.append(Evaluation(rule.index, rule.name, "regression", scope, measured, bound, verdict, reason))
    if not out:
        out.append(Evaluation(rule.index, rule.name, "regression", "—", "—", bound, "SKIP",
                              "no level of this run matches"))
    return out


def evaluate(rules: RuleSet, run: Run, baseline: Run | None) -> list[Evaluation]:
    """Every evaluation of every rule, in rule order; never empty for a rule (absent scopes are SKIPs).

    Raises MissingBaselineError when the rules hold a regression rule and ``baseline`` is None.
    """
    if rules.regression_rules and baseline is None:
        where = ", ".join(f"rules[{r.index}]" for r in rules.regression_rules)
        raise MissingBaselineError(
            f"{rules.source} has regression rule(s) ({where}) but no baseline run was given; pass "
            "--baseline results/<baseline run>, or remove those rules to gate without one"
        )
    out: list[Evaluation] = []
    rule: Rule
    for rule in rules.rules:
        if isinstance(rule, RelativeRule):
            out += _evaluate_relative(rule, run)
        elif isinstance(rule, SloRule):
            out += _evaluate_slo(rule, run)
        else:
            assert baseline is not None
            out += _evaluate_regression(rule, run, baseline)
    return out


def fails(evaluation: Evaluation, *, allow_skip: bool = False) -> bool:
    """Whether this evaluation fails the gate: every verdict but PASS, and SKIP unless skips are allowed."""
    return evaluation.verdict in _ALWAYS_FAILING or (evaluation.verdict == "SKIP" and not allow_skip)


def failed(evaluations: Sequence[Evaluation], *, allow_skip: bool = False) -> bool:
    """True when any evaluation fails the gate (see ``fails``)."""
    return any(fails(e, allow_skip=allow_skip) for e in evaluations)
