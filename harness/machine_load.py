"""What else the machine did while a run measured: CPU used by processes outside the run, and CPU time
the hypervisor gave to someone else (steal).

A level measured while another benchmark, a build or a second CI job shared the machine measured that
contention as much as the server: the same build ran half as fast four minutes later in our own CI while a
second test run shared the machine, and a regression gate called it a regression. Neither the app's own
CPU nor the generator's run queue can tell that apart from a slower build; the machine's other processes can.

Two cumulative counters, each read as a ``sampling.Reader`` by the run's process sampler:

- ``ForeignCpu``: CPU seconds of every user-space process that is not the run's. The run's are the harness's
  own process tree and the tree of every process the sampler watches (PostgreSQL may have left the harness's
  tree when it daemonised). Left out as well: kernel threads (their work is mostly the run's own loopback
  traffic) and container engines with everything under them (``CONTAINER_ENGINES``: a run's containers live
  there, and the engine does the run's work when it serves their stats). A process that starts and exits
  between two readings is not seen: a build of many short compiler processes is undercounted.
- ``steal_cpu``: the kernel's steal time summed over all CPUs (``/proc/stat``), zero on bare metal.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

import psutil

from harness.sampling import ProcessSample

FOREIGN = "foreign"
STEAL = "steal"

FOREIGN_CPU_LIMIT_CORES = 0.25
"""Mean CPU of processes outside the run, in cores, above which a level is marked measured on a busy machine.
Idle, this machine's own agents use under 0.01 core; a second JVM under load, a build or another benchmark
uses 0.5 core and more. On two cores a quarter of one is an eighth of the machine: enough to move a CPU-bound
level's throughput by more than a regression gate's tolerance."""

CONTAINER_ENGINES = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2", "docker-proxy")

_KTHREADD = 2  # the parent of every kernel thread on Linux

ProcessKey = tuple[int, float]  # pid and start time: a pid the kernel reused is another process


def run_tree(roots: Iterable[int], parents: dict[int, int]) -> set[int]:
    """``roots`` and all their descendants, from a pid → parent pid map of the machine."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [pid for pid in roots if pid in parents]
    while stack:
        pid = stack.pop()
        if pid not in found:
            found.add(pid)
            stack.extend(children.get(pid, ()))
    return found


class ForeignCpu:
    """A reader of the cumulative CPU seconds of the machine's processes outside the run (see the module doc).

    ``run_roots`` gives, at each reading, the pids whose trees are the run's (the harness and what the
    sampler watches). Each reading adds, per process seen at the previous reading too, the CPU it used since;
    a process new since then adds all it used since it started, if it started after that reading."""

    def __init__(self, run_roots: Callable[[], Iterable[int]]) -> None:
        self._run_roots = run_roots
        self._last: dict[ProcessKey, float] = {}
        self._last_t: float | None = None
        self._total = 0.0
        # The sampler's thread and a window edge's sample_now may read at once: each delta must be added once.
        self._lock = threading.Lock()

    def __call__(self) -> ProcessSample:
        with self._lock:
            return self._read()

    def _read(self) -> ProcessSample:
        t = time.time()
        seen = _processes()
        parents = {pid: ppid for pid, (ppid, _, _, _) in seen.items()}
        engines = [pid for pid, (_, name, _, _) in seen.items() if name in CONTAINER_ENGINES]
        excluded = run_tree([os.getpid(), *self._run_roots(), *engines], parents)
        now: dict[ProcessKey, float] = {}
        for pid, (ppid, _, started, cpu) in seen.items():
            if pid in excluded or pid == _KTHREADD or ppid == _KTHREADD:
                continue
            key = (pid, started)
            now[key] = cpu
            if key in self._last:
                self._total += max(0.0, cpu - self._last[key])
            elif self._last_t is not None and started > self._last_t:
                self._total += cpu
        self._last, self._last_t = now, t
        return ProcessSample(t, FOREIGN, 0, self._total)


def _processes() -> dict[int, tuple[int, str, float, float]]:
    """pid → (parent pid, name, start time, user + system CPU seconds) of every process still readable."""
    found = {}
    for proc in psutil.process_iter(["ppid", "name", "create_time", "cpu_times"]):
        info = proc.info
        times = info.get("cpu_times")
        if times is None or info.get("ppid") is None or info.get("create_time") is None:
            continue  # gone, or not ours to read
        found[proc.pid] = (info["ppid"], info.get("name") or "", info["create_time"], times.user + times.system)
    return found


def steal_cpu() -> ProcessSample:
    """A reader of the machine's cumulative steal seconds, summed over its CPUs (0 where the kernel has none)."""
    return ProcessSample(time.time(), STEAL, 0, float(getattr(psutil.cpu_times(), "steal", 0.0)))
