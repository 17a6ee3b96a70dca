"""Distributed load: a Locust master and its workers, and what each worker reported.

``Distribution`` says how a level is spread: ``local`` workers the harness starts on this machine
and ``external`` ones (``harness worker`` elsewhere) that connect to the master. Each worker sends
its intervals and its own CPU readings to the master (``locustfile.py``, "Distributed"); the master
merges the intervals into the sidecar as one generator would have written them and lists the
workers under ``workers``. ``worker_loads`` reads that section back per worker, and checks that the
merge is exact: the merged counts must be the workers' sums, or the level is refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

from harness.codec import from_json_row
from harness.errors import LoadError
from harness.load.loopback import is_loopback
from harness.load.recording import SidecarInterval
from harness.metrics import GENERATOR_SATURATION_PCT

_EPS = 1e-6


@dataclass(frozen=True)
class Distribution:
    """A level run by a master and ``local + external`` workers.

    The master binds ``bind_host:port`` (port 0: a free one, only with no external workers, who
    must know it); anything but loopback needs ``allow_remote``, like a remote load target."""

    local: int
    external: int = 0
    bind_host: str = "127.0.0.1"
    port: int = 0
    connect_timeout_s: int = 60
    allow_remote: bool = False

    def __post_init__(self) -> None:
        if self.local < 0 or self.external < 0 or self.local + self.external < 1:
            raise LoadError(f"a distributed level needs at least one worker, got {self.local} local and "
                            f"{self.external} external")
        if self.external and not self.port:
            raise LoadError("external workers need a fixed master port (load.master_port) to connect to")
        if not self.allow_remote and not is_loopback(self.bind_host):
            raise LoadError(
                f"the Locust master would listen on {self.bind_host!r}, which is not loopback: workers of other "
                "machines could then connect and load whatever it targets. Bind 127.0.0.1, or set "
                "load.allow_remote if workers on other machines are intended and permitted."
            )
        if self.connect_timeout_s < 1:
            raise LoadError(f"worker connect timeout must be >= 1 s, got {self.connect_timeout_s}")

    @property
    def expected(self) -> int:
        return self.local + self.external


@dataclass(frozen=True)
class WorkerIdentity:
    """Who a worker was: its name (``w1``… for local ones, the host name or ``--name`` otherwise), host,
    pid, and the harness version and hash of the load code it ran (which must equal the master's)."""

    name: str
    host: str
    pid: int
    external: bool  # started by 'harness worker', not by the run
    harness_version: str
    code_sha256: str


@dataclass(frozen=True)
class WorkerReport:
    """What one worker sent the master at the end of its run (its intervals count from its own start)."""

    worker: WorkerIdentity
    test_start: float
    test_stop: float
    intervals: tuple[SidecarInterval, ...]
    cpu: tuple[tuple[float, float], ...]  # (unix time, CPU seconds of the worker process)


@dataclass(frozen=True)
class WorkerLoad:
    """One worker's share of one measured window."""

    worker: WorkerIdentity
    requests: int
    errors: int
    successes: int  # count of its success histograms in the window
    cpu_pct_mean: float | None  # percent of one core over the window; None with too few readings
    cpu_pct_max: float | None
    saturated: bool


def read_reports(document: Mapping[str, Any], label: str) -> tuple[list[WorkerReport], int]:
    """(the workers' reports, how many were expected) of a master's sidecar; LoadError when a worker
    was refused, or fewer reported than were expected (one died or never connected)."""
    try:
        reports = [from_json_row(WorkerReport, row) for row in document.get("workers", [])]
        refused = list(document.get("refused", []))
        expected = int(document.get("expected_workers", 0))
    except (ValueError, TypeError, AttributeError) as error:
        raise LoadError(f"level {label!r}: malformed workers section in the master's sidecar: {error}") from None
    if refused:
        lines = [f"{_who(r['worker'])} differs from the master {_who(r['master'])} in {', '.join(r['differs'])}"
                 for r in refused]
        raise LoadError(f"level {label!r}: refused worker(s), the level was stopped: " + "; ".join(lines)
                        + ". Run the same harness checkout on every worker machine.")
    if len(reports) < expected:
        names = ", ".join(sorted(r.worker.name for r in reports)) or "none"
        raise LoadError(f"level {label!r}: {len(reports)} of {expected} workers sent their measurements "
                        f"(reported: {names}); a worker died or lost its master mid-level, so the level is failed")
    return reports, expected


def worker_warnings(label: str, loads: Sequence[WorkerLoad]) -> list[str]:
    """One sentence per saturated worker: its level measured that worker, not the server."""
    return [f"{label}: Locust worker {w.worker.name} on {w.worker.host} at {w.cpu_pct_mean:.0f}% of a core — this "
            "level measured the load generator, not the server" for w in loads if w.saturated]


def _who(identity: Mapping[str, Any]) -> str:
    return (f"{identity.get('name')} on {identity.get('host')} (harness {identity.get('harness_version')}, "
            f"code {str(identity.get('code_sha256'))[:12]})")


def worker_loads(reports: Sequence[WorkerReport], merged: Sequence[SidecarInterval], settle_s: int,
                 duration_s: int, interval_s: float, label: str) -> tuple[WorkerLoad, ...]:
    """Each worker's figures over the measured window (its own seconds ``[settle, settle + duration)``),
    after checking that ``merged`` (the master's intervals of that window) is exactly their sum."""
    loads = []
    totals = {"requests": 0, "errors": 0, "successes": 0}
    for report in reports:
        kept = [row for row in report.intervals
                if settle_s - _EPS <= row.index * interval_s < settle_s + duration_s - _EPS]
        if len(kept) < duration_s / interval_s - _EPS:
            raise LoadError(f"level {label!r}: worker {report.worker.name} measured {len(kept)} of the "
                            f"{duration_s} seconds of the window; it stopped early")
        successes = sum(HdrHistogram.decode(row.success_histogram).get_total_count()
                        for row in kept if row.requests > row.errors)
        start = report.test_start + settle_s
        mean, top = _cpu_pct(report.cpu, start, start + duration_s)
        loads.append(WorkerLoad(
            worker=report.worker, requests=sum(r.requests for r in kept), errors=sum(r.errors for r in kept),
            successes=successes, cpu_pct_mean=mean, cpu_pct_max=top,
            saturated=mean is not None and mean >= GENERATOR_SATURATION_PCT,
        ))  # fmt: skip
        totals["requests"] += loads[-1].requests
        totals["errors"] += loads[-1].errors
        totals["successes"] += successes
    merged_totals = {
        "requests": sum(r.requests for r in merged),
        "errors": sum(r.errors for r in merged),
        "successes": sum(HdrHistogram.decode(r.success_histogram).get_total_count()
                         for r in merged if r.requests > r.errors),
    }
    if merged_totals != totals:
        raise LoadError(f"level {label!r}: the master's merge {merged_totals} is not the sum of its workers "
                        f"{totals}; the merged numbers cannot be trusted")
    return tuple(loads)


def _cpu_pct(readings: Sequence[tuple[float, float]], start: float, end: float) -> tuple[float | None, float | None]:
    """(mean, max between consecutive readings) of CPU in percent of one core inside [start, end]."""
    inside = sorted(r for r in readings if start - _EPS <= r[0] <= end + _EPS)
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return None, None
    mean = 100.0 * (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
    rates = [100.0 * (b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.pairwise(inside) if b[0] > a[0]]
    return round(mean, 1), round(max(rates), 1)
