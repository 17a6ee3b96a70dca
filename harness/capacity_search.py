"""Capacity under an SLO: the highest rate a variant sustains, found by a ramp and then a bisection.

The search only decides which rate to try next; ``passes(rate)`` measures one step (its own settle and
window, in the caller) and says whether it held the SLO. A geometric ramp from ``start`` (×``factor``,
capped at ``max_rate``) finds the first failing rate quickly; bisection between the last passing and the
first failing rate then narrows the answer to ``resolution``. Latency near the knee is noisy, so a rate
above a failed one is never tried again: the answer is the highest rate that passed with every higher
tried rate failing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Phase = Literal["ramp", "bisect"]
Outcome = Literal["bracketed", "below_start", "at_max"]


@dataclass(frozen=True)
class SearchStep:
    rate: int
    passed: bool
    phase: Phase


@dataclass(frozen=True)
class SearchResult:
    """``capacity``: highest passing rate (0 when even ``start`` failed); ``failing``: the lowest rate that
    failed above it (None when the ramp reached ``max_rate`` passing)."""

    steps: tuple[SearchStep, ...]
    capacity: int
    failing: int | None
    outcome: Outcome


def search_capacity(passes: Callable[[int], bool], *, start: int, factor: float, max_rate: int,
                    resolution: int) -> SearchResult:
    """Ramp from ``start`` then bisect (see the module docstring). Raises ValueError for inconsistent bounds."""
    if not (0 < start <= max_rate) or factor <= 1 or resolution < 1:
        raise ValueError(f"search needs 0 < start <= max_rate, factor > 1 and resolution >= 1; got start={start} "
                         f"max_rate={max_rate} factor={factor} resolution={resolution}")
    steps: list[SearchStep] = []

    def step(rate: int, phase: Phase) -> bool:
        passed = passes(rate)
        steps.append(SearchStep(rate, passed, phase))
        return passed

    passing, rate = 0, start
    while step(rate, "ramp"):
        passing = rate
        if rate >= max_rate:
            return SearchResult(tuple(steps), passing, None, "at_max")
        rate = min(max(rate + 1, math.ceil(rate * factor)), max_rate)
    if passing == 0:
        return SearchResult(tuple(steps), 0, start, "below_start")
    failing = rate
    while failing - passing > resolution:
        middle = (passing + failing) // 2
        if step(middle, "bisect"):
            passing = middle
        else:
            failing = middle
    return SearchResult(tuple(steps), passing, failing, "bracketed")


def planned_steps(*, start: int, factor: float, max_rate: int, resolution: int) -> int:
    """Steps of a search that fails just above the middle of its range: for a progress estimate only."""
    ramp = 1 + max(0, math.ceil(math.log(max_rate / start, factor)))
    span = max(1, math.ceil(start * (factor - 1)))
    return ramp + max(0, math.ceil(math.log2(max(1, span / resolution))))
