"""From one level's raw recording and process samples to one immutable result row.

A ``LevelResult`` is the unit every later step works with (levels.csv, the summary, gates): it
carries the level's identity, what the load generator saw, what the watched processes spent, and
two self-checks that say whether the number can be trusted at all: generator saturation and
Little's law.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from harness.level_id import LevelId
from harness.load.recording import LevelRecording
from harness.sampling import ProcessSample

GENERATOR_SATURATION_PCT = 90.0
"""Mean CPU of the load generator (percent of one core) from which a level is marked saturated.

Locust runs its users on one gevent loop: near a full core it delays sending, so the level
measures the generator's ceiling rather than the server's.
"""

GENERATOR_RUNQUEUE_LIMIT = 0.20
"""Largest share of the measured window the load generator's threads may spend runnable but waiting for a
CPU (``/proc/<pid>/task/*/schedstat``) before the level is marked starved: its users' next requests went
out late, whatever its CPU use says (a starved generator uses little CPU). Set from this machine: in the
CI gate scenario under a load average of 12-24 the generator waited 4-15% of the window, about 1 ms per
request against latencies of 75-1400 ms; where `harness calibrate` saw Locust fall well behind wrk it
waited 38-64%."""

THROTTLED_PERIODS_PCT = 5.0
"""Share of the app container's CFS periods (100 ms each by default) throttled from which a level is flagged.

A throttled JVM stops mid-request until the next period, a wait neither the app's metrics nor its
threads see: past one period in twenty, the level measured the quota as much as the threading model.
"""

LITTLES_LAW_TOLERANCE = 0.10
"""Largest relative gap between throughput x mean latency and the configured users that still passes."""

_MIB = 1024 * 1024


@dataclass(frozen=True)
class LevelResult:
    """One measured level: jdk, variant, users, repetition.

    Latency percentiles are of successful requests only, in milliseconds with microsecond
    resolution; ``mean_ms`` covers every completed request (errors too) because Little's law
    needs the time every user spent waiting. Resource figures are ``None`` when the process was
    not sampled often enough inside the measured window.
    """

    jdk: int
    variant: str
    users: int
    repetition: int
    # The app container's CPU quota, a level dimension (LevelId.cpus); keyword-only so it can sit with the identity.
    cpus: float | None = field(default=None, kw_only=True)
    started_at: str  # ISO 8601, UTC, of the measured window's start
    seconds: float
    requests: int  # completed in the measured window, errors included
    errors: int
    error_rate: float
    error_kinds: dict[str, int]
    throughput_rps: float  # successful requests per second
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    app_rss_mb_max: float | None
    app_cpu_s: float | None
    app_cpu_s_per_1k_requests: float | None  # per 1,000 successful requests (manifest format >= 2; before: all)
    downstream_cpu_s: float | None
    postgres_cpu_s: float | None
    generator_cpu_pct_mean: float | None
    generator_cpu_pct_max: float | None
    generator_saturated: bool
    littles_law_users: float
    littles_law_deviation: float
    littles_law_ok: bool
    # From the app's /actuator/prometheus during the measured window (None: the variant has no
    # such meter, or too few scrapes landed in the window). Gauges: max; counters: increase.
    platform_threads_max: float | None = None
    heap_used_mb_max: float | None = None
    db_pool_active_max: float | None = None
    db_pool_pending_max: float | None = None
    db_acquire_ms_mean: float | None = None
    db_acquire_ms_max: float | None = None
    db_acquire_timeouts: float | None = None
    tomcat_busy_threads_max: float | None = None
    tomcat_connections_max: float | None = None
    http_client_pending_max: float | None = None
    vt_pinned: float | None = None
    vt_submit_failed: float | None = None
    gc_pauses: float | None = None
    gc_pause_ms_total: float | None = None
    scrape_errors: float | None = None
    # The generator's run-queue wait in the window, % of the window (one process; None when distributed or
    # the kernel has no schedstat), and whether it passed GENERATOR_RUNQUEUE_LIMIT.
    generator_runqueue_pct: float | None = None
    generator_starved: bool = False
    # False when the JVM's auto warm-up reached its maximum without becoming steady (every level of that JVM).
    warmup_steady: bool = True
    # Containerised apps only (None otherwise): the time the app container's cgroup was throttled in the
    # window, the share of its CFS periods that were, and whether that makes the level suspect.
    app_throttled_s: float | None = None
    app_throttled_pct: float | None = None
    app_throttled: bool = False
    app_cgroup_memory_mb_max: float | None = None  # the container's memory as its limit counts it (page cache too)

    @property
    def id(self) -> LevelId:
        return LevelId.of(self)

    def label(self, repetitions: int = 1) -> str:
        """``webflux jdk25 256 users``; ``... rep 2/3`` when told there are several repetitions."""
        return self.id.label(repetitions)


def _in_window(samples: Sequence[ProcessSample], start: float, end: float) -> list[ProcessSample]:
    return sorted((s for s in samples if start <= s.t <= end), key=lambda s: s.t)


def _cpu_seconds(samples: Sequence[ProcessSample], start: float, end: float) -> float | None:
    """CPU time spent in [start, end], extrapolated from the samples inside it to the whole window.

    The sampler ticks independently of the level, so the first and last samples rarely sit on the
    window's edges; scaling the observed rate to the window's length keeps levels comparable.
    """
    inside = _in_window(samples, start, end)
    if len(inside) < 2:
        return None
    observed = inside[-1].t - inside[0].t
    if observed <= 0:
        return None
    # A counter that goes backwards means the process was restarted: no honest number exists.
    spent = inside[-1].cpu_seconds - inside[0].cpu_seconds
    if spent < 0:
        return None
    return spent * (end - start) / observed


def _cpu_pct(samples: Sequence[ProcessSample], start: float, end: float) -> tuple[float, float] | None:
    """(time-weighted mean, max over sampling intervals) of CPU use, in percent of one core."""
    inside = _in_window(samples, start, end)
    rates: list[float] = []
    total_cpu = total_time = 0.0
    for before, after in itertools.pairwise(inside):
        dt = after.t - before.t
        dcpu = after.cpu_seconds - before.cpu_seconds
        if dt <= 0 or dcpu < 0:
            continue
        rates.append(100.0 * dcpu / dt)
        total_cpu += dcpu
        total_time += dt
    if not rates:
        return None
    return 100.0 * total_cpu / total_time, max(rates)


def _runqueue_share(samples: Sequence[ProcessSample], start: float, end: float) -> float | None:
    """Share of [start, end] the process waited on a run queue, from the samples inside it."""
    inside = [s for s in _in_window(samples, start, end) if s.runqueue_seconds is not None]
    if len(inside) < 2 or inside[-1].t <= inside[0].t:
        return None
    waited = inside[-1].runqueue_seconds - inside[0].runqueue_seconds  # type: ignore[operator]
    # Threads that exited take their counters with them: a drop is not a negative wait.
    return max(0.0, waited) / (inside[-1].t - inside[0].t)


def _throttling(samples: Sequence[ProcessSample], start: float, end: float) -> tuple[float, float] | None:
    """(seconds throttled, percent of CFS periods throttled) in [start, end], from the cgroup counters of the
    samples inside it, the seconds scaled to the whole window like ``_cpu_seconds``; None without two readings."""
    inside = [s for s in _in_window(samples, start, end) if s.cgroup is not None]
    if len(inside) < 2:
        return None
    first, last = inside[0].cgroup, inside[-1].cgroup
    assert first is not None and last is not None
    observed = inside[-1].t - inside[0].t
    periods = last.periods - first.periods
    if observed <= 0 or periods < 0:
        return None
    seconds = (last.throttled_s - first.throttled_s) * (end - start) / observed
    share = 100.0 * (last.throttled_periods - first.throttled_periods) / periods if periods else 0.0
    return seconds, share


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _iso_utc(unix_time: float) -> str:
    moment = datetime.fromtimestamp(unix_time, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def summarise_level(
    level: LevelId,
    recording: LevelRecording,
    samples: Mapping[str, Sequence[ProcessSample]],
) -> LevelResult:
    """Reduce one level to a ``LevelResult``.

    Guarantees: never raises on empty input (no requests gives zeros and a failed Little's law
    check; a missing or too sparsely sampled process gives ``None`` for its figures); only
    samples inside the measured window count; percentiles keep 3 decimals of milliseconds, i.e.
    the histogram's microsecond resolution.
    """
    start, end = recording.measured_start, recording.measured_end
    seconds = max(recording.seconds, 0.0)
    requests, errors = recording.requests, recording.errors
    successes = max(requests - errors, 0)

    histogram = recording.histogram
    if histogram.get_total_count() > 0:
        pct = histogram.get_percentile_to_value_dict([50.0, 90.0, 99.0, 99.9])
        p50, p90, p99, p999 = (pct[p] / 1000.0 for p in (50.0, 90.0, 99.0, 99.9))
        max_ms = histogram.get_max_value() / 1000.0
    else:
        p50 = p90 = p99 = p999 = max_ms = 0.0

    mean_ms = recording.latency_sum_us / requests / 1000.0 if requests else 0.0
    arrival_rate = requests / seconds if seconds > 0 else 0.0
    # Closed model without think time: every user is always waiting for a response, so the
    # number in flight (throughput x mean latency, errors included) must equal the users.
    littles_users = arrival_rate * mean_ms / 1000.0
    users = level.users
    deviation = abs(littles_users - users) / users if users > 0 else 1.0

    app = samples.get("app", ())
    rss = [s.rss_bytes for s in _in_window(app, start, end)]
    app_cpu = _cpu_seconds(app, start, end)
    generator = _cpu_pct(samples.get("generator", ()), start, end)
    if recording.workers:
        # Distributed: the master sends nothing; the generator is the busiest worker, and saturated if any is.
        busiest = max(recording.workers, key=lambda w: w.cpu_pct_mean or 0.0)
        mean, top = busiest.cpu_pct_mean, max((w.cpu_pct_max or 0.0) for w in recording.workers)
        generator = None if mean is None else (mean, top)
    saturated = generator is not None and generator[0] >= GENERATOR_SATURATION_PCT
    throttling = _throttling(app, start, end)
    cgroup_memory = [s.cgroup_memory_bytes for s in _in_window(app, start, end) if s.cgroup_memory_bytes is not None]
    if recording.workers:
        saturated = any(w.saturated for w in recording.workers)
    # Distributed, the sampled master sends nothing: its wait says nothing about the load.
    runqueue = None if recording.workers else _runqueue_share(samples.get("generator", ()), start, end)

    return LevelResult(
        jdk=level.jdk,
        variant=level.variant,
        users=level.users,
        repetition=level.repetition,
        cpus=level.cpus,
        started_at=_iso_utc(start),
        seconds=round(seconds, 3),
        requests=requests,
        errors=errors,
        error_rate=round(errors / requests, 6) if requests else 0.0,
        error_kinds=dict(sorted(recording.error_kinds.items())),
        throughput_rps=round(successes / seconds, 3) if seconds > 0 else 0.0,
        mean_ms=round(mean_ms, 3),
        p50_ms=round(p50, 3),
        p90_ms=round(p90, 3),
        p99_ms=round(p99, 3),
        p999_ms=round(p999, 3),
        max_ms=round(max_ms, 3),
        app_rss_mb_max=round(max(rss) / _MIB, 1) if rss else None,
        app_cpu_s=_round(app_cpu, 3),
        # Per success: a failed request is often cheap (a refused connection), and counting it would make
        # a variant that fails fast look cheaper per unit of work done.
        app_cpu_s_per_1k_requests=(
            round(app_cpu * 1000.0 / successes, 4) if app_cpu is not None and successes else None
        ),
        downstream_cpu_s=_round(_cpu_seconds(samples.get("downstream", ()), start, end), 3),
        postgres_cpu_s=_round(_cpu_seconds(samples.get("postgres", ()), start, end), 3),
        generator_cpu_pct_mean=None if generator is None else round(generator[0], 1),
        generator_cpu_pct_max=None if generator is None else round(generator[1], 1),
        generator_saturated=saturated,
        littles_law_users=round(littles_users, 3),
        littles_law_deviation=round(deviation, 4),
        littles_law_ok=requests > 0 and deviation <= LITTLES_LAW_TOLERANCE,
        generator_runqueue_pct=None if runqueue is None else round(100.0 * runqueue, 1),
        generator_starved=runqueue is not None and runqueue > GENERATOR_RUNQUEUE_LIMIT,
        app_throttled_s=None if throttling is None else round(throttling[0], 3),
        app_throttled_pct=None if throttling is None else round(throttling[1], 1),
        app_throttled=throttling is not None and throttling[1] >= THROTTLED_PERIODS_PCT,
        app_cgroup_memory_mb_max=None if not cgroup_memory else round(max(cgroup_memory) / _MIB, 1),
    )


def warnings_for(result: LevelResult, repetitions: int = 1) -> list[str]:
    """Every reason to distrust or qualify this level, one human sentence each; empty when clean.

    Pass the scenario's ``repetitions`` so each sentence names which repetition it is about.
    """
    out: list[str] = []
    label = result.label(repetitions)
    if result.generator_saturated and result.generator_cpu_pct_mean is not None:
        out.append(
            f"{label}: load generator at {result.generator_cpu_pct_mean:.0f}% of a core — "
            "this level measured Locust, not the server"
        )
    if result.generator_starved and result.generator_runqueue_pct is not None:
        out.append(
            f"{label}: load generator waited for a CPU {result.generator_runqueue_pct:.0f}% of the window "
            f"(run queue; limit {GENERATOR_RUNQUEUE_LIMIT:.0%}) — requests went out late, this level measured "
            "the machine's contention as much as the server"
        )
    if not result.warmup_steady:
        out.append(f"{label}: the JVM never became steady during its warm-up (it reached its maximum); "
                   "JIT compilation or throughput was still changing when this level was measured")
    if result.requests == 0:
        out.append(f"{label}: no request completed in the measured window")
    elif result.errors:
        kinds = ", ".join(f"{kind}: {count}" for kind, count in result.error_kinds.items())
        out.append(
            f"{label}: {result.errors} of {result.requests} requests failed ({result.error_rate:.2%})"
            + (f" ({kinds})" if kinds else "")
        )
    if result.requests and not result.littles_law_ok:
        out.append(
            f"{label}: Little's law off by {result.littles_law_deviation:.0%} — throughput x mean latency "
            f"gives {result.littles_law_users:.1f} users in flight, not {result.users}; users were not "
            "all waiting on the server (generator delay or queueing outside the measured request)"
        )
    if result.app_throttled and result.app_throttled_pct is not None:
        out.append(
            f"{label}: the app's container was throttled in {result.app_throttled_pct:.0f}% of its CPU periods "
            f"({result.app_throttled_s:.1f}s) — latency includes waits for its CPU quota"
        )
    if result.db_acquire_timeouts:
        out.append(f"{label}: {result.db_acquire_timeouts:.0f} database connection requests timed out in the pool")
    if result.vt_submit_failed:
        out.append(f"{label}: {result.vt_submit_failed:.0f} virtual threads could not be scheduled (submit failed)")
    if result.scrape_errors:
        out.append(f"{label}: {result.scrape_errors:.0f} reads of /actuator/prometheus failed; JVM figures are partial")
    return out
