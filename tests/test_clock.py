"""A level is measured again while the machine's wall clock steps away from its monotonic clock (a paused VM).

A real pause cannot be made from inside the machine, so the readings are scripted: the known answer is how far
the offset moved, and what must follow from it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.clock import CLOCK_STEP_LIMIT_S, ClockReading, clock_step_s, measure_on_a_running_clock, read_clock


def test_a_reading_pairs_the_wall_and_the_monotonic_clock() -> None:
    before = read_clock()
    time.sleep(0.01)
    after = read_clock()
    assert abs(before.wall - time.time()) < 60 and after.monotonic > before.monotonic
    # Both clocks ran: whatever the scheduler did in between, no step.
    assert clock_step_s(before, after) < CLOCK_STEP_LIMIT_S


def test_the_step_is_how_far_the_wall_clock_moved_from_the_monotonic_one_either_way() -> None:
    start = ClockReading(wall=1000.0, monotonic=50.0)
    assert clock_step_s(start, ClockReading(wall=1010.0, monotonic=60.0)) == 0.0  # both ran 10 s
    assert clock_step_s(start, ClockReading(wall=1011.7, monotonic=53.0)) == pytest.approx(8.7)  # paused
    assert clock_step_s(start, ClockReading(wall=1009.0, monotonic=60.0)) == pytest.approx(1.0)  # set back


def _readings(steps: list[float]) -> Iterator[ClockReading]:
    """Two readings per attempt; attempt ``i``'s wall clock steps ``steps[i]`` while 5 s pass."""
    wall, monotonic = 1_796_243_595.0, 1000.0
    for step in steps:
        yield ClockReading(wall, monotonic)
        wall, monotonic = wall + 5.0 + step, monotonic + 5.0
        yield ClockReading(wall, monotonic)


class Attempts:
    """The measurement: counts its attempts; the discarded callback records what it was told."""

    def __init__(self) -> None:
        self.made = 0
        self.discarded: list[tuple[int, float]] = []

    def measure(self) -> str:
        self.made += 1
        return f"attempt {self.made}"

    def discard(self, attempt: int, step_s: float) -> None:
        assert attempt == self.made, "an attempt is discarded right after it, before the next one"
        self.discarded.append((attempt, round(step_s, 3)))


def test_a_paused_attempt_is_discarded_and_the_level_measured_again() -> None:
    attempts, readings = Attempts(), _readings([8.7, 0.0])
    kept = measure_on_a_running_clock(attempts.measure, 2, attempts.discard, lambda: next(readings))
    assert (kept.value, kept.attempts, kept.paused) == ("attempt 2", 2, False)
    assert kept.clock_step_s == pytest.approx(0.0)
    assert attempts.discarded == [(1, 8.7)]


def test_the_last_attempt_is_kept_and_flagged_when_every_one_was_paused() -> None:
    attempts, readings = Attempts(), _readings([8.7, 1.3, 0.5])
    kept = measure_on_a_running_clock(attempts.measure, 2, attempts.discard, lambda: next(readings))
    assert (kept.value, kept.attempts, kept.paused) == ("attempt 3", 3, True)
    assert kept.clock_step_s == pytest.approx(0.5)
    assert attempts.discarded == [(1, 8.7), (2, 1.3)]


def test_remeasure_zero_measures_once_and_flags() -> None:
    attempts, readings = Attempts(), _readings([1.3])
    kept = measure_on_a_running_clock(attempts.measure, 0, attempts.discard, lambda: next(readings))
    assert (kept.attempts, kept.paused, attempts.discarded) == (1, True, [])


def test_a_step_within_ntp_slew_is_no_pause() -> None:
    # 500 ppm over a 15 s level: what NTP may slew, never a reason to measure again.
    attempts, readings = Attempts(), _readings([0.0075])
    kept = measure_on_a_running_clock(attempts.measure, 2, attempts.discard, lambda: next(readings))
    assert (kept.attempts, kept.paused, attempts.discarded) == (1, False, [])
