"""Evaluate every rule against a run (and a baseline run for regression rules).

Relative and SLO rules use the median over repetitions: one slow repetition on a noisy machine
moves a median far less than a mean. Regression rules use ``harness.compare`` so that the gate
and ``harness compare`` agree on what is significant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.compare.changes import compare_values
from harness.compare.measures import Measure
from harness.compare.runs import Run
from harness.errors import HarnessError
from harness.gate.rules import RegressionRule, RelativeRule, Rule, RuleSet, SloRule
from harness.level_id import LevelPoint

Verdict = Literal["PASS", "FAIL", "SKIP"]


class MissingBaselineError(HarnessError):
    """Regression rules need a baseline run that was not given: bad input, exit 2."""

    exit_code = 2


@dataclass(frozen=True)
class Evaluation:
    """One rule applied to one scope (variant/JDK/users); ``reason`` explains a FAIL or SKIP."""

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


def _evaluate_relative(rule: RelativeRule, run: Run) -> list[Evaluation]:
    cmp = rule.comparison
    out: list[Evaluation] = []

    def skip(scope: str, reason: str) -> None:
        out.append(Evaluation(rule.index, rule.name, "relative", scope, "—", cmp.bound_text(), "SKIP", reason))

    missing = [v for v in dict.fromkeys((cmp.left.variant, cmp.right.variant)) if v not in run.variants]
    if missing:
        skip("—", f"{' and '.join(missing)} not in this run")
        return out
    left_levels = {(k.jdk, k.users) for k in run.levels if k.variant == cmp.left.variant}
    right_levels = {(k.jdk, k.users) for k in run.levels if k.variant == cmp.right.variant}
    jdks = sorted({jdk for jdk, _ in left_levels | right_levels}) if cmp.jdk is None else [cmp.jdk]
    evaluated = 0
    for jdk in jdks:
        if cmp.users is not None:
            candidates = [cmp.users]
        else:
            candidates = sorted(u for j, u in left_levels & right_levels if j == jdk)
        for users in candidates:
            scope = f"jdk{jdk} u{users}"
            absent = [v for v, levels in ((cmp.left.variant, left_levels), (cmp.right.variant, right_levels))
                      if (jdk, users) not in levels]
            if absent:
                skip(scope, f"no level users={users} on jdk {jdk} for {', '.join(dict.fromkeys(absent))}")
                continue
            left = run.median(LevelPoint(jdk=jdk, variant=cmp.left.variant, users=users), cmp.left.measure)
            right = run.median(LevelPoint(jdk=jdk, variant=cmp.right.variant, users=users), cmp.right.measure)
            if left is None or right is None:
                skip(scope, "not measured (no samples of this metric)")
                continue
            evaluated += 1
            holds = cmp.holds(left, right)
            measured = f"{cmp.left} = {cmp.left.measure.format(left)}"
            bound = f"{cmp.bound_text()} = {cmp.right.measure.format(cmp.factor * right)}"
            reason = "" if holds else f"{cmp.left.measure.format(left)} is not {cmp.op} " \
                                      f"{cmp.right.measure.format(cmp.factor * right)}"
            out.append(Evaluation(rule.index, rule.name, "relative", scope, measured, bound,
                                  "PASS" if holds else "FAIL", reason))
    if not out:
        skip("—", f"{cmp.left.variant} and {cmp.right.variant} share no level" +
             (f" on jdk {cmp.jdk}" if cmp.jdk is not None else ""))
    return out


def _selected(run: Run, rule: RegressionRule | SloRule) -> tuple[list[LevelPoint], list[str]]:
    """Levels of the run the rule selects, and a SKIP reason per explicitly named level that is absent."""
    keys = [k for k in run.ordered_levels() if rule.selection.matches(k)]
    absent = []
    for label, wanted, have in (
        ("variant", rule.selection.variants, {k.variant for k in run.levels}),
        ("users", rule.selection.users, {k.users for k in run.levels}),
        ("jdk", rule.selection.jdks, {k.jdk for k in run.levels}),
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
    for key in keys:
        value = run.median(key, rule.measure)
        if value is None:
            out.append(Evaluation(rule.index, rule.name, "slo", str(key), "—", bound, "SKIP", "not measured"))
            continue
        broken = []
        if rule.max is not None and value > rule.max:
            broken.append(f"above the ceiling {rule.measure.format(rule.max)}")
        if rule.min is not None and value < rule.min:
            broken.append(f"below the floor {rule.measure.format(rule.min)}")
        out.append(Evaluation(rule.index, rule.name, "slo", str(key), f"median {rule.measure.format(value)}", bound,
                              "FAIL" if broken else "PASS", "; ".join(broken)))
    if not out:
        out.append(Evaluation(rule.index, rule.name, "slo", "—", "—", bound, "SKIP", "no level of this run matches"))
    return out


def _tolerance_text(measure: Measure, tolerance: float) -> str:
    return f"{'≥ -' if measure.higher_is_better else '≤ +'}{tolerance * 100:g}%"


def _evaluate_regression(rule: RegressionRule, run: Run, baseline: Run) -> list[Evaluation]:
    keys, absent = _selected(run, rule)
    bound = _tolerance_text(rule.measure, rule.tolerance)
    out = [Evaluation(rule.index, rule.name, "regression", "—", "—", bound, "SKIP", r) for r in absent]
    for key in keys:
        scope = str(key)
        if key not in baseline.levels:
            out.append(Evaluation(rule.index, rule.name, "regression", scope, "—", bound, "SKIP",
                                  "level not in the baseline run"))
            continue
        change = compare_values(key, rule.measure, baseline.values(key, rule.measure), run.values(key, rule.measure))
        if change.difference is None:
            out.append(Evaluation(rule.index, rule.name, "regression", scope, "—", bound, "SKIP", change.note))
            continue
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
            verdict: Verdict = "FAIL" if beyond else "PASS"
            reason = (f"{change.note}: judged on the tolerance alone; "
                      f"{'worse' if beyond else 'not worse'} than {rule.tolerance * 100:g}%")
        elif beyond and change.significant:
            verdict, reason = "FAIL", f"worse than the {rule.tolerance * 100:g}% tolerance and significant " \
                                      "(95% CI excludes 0)"
        elif beyond:
            verdict, reason = "PASS", "worse than the tolerance but not significant (95% CI includes 0)"
        else:
            verdict, reason = "PASS", ""
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


def failed(evaluations: Sequence[Evaluation]) -> bool:
    """True when any evaluation is a FAIL (SKIPs do not fail the gate)."""
    return any(e.verdict == "FAIL" for e in evaluations)
