"""Resource samples of the processes a run watches (RSS, CPU time), taken on a background thread."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psutil

from harness.infra.cgroup_cpu import CpuThrottling, read_cpu_throttling
from harness.infra.cgroup_memory import read_cgroup_memory
from harness.periodic import PeriodicWorker
from harness.processes import thread_ids


@dataclass(frozen=True)
class ProcessSample:
    """One reading of one watched process (summed over its descendants when asked to)."""

    t: float  # unix time
    name: str  # "app", "downstream", "postgres", "generator"
    rss_bytes: int
    cpu_seconds: float  # user + system since the process started (cumulative)
    runqueue_seconds: float | None = None  # waiting runnable for a CPU, live threads summed (runqueue_seconds)
    # Of the process's cgroup when asked for (a container's): cumulative CFS periods, those throttled, and
    # the time throttled. None when not asked for or unreadable.
    cgroup: CpuThrottling | None = None
    cgroup_memory_bytes: int | None = None  # what the cgroup's memory limit is enforced against


def runqueue_seconds(pid: int) -> float | None:
    """Seconds the threads of ``pid`` have waited on a run queue (runnable, not running), summed over
    its live threads: the second field of ``/proc/<pid>/task/<tid>/schedstat`` (nanoseconds). CPU use
    cannot show a generator starved of CPU (it uses little because it gets little); this can. ``None``
    when the kernel exposes no schedstat or the process is gone."""
    total_ns, read = 0, False
    for tid in thread_ids(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as stat:
                total_ns += int(stat.read().split()[1])
            read = True
    return total_ns / 1e9 if read else None


class SourceGone(LookupError):
    """Raised by a ``Reader`` once what it reads is gone (a container removed): its watch ends."""


Reader = Callable[[], ProcessSample]  # one reading now, of something that is not a process of this machine


@dataclass
class _Watched:
    name: str
    process: psutil.Process | None
    include_children: bool
    cgroup: bool = False
    reader: Reader | None = None  # instead of the process: e.g. a remote container's stats


def _cgroup(watched: _Watched) -> tuple[CpuThrottling | None, int | None]:
    if not watched.cgroup or watched.process is None:
        return None, None
    # Either may fail alone: a cgroup gone with its container, or a layout the readers do not document.
    throttling = memory = None
    with contextlib.suppress(OSError, ValueError, KeyError):
        throttling = read_cpu_throttling(watched.process.pid)
    with contextlib.suppress(OSError, ValueError):
        memory = read_cgroup_memory(watched.process.pid).usage_bytes
    return throttling, memory


def _read(watched: _Watched) -> ProcessSample:
    """Read one watched process now; raises psutil.NoSuchProcess (SourceGone for a reader) once it is gone."""
    if watched.reader is not None:
        return watched.reader()
    root = watched.process
    assert root is not None
    with root.oneshot():
        if root.status() == psutil.STATUS_ZOMBIE:
            # Exited but not reaped yet: its RSS reads as 0, which is not a measurement of it.
            raise psutil.ZombieProcess(root.pid)
        t = time.time()
        times = root.cpu_times()
        rss = root.memory_info().rss
        cpu = times.user + times.system
        if not watched.include_children:
            throttling, memory = _cgroup(watched)
            return ProcessSample(t, watched.name, rss, cpu, runqueue_seconds=runqueue_seconds(root.pid),
                                 cgroup=throttling, cgroup_memory_bytes=memory)
        # Reaped children's CPU moves into their parent's children_* counters, so adding those
        # keeps the sum cumulative when PostgreSQL backends come and go.
        cpu += times.children_user + times.children_system
    for child in root.children(recursive=True):
        # A descendant may exit between listing and reading: it simply is not counted.
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            with child.oneshot():
                child_times = child.cpu_times()
                child_rss = child.memory_info().rss
            cpu += child_times.user + child_times.system
            cpu += child_times.children_user + child_times.children_system
            rss += child_rss
    throttling, memory = _cgroup(watched)
    return ProcessSample(t, watched.name, rss, cpu, cgroup=throttling, cgroup_memory_bytes=memory)


class ProcessSampler(PeriodicWorker):
    """Samples RSS and cumulative CPU of named processes every ``interval_s`` on a daemon thread.

    Use as a context manager: the thread runs inside the ``with`` block. ``watch`` takes one
    sample at once (a baseline even for very short watches); a watched process that exits is
    dropped quietly and keeps the samples it had. All methods are thread-safe.

    RSS summed over a process tree counts shared memory once per process (PostgreSQL's shared
    buffers in particular): compare it between runs of the same setup, not as an absolute.
    """

    def __init__(self, interval_s: float = 0.5) -> None:
        super().__init__(interval_s, "process-sampler", max(5.0, 4 * interval_s))
        self._lock = threading.Lock()
        self._watched: dict[str, _Watched] = {}
        self._samples: dict[str, list[ProcessSample]] = {}

    def watch(self, name: str, pid: int, include_children: bool = False, cgroup: bool = False) -> None:
        """Sample ``pid`` under ``name`` from now on (replacing any earlier watch of that name).

        With ``include_children`` the readings sum the process and all its descendants; with
        ``cgroup`` each also carries its cgroup's CPU throttling and memory (a container's). A pid that
        does not exist (any more) is ignored: no error, no samples.
        """
        try:
            watched = _Watched(name, psutil.Process(pid), include_children, cgroup)
            sample = _read(watched)
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            return
        with self._lock:
            self._watched[name] = watched
            self._samples.setdefault(name, []).append(sample)

    def watch_reader(self, name: str, reader: Reader) -> None:
        """Sample ``name`` through ``reader`` from now on (replacing any earlier watch of that name): for what
        this machine cannot read as a process, such as a container on a remote engine. A reader that raises
        SourceGone at once is ignored, like a pid that does not exist."""
        watched = _Watched(name, None, include_children=False, reader=reader)
        try:
            sample = reader()
        except SourceGone:
            return
        with self._lock:
            self._watched[name] = watched
            self._samples.setdefault(name, []).append(sample)

    def unwatch(self, name: str) -> None:
        """Stop sampling ``name``; its samples are kept. Unknown names are ignored."""
        with self._lock:
            self._watched.pop(name, None)

    def watching(self) -> list[str]:
        """Names currently sampled (processes that exited are no longer listed)."""
        with self._lock:
            return sorted(self._watched)

    def watched_pids(self) -> list[int]:
        """The pids of the processes watched now (readers have none)."""
        with self._lock:
            return [w.process.pid for w in self._watched.values() if w.process is not None]

    def samples(self, name: str, start: float | None = None, end: float | None = None) -> list[ProcessSample]:
        """Samples of ``name`` in time order, those with ``start <= t <= end`` when given (a copy)."""
        with self._lock:
            rows = list(self._samples.get(name, ()))
        return [s for s in rows if (start is None or s.t >= start) and (end is None or s.t <= end)]

    def sample_now(self) -> None:
        """Take one sample of every watched process immediately (e.g. at a window's edge)."""
        with self._lock:
            targets = list(self._watched.values())
        for watched in targets:
            self._sample_one(watched)

    def _sample_one(self, watched: _Watched) -> None:
        try:
            sample = _read(watched)
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied, SourceGone):
            with self._lock:
                # Only drop the entry if it was not replaced by a newer watch of the same name.
                if self._watched.get(watched.name) is watched:
                    del self._watched[watched.name]
            return
        with self._lock:
            if self._watched.get(watched.name) is watched:
                self._samples.setdefault(watched.name, []).append(sample)

    def tick(self) -> None:
        self.sample_now()


def _closest(samples: Sequence[ProcessSample], t: float) -> ProcessSample:
    return min(samples, key=lambda s: abs(s.t - t))


def cpu_seconds_between(samples: Sequence[ProcessSample], start: float, end: float) -> float:
    """CPU seconds used between ``start`` and ``end``: the cumulative CPU of the sample closest to
    ``end`` minus that of the sample closest to ``start``. 0.0 with fewer than two samples, when
    both edges pick the same sample, or when the counter went backwards (a restarted process).
    The error is at most one sampling interval's worth of CPU at each edge.
    """
    if len(samples) < 2:
        return 0.0
    first = _closest(samples, start)
    last = _closest(samples, end)
    if last.t <= first.t:
        return 0.0
    return max(0.0, last.cpu_seconds - first.cpu_seconds)


def cpu_percent_series(samples: Sequence[ProcessSample]) -> list[tuple[float, float]]:
    """``(t, percent)`` per pair of consecutive samples, ``t`` being the later sample's time;
    100.0 means one core fully busy (a multi-threaded process can exceed it). Pairs where time
    did not advance or the counter went backwards (a restarted process) are left out.
    """
    ordered = sorted(samples, key=lambda s: s.t)
    series: list[tuple[float, float]] = []
    for before, after in itertools.pairwise(ordered):
        dt = after.t - before.t
        used = after.cpu_seconds - before.cpu_seconds
        if dt <= 0 or used < 0:
            continue
        series.append((after.t, 100.0 * used / dt))
    return series


def max_rss(samples: Sequence[ProcessSample]) -> int:
    """Largest RSS in bytes among ``samples``; 0 when there are none."""
    return max((s.rss_bytes for s in samples), default=0)
