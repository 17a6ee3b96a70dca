"""When a consumer's warm-up may stop: the per-event CPU it is warming up for has stopped moving.

On this class of machine HotSpot's compiler threads never go quiet in a consume window: after 140,000 warm-up
events they still spent 5-14% of the app's CPU, while the CPU per event had stopped falling after about 6,000
(docs/consume-cost.md, "Long warm-up"). What they compile then is not the event's path. So a warm-up that waits for
the JIT to go quiet runs to its time cap in every segment, and the quantity the benchmark reports says when it
is warm: the app's CPU per event without the compiler threads, batch after batch. Steady per event is
``STABLE_BATCHES`` successive batches within ``STABLE_TOLERANCE`` of their mean, each with enough CPU for the
kernel's 10 ms tick to resolve that tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.consume.threads import compiler_share
from harness.spread import agree

STABLE_BATCHES = 3
STABLE_TOLERANCE = 0.10  # (max - min) / mean of the last STABLE_BATCHES batches' CPU per event without the JIT
# /proc counts CPU in ticks of 10 ms: a batch needs 1 s for its reading to be good to 1%, well inside the tolerance.
MIN_BATCH_CPU_S = 1.0


def cpu_without_jit_s(spent: dict[str, float] | None) -> float | None:
    """The app's CPU seconds in ``spent`` (by thread group) less the JIT compiler threads'; None when unknown."""
    if not spent:
        return None
    return sum(spent.values()) * (1.0 - compiler_share(spent))


def steady_per_event(batches_cpu_s: Sequence[float | None], events_per_batch: int) -> bool:
    """Whether the last ``STABLE_BATCHES`` warm-up batches (their CPU seconds without the JIT, in order) spent the
    same CPU per event within ``STABLE_TOLERANCE``, each at least ``MIN_BATCH_CPU_S``. A batch with no reading
    (a JVM replaced) breaks the run."""
    last = batches_cpu_s[-STABLE_BATCHES:]
    if events_per_batch <= 0 or len(last) < STABLE_BATCHES:
        return False
    if any(cpu is None or cpu < MIN_BATCH_CPU_S for cpu in last):
        return False
    return agree([cpu / events_per_batch for cpu in last if cpu is not None], STABLE_TOLERANCE)
