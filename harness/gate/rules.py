"""The gate rules file: which numbers of a run must hold, and how they are read.

    rules:
      - name: virtual threads keep up          # optional; shown in the table and JUnit
        rule: mvc-virtual.throughput >= 0.5 * mvc-platform.throughput at users=32
      - regression: {metric: throughput, tolerance: 10%, variants: [mvc-virtual], users: [32]}
      - slo: {metric: p99, max: 250ms, variants: all, users: all}
      - slo: {metric: error_rate, max: 0.1%}
        allow_flagged: true                    # judge flagged levels instead of calling them UNRELIABLE

Each list item holds exactly one of ``rule`` (relative, see ``harness.gate.expression``),
``regression`` or ``slo``. Unknown keys are errors. ``load_rules`` reports every problem at once,
each as ``FILE:LINE: rules[i].field: message``, and raises RulesError (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator, Field, StrictBool, ValidationError

from harness.compare.measures import MEASURES, Measure, known_names
from harness.errors import RulesError
from harness.gate.expression import Comparison, ExpressionError, parse_comparison
from harness.gate.yaml_lines import compose, line_of
from harness.level_id import LevelPoint
from harness.scenario import ALL_VARIANTS, StrictModel, format_location

KINDS = ("rule", "regression", "slo")


# ---------------------------------------------------------------- value parsers (raise ValueError)


def _all_or_list(value: Any, check: Any, what: str) -> tuple[Any, ...] | None:
    if value is None or value == "all":
        return None
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError(f"must be 'all' or a non-empty list of {what}")
    return tuple(check(item) for item in items)


def _variant(item: Any) -> str:
    if item not in ALL_VARIANTS:
        raise ValueError(f"unknown variant {item!r} (known: {', '.join(ALL_VARIANTS)}, or 'all')")
    return str(item)


def _positive_int(item: Any) -> int:
    if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
        raise ValueError(f"{item!r} is not a positive whole number")
    return item


def _metric(value: Any) -> str:
    if value not in MEASURES:
        raise ValueError(f"unknown metric {value!r} (known: {known_names()})")
    return str(value)


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z/%0-9 ]*?)\s*$")


def _fraction(value: Any) -> float:
    """``10%`` or ``0.1`` → 0.1. A bare number above 1 is refused: ``10`` could mean 10% or 1000%."""
    if isinstance(value, str) and (match := _PERCENT.match(value)):
        return float(match.group(1)) / 100.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 0 <= value <= 1:
            return float(value)
        raise ValueError(f"{value!r} is ambiguous; write a percentage such as '10%' or a fraction such as 0.1")
    raise ValueError(f"{value!r} is not a percentage such as '10%' or a fraction such as 0.1")


_UNITS: dict[str, dict[str, float]] = {
    # unit of the measure → accepted suffixes and their factor to that unit ("" = bare number)
    "ms": {"": 1.0, "ms": 1.0, "s": 1000.0, "us": 0.001, "µs": 0.001},
    "rps": {"": 1.0, "rps": 1.0, "/s": 1.0},
    "MiB": {"": 1.0, "mb": 1.0, "mib": 1.0, "m": 1.0, "gb": 1024.0, "gib": 1024.0, "g": 1024.0},
    "s/1k req": {"": 1.0, "s": 1.0},
}


def parse_bound(measure: Measure, value: Any) -> float:
    """A bound in the measure's unit: ``250ms``/``0.25s``/``250`` for latency, ``0.1%``/``0.001`` for
    error_rate, ``512MB`` for rss, a bare number of requests per second for throughput."""
    if measure.unit == "fraction":
        return _fraction(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} must not be negative")
        return float(value)
    accepted = _UNITS[measure.unit]
    if isinstance(value, str) and (match := _NUMBER_UNIT.match(value)):
        suffix = match.group(2).lower()
        if suffix in accepted:
            return float(match.group(1)) * accepted[suffix]
    examples = {"ms": "'250ms', '1.5s' or 250", "rps": "500", "MiB": "'512MB' or 512", "s/1k req": "0.5"}
    raise ValueError(f"{value!r} is not a {measure.name} bound; write e.g. {examples[measure.unit]}")


Variants = Annotated[tuple[str, ...] | None, BeforeValidator(lambda v: _all_or_list(v, _variant, "variants"))]
Levels = Annotated[tuple[int, ...] | None, BeforeValidator(lambda v: _all_or_list(v, _positive_int, "numbers"))]
MetricName = Annotated[str, BeforeValidator(_metric)]
Fraction = Annotated[float, BeforeValidator(_fraction)]


class _Scope(StrictModel):
    variants: Variants = Field(None, description="'all' (default) or a list of variants.")
    users: Levels = Field(None, description="'all' (default) or a list of users levels.")
    jdks: Levels = Field(None, description="'all' (default) or a list of JDK feature versions.")


class _RegressionSpec(_Scope):
    metric: MetricName = Field(..., description="The measure compared with the baseline run.")
    tolerance: Fraction = Field(..., description="How much worse than the baseline is still fine: '10%'.")


class _SloSpec(_Scope):
    metric: MetricName = Field(..., description="The measure whose median must stay within bounds.")
    max: Any = Field(None, description="Ceiling in the measure's unit, e.g. '250ms' or '0.1%'.")
    min: Any = Field(None, description="Floor in the measure's unit, e.g. 500 for throughput.")


class _Item(StrictModel):
    name: str | None = Field(None, description="Shown in the table and as the JUnit test name.")
    rule: str | None = Field(None, description="A relative rule: see harness.gate.expression.")
    regression: _RegressionSpec | None = None
    slo: _SloSpec | None = None
    allow_flagged: StrictBool = Field(False, description="Judge levels flagged by the harness's self-checks "
                                                   "instead of calling them UNRELIABLE.")


# ---------------------------------------------------------------- parsed rules


@dataclass(frozen=True)
class Selection:
    """Which levels a rule applies to; ``None`` means every one the run has."""

    variants: tuple[str, ...] | None
    users: tuple[int, ...] | None
    jdks: tuple[int, ...] | None

    def matches(self, key: LevelPoint) -> bool:
        return (
            (self.variants is None or key.variant in self.variants)
            and (self.users is None or key.users in self.users)
            and (self.jdks is None or key.jdk in self.jdks)
        )


@dataclass(frozen=True)
class RelativeRule:
    index: int
    name: str
    comparison: Comparison
    allow_flagged: bool = False


@dataclass(frozen=True)
class RegressionRule:
    index: int
    name: str
    measure: Measure
    tolerance: float  # fraction of the baseline mean, e.g. 0.1
    selection: Selection
    allow_flagged: bool = False


@dataclass(frozen=True)
class SloRule:
    index: int
    name: str
    measure: Measure
    max: float | None
    min: float | None
    selection: Selection
    allow_flagged: bool = False


Rule = RelativeRule | RegressionRule | SloRule


@dataclass(frozen=True)
class RuleSet:
    source: str
    rules: tuple[Rule, ...]

    @property
    def regression_rules(self) -> tuple[RegressionRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, RegressionRule))


def _default_name(item: _Item) -> str:
    if item.rule is not None:
        return " ".join(item.rule.split())
    if item.regression is not None:
        spec = item.regression
        return f"regression {spec.metric} within {spec.tolerance * 100:g}%"
    assert item.slo is not None
    spec_slo = item.slo
    bounds = " ".join(f"{k} {v}" for k, v in (("max", spec_slo.max), ("min", spec_slo.min)) if v is not None)
    return f"slo {spec_slo.metric} {bounds}"


def _selection(spec: _Scope) -> Selection:
    return Selection(spec.variants, spec.users, spec.jdks)


_Problems = list[tuple[tuple[int | str, ...], str]]


def _pydantic_problems(error: ValidationError) -> _Problems:
    out = []
    for item in error.errors():
        msg = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/ci-gate.md)"
        elif item["type"] == "missing":
            msg = "required"
        out.append((tuple(item["loc"]), msg))
    return out


def _semantic_problems(raw: dict[str, Any]) -> tuple[Comparison | None, dict[str, float | None], _Problems]:
    """Checks the shape cannot express: the relative expression and the SLO bounds in the metric's unit.

    They run on the raw item even when its shape has other problems, so every problem is reported at once.
    """
    problems: _Problems = []
    comparison: Comparison | None = None
    bounds: dict[str, float | None] = {"max": None, "min": None}
    if isinstance(raw.get("rule"), str):
        try:
            comparison = parse_comparison(raw["rule"])
        except ExpressionError as error:
            problems.extend((("rule",), problem) for problem in error.problems)
    slo = raw.get("slo")
    if isinstance(slo, dict) and slo.get("metric") in MEASURES:
        measure = MEASURES[slo["metric"]]
        for key in bounds:
            if slo.get(key) is None:
                continue
            try:
                bounds[key] = parse_bound(measure, slo[key])
            except ValueError as error:
                problems.append((("slo", key), str(error)))
        if slo.get("max") is None and slo.get("min") is None:
            problems.append((("slo",), "needs 'max' (a ceiling) or 'min' (a floor)"))
    return comparison, bounds, problems


def _parse_item(index: int, raw: Any) -> tuple[Rule | None, _Problems]:
    """One list item → (rule, problems); each problem's path is relative to ``rules[index]``."""
    if not isinstance(raw, dict):
        return None, [((), "must be a mapping with one of 'rule', 'regression' or 'slo'")]
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        found = "none" if not kinds else " and ".join(f"'{k}'" for k in kinds)
        return None, [((), f"needs exactly one of 'rule' (relative), 'regression' or 'slo'; found {found}")]
    comparison, bounds, problems = _semantic_problems(raw)
    try:
        item = _Item.model_validate(raw)
    except ValidationError as error:
        return None, _pydantic_problems(error) + problems
    if problems:
        return None, problems
    name = item.name or _default_name(item)
    if comparison is not None:
        return RelativeRule(index, name, comparison, item.allow_flagged), []
    if item.regression is not None:
        spec = item.regression
        return RegressionRule(index, name, MEASURES[spec.metric], spec.tolerance, _selection(spec),
                              item.allow_flagged), []
    assert item.slo is not None
    slo = item.slo
    return SloRule(index, name, MEASURES[slo.metric], bounds["max"], bounds["min"], _selection(slo),
                   item.allow_flagged), []


def parse_rules(text: str, source: str) -> RuleSet:
    """Parse and validate a rules document; raise RulesError listing every problem with its line."""
    try:
        data = yaml.safe_load(text)
        root = compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise RulesError(f"{source}{line}: not valid YAML: {error}; nothing was evaluated") from None
    problems: list[tuple[int, str]] = []

    def add(path: Sequence[int | str], message: str) -> None:
        problems.append((line_of(root, path), f"{source}:{line_of(root, path)}: {format_location(tuple(path))}: "
                                               f"{message}"))

    rules: list[Rule] = []
    if not isinstance(data, dict) or "rules" not in data:
        add((), "must be a mapping with a 'rules' list, e.g. 'rules: [{slo: {metric: error_rate, max: 0%}}]'")
    else:
        for key in data:
            if key != "rules":
                add((key,), "unknown key (the file holds only 'rules')")
        items = data["rules"]
        if not isinstance(items, list) or not items:
            add(("rules",), "must be a non-empty list of rules")
        else:
            for index, raw in enumerate(items):
                rule, item_problems = _parse_item(index, raw)
                for path, message in item_problems:
                    add(("rules", index, *path), message)
                if rule is not None:
                    rules.append(rule)
    if problems:
        lines = "\n".join(f"  {text}" for _, text in sorted(problems, key=lambda p: p[0]))
        count = len(problems)
        raise RulesError(
            f"{source}: {count} problem{'s' if count != 1 else ''} in the gate rules; nothing was evaluated "
            f"(see docs/ci-gate.md for the format).\n{lines}"
        )
    return RuleSet(source, tuple(rules))


def load_rules(path: Path) -> RuleSet:
    """Read and validate a rules file; raise RulesError (exit 2) naming the line and field of every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(f"{path}: cannot read the rules file: {error.strerror}") from None
    return parse_rules(text, str(path))


__all__ = [
    "RegressionRule",
    "RelativeRule",
    "Rule",
    "RuleSet",
    "Selection",
    "SloRule",
    "load_rules",
    "parse_bound",
    "parse_rules",
]
