"""What the app spent during a segment, from the ProcessSampler's readings of it (a kill restarts it)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from harness.sampling import ProcessSample

_MIB = 1024 * 1024


def cpu_seconds(samples: Sequence[ProcessSample], start: float, end: float) -> float | None:
    """CPU seconds of the app between ``start`` and ``end``, summed over its restarts.

    A counter that goes down marks a new process: its whole count up to that sample is added (the
    restarted JVM's start-up is part of what the fault cost). None with fewer than two samples."""
    inside = sorted((s for s in samples if start <= s.t <= end), key=lambda s: s.t)
    if len(inside) < 2:
        return None
    total = 0.0
    for before, after in itertools.pairwise(inside):
        delta = after.cpu_seconds - before.cpu_seconds
        total += delta if delta >= 0 else after.cpu_seconds
    return round(total, 3)


def rss_mb_max(samples: Sequence[ProcessSample], start: float, end: float) -> float | None:
    rss = [s.rss_bytes for s in samples if start <= s.t <= end]
    return round(max(rss) / _MIB, 1) if rss else None
