"""CPU time of one process by thread, from ``/proc/<pid>/task``: who in the JVM spent a window's CPU.

A JFR execution sample sees only threads running Java code; the JIT's compiler threads, the GC's
workers and threads in native code are not in it. The kernel's per-thread counters are: read at a
window's start and end, their difference per thread name says how much went to compiling, collecting,
Kafka's network thread, the listener threads, the event loops. Names are the kernel's (15 characters
at most); digits are folded (``C2 CompilerThre#``) so a pool's threads add up to one row. A thread that
ended inside the window loses what it spent (none of the apps' pools shrink while they are busy).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_DIGITS = re.compile(r"\d+")


def thread_group(name: str) -> str:
    return _DIGITS.sub("#", name.strip())


def thread_cpu(pid: int, proc: Path = Path("/proc")) -> dict[int, tuple[str, float]]:
    """Every live thread of ``pid``: tid → (folded name, CPU seconds so far); {} for a process that is gone."""
    out: dict[int, tuple[str, float]] = {}
    try:
        tasks = list((proc / str(pid) / "task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # ended between the listing and the read
        # The name is in parentheses and may hold spaces or parentheses: the fields follow the last ")".
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        utime, stime = int(fields[11]), int(fields[12])
        out[int(task.name)] = (thread_group(name), (utime + stime) / _TICKS)
    return out


def cpu_by_group(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per thread group between two readings, largest first; a thread born in between counts from 0."""
    spent: dict[str, float] = {}
    for tid, (group, seconds) in after.items():
        earlier = before.get(tid)
        spent[group] = spent.get(group, 0.0) + seconds - (earlier[1] if earlier is not None else 0.0)
    return dict(sorted(spent.items(), key=lambda item: -item[1]))


def compiler_share(spent: dict[str, float] | None) -> float:
    """The JIT compiler threads' share of the CPU in ``spent`` (HotSpot names them ``C1/C2 CompilerThread<N>``);
    0 when unknown."""
    if not spent:
        return 0.0
    total = sum(spent.values())
    compiling = sum(seconds for group, seconds in spent.items() if "CompilerThre" in group)
    return compiling / total if total > 0 else 0.0
