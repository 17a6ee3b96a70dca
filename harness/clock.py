"""Whether the machine stood still during a measurement: a paused VM (a snapshot, a live migration) or a
wall clock set by hand.

Every window the harness measures is a span of wall-clock time: the load generator, the process
sampler, the JVMs' Prometheus reads and flight recordings all stamp with it, and remote Locust workers
share no other clock. When the hypervisor pauses the machine, ``CLOCK_MONOTONIC`` stops with it; on
resume the wall clock is set forward to the host's time. The window then holds seconds in which nothing
ran: no request completed, and none waited either. In our own CI on 2026-12-02 the host snapshotted the
VM during the ci-gate run: one level's five measured seconds fell wholly in an 8.7 s step (0 requests),
two others lost 0.5 s and 1.3 s (Little's law off by 10% and 25%, though no request took over a second),
and the gate rightly called all three unreliable. The server was never slow.

So a level reads the offset between the two clocks before and after it (``read_clock``). A change
beyond ``CLOCK_STEP_LIMIT_S`` is a step the window cannot hide; ``measure_on_a_running_clock`` measures
such a level again, at most ``remeasure`` times, on the same warm JVM, and reports each discarded
attempt. The criterion is the clock's, independent of what the server did, so keeping the
undisturbed attempt selects nothing about the server. What it cannot see: a pause of a remote machine
(only this one's clocks are read), and a step back and forth within one level.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

CLOCK_STEP_LIMIT_S = 0.1
"""Change of the wall-minus-monotonic offset across a level from which the level counts as paused. NTP slews
at most 500 ppm (7.5 ms over a 15 s level); the steps seen here were 0.5 s and more. 0.1 s is 2% of a 5 s
window: below that a pause moves a level's throughput less than its repetitions' spread."""


@dataclass(frozen=True)
class ClockReading:
    """The wall clock and the monotonic clock read together, in seconds."""

    wall: float
    monotonic: float

    @property
    def offset(self) -> float:
        return self.wall - self.monotonic


def read_clock() -> ClockReading:
    return ClockReading(wall=time.time(), monotonic=time.monotonic())


def clock_step_s(before: ClockReading, after: ClockReading) -> float:
    """How far the wall clock moved apart from the monotonic one between two readings (either way)."""
    return abs(after.offset - before.offset)


def stepped(step_s: float | None) -> bool:
    """Whether a clock step says the machine was paused (None: the clock was not read)."""
    return step_s is not None and step_s > CLOCK_STEP_LIMIT_S


@dataclass(frozen=True)
class Measured(Generic[T]):
    """The kept attempt of a measurement, the clock step during it, and how many attempts were made."""

    value: T
    clock_step_s: float
    attempts: int

    @property
    def paused(self) -> bool:
        """Whether the kept attempt itself saw a step (every attempt did; the remeasure budget ran out)."""
        return stepped(self.clock_step_s)


def measure_on_a_running_clock(
    measure: Callable[[], T],
    remeasure: int,
    discarded: Callable[[int, float], None],
    reading: Callable[[], ClockReading] = read_clock,
) -> Measured[T]:
    """Run ``measure``; while the clock stepped during it and fewer than ``remeasure`` re-measurements were
    made, call ``discarded(attempt, step_s)`` (set the attempt's files aside, say why) and run it again.

    The last attempt is kept whatever its step (``Measured.paused`` then says so): a level is never lost,
    only flagged. ``remeasure=0`` measures once."""
    attempt = 1
    while True:
        before = reading()
        value = measure()
        step = clock_step_s(before, reading())
        if not stepped(step) or attempt > remeasure:
            return Measured(value=value, clock_step_s=step, attempts=attempt)
        discarded(attempt, step)
        attempt += 1
