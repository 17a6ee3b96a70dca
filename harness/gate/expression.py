"""The grammar of a relative rule, one line that compares two variants of the same run.

    VARIANT.METRIC OP [FACTOR *] VARIANT.METRIC [at QUALIFIER ...]
    OP        := >= | <= | > | <
    QUALIFIER := users=N | jdk=N          (space or comma separated, each at most once)

    mvc-virtual.throughput >= 0.8 * webflux.throughput at users=256
    mvc-virtual.p99 <= 1.5 * webflux.p99                   (every level both variants have)

The parser is strict: anything else is an error that says what was expected where.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from harness.compare.measures import MEASURES, Measure, known_names
from harness.scenario import ALL_VARIANTS

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
SYNTAX = "VARIANT.METRIC OP [FACTOR *] VARIANT.METRIC [at users=N] [jdk=N]"
EXAMPLE = "mvc-virtual.throughput >= 0.8 * webflux.throughput at users=256"

_TOKEN = re.compile(r"\s*(>=|<=|==|!=|>|<|=|\*|[^\s<>=*,]+=[^\s,]*|[^\s<>=*,]+|,)")
_REF = re.compile(r"^([a-z][a-z0-9-]*)\.([a-z0-9_]+)$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_QUALIFIER = re.compile(r"^(users|jdk)=(\d+)$")


@dataclass(frozen=True)
class Ref:
    """``variant.metric``."""

    variant: str
    measure: Measure

    def __str__(self) -> str:
        return f"{self.variant}.{self.measure.name}"


@dataclass(frozen=True)
class Comparison:
    """``left OP factor × right``, optionally at one users level and/or one JDK."""

    left: Ref
    op: str
    factor: float
    right: Ref
    users: int | None
    jdk: int | None

    def holds(self, left: float, right: float) -> bool:
        return OPERATORS[self.op](left, self.factor * right)

    def bound_text(self) -> str:
        factor = "" if self.factor == 1 else f"{self.factor:g} × "
        return f"{self.op} {factor}{self.right}"


class ExpressionError(ValueError):
    """The expression is malformed; ``problems`` holds every problem found in it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _ref(token: str | None, where: str, problems: list[str]) -> Ref | None:
    if token is None:
        problems.append(f"expected VARIANT.METRIC {where}, found the end of the rule (syntax: {SYNTAX})")
        return None
    match = _REF.match(token)
    if not match:
        problems.append(f"expected VARIANT.METRIC {where}, found '{token}' (e.g. '{EXAMPLE}')")
        return None
    variant, metric = match.groups()
    ok = True
    if variant not in ALL_VARIANTS:
        problems.append(f"unknown variant '{variant}' (known: {', '.join(ALL_VARIANTS)})")
        ok = False
    if metric not in MEASURES:
        problems.append(f"unknown metric '{metric}' (known: {known_names()})")
        ok = False
    return Ref(variant, MEASURES[metric]) if ok else None


def parse_comparison(text: str) -> Comparison:
    """Parse one relative rule; raise ExpressionError listing every problem found."""
    problems: list[str] = []
    tokens: list[str] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if not match:
            raise ExpressionError([f"cannot read '{stripped[position:]}' (syntax: {SYNTAX})"])
        tokens.append(match.group(1))
        position = match.end()
    if not tokens:
        raise ExpressionError([f"empty rule; write e.g. '{EXAMPLE}'"])

    cursor = iter(tokens)
    left = _ref(next(cursor, None), "at the start", problems)
    op = next(cursor, None)
    if op not in OPERATORS:
        found = "the end of the rule" if op is None else f"'{op}'"
        raise ExpressionError([*problems, f"expected one of >=, <=, >, < after '{tokens[0]}', found {found}"])
    factor = 1.0
    token = next(cursor, None)
    if token is not None and _NUMBER.match(token):
        factor = float(token)
        star = next(cursor, None)
        if star != "*":
            raise ExpressionError([*problems, f"expected '*' after the factor {token}, found "
                                              f"{'the end of the rule' if star is None else repr(star)}"])
        if factor <= 0:
            problems.append(f"the factor must be greater than 0, got {token}")
        token = next(cursor, None)
    right = _ref(token, f"after '{op}'", problems)

    users: int | None = None
    jdk: int | None = None
    rest = [t for t in cursor if t != ","]
    if rest:
        if rest[0] != "at":
            problems.append(f"expected 'at users=N' or the end of the rule, found '{rest[0]}'")
        elif len(rest) == 1:
            problems.append("expected users=N and/or jdk=N after 'at'")
        for qualifier in rest[1:] if rest[0] == "at" else ():
            match = _QUALIFIER.match(qualifier)
            if not match:
                problems.append(f"expected users=N or jdk=N after 'at', found '{qualifier}'")
                continue
            name, value = match.group(1), int(match.group(2))
            if (users if name == "users" else jdk) is not None:
                problems.append(f"{name}= is given twice")
            elif value <= 0:
                problems.append(f"{name} must be greater than 0, got {value}")
            elif name == "users":
                users = value
            else:
                jdk = value
    if problems or left is None or right is None:
        raise ExpressionError(problems)
    return Comparison(left=left, op=op, factor=factor, right=right, users=users, jdk=jdk)
