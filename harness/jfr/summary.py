"""What one time window of a JFR recording says, and how events are folded into it.

Pure Python: the JPype loop in ``harness.jfr.reader`` converts each Java event into plain values
and hands them to a ``WindowAccumulator``, so this part is testable and JSON-transportable.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

Window = tuple[str, float, float]
"""(label, start, end): unix seconds, start inclusive, end exclusive."""

Frames = tuple[tuple[str, int], ...]

TOP_FRAMES = 5
_MB = 1024.0 * 1024.0


@dataclass(frozen=True)
class JfrSummary:
    """One window of a recording. Durations in ms, sizes in MiB (1024²), rates in MiB/s.

    An event belongs to a window when its start time is inside it. Statistics over no events are
    0 (counts, totals, maxima, p99) except ``heap_after_gc_*_mb``, which are None without a GC.

    * ``pinned_*``: ``jdk.VirtualThreadPinned`` (a virtual thread parked while it could not
      unmount, longer than the recording's threshold). p99 is nearest-rank.
    * ``top_pinned_frames``: per pinned event, the first frame outside the JDK (class not in
      ``java.``, ``jdk.``, ``sun.``, ``com.sun.``), i.e. the code that parked while pinned, such as
      ``Thread.sleep`` inside a ``synchronized`` block; the JDK's own park frames would name the same
      method for every event. Top 5, as ("class.method(line)", count).
    * ``top_pinned_synchronized_frames``: per pinned event, the first frame whose method is declared
      ``synchronized``. A ``synchronized`` *block* leaves no trace in a JFR stack frame (only a
      ``monitorenter`` in the bytecode), so for blocks this list stays empty and the frame above is
      the best pointer to the monitor.
    * ``gc_pauses``: ``jdk.GCPhasePause`` events, one per stop-the-world pause (a G1 young
      collection is one pause; remark and cleanup are separate ones); ``gc_collections`` counts
      ``jdk.GarbageCollection``.
    * ``allocation_rate_mb_s``: sum of ``jdk.ObjectAllocationSample`` weights over ``covered_s``.
      Each sample's weight is what its thread allocated since its previous sample, so the sum
      estimates all allocation. (``jdk.ThreadAllocationStatistics`` is only emitted once per chunk
      in ``profile``, too coarse for per-level windows.)
    * ``heap_after_gc_*_mb``: ``heapUsed`` of ``jdk.GCHeapSummary`` events with when="After GC".
    * ``covered_s``: how much of the window the recording covers; 0 for a window outside it.
    * ``event_counts``: events per type in the window, of the types the summary is made of (the reader skips
      the others), for sanity checks. ``covered_s`` is bounded by the first and last of those events.
    * ``cpu_samples``: ``jdk.ExecutionSample`` events (a thread running Java code, sampled every 10 ms
      per thread in ``profile``); ``top_cpu_frames`` names each sample's top frame, where the CPU
      went; ``top_cpu_packages`` the top frame's package (first three name parts), which library
      spent it; ``top_cpu_app_frames`` the first frame of our own code (``dev.loombench``) in the
      sample's stack (``(none in stack)`` when the stack has none: framework threads, truncated
      stacks). Top 5 each, as (text, count).
    * ``jit_compile_ms``, ``jit_compilations``: the JIT's cumulative ``totalTimeSpent`` and
      ``compileCount`` of ``jdk.CompilerStatistics`` (read once a second) at the last reading inside
      the window minus the last reading before it (0 before the first: the recording starts with the
      JVM), i.e. compilation time spent in the window, to a second's resolution.
    """

    pinned_events: int
    pinned_total_ms: float
    pinned_p99_ms: float
    pinned_max_ms: float
    top_pinned_frames: Frames
    top_pinned_synchronized_frames: Frames
    submit_failed_events: int
    gc_collections: int
    gc_pauses: int
    gc_pause_total_ms: float
    gc_pause_max_ms: float
    allocation_rate_mb_s: float
    allocated_mb: float
    heap_after_gc_mean_mb: float | None
    heap_after_gc_max_mb: float | None
    covered_s: float
    event_counts: Mapping[str, int] = field(default_factory=dict)
    cpu_samples: int = 0
    top_cpu_frames: Frames = ()
    top_cpu_packages: Frames = ()
    top_cpu_app_frames: Frames = ()
    jit_compile_ms: float = 0.0
    jit_compilations: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; ``from_json`` gives back an equal summary."""
        data = asdict(self)
        data["event_counts"] = dict(self.event_counts)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JfrSummary:
        values = dict(data)
        for key in ("top_pinned_frames", "top_pinned_synchronized_frames", "top_cpu_frames", "top_cpu_packages",
                    "top_cpu_app_frames"):
            values[key] = tuple((str(frame), int(count)) for frame, count in values.get(key, ()))
        values["event_counts"] = {str(k): int(v) for k, v in values["event_counts"].items()}
        return cls(**values)


class WindowAccumulator:
    """Collects the events of one window; ``summary()`` turns them into a JfrSummary."""

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end
        self.pinned_ms: list[float] = []
        self.pinned_frames: Counter[str] = Counter()
        self.pinned_synchronized_frames: Counter[str] = Counter()
        self.submit_failed = 0
        self.gc_collections = 0
        self.gc_pause_ms: list[float] = []
        self.allocated_bytes = 0
        self.heap_after_gc_bytes: list[int] = []
        self.event_counts: Counter[str] = Counter()
        self.cpu_samples = 0
        self.cpu_frames: Counter[str] = Counter()
        self.cpu_packages: Counter[str] = Counter()
        self.cpu_app_frames: Counter[str] = Counter()
        # (compile ms, compilations) cumulative: the last reading before the window, the last inside it.
        self.compiler_before: tuple[float, int] = (0.0, 0)
        self.compiler_last: tuple[float, int] | None = None

    def contains(self, unix_seconds: float) -> bool:
        return self.start <= unix_seconds < self.end

    def note_compiler(self, unix_seconds: float, total_ms: float, compilations: int) -> None:
        """One ``jdk.CompilerStatistics`` reading, wherever it falls (the one before the window is the baseline)."""
        if unix_seconds < self.start:
            self.compiler_before = (total_ms, compilations)
        elif self.contains(unix_seconds):
            self.compiler_last = (total_ms, compilations)

    def summary(self, recording_start: float | None, recording_end: float | None) -> JfrSummary:
        covered = 0.0
        if recording_start is not None and recording_end is not None:
            covered = max(0.0, min(self.end, recording_end) - max(self.start, recording_start))
        allocated_mb = self.allocated_bytes / _MB
        heap = self.heap_after_gc_bytes
        jit = self.compiler_last if self.compiler_last is not None else self.compiler_before
        return JfrSummary(
            pinned_events=len(self.pinned_ms),
            pinned_total_ms=float(sum(self.pinned_ms)),
            pinned_p99_ms=nearest_rank(self.pinned_ms, 0.99),
            pinned_max_ms=max(self.pinned_ms, default=0.0),
            top_pinned_frames=tuple(self.pinned_frames.most_common(TOP_FRAMES)),
            top_pinned_synchronized_frames=tuple(self.pinned_synchronized_frames.most_common(TOP_FRAMES)),
            submit_failed_events=self.submit_failed,
            gc_collections=self.gc_collections,
            gc_pauses=len(self.gc_pause_ms),
            gc_pause_total_ms=float(sum(self.gc_pause_ms)),
            gc_pause_max_ms=max(self.gc_pause_ms, default=0.0),
            allocation_rate_mb_s=allocated_mb / covered if covered > 0 else 0.0,
            allocated_mb=allocated_mb,
            heap_after_gc_mean_mb=sum(heap) / len(heap) / _MB if heap else None,
            heap_after_gc_max_mb=max(heap) / _MB if heap else None,
            covered_s=covered,
            event_counts=dict(sorted(self.event_counts.items())),
            cpu_samples=self.cpu_samples,
            top_cpu_frames=tuple(self.cpu_frames.most_common(TOP_FRAMES)),
            top_cpu_packages=tuple(self.cpu_packages.most_common(TOP_FRAMES)),
            top_cpu_app_frames=tuple(self.cpu_app_frames.most_common(TOP_FRAMES)),
            jit_compile_ms=max(0.0, jit[0] - self.compiler_before[0]),
            jit_compilations=max(0, jit[1] - self.compiler_before[1]),
        )


def nearest_rank(values: Sequence[float], quantile: float) -> float:
    """The nearest-rank quantile (a value that occurred); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(quantile * len(ordered)))
    return ordered[rank - 1]


def check_windows(windows: Sequence[Window]) -> None:
    """Raises ValueError for duplicate labels or a window that ends before it starts."""
    seen: set[str] = set()
    for label, start, end in windows:
        if label in seen:
            raise ValueError(f"duplicate JFR window label {label!r}")
        seen.add(label)
        if end < start:
            raise ValueError(f"JFR window {label!r} ends ({end}) before it starts ({start})")
