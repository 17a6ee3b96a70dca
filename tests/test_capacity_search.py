"""The capacity search on synthetic pass/fail functions: which rates it tries, and what it answers."""

from __future__ import annotations

import pytest

from harness.capacity_search import SearchStep, search_capacity


def knee_at(capacity: int):
    tried: list[int] = []

    def passes(rate: int) -> bool:
        tried.append(rate)
        return rate <= capacity

    return passes, tried


def test_ramp_then_bisection_finds_the_knee_within_the_resolution() -> None:
    passes, tried = knee_at(730)
    result = search_capacity(passes, start=100, factor=2, max_rate=10_000, resolution=20)
    assert tried == [s.rate for s in result.steps]
    assert [s.rate for s in result.steps if s.phase == "ramp"] == [100, 200, 400, 800]
    assert result.outcome == "bracketed"
    assert result.capacity <= 730 < result.failing  # type: ignore[operator]
    assert result.failing - result.capacity <= 20  # type: ignore[operator]
    # Bisection: 400..800 → 600 ✓ → 700 ✓ → 750 ✗ → 725 ✓ → 737 ✗ (gap 12 <= 20)
    assert [(s.rate, s.passed) for s in result.steps if s.phase == "bisect"] == [
        (600, True), (700, True), (750, False), (725, True), (737, False)]
    assert result.capacity == 725 and result.failing == 737


def test_every_step_is_recorded_in_order_with_its_verdict() -> None:
    passes, tried = knee_at(150)
    result = search_capacity(passes, start=100, factor=2, max_rate=1000, resolution=10)
    assert [s.rate for s in result.steps] == tried
    assert result.steps[0] == SearchStep(100, True, "ramp")
    assert result.steps[1] == SearchStep(200, False, "ramp")
    # No rate above a failed one is tried again.
    for index, step in enumerate(result.steps):
        assert all(step.rate < earlier.rate for earlier in result.steps[:index] if not earlier.passed)
        assert all(step.rate > earlier.rate for earlier in result.steps[:index] if earlier.passed)


def test_a_failing_first_step_reports_capacity_below_the_start_and_stops() -> None:
    passes, tried = knee_at(50)
    result = search_capacity(passes, start=100, factor=2, max_rate=1000, resolution=10)
    assert tried == [100]
    assert (result.capacity, result.failing, result.outcome) == (0, 100, "below_start")


def test_a_never_failing_ramp_stops_at_the_max_and_says_so() -> None:
    passes, tried = knee_at(10**9)
    result = search_capacity(passes, start=100, factor=3, max_rate=1000, resolution=10)
    assert tried == [100, 300, 900, 1000]  # the last step is capped at max, not 2700
    assert (result.capacity, result.failing, result.outcome) == (1000, None, "at_max")


def test_a_factor_close_to_one_still_advances() -> None:
    passes, tried = knee_at(4)
    result = search_capacity(passes, start=1, factor=1.01, max_rate=10, resolution=1)
    assert tried[:5] == [1, 2, 3, 4, 5]
    assert result.capacity == 4 and result.failing == 5


def test_inconsistent_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="start"):
        search_capacity(lambda rate: True, start=500, factor=2, max_rate=100, resolution=10)
