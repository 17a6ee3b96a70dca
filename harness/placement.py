"""CPU placement: the CPUs the app, the load generator and the infrastructure may run on.

On a small machine the app, Locust, PostgreSQL and the downstream otherwise share every core, and a
level measures whichever of them the scheduler favoured. Placement gives each role a CPU set, with
taskset semantics: a child is pinned between fork and exec (``Supervisor(cpus_for=...)``), so every
thread it later creates inherits the set; a process the harness did not fork (a container's
PostgreSQL) is pinned thread by thread with ``pin_tree``. An app or downstream in a container is not
forked here either (the engine starts its JVM; the Supervisor forks only the ``docker`` client): it
gets its role's set as ``docker run --cpuset-cpus``, so its JVM sizes itself from that set from its
first instruction, and a CPU quota larger than the app's set is refused (``quota_refusal``).

``auto`` splits the CPUs this process may use in two: the upper half for the app, the lower half for
everything else (cpu 0 usually takes most interrupts). On 2 CPUs: the app on cpu 1, the rest on cpu 0.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import psutil

from harness.processes import thread_ids
from harness.variants import ALL_VARIANTS

Role = Literal["app", "generator", "infra"]
ROLES: tuple[Role, ...] = ("app", "generator", "infra")
_GENERATORS = ("locust", "vegeta", "wrk")


def parse_cpu_list(text: str) -> frozenset[int]:
    """``"0-2,5"`` → {0, 1, 2, 5} (taskset -c's list form); ValueError naming what is wrong."""
    cpus: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{text!r} is not a CPU list such as '1' or '0-2,5'")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"{text!r}: range {part} runs backwards")
        cpus.update(range(first, last + 1))
    return frozenset(cpus)


def format_cpu_list(cpus: frozenset[int] | set[int]) -> str:
    """{0, 1, 2, 5} → ``"0-2,5"``."""
    ordered, parts = sorted(cpus), []
    start = previous = ordered[0] if ordered else 0
    for cpu in [*ordered[1:], None]:
        if cpu is not None and cpu == previous + 1:
            previous = cpu
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if cpu is not None:
            start = previous = cpu
    return ",".join(parts) if ordered else ""


def available_cpus() -> frozenset[int]:
    return frozenset(os.sched_getaffinity(0))


@dataclass(frozen=True)
class Placement:
    """Each role's CPU set; ``None`` everywhere when placement is off (the scheduler decides)."""

    mode: Literal["auto", "none", "explicit"]
    sets: Mapping[Role, frozenset[int]]
    note: str = ""  # why auto placed nothing, when it did not

    @property
    def active(self) -> bool:
        return bool(self.sets)

    def cpus(self, role: Role) -> frozenset[int] | None:
        return self.sets.get(role)

    def cpus_for_process(self, name: str) -> frozenset[int] | None:
        """The CPU set of a process the Supervisor starts under ``name`` (see ``role_of``)."""
        return self.cpus(role_of(name))

    @property
    def harness_cpus(self) -> frozenset[int] | None:
        """Where the harness's own threads (sampler, scraper, polling) run: off the app's CPUs."""
        if not self.active:
            return None
        return self.sets["generator"] | self.sets["infra"]

    def record(self) -> dict[str, Any]:
        """manifest.json's ``placement`` section."""
        return {"mode": self.mode, "note": self.note, "describe": self.describe(),
                **{role: format_cpu_list(cpus) for role, cpus in self.sets.items()},
                "available": format_cpu_list(available_cpus())}

    def describe(self) -> str:
        """``app cpu 1 · generator cpu 0 · infrastructure cpu 0 (auto)``."""
        if not self.active:
            return f"none ({self.note})" if self.note else "none (the scheduler places every process)"
        names = {"app": "app", "generator": "generator", "infra": "infrastructure"}
        return " · ".join(f"{names[r]} cpu {format_cpu_list(self.sets[r])}" for r in ROLES) + f" ({self.mode})"


def quota_refusal(placement: Placement, quotas: Sequence[float]) -> str | None:
    """Why apps in containers under the CPU quotas ``quotas`` cannot run with ``placement``; None when they can.

    A container's JVM runs on the app's CPU set (``--cpuset-cpus``): a quota above the set's size could never
    be used, so a level labelled with that quota would measure the set instead, and the JVM would report the
    set's processors, not the quota's."""
    app = placement.cpus("app")
    too_big = [] if app is None else [q for q in quotas if q > len(app)]
    if app is None or not too_big:
        return None
    return (f"containers.cpus: {', '.join(f'{q:g}' for q in too_big)} is more than the {len(app)} CPU(s) placement "
            f"gives the app (cpu {format_cpu_list(app)}, placement {placement.mode}). A container runs on the app's "
            "CPUs, so its quota could not be used. Set placement: none (the quota alone limits the app) or give "
            "the app as many CPUs as the largest quota")


def role_of(name: str) -> Role:
    """The role of a process by the name the harness starts it under: Locust/vegeta/wrk generate load,
    an app key (``mvc-virtual@jdk25``) is the app, everything else (postgres, downstream, brokers) is
    infrastructure."""
    if name.startswith(_GENERATORS):
        return "generator"
    if name.startswith(tuple(ALL_VARIANTS)):
        return "app"
    return "infra"


def resolve(setting: str | Mapping[str, str], available: frozenset[int] | None = None) -> Placement:
    """The placement of a scenario's ``placement`` setting on this machine."""
    cpus = available if available is not None else available_cpus()
    if setting == "none":
        return Placement("none", {})
    if setting == "auto":
        if len(cpus) < 2:
            return Placement("auto", {}, note=f"auto: only {len(cpus)} CPU available, nothing to separate")
        ordered = sorted(cpus)
        rest, app = frozenset(ordered[:len(ordered) // 2]), frozenset(ordered[len(ordered) // 2:])
        return Placement("auto", {"app": app, "generator": rest, "infra": rest})
    assert not isinstance(setting, str), f"unknown placement {setting!r}"
    return Placement("explicit", {role: parse_cpu_list(setting[role]) for role in ROLES})


def pin_tree(pid: int, cpus: frozenset[int]) -> None:
    """Pin every thread of ``pid`` and of all its descendants to ``cpus`` (threads created later by a
    pinned thread inherit the set). Threads and processes that exit meanwhile are skipped."""
    pids = [pid]
    with contextlib.suppress(psutil.NoSuchProcess):
        pids += [child.pid for child in psutil.Process(pid).children(recursive=True)]
    for process in pids:
        for tid in thread_ids(process):
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(tid, cpus)


def affinities(pid: int) -> dict[int, frozenset[int]]:
    """thread id → its CPU set, for every thread of ``pid`` (what ``taskset -p`` shows per thread)."""
    found = {}
    for tid in thread_ids(pid):
        with contextlib.suppress(ProcessLookupError):
            found[tid] = frozenset(os.sched_getaffinity(tid))
    return found


@contextlib.contextmanager
def harness_pinned(placement: Placement) -> Iterator[None]:
    """Keep the harness's own threads off the app's CPUs for the ``with`` block, then restore them."""
    cpus = placement.harness_cpus
    if cpus is None:
        yield
        return
    me = os.getpid()
    before = affinities(me)
    for tid in before:
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(tid, cpus)
    try:
        yield
    finally:
        for tid, previous in before.items():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(tid, previous)
