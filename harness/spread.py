"""How far repeated readings of one quantity lie apart: the test both warm-ups stop on.

A request run's warm-up reads throughput per window (load/warmup.py), a consumer's CPU per event per batch
(consume/steadiness.py); each is steady once its last few readings agree, judged here the same way.
"""

from __future__ import annotations

from collections.abc import Sequence


def agree(values: Sequence[float], tolerance: float) -> bool:
    """Whether ``values``' (max - min) / mean is at most ``tolerance``; never for no values or a mean <= 0."""
    if not values:
        return False
    mean = sum(values) / len(values)
    return mean > 0 and (max(values) - min(values)) / mean <= tolerance
