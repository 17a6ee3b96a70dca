"""The order in which a request benchmark starts its JVMs: one fresh JVM per variant × JDK × repetition.

Why interleave: run strictly one variant after another, a difference between variants is confounded
with time (a warming PostgreSQL cache, another tenant's load on a shared machine). Rounds keep every
variant's repetition ``r`` close in time to every other variant's repetition ``r``, as pyperf spreads
its runs over worker processes.

- ``round-robin``: round 1 runs every app once in the scenario's order (JDK, then variant), then round 2, ...
- ``shuffled``: the same rounds, each in an order drawn from ``seed`` (so every round still holds each
  app exactly once; a fully shuffled list could put all of one variant's repetitions last).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

OrderPolicy = Literal["round-robin", "shuffled"]


@dataclass(frozen=True)
class Slot:
    """One fresh JVM to run: the app (``variant@jdkN`` key) and the repetition it measures."""

    app: str
    repetition: int


def run_order(apps: Sequence[str], repetitions: int, policy: OrderPolicy, seed: int | None = None) -> list[Slot]:
    """Every app × repetition exactly once, in rounds by repetition (see the module docstring).

    ``seed`` is required for ``shuffled`` and ignored otherwise.
    """
    if policy == "shuffled" and seed is None:
        raise ValueError("a shuffled order needs a seed (the manifest records it)")
    rng = random.Random(seed)
    slots: list[Slot] = []
    for repetition in range(1, repetitions + 1):
        round_apps = list(apps)
        if policy == "shuffled":
            rng.shuffle(round_apps)
        slots += [Slot(app, repetition) for app in round_apps]
    return slots


def draw_seed() -> int:
    """A seed for a shuffled order whose scenario gave none; the manifest records the one drawn."""
    return random.SystemRandom().randrange(2**31)
