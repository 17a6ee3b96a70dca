"""Build a realistic results folder with the harness's own writers, for report, analysis and notebook tests.

Everything a run writes is produced by the real code path: ``ManifestWriter`` (manifest.json),
``LevelTable`` (levels.csv), ``append_windows`` (timeseries.csv), HdrHistogram interval logs, and
``summarise_level`` on a real ``LevelRecording``; only the latencies and process samples are
synthetic, drawn from a simple model of each variant (a 32-thread pool that queues, and two
models that scale). A later end-to-end test can point the same tests at a real run instead.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogWriter

from harness import apps, settings
from harness.level_id import LevelId
from harness.load.recording import LevelRecording, WindowStats, new_histogram
from harness.metrics import LevelResult, summarise_level, warnings_for
from harness.results.layout import ResultsDir, create
from harness.results.manifest import FinalStatus, JdkRecord, ManifestWriter, VariantRecord, Verification
from harness.results.tables import LevelTable, append_windows
from harness.sampling import ProcessSample
from harness.scenario import Scenario, parse_scenario

VARIANTS: tuple[str, ...] = ("mvc-platform", "mvc-virtual", "webflux")
LEVELS: tuple[int, ...] = (16, 64, 256)
REPETITIONS = 3
SECONDS = 5  # measured seconds per level: enough for a timeseries, quick to build
_EPOCH = datetime(2026, 11, 26, 22, 43, 5, tzinfo=UTC).timestamp()
_MIB = 1024 * 1024


@dataclass(frozen=True)
class BuiltRun:
    results: ResultsDir
    scenario: Scenario
    levels: list[LevelResult]

    @property
    def root(self) -> Path:
        return self.results.root


def scenario(name: str = "report-demo", variants: Sequence[str] = VARIANTS, levels: Sequence[int] = LEVELS,
             repetitions: int = REPETITIONS, jdks: Sequence[int] = (25,)) -> Scenario:
    return parse_scenario({
        "name": name,
        "description": "Synthetic run built by tests/results_factory.py.",
        "variants": list(variants),
        "jdks": list(jdks),
        # The latency model below assumes these pools; the app reports them back in runtime().
        "app": {"db_pool": 32, "tomcat": {"max_threads": 32}, "netty": {"io_workers": 4},
                "http_client": {"max_connections": 512}},
        "load": {"levels": list(levels), "repetitions": repetitions, "duration": f"{SECONDS}s",
                 "settle": "1s", "warmup": "2s"},
    })  # fmt: skip


def runtime(variant: str, jdk: int, *, io_workers: int = 4) -> dict[str, Any]:
    """What the app would report in /actuator/info ``runtime``, as the scenario's defaults ask."""
    mvc = variant.startswith("mvc")
    return {
        "variant": variant,
        "server": "tomcat" if mvc else "netty",
        "virtualThreads": variant == "mvc-virtual",
        "tomcat": {"maxThreads": 32, "minSpareThreads": 32, "maxConnections": 10000, "acceptCount": 1000}
        if mvc
        else None,
        "nettyIoWorkers": None if mvc else io_workers,
        "dbPool": {"kind": "hikari" if mvc else "r2dbc-pool", "maxSize": 32, "minIdle": 32,
                   "acquireTimeoutMs": 10000},
        "httpClient": {"library": "apache-httpclient5" if mvc else "reactor-netty", "maxConnections": 512,
                       "maxConnectionsPerRoute": 512, "acquireTimeoutMs": 10000, "responseTimeoutMs": 10000},
        "jvm": {"javaVersion": f"{jdk}.0.1", "javaVendor": "Eclipse Adoptium",
                "inputArguments": ["-Xms512m", "-Xmx512m"], "maxHeapBytes": 512 * _MIB,
                "gc": ["G1 Young Generation", "G1 Old Generation"], "availableProcessors": 8},
    }  # fmt: skip


def _latency_ms(variant: str, users: int) -> float:
    """Mean latency of the model: two 20 ms downstream calls plus the variant's queueing."""
    if variant == "mvc-platform":
        return max(41.5, users / 32 * 41.5)  # 32 Tomcat threads: beyond them, requests queue
    if variant == "mvc-virtual":
        return 41.5 + users * 0.02
    return 42.0 + users * 0.012


@dataclass(frozen=True)
class _Level:
    recording: LevelRecording
    samples: dict[str, list[ProcessSample]]


def _level(root: ResultsDir, rng: random.Random, jdk: int, variant: str, users: int, rep: int,
           start: float) -> _Level:
    mean_ms = _latency_ms(variant, users) * rng.uniform(0.95, 1.05)
    rate = users / (mean_ms / 1000.0)  # closed model: throughput = users / latency
    saturated = variant == "webflux" and users == max(LEVELS)
    errors_per_s = 4 if (variant == "mvc-platform" and users == max(LEVELS) and rep == 2) else 0
    histogram = new_histogram()
    windows, requests, errors, latency_sum_us = [], 0, 0, 0
    hlog_path = root.hlog_path(LevelId(jdk=jdk, variant=variant, users=users, repetition=rep))
    with hlog_path.open("w", encoding="utf-8") as handle:
        writer = HistogramLogWriter(handle)
        writer.base_time = start * 1000.0
        writer.output_log_format_version()
        writer.output_base_time(start * 1000.0)
        writer.output_legend()
        for second in range(SECONDS):
            window = new_histogram()
            count = int(rate * rng.uniform(0.97, 1.03))
            # A lognormal around the mean; a few hundred distinct values keep the build fast.
            buckets = 200
            per_bucket, extra = divmod(count, buckets)
            for bucket in range(buckets):
                weight = per_bucket + (1 if bucket < extra else 0)
                if weight == 0:
                    continue
                value_ms = mean_ms * math.exp(rng.gauss(-0.02, 0.2 if variant != "mvc-platform" else 0.3))
                if rng.random() < 0.01:
                    value_ms *= rng.uniform(2, 6)  # the tail
                window.record_value(max(1, int(value_ms * 1000)), weight)
            successes = window.get_total_count()
            errs = errors_per_s
            histogram.add(window)
            requests += successes + errs
            errors += errs
            # Little's law in the model holds unless the generator is saturated (it then delays sends).
            # A 502 answers about as fast as a success.
            latency_sum_us += int(successes * mean_ms * 1000 * (0.8 if saturated else 1.0)) + errs * 45_000
            window.set_start_time_stamp((start + second) * 1000.0)
            window.set_end_time_stamp((start + second + 1) * 1000.0)
            writer.output_interval_histogram(window)
            windows.append(WindowStats(
                start=start + second, requests=successes + errs, errors=errs,
                p50_us=window.get_value_at_percentile(50.0), p99_us=window.get_value_at_percentile(99.0),
                max_us=window.get_max_value(),
            ))  # fmt: skip
    recording = LevelRecording(
        users=users, measured_start=start, measured_end=start + SECONDS, histogram=histogram,
        requests=requests, errors=errors, error_kinds={"http_502": errors} if errors else {},
        latency_sum_us=latency_sum_us, windows=tuple(windows), hlog_path=hlog_path, generator_pid=4242,
    )  # fmt: skip
    cpu_per_request = {"mvc-platform": 0.00055, "mvc-virtual": 0.0005, "webflux": 0.00042}[variant]
    rss_base = {"mvc-platform": 310, "mvc-virtual": 290, "webflux": 260}[variant] + users * 0.25
    samples: dict[str, list[ProcessSample]] = {name: [] for name in ("app", "downstream", "postgres", "generator")}
    for tick in range(SECONDS * 2 + 1):
        t = start + tick * 0.5
        elapsed = tick * 0.5
        samples["app"].append(ProcessSample(t, "app", int((rss_base + rng.uniform(0, 15)) * _MIB),
                                            100.0 + rate * cpu_per_request * elapsed))
        samples["downstream"].append(ProcessSample(t, "downstream", 200 * _MIB, 50.0 + rate * 0.0002 * elapsed))
        samples["postgres"].append(ProcessSample(t, "postgres", 150 * _MIB, 20.0 + rate * 0.0001 * elapsed))
        generator_pct = 95.0 if saturated else min(85.0, 10 + rate / 100)
        samples["generator"].append(ProcessSample(t, "generator", 80 * _MIB, 5.0 + generator_pct / 100 * elapsed))
    return _Level(recording, samples)


def build_run(parent: Path, *, name: str = "report-demo", variants: Sequence[str] = VARIANTS,
              levels: Sequence[int] = LEVELS, repetitions: int = REPETITIONS, jdks: Sequence[int] = (25,),
              status: FinalStatus | None = "complete", stop_after: int | None = None, seed: int = 1,
              when: datetime | None = None, verification_problems: Sequence[str] = ()) -> BuiltRun:
    """Write a results folder under ``parent`` the way ``harness run`` does and return it.

    ``status=None`` leaves the run ``running`` (killed); ``stop_after=N`` measures only the first N
    levels (a failed or interrupted run); ``verification_problems`` are stored like the runner's
    verification step does (pass ``stop_after=0`` and ``status="failed"`` for a run that never loaded).
    """
    chosen = scenario(name, variants, levels, repetitions, jdks)
    results = create(parent, name, when or datetime.fromtimestamp(_EPOCH, UTC))
    manifest = ManifestWriter(results, chosen, Path(f"scenarios/{name}.yaml"), ["harness", "run", f"{name}.yaml"])
    manifest.set("jdks", {str(j): {"home": f"/usr/lib/jvm/jdk-{j}", "version": f"{j}.0.1",
                                   "vendor": "Eclipse Adoptium"} for j in jdks})  # fmt: skip
    for jdk in jdks:
        for variant in variants:
            key = f"{variant}@jdk{jdk}"
            manifest.set_variant(key, VariantRecord(
                variant=variant, jdk=JdkRecord(jdk, f"{jdk}.0.1", "Eclipse Adoptium"),
                jar=f"java-apps/order-{'webflux' if variant == 'webflux' else 'mvc'}/target/app.jar",
                jvm_flags=apps.jvm_flags(chosen, variant, results.log_path(f"{key}-gc")),  # type: ignore[arg-type]
                env={"ORDERS_VARIANT": variant}, port=8080,
                requested=settings.requested(chosen, variant, with_broker=False),  # type: ignore[arg-type]
                effective=runtime(variant, jdk),
            ))  # fmt: skip
    manifest.set_verification(Verification(tuple(verification_problems), (1, 2, 3)))
    table = LevelTable(results.levels_csv)
    rng = random.Random(seed)
    measured: list[LevelResult] = []
    start = _EPOCH + 60
    plan = [(jdk, variant, rep, users) for jdk in jdks for variant in variants
            for rep in range(1, repetitions + 1) for users in levels]  # fmt: skip
    for jdk, variant, rep, users in plan[:stop_after]:
        level = _level(results, rng, jdk, variant, users, rep, start)
        start += SECONDS + 3
        level_id = LevelId(jdk=jdk, variant=variant, users=users, repetition=rep)
        result = summarise_level(level_id, recording=level.recording, samples=level.samples)
        table.append(result)
        append_windows(results.timeseries_csv, level_id, level.recording.windows, level.samples)
        for warning in warnings_for(result):
            manifest.add_warning(warning)
        measured.append(result)
    if status is not None:
        error = None
        if status == "failed":
            error = "VerificationError: verification failed" if verification_problems else "LoadError: locust exited 1"
        elif status == "interrupted":
            error = "interrupted (Ctrl-C or SIGINT)"
        manifest.finish(status, error)
    return BuiltRun(results, chosen, measured)


def histogram_of(path: Path) -> HdrHistogram:
    """All intervals of an hlog added up (to check the files are readable by HdrHistogram tools)."""
    from hdrh.log import HistogramLogReader

    reader = HistogramLogReader(str(path), new_histogram())
    total = new_histogram()
    while (interval := reader.get_next_interval_histogram()) is not None:
        total.add(interval)
    return total
