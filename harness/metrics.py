"""From one level's raw recording and process samples to one immutable result row.

A ``LevelResult`` is the unit every later step works with (levels.csv, the summary, gates): it
carries the level's identity, what the load generator saw, what the watched processes spent, and
self-checks that say whether the number can be trusted at all: generator saturation, Little's law, and
whether other processes shared the machine.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from harness.clock import stepped
from harness.level_id import LevelId
from harness.load.recording import LevelRecording, WindowStats
from harness.machine_load import FOREIGN, FOREIGN_CPU_LIMIT_CORES, STEAL
from harness.sampling import ProcessSample

if TYPE_CHECKING:
    from harness.load.vegeta import OpenLevelRecording

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

ACHIEVED_RATE_MIN = 0.98
"""Open model: share of the target rate that must actually leave the generator inside the window. Below
it the timeline slipped (the server held the generator's bounded connections), so the level did not
measure its rate."""

TREND_RATIO_MAX = 1.5
TREND_RISE_MIN_MS = 5.0
"""Open model: a level is not sustainable when the median of its per-second p50s in the last third of the
window is more than TREND_RATIO_MAX times that of the first third *and* at least TREND_RISE_MIN_MS higher:
a queue that grows for the whole window. The floor keeps a fast endpoint's jitter (2 ms → 3.5 ms) from
counting as a trend; an overloaded open level grows by seconds."""

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
    rate: int = field(default=0, kw_only=True)  # open model: target requests per second (users is 0)
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
    # Open model only (None in the closed model). Latency above is *corrected*: from each request's
    # intended send time; service_* is from its actual send time (what the server alone took).
    achieved_rps: float | None = None  # requests that actually left inside the window, per second
    scheduled: int | None = None  # requests the timeline planned inside the window
    dropped: int | None = None  # of those, never sent before the attack ended
    late: int | None = None  # sent more than 1 ms after their intended time
    max_lateness_ms: float | None = None
    in_flight_end: int | None = None  # intended before the window's end, answered after it
    in_flight_mean: float | None = None  # measured time average; Little's law compares it with rate × mean
    service_p50_ms: float | None = None
    service_p99_ms: float | None = None
    service_p999_ms: float | None = None
    latency_trend: float | None = None  # last third's per-second p50 over the first third's
    rate_ok: bool | None = None  # achieved >= ACHIEVED_RATE_MIN of the target
    trend_ok: bool | None = None  # no upward latency trend across the window
    slo_ok: bool | None = None  # with load.slo: p99, error rate, rate and trend all within it
    # Containerised apps only (None otherwise): the time the app container's cgroup was throttled in the
    # window, the share of its CFS periods that were, and whether that makes the level suspect.
    app_throttled_s: float | None = None
    app_throttled_pct: float | None = None
    app_throttled: bool = False
    app_cgroup_memory_mb_max: float | None = None  # the container's memory as its limit counts it (page cache too)
    # What else the machine did in the window (machine_load.py): mean CPU of processes outside the run, in cores;
    # the hypervisor's steal, % of all CPUs' time; busy: foreign CPU above FOREIGN_CPU_LIMIT_CORES.
    foreign_cpu_cores: float | None = None
    steal_pct: float | None = None
    machine_busy: bool = False
    # Whether the machine was paused during the level (clock.py): how far its wall clock stepped away from its
    # monotonic clock (None: not read, or a levels.csv older than format 6), and how many attempts the level took
    # (the earlier ones were paused and set aside).
    clock_step_s: float | None = None
    attempts: int = 1

    @property
    def paused(self) -> bool:
        return stepped(self.clock_step_s)

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
    *,
    in_flight: float | None = None,
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
    # number in flight (throughput x mean latency, errors included) must equal the users. Open
    # model: it must equal the number in flight measured from the requests' own times.
    littles_users = arrival_rate * mean_ms / 1000.0
    users = float(level.users) if in_flight is None else in_flight
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
    foreign = _cpu_seconds(samples.get(FOREIGN, ()), start, end)
    foreign_cores = foreign / seconds if foreign is not None and seconds > 0 else None
    steal = _cpu_seconds(samples.get(STEAL, ()), start, end)
    steal_pct = 100.0 * steal / (seconds * (os.cpu_count() or 1)) if steal is not None and seconds > 0 else None

    return LevelResult(
        jdk=level.jdk,
        variant=level.variant,
        users=level.users,
        rate=level.rate,
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
        foreign_cpu_cores=_round(foreign_cores, 3),
        steal_pct=_round(steal_pct, 1),
        # Distributed, workers started by hand on this machine are outside the run's tree but are its load.
        machine_busy=not recording.workers and foreign_cores is not None and foreign_cores > FOREIGN_CPU_LIMIT_CORES,
    )


_FIELDS = [f.name for f in dataclasses.fields(LevelResult)]
OPEN_MODEL_COLUMNS: tuple[str, ...] = tuple(_FIELDS[_FIELDS.index("achieved_rps"):_FIELDS.index("app_throttled_s")])
"""The columns levels.csv format 2 added for the open model (besides the level's ``rate``)."""
CONTAINER_COLUMNS: tuple[str, ...] = tuple(_FIELDS[_FIELDS.index("app_throttled_s"):_FIELDS.index("foreign_cpu_cores")])
"""The columns levels.csv format 4 added for containerised apps (besides the level's ``cpus``)."""
MACHINE_COLUMNS: tuple[str, ...] = tuple(_FIELDS[_FIELDS.index("foreign_cpu_cores"):_FIELDS.index("clock_step_s")])
"""The columns levels.csv format 5 added: what else the machine did in the window (machine_load.py)."""
PAUSE_COLUMNS: tuple[str, ...] = tuple(_FIELDS[_FIELDS.index("clock_step_s"):])
"""The columns levels.csv format 6 added: whether the machine was paused during the level (clock.py)."""
TRUST_COLUMNS: tuple[str, ...] = tuple(_FIELDS[_FIELDS.index("generator_runqueue_pct"):_FIELDS.index("achieved_rps")])
"""The columns levels.csv format 3 added: the generator's run-queue wait and starvation, the warm-up's outcome."""


def latency_trend(windows: Sequence[WindowStats]) -> tuple[float | None, bool | None]:
    """(ratio of the last third's median per-second p50 to the first third's, whether it is sustainable).

    (None, None) with fewer than three seconds that had a success: no trend can be told."""
    p50s = [w.p50_us / 1000.0 for w in windows if w.requests > w.errors]
    if len(p50s) < 3:
        return None, None
    third = len(p50s) // 3
    first, last = statistics.median(p50s[:third]), statistics.median(p50s[-third:])
    if first <= 0:
        return None, None
    ratio = last / first
    rising = ratio > TREND_RATIO_MAX and last - first >= TREND_RISE_MIN_MS
    return round(ratio, 3), not rising


def summarise_open_level(
    level: LevelId,
    recording: OpenLevelRecording,
    samples: Mapping[str, Sequence[ProcessSample]],
) -> LevelResult:
    """Reduce one open-model level (``harness.load.vegeta``) to a ``LevelResult``: latency corrected from the
    intended send time, service time beside it, the generator's promise (achieved rate, dropped, late, in
    flight) and the two sustainability flags. Little's law compares rate × mean latency with the number in
    flight measured from the requests' own times."""
    closed_view = LevelRecording(
        users=0, measured_start=recording.measured_start, measured_end=recording.measured_end,
        histogram=recording.corrected, requests=recording.sent, errors=recording.errors,
        error_kinds=recording.error_kinds, latency_sum_us=recording.latency_sum_us, windows=recording.windows,
        hlog_path=recording.hlog_path, generator_pid=recording.generator_pid,
    )
    result = summarise_level(level, closed_view, samples, in_flight=recording.in_flight_mean)
    service = recording.service
    if service.get_total_count() > 0:
        pct = service.get_percentile_to_value_dict([50.0, 99.0, 99.9])
        s50, s99, s999 = (round(pct[p] / 1000.0, 3) for p in (50.0, 99.0, 99.9))
    else:
        s50 = s99 = s999 = 0.0
    achieved = recording.achieved_rate
    trend, trend_ok = latency_trend(recording.windows)
    return dataclasses.replace(
        result, achieved_rps=round(achieved, 3), scheduled=recording.scheduled, dropped=recording.dropped,
        late=recording.late, max_lateness_ms=round(recording.max_lateness_us / 1000.0, 3),
        in_flight_end=recording.in_flight_end, in_flight_mean=round(recording.in_flight_mean, 3),
        service_p50_ms=s50, service_p99_ms=s99, service_p999_ms=s999, latency_trend=trend,
        rate_ok=achieved >= ACHIEVED_RATE_MIN * level.rate, trend_ok=trend_ok,
    )


def open_flags(result: LevelResult) -> list[str]:
    """Why an open-model level did not sustain its rate, one phrase each; empty in the closed model."""
    out = []
    if result.rate_ok is False and result.achieved_rps is not None:
        out.append(f"achieved {result.achieved_rps:.1f} req/s, below {ACHIEVED_RATE_MIN:.0%} of the target "
                   f"{result.rate} req/s")
    if result.trend_ok is False and result.latency_trend is not None:
        out.append(f"latency trending upward (p50 of the last third {result.latency_trend:.2f}x the first third's)")
    return out


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
    if result.machine_busy and result.foreign_cpu_cores is not None:
        out.append(
            f"{label}: processes outside the run used {result.foreign_cpu_cores:.2f} cores of this machine in the "
            f"window (limit {FOREIGN_CPU_LIMIT_CORES:g}) — this level measured a shared machine; run again on a "
            "quiet one (another benchmark, build or test run was here)"
        )
    if not result.warmup_steady:
        out.append(f"{label}: the JVM never became steady during its warm-up (it reached its maximum); "
                   "JIT compilation or throughput was still changing when this level was measured")
    if result.paused and result.clock_step_s is not None:
        out.append(
            f"{label}: the machine was paused during the level: its wall clock stepped {result.clock_step_s:.2f}s "
            f"away from its monotonic clock in each of {result.attempts} attempt(s) (a VM snapshot or migration, or "
            "the clock set by hand); the window holds time nothing ran in"
        )
    if result.requests == 0:
        out.append(f"{label}: no request completed in the measured window")
    elif result.errors:
        kinds = ", ".join(f"{kind}: {count}" for kind, count in result.error_kinds.items())
        out.append(
            f"{label}: {result.errors} of {result.requests} requests failed ({result.error_rate:.2%})"
            + (f" ({kinds})" if kinds else "")
        )
    if result.requests and not result.littles_law_ok and result.in_flight_mean is not None:
        out.append(
            f"{label}: Little's law off by {result.littles_law_deviation:.0%} — rate x mean corrected latency "
            f"gives {result.littles_law_users:.1f} requests in flight, the requests' own times "
            f"{result.in_flight_mean:.1f}"
        )
    elif result.requests and not result.littles_law_ok:
        out.append(
            f"{label}: Little's law off by {result.littles_law_deviation:.0%} — throughput x mean latency "
            f"gives {result.littles_law_users:.1f} users in flight, not {result.users}; users were not "
            "all waiting on the server (generator delay or queueing outside the measured request)"
        )
    out += [f"{label}: {flag}" for flag in open_flags(result)]
    if result.dropped:
        out.append(f"{label}: {result.dropped} of {result.scheduled} scheduled requests were never sent")
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
