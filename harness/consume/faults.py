"""Faults that fire once per segment when a share of the events has been processed.

``kill_consumer_at``: kill -9 the app, start the same launch again, wait until it is healthy.
``restart_broker_at``: a graceful broker restart on the same ports and data. Each fault's duration
(until the app is healthy again, until the broker answers again) is recorded with the segment.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.scenario import FaultSettings

KILL_CONSUMER = "kill-consumer"
RESTART_BROKER = "restart-broker"


@dataclass(frozen=True)
class FiredFault:
    name: str
    at: float  # unix time it started
    seconds: float  # until the app (or broker) was back
    processed: int  # inbox rows when it fired


@dataclass
class Faults:
    """The faults of one segment; ``fire_due`` is called with the processed count as it grows."""

    settings: FaultSettings
    events: int
    actions: dict[str, Callable[[], None]]  # fault name → what to do (blocking until recovered)
    fired: list[FiredFault] = field(default_factory=list)

    def thresholds(self) -> dict[str, int]:
        """Fault name → processed count at which it fires."""
        shares = {KILL_CONSUMER: self.settings.kill_consumer_at, RESTART_BROKER: self.settings.restart_broker_at}
        return {name: max(1, math.ceil(share * self.events)) for name, share in shares.items() if share is not None}

    def pending(self) -> list[str]:
        done = {f.name for f in self.fired}
        return [name for name in self.thresholds() if name not in done]

    def fire_due(self, processed: int) -> list[FiredFault]:
        """Fire every fault whose threshold ``processed`` has reached, lowest threshold first."""
        fired = []
        thresholds = self.thresholds()
        for name in sorted(self.pending(), key=lambda n: thresholds[n]):
            if processed < thresholds[name]:
                continue
            started, clock = time.time(), time.monotonic()
            self.actions[name]()
            fault = FiredFault(name, started, time.monotonic() - clock, processed)
            self.fired.append(fault)
            fired.append(fault)
        return fired

    def seconds(self, name: str) -> float | None:
        """How long the fault ``name`` took, None when it did not fire."""
        return next((round(f.seconds, 3) for f in self.fired if f.name == name), None)
