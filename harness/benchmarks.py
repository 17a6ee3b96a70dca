"""The kinds of benchmark a run can be: what the runner asks of each once every variant is verified.

``runner.Run`` is one skeleton, build → infrastructure → launch → verify → ``kind.measure`` → write;
a kind fills in what differs, through ``BenchmarkKind``:

- ``RequestBenchmark``: per app × repetition a fresh JVM (in the interleaved order of
  ``harness.run_order``), warmed up, then every level under Locust; each level is a ``LevelId`` and
  one levels.csv row, the probes (``harness.probes``) add their figures and tables.
- ``ConsumeBenchmark``: per JDK × variant × repetition, one consume segment (``harness.consume.run``).

A new kind (an open-model rate sweep, a capacity search) is one more class here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from harness import apps
from harness.apps import AppLaunch
from harness.consume.env import NO_BROKER
from harness.consume.run import ConsumeContext, run_consume
from harness.infra.postgres import PostgresEndpoint
from harness.level_id import LevelId
from harness.load.driver import LoadTarget, run_level, run_warmup
from harness.load.recording import LevelRecording, WindowStats
from harness.load.warmup import warm_up_until_steady
from harness.load.workers import Distribution, worker_warnings
from harness.metrics import LevelResult, summarise_level, warnings_for
from harness.probes import JfrProbe, Probe, PrometheusProbe
from harness.processes import Supervisor
from harness.progress import RunProgress
from harness.results.layout import ResultsDir
from harness.results.manifest import AppRunRecord, ManifestWriter, WorkerRecord, now_iso
from harness.results.tables import (
    GENERATOR_WORKERS,
    WARMUP,
    LevelTable,
    WarmupReading,
    WorkerLevel,
    append_windows,
)
from harness.run_order import draw_seed, run_order
from harness.sampling import ProcessSample, ProcessSampler
from harness.scenario import LoadSettings, Scenario

SAMPLED = ("app", "downstream", "postgres", "generator")
DOWNSTREAM_AUTO_WARMUP_S = 10.0


@dataclass(frozen=True)
class RunContext:
    """What a kind may use: the run's scenario, folder and manifest, and what the runner started."""

    scenario: Scenario
    results: ResultsDir
    manifest: ManifestWriter
    console: Console
    supervisor: Supervisor
    sampler: ProcessSampler  # samples postgres and the downstream already; a kind adds "app"
    postgres: PostgresEndpoint
    workdir: Path


class BenchmarkKind(Protocol):
    """What differs between kinds of benchmark; the runner calls them in the order listed."""

    records_flight: bool
    """Whether the launches the runner builds carry a flight recording (a consume segment gives each JVM it
    starts a recording of its own instead, and dumps it before a kill -9: ``harness.consume.recordings``)."""

    def begin(self, results: ResultsDir) -> None:
        """The run's folder exists: create the kind's tables (even a run that measures nothing has them)."""

    def downstream_warmup(self) -> tuple[float, int]:
        """(seconds, users) of the downstream's warm-up before anything is measured."""

    def launch_env(self) -> Mapping[str, str]:
        """Environment on top of the catalogue's, for every measured start of every app."""

    def measure(self, ctx: RunContext, launches: Mapping[str, AppLaunch]) -> None:
        """Measure every verified app; raise to fail the run (what was measured stays written)."""


def planned_seconds(scenario: Scenario) -> float:
    """Load time of the run (the JVMs' start-up comes on top): each repetition warms up its own JVM."""
    load = scenario.require_load()
    per_jvm = load.warmup.seconds + len(load.levels) * (load.settle + load.duration)
    return per_jvm * load.repetitions * len(scenario.variants) * len(scenario.jdks)


class RequestBenchmark:
    """Closed-model request load: levels × repetitions per app (see the module docstring)."""

    records_flight = True

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.load = scenario.require_load()
        self._table: LevelTable | None = None

    def begin(self, results: ResultsDir) -> None:
        self._table = LevelTable(results.levels_csv)

    def downstream_warmup(self) -> tuple[float, int]:
        # An auto warm-up steadies each app; the downstream gets a fixed 10 s (it is never measured itself).
        warmup = self.load.warmup
        return (warmup.seconds if warmup.mode == "fixed" else DOWNSTREAM_AUTO_WARMUP_S), max(self.load.levels)

    def launch_env(self) -> Mapping[str, str]:
        return {}

    def measure(self, ctx: RunContext, launches: Mapping[str, AppLaunch]) -> None:
        seed = self.load.order_seed
        if self.load.order == "shuffled" and seed is None:
            seed = draw_seed()
        ctx.manifest.set_run_order(self.load.order, seed)
        order = run_order(list(launches), self.load.repetitions, self.load.order, seed)
        with RunProgress(ctx.console, planned_seconds(self.scenario)) as progress:
            for position, slot in enumerate(order, start=1):
                self._measure_jvm(ctx, self.fresh_jvm(ctx, launches[slot.app], slot.repetition),
                                  slot.repetition, position, progress)

    def fresh_jvm(self, ctx: RunContext, launch: AppLaunch, repetition: int) -> AppLaunch:
        """The launch of one repetition's JVM: the variant's flags with a GC log and a flight recording
        of its own (one recording per JVM: a recording is complete only once its JVM exited)."""
        name = f"{launch.name}-r{repetition}"
        flags = apps.jvm_flags(apps.launch_scenario(self.scenario, launch.cpus), apps.variant_of(launch.name),
                               ctx.results.logs / f"{name}-gc.log", ctx.results.jfr_recording(name))
        return dataclasses.replace(launch, jvm_flags=flags)

    def probes(self, ctx: RunContext, launch: AppLaunch, repetition: int) -> list[Probe]:
        variant = apps.variant_of(launch.name)
        found: list[Probe] = [PrometheusProbe(variant, self.load.scrape_interval, ctx.results.jvm_timeseries_csv,
                                              [f.name for f in dataclasses.fields(LevelResult)])]
        if self.scenario.app.jfr.enabled:
            found.append(JfrProbe(ctx.results.jfr_recording(f"{launch.name}-r{repetition}"), ctx.results.jfr_csv))
        return found

    def _measure_jvm(self, ctx: RunContext, launch: AppLaunch, repetition: int, position: int,
                     progress: RunProgress) -> None:
        """Start one fresh JVM, warm it up, measure every level of ``repetition`` on it, stop it."""
        load, workload = self.load, self.scenario.workload
        variant = apps.variant_of(launch.name)
        name = f"{launch.name}-r{repetition}"
        jfr = ctx.results.jfr_recording(name) if self.records_flight and self.scenario.app.jfr.enabled else None
        started_at = now_iso()
        running = apps.start_app(ctx.supervisor, launch, ctx.results.logs / f"{name}.log")
        launch = running.launch  # its port, if the chosen one was taken meanwhile
        record = AppRunRecord(position=position, app=launch.name, repetition=repetition,
                              pid=running.pid or running.process.pid, started_at=started_at, finished_at=None,
                              gc_log=str(ctx.results.logs / f"{name}-gc.log"),
                              jfr_recording=None if jfr is None else str(jfr))
        ctx.manifest.record_app_run(record)
        if running.pid is not None:
            # In a container its cgroup is read too: CPU quota and throttled time.
            ctx.sampler.watch("app", running.pid, include_children=False, cgroup=launch.container is not None)
        target = LoadTarget(base_url=launch.base_url, order_id_max=self.scenario.data.orders,
                            seed=self.scenario.data.seed, profile=workload.profile, mix=workload.endpoint_mix(),
                            customer_id_max=self.scenario.data.customers, cpu_rounds=workload.cpu_rounds,
                            allow_remote=load.allow_remote)
        distribution = distribution_of(load)
        out_dir = ctx.results.logs / "locust"
        probes = self.probes(ctx, launch, repetition)
        completed = False
        try:
            for probe in probes:
                probe.start(launch.base_url)
            steady = self._warm_up(ctx, launch, repetition, target, progress)
            record = dataclasses.replace(record, warmup_seconds=steady[0], warmup_steady=steady[1])
            ctx.manifest.record_app_run(record)
            for users in load.levels:
                level = LevelId(jdk=launch.jdk.feature, variant=variant, users=users, repetition=repetition,
                                cpus=launch.cpus)
                with progress.phase(f"{launch.name} · {users} users · rep {repetition}/{load.repetitions}",
                                    load.settle + load.duration):
                    recording = run_level(target, users, load.settle, load.duration, out_dir, level.slug,
                                          ctx.supervisor, ctx.sampler, hlog_path=ctx.results.hlog_path(level),
                                          distribution=distribution)
                self._record_workers(ctx, level, recording)
                start, end = recording.measured_start, recording.measured_end
                window = {sampled: ctx.sampler.samples(sampled, start, end) for sampled in SAMPLED}
                result = summarise_level(level, recording=recording, samples=window)
                result = dataclasses.replace(result, warmup_steady=steady[1] is not False)
                for probe in probes:
                    figures: dict[str, Any] = dict(probe.window(level, start, end))
                    result = dataclasses.replace(result, **figures)
                self._record(ctx, result, recording.windows, window)
                progress.log(_one_line(result))
            completed = True
        finally:
            ctx.sampler.unwatch("app")
            apps.stop_app(ctx.supervisor, running)
            ctx.manifest.record_app_run(dataclasses.replace(record, finished_at=now_iso()))
            # A flight recording is complete only once the JVM has exited: probes read theirs now.
            for probe in probes:
                for warning in probe.stop(completed=completed):
                    ctx.manifest.add_warning(warning)

    def _warm_up(self, ctx: RunContext, launch: AppLaunch, repetition: int, target: LoadTarget,
                 progress: RunProgress) -> tuple[float, bool | None]:
        """Warm one fresh JVM up at the top level: (seconds, steady); steady is None for a fixed warm-up. An
        auto warm-up's windows go to warmup.csv."""
        warmup, users = self.load.warmup, max(self.load.levels)
        name, out_dir = f"{launch.name}-r{repetition}", ctx.results.logs / "locust"
        if warmup.seconds <= 0:
            return 0.0, None
        with progress.phase(f"{name} warm-up · {users} users" + (" · until steady" if warmup.mode == "auto" else ""),
                            warmup.seconds):
            if warmup.mode == "fixed":
                run_warmup(target, users, warmup.seconds, out_dir, ctx.supervisor, label=f"warmup-{name}")
                return warmup.seconds, None
            outcome = warm_up_until_steady(target, users, warmup, out_dir, ctx.supervisor, label=f"warmup-{name}")
        variant = apps.variant_of(launch.name)
        WARMUP.append(ctx.results.warmup_csv, [WarmupReading(
            launch.jdk.feature, variant, repetition, w.index, w.end_s, w.throughput_rps, w.compile_ms_per_s,
            outcome.steady) for w in outcome.windows])  # fmt: skip
        if not outcome.steady:
            ctx.manifest.add_warning(
                f"{variant} jdk{launch.jdk.feature} rep {repetition}: not steady after the {outcome.seconds:g}s "
                f"warm-up maximum (throughput of the last {warmup.windows} windows not within "
                f"{warmup.tolerance:.0%}, or the JIT still compiling more than {warmup.jit:.0%} of the time); its "
                "levels are flagged 'not steady' (warmup.csv has the curve)")
        progress.log(f"  {name} warm-up: {'steady' if outcome.steady else '[yellow]not steady[/]'} after "
                     f"{outcome.seconds:g}s")
        return outcome.seconds, outcome.steady

    def _record_workers(self, ctx: RunContext, level: LevelId, recording: LevelRecording) -> None:
        if not recording.workers:
            return
        GENERATOR_WORKERS.append(ctx.results.generator_workers_csv, [WorkerLevel(
            id=level, worker=w.worker.name, host=w.worker.host, external=w.worker.external, requests=w.requests,
            errors=w.errors, successes=w.successes, cpu_pct_mean=w.cpu_pct_mean, cpu_pct_max=w.cpu_pct_max,
            saturated=w.saturated) for w in recording.workers])  # fmt: skip
        ctx.manifest.add_workers(tuple(WorkerRecord(
            name=w.worker.name, host=w.worker.host, external=w.worker.external,
            harness_version=w.worker.harness_version, code_sha256=w.worker.code_sha256) for w in recording.workers))
        for warning in worker_warnings(level.label(self.load.repetitions), recording.workers):
            ctx.manifest.add_warning(warning)

    def _record(self, ctx: RunContext, result: LevelResult, windows: Sequence[WindowStats],
                samples: Mapping[str, Sequence[ProcessSample]]) -> None:
        assert self._table is not None, "begin() creates levels.csv"
        self._table.append(result)
        append_windows(ctx.results.timeseries_csv, result.id, windows, samples)
        for warning in warnings_for(result):
            ctx.manifest.add_warning(warning)


class ConsumeBenchmark:
    """Events through outbox → broker → inbox, one segment per JDK × variant × repetition."""

    records_flight = False

    def __init__(self, scenario: Scenario) -> None:
        assert scenario.consume is not None
        self.scenario = scenario
        self.consume = scenario.consume

    def begin(self, results: ResultsDir) -> None:
        """consume.csv is written per segment: a run has segments, not levels (no levels.csv)."""

    def downstream_warmup(self) -> tuple[float, int]:
        return self.consume.warmup, self.consume.listener_concurrency

    def launch_env(self) -> Mapping[str, str]:
        return NO_BROKER  # each segment adds its broker's variables

    def measure(self, ctx: RunContext, launches: Mapping[str, AppLaunch]) -> None:
        run_consume(ConsumeContext(self.scenario, self.consume, ctx.results, ctx.manifest, ctx.supervisor,
                                   ctx.sampler, ctx.postgres, ctx.workdir, ctx.console), dict(launches))


def distribution_of(load: LoadSettings) -> Distribution | None:
    """How the scenario spreads each level over Locust workers; None for one Locust process."""
    if not (load.workers or load.expect_workers):
        return None
    return Distribution(local=load.workers, external=load.expect_workers, bind_host=load.master_bind,
                        port=load.master_port or 0, connect_timeout_s=int(load.worker_timeout),
                        allow_remote=load.allow_remote)


def benchmark_kind(scenario: Scenario) -> BenchmarkKind:
    return ConsumeBenchmark(scenario) if scenario.consume is not None else RequestBenchmark(scenario)


def _one_line(r: LevelResult) -> str:
    flags = []
    if r.errors:
        flags.append(f"[red]{r.errors} errors[/]")
    if r.generator_saturated:
        flags.append("[yellow]generator saturated[/]")
    if r.generator_starved:
        flags.append(f"[yellow]generator starved (run queue {r.generator_runqueue_pct:.0f}%)[/]")
    if not r.warmup_steady:
        flags.append("[yellow]not steady[/]")
    if not r.littles_law_ok:
        flags.append(f"[yellow]Little's law off {r.littles_law_deviation:.0%}[/]")
    if r.app_throttled:
        flags.append(f"[yellow]throttled {r.app_throttled_pct:.0f}%[/]")
    limit = "" if r.cpus is None else f" {r.cpus:g} CPU"
    return (f"  {r.variant}@jdk{r.jdk}{limit} {r.users:>5} users  {r.throughput_rps:>9.1f} req/s  "
            f"p50 {r.p50_ms:>8.3f} ms  p99 {r.p99_ms:>8.3f} ms  " + " ".join(flags))
