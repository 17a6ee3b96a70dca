from __future__ import annotations

import threading
import time

import pytest

from harness.periodic import PeriodicWorker


class Counter(PeriodicWorker):
    def __init__(self) -> None:
        super().__init__(0.01, "counter", 5.0)
        self.ticks = 0
        self.reached = threading.Event()

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks >= 3:
            self.reached.set()


def test_ticks_until_stopped_and_not_after() -> None:
    with Counter() as counter:
        assert counter.reached.wait(30)
    after_stop = counter.ticks
    time.sleep(0.1)
    assert counter.ticks == after_stop


def test_first_tick_happens_at_start() -> None:
    counter = Counter()
    counter.interval_s = 3600.0  # only the immediate tick can happen
    counter.start()
    deadline = time.monotonic() + 30
    while counter.ticks == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    counter.stop()
    assert counter.ticks == 1


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval_s must be > 0"):
        PeriodicWorker(0, "x", 1.0)
