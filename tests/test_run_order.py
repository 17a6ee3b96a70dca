"""The order of a request run's fresh JVMs: rounds by repetition, each round every app exactly once."""

from __future__ import annotations

import pytest

from harness.run_order import Slot, run_order

APPS = ["mvc-platform@jdk21", "webflux@jdk21", "mvc-platform@jdk25", "webflux@jdk25"]


def test_round_robin_runs_every_app_once_per_round_in_the_given_order() -> None:
    assert run_order(APPS[:2], 3, "round-robin") == [
        Slot("mvc-platform@jdk21", 1), Slot("webflux@jdk21", 1),
        Slot("mvc-platform@jdk21", 2), Slot("webflux@jdk21", 2),
        Slot("mvc-platform@jdk21", 3), Slot("webflux@jdk21", 3),
    ]


def test_shuffled_rounds_hold_every_app_once_and_repeat_with_the_seed() -> None:
    order = run_order(APPS, 6, "shuffled", seed=7)
    rounds = [[s.app for s in order if s.repetition == rep] for rep in range(1, 7)]
    assert [s.repetition for s in order] == [rep for rep in range(1, 7) for _ in APPS]
    assert all(sorted(r) == sorted(APPS) for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1  # 6 rounds of 4! orders: the same one six times would be no shuffle
    assert run_order(APPS, 6, "shuffled", seed=7) == order
    assert run_order(APPS, 6, "shuffled", seed=8) != order


def test_a_shuffled_order_without_a_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="seed"):
        run_order(APPS, 2, "shuffled")
