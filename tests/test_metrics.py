from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from harness.gate.flags import level_flags
from harness.infra.cgroup_cpu import CpuThrottling
from harness.level_id import LevelId
from harness.load.recording import LevelRecording, new_histogram
from harness.load.vegeta import Hit, fold_hits
from harness.load.workers import WorkerIdentity, WorkerLoad
from harness.metrics import (
    OPEN_MODEL_COLUMNS,
    LevelResult,
    open_flags,
    summarise_level,
    summarise_open_level,
    warnings_for,
)
from harness.sampling import ProcessSample

START = 1_800_000_000.0


def recording(
    *,
    users: int = 64,
    seconds: float = 10.0,
    requests: int = 10_000,
    errors: int = 0,
    mean_us: int = 64_000,
    success_values_us: Sequence[int] = (64_000,),
    error_kinds: dict[str, int] | None = None,
) -> LevelRecording:
    histogram = new_histogram()
    for value in success_values_us:
        histogram.record_value(value)
    return LevelRecording(
        users=users,
        measured_start=START,
        measured_end=START + seconds,
        histogram=histogram,
        requests=requests,
        errors=errors,
        error_kinds=error_kinds or {},
        latency_sum_us=mean_us * requests,
        windows=(),
        hlog_path=Path("unused.hlog"),
        generator_pid=1,
    )


def cpu_samples(
    name: str, pct_of_core: float, seconds: int = 10, rss: int = 300 * 1024 * 1024
) -> list[ProcessSample]:
    return [ProcessSample(START + i, name, rss + i, 5.0 + i * pct_of_core / 100) for i in range(seconds + 1)]


def summarise(rec: LevelRecording, samples: dict[str, list[ProcessSample]] | None = None) -> LevelResult:
    return summarise_level(
        LevelId(jdk=25, variant="webflux", users=rec.users, repetition=1), recording=rec, samples=samples or {}
    )


def test_littles_law_holds_when_every_user_is_always_waiting() -> None:
    # 64 users, 1000 req/s, 64 ms mean: 1000 x 0.064 = 64 in flight.
    result = summarise(recording(users=64, seconds=10, requests=10_000, mean_us=64_000))
    assert result.throughput_rps == 1000.0
    assert result.mean_ms == 64.0
    assert result.littles_law_users == pytest.approx(64.0)
    assert result.littles_law_deviation == pytest.approx(0.0)
    assert result.littles_law_ok
    assert warnings_for(result) == []


def test_littles_law_flags_users_not_in_flight() -> None:
    # 1000 req/s at 40 ms mean means only 40 of 64 users were waiting on the server.
    result = summarise(recording(users=64, seconds=10, requests=10_000, mean_us=40_000))
    assert result.littles_law_users == pytest.approx(40.0)
    assert result.littles_law_deviation == pytest.approx(0.375)
    assert not result.littles_law_ok
    assert any("Little's law off by 38%" in w for w in warnings_for(result))


def test_littles_law_counts_errors_but_throughput_does_not() -> None:
    result = summarise(recording(requests=10_000, errors=1_000, error_kinds={"http_502": 1_000}))
    assert result.throughput_rps == 900.0
    assert result.error_rate == pytest.approx(0.1)
    assert result.littles_law_ok  # errors kept their users busy too
    assert any("1000 of 10000 requests failed" in w and "http_502" in w for w in warnings_for(result))


def test_percentiles_keep_microsecond_resolution() -> None:
    result = summarise(recording(success_values_us=[150] * 100))
    assert result.p50_ms == 0.15
    assert result.p99_ms == 0.15
    assert result.max_ms == 0.15


def test_percentiles_split_a_mixed_distribution() -> None:
    values = [1_000] * 900 + [2_000] * 90 + [50_000] * 9 + [90_000]
    result = summarise(recording(success_values_us=values))
    assert result.p50_ms == 1.0
    assert result.p90_ms == 1.0
    assert result.p99_ms == pytest.approx(2.0, rel=1e-3)
    assert result.p999_ms == pytest.approx(50.0, rel=1e-3)
    assert result.max_ms == pytest.approx(90.0, rel=1e-3)


def test_generator_saturation_from_samples() -> None:
    saturated = summarise(recording(), {"generator": cpu_samples("generator", 97.0)})
    assert saturated.generator_cpu_pct_mean == pytest.approx(97.0)
    assert saturated.generator_saturated
    assert any(
        "load generator at 97% of a core — this level measured Locust, not the server" in w
        for w in warnings_for(saturated)
    )
    relaxed = summarise(recording(), {"generator": cpu_samples("generator", 60.0)})
    assert not relaxed.generator_saturated


def test_process_figures_come_from_samples_inside_the_window() -> None:
    # A sample long before the window (with a far lower counter) must not inflate CPU time.
    app = [ProcessSample(START - 100, "app", 10, 0.0), *cpu_samples("app", 200.0)]
    result = summarise(recording(), {"app": app, "postgres": cpu_samples("postgres", 50.0)})
    assert result.app_cpu_s == pytest.approx(20.0)
    assert result.app_cpu_s_per_1k_requests == pytest.approx(2.0)
    assert result.app_rss_mb_max == pytest.approx(300.0)
    assert result.postgres_cpu_s == pytest.approx(5.0)
    assert result.downstream_cpu_s is None


def test_missing_samples_and_empty_level_do_not_raise() -> None:
    result = summarise(recording(requests=0, success_values_us=()))
    assert result.app_cpu_s is None and result.generator_cpu_pct_mean is None
    assert not result.generator_saturated
    assert result.p50_ms == 0.0 and result.throughput_rps == 0.0
    assert not result.littles_law_ok
    assert any("no request completed" in w for w in warnings_for(result))


def test_started_at_is_iso_utc() -> None:
    assert summarise(recording()).started_at == "2027-01-15T08:00:00.000Z"


def test_warnings_name_the_repetition_when_asked() -> None:
    result = summarise_level(
        LevelId(jdk=21, variant="mvc-virtual", users=64, repetition=2), recording=recording(mean_us=40_000), samples={}
    )
    assert warnings_for(result)[0].startswith("mvc-virtual jdk21 64 users rep 2: Little's law")
    assert warnings_for(result, repetitions=3)[0].startswith("mvc-virtual jdk21 64 users rep 2/3: ")


def _worker_load(name: str, mean: float | None, top: float | None) -> WorkerLoad:
    identity = WorkerIdentity(name=name, host="h", pid=1, external=False, harness_version="0", code_sha256="c")
    return WorkerLoad(worker=identity, requests=1, errors=0, successes=1, cpu_pct_mean=mean, cpu_pct_max=top,
                      saturated=mean is not None and mean >= 90.0)


def test_a_distributed_level_is_saturated_when_any_worker_is() -> None:
    """The master sends nothing: its own idle CPU must not hide a saturated worker."""
    rec = dataclasses.replace(recording(), workers=(_worker_load("w1", 40.0, 55.0), _worker_load("w2", 95.0, 99.0)))
    result = summarise(rec, {"generator": cpu_samples("generator", 3.0)})
    assert result.generator_saturated
    assert result.generator_cpu_pct_mean == 95.0 and result.generator_cpu_pct_max == 99.0
    calm = dataclasses.replace(recording(), workers=(_worker_load("w1", 40.0, 55.0), _worker_load("w2", 50.0, 60.0)))
    assert not summarise(calm, {"generator": cpu_samples("generator", 97.0)}).generator_saturated


def test_cpu_per_thousand_counts_successful_requests_only() -> None:
    # 20 CPU-seconds for 10,000 requests of which 5,000 failed: 4 s per 1,000 answered, not 2.
    result = summarise(recording(requests=10_000, errors=5_000, error_kinds={"http_503": 5_000}),
                       {"app": cpu_samples("app", 200.0)})
    assert result.app_cpu_s == pytest.approx(20.0)
    assert result.app_cpu_s_per_1k_requests == pytest.approx(4.0)
    failed = summarise(recording(requests=100, errors=100, success_values_us=(), error_kinds={"http_503": 100}),
                       {"app": cpu_samples("app", 200.0)})
    assert failed.app_cpu_s_per_1k_requests is None  # no work answered: no cost per answer


def _waiting(share: float, seconds: int = 10) -> list[ProcessSample]:
    """Generator samples whose threads waited ``share`` of each second on the run queue, at 20% CPU."""
    return [ProcessSample(START + i, "generator", 1, 5.0 + 0.2 * i, 1.0 + share * i) for i in range(seconds + 1)]


def test_a_generator_waiting_on_the_run_queue_is_starved_whatever_its_cpu_use() -> None:
    starved = summarise(recording(), {"generator": _waiting(0.30)})
    assert (starved.generator_runqueue_pct, starved.generator_starved) == (pytest.approx(30.0), True)
    assert not starved.generator_saturated  # 20% CPU: the CPU check alone would not have seen it
    assert any("load generator waited for a CPU 30% of the window (run queue; limit 20%)" in w
               for w in warnings_for(starved))
    fine = summarise(recording(), {"generator": _waiting(0.05)})
    assert (fine.generator_runqueue_pct, fine.generator_starved) == (pytest.approx(5.0), False)
    assert not any("run queue" in w for w in warnings_for(fine))
    unread = summarise(recording(), {"generator": cpu_samples("generator", 20.0)})
    assert (unread.generator_runqueue_pct, unread.generator_starved) == (None, False)


def test_a_level_of_a_jvm_that_never_became_steady_says_so() -> None:
    unsteady = dataclasses.replace(summarise(recording()), warmup_steady=False)
    assert any("never became steady during its warm-up" in w for w in warnings_for(unsteady))
    assert not any("steady" in w for w in warnings_for(summarise(recording())))


# -- the open model -----------------------------------------------------------------------------------
OPEN_ORIGIN_NS = 1_700_000_000 * 10**9


def open_level(rate: int, seconds: int, *, latency_ms: Callable[[int], float] = lambda seq: 20.0,
               late_ms: Callable[[int], float] = lambda seq: 0.0) -> LevelResult:
    """A level of ``seconds`` (no settle) whose hit ``seq`` leaves ``late_ms(seq)`` after its time and takes
    ``latency_ms(seq)``; folded and summarised exactly as the benchmark does."""
    hits = []
    for seq in range(rate * seconds):
        intended = OPEN_ORIGIN_NS + seq * 10**9 // rate
        hits.append(Hit(seq=seq, sent_ns=intended + int(late_ms(seq) * 1e6), latency_ns=int(latency_ms(seq) * 1e6),
                        code=200, error=""))
    recording = fold_hits(hits, rate, settle_s=0, duration_s=seconds).recording(rate, Path("unused.hlog"), 1,
                                                                                 Path("vegeta"))
    return summarise_open_level(LevelId.open(25, "webflux", rate, 1), recording, {})


def test_an_open_level_on_schedule_is_sustainable_and_keeps_littles_law() -> None:
    result = open_level(100, 6)
    assert (result.rate, result.users, result.achieved_rps) == (100, 0, 100.0)
    assert result.rate_ok is True and result.trend_ok is True and result.latency_trend == 1.0
    # 100/s × 20 ms = 2 in flight, measured from the hits' own times.
    assert result.in_flight_mean == pytest.approx(2.0, rel=0.01)
    assert result.littles_law_ok and result.littles_law_users == pytest.approx(2.0, rel=0.01)
    assert result.p50_ms == result.service_p50_ms == pytest.approx(20.0, rel=0.002)
    assert open_flags(result) == [] and level_flags("here", [result]) == []


def test_an_achieved_rate_below_98_percent_of_the_target_is_flagged() -> None:
    # The last 3% of the window's hits leave only after it ended (the server held every connection).
    result = open_level(100, 10, late_ms=lambda seq: 2000.0 if seq >= 970 else 0.0)
    assert result.achieved_rps == 97.0
    assert result.rate_ok is False
    assert any("below 98% of the target 100 req/s" in flag for flag in open_flags(result))
    assert any("achieved rate below 98%" in flag for flag in level_flags("here", [result]))
    assert any("achieved 97.0 req/s" in warning for warning in warnings_for(result))
    # 98% exactly is still sustainable.
    assert open_level(100, 10, late_ms=lambda seq: 2000.0 if seq >= 980 else 0.0).rate_ok is True


def test_latency_that_grows_across_the_window_is_flagged_as_not_sustainable() -> None:
    # A queue that grows: each second adds 30 ms (20 ms → 290 ms over ten seconds).
    rising = open_level(50, 10, latency_ms=lambda seq: 20.0 + 30.0 * (seq // 50))
    assert rising.trend_ok is False and rising.latency_trend is not None and rising.latency_trend > 5
    assert any("latency trending upward" in flag for flag in level_flags("here", [rising]))
    # Jitter around a flat line is not a trend, nor is a rise too small to matter on a fast endpoint.
    jitter = open_level(50, 10, latency_ms=lambda seq: 20.0 + (15.0 if seq % 7 == 0 else 0.0))
    assert jitter.trend_ok is True
    small = open_level(50, 10, latency_ms=lambda seq: 2.0 + 0.3 * (seq // 50))
    assert small.latency_trend is not None and small.latency_trend > 1.5 and small.trend_ok is True


def test_a_closed_level_has_no_open_model_figures() -> None:
    result = summarise(recording())
    assert result.rate == 0
    assert all(getattr(result, column) is None for column in OPEN_MODEL_COLUMNS)
    assert open_flags(result) == []
def _throttled_samples(throttled_share: float, seconds: int = 10) -> list[ProcessSample]:
    # Ten 100 ms CFS periods a second, ``throttled_share`` of them throttled for 50 ms each.
    return [ProcessSample(START + i, "app", 300 * 1024 * 1024, 5.0 + i * 0.9,
                          cgroup=CpuThrottling(periods=1000 + 10 * i, throttled_periods=round(10 * i * throttled_share),
                                               throttled_s=0.05 * round(10 * i * throttled_share), quota_cpus=1.0),
                          cgroup_memory_bytes=(400 + i) * 1024 * 1024)
            for i in range(seconds + 1)]


def test_a_container_throttled_in_many_periods_flags_its_level() -> None:
    result = summarise(recording(), {"app": _throttled_samples(0.5)})
    assert result.app_throttled_pct == 50.0
    assert result.app_throttled_s == pytest.approx(2.5)  # 50 periods x 50 ms
    assert result.app_throttled
    assert result.app_cgroup_memory_mb_max == 410.0  # the largest reading inside the window
    assert any("throttled in 50% of its CPU periods" in w for w in warnings_for(result))


def test_a_container_rarely_throttled_is_not_flagged_and_a_process_has_no_figure() -> None:
    calm = summarise(recording(), {"app": _throttled_samples(0.02)})
    assert calm.app_throttled_pct == 2.0 and not calm.app_throttled
    assert not any("throttled" in w for w in warnings_for(calm))
    process = summarise(recording(), {"app": cpu_samples("app", 90)})
    assert process.app_throttled_s is None and process.app_throttled_pct is None and not process.app_throttled
    assert process.app_cgroup_memory_mb_max is None


def test_other_processes_using_the_machine_mark_the_level_busy() -> None:
    # 0.9 cores of other processes and 4% of two CPUs stolen over the 10 s window.
    busy = summarise(recording(), {"foreign": cpu_samples("foreign", 90.0), "steal": cpu_samples("steal", 8.0)})
    assert (busy.foreign_cpu_cores, busy.machine_busy) == (pytest.approx(0.9), True)
    assert busy.steal_pct == pytest.approx(8.0 / 2 if os.cpu_count() == 2 else 8.0 / (os.cpu_count() or 1))
    assert any("processes outside the run used 0.90 cores" in w for w in warnings_for(busy))
    assert level_flags("here", [busy]) == ["here: machine shared with other processes (r1)"]
    quiet = summarise(recording(), {"foreign": cpu_samples("foreign", 1.0)})
    assert (quiet.foreign_cpu_cores, quiet.machine_busy) == (pytest.approx(0.01), False)
    assert not any("outside the run" in w for w in warnings_for(quiet))
    unread = summarise(recording())
    assert (unread.foreign_cpu_cores, unread.steal_pct, unread.machine_busy) == (None, None, False)


def test_a_distributed_level_records_other_processes_but_is_not_judged_on_them() -> None:
    # Workers started by hand on this machine are outside the run's tree, and are its load.
    rec = dataclasses.replace(recording(), workers=(_worker_load("w1", 40.0, 55.0),))
    result = summarise(rec, {"foreign": cpu_samples("foreign", 90.0)})
    assert result.foreign_cpu_cores == pytest.approx(0.9) and not result.machine_busy


def test_a_paused_level_warns_how_far_the_clock_stepped_and_a_remeasured_one_does_not() -> None:
    base = summarise(recording(), {})
    paused = dataclasses.replace(base, clock_step_s=1.3, attempts=3)
    assert paused.paused
    assert any("machine was paused during the level" in w and "stepped 1.30s" in w and "3 attempt(s)" in w
               for w in warnings_for(paused))
    remeasured = dataclasses.replace(base, clock_step_s=0.004, attempts=2)
    assert not remeasured.paused
    assert not any("paused" in w for w in warnings_for(remeasured))
    assert not dataclasses.replace(base, clock_step_s=None).paused  # unread (an older levels.csv)
    assert level_flags("here", [paused, remeasured]) == ["here: machine paused (clock stepped) (r1)"]
