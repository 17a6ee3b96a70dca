"""The kinds of benchmark a run can be: what the runner asks of each once every variant is verified.

``runner.Run`` is one skeleton, build → infrastructure → launch → verify → ``kind.measure`` → write;
a kind fills in what differs, through ``BenchmarkKind``:

- ``RequestBenchmark``: per app × repetition a fresh JVM (in the interleaved order of
  ``harness.run_order``), warmed up, then every level under Locust; each level is a ``LevelId`` and
  one levels.csv row, the probes (``harness.probes``) add their figures and tables.
- ``OpenRequestBenchmark``: the same per JVM, with vegeta on a fixed timeline (after a fixed warm-up at
  the warm-up rate): fixed ``rates``, or a capacity search under the SLO (``harness.capacity_search``),
  one capacity.csv row per repetition.
- ``ConsumeBenchmark``: per JDK × variant × repetition, one consume segment (``harness.consume.run``).
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import importlib.metadata
import math
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from harness import apps
from harness.apps import AppLaunch
from harness.capacity_search import planned_steps, search_capacity
from harness.clock import measure_on_a_running_clock
from harness.consume.env import NO_BROKER
from harness.consume.run import ConsumeContext, run_consume
from harness.infra.postgres import PostgresEndpoint
from harness.level_id import LevelId
from harness.load.driver import LoadTarget, run_level, run_warmup
from harness.load.recording import LevelRecording, WindowStats
from harness.load.vegeta import VEGETA_MODULE, VEGETA_VERSION, OpenLevelRecording, ensure_vegeta, run_open_level
from harness.load.warmup import warm_up_until_steady
from harness.load.workers import Distribution, worker_warnings
from harness.machine_load import FOREIGN, STEAL
from harness.metrics import LevelResult, open_flags, summarise_level, summarise_open_level, warnings_for
from harness.probes import JfrProbe, Probe, PrometheusProbe
from harness.processes import Supervisor
from harness.progress import RunProgress
from harness.results.capacity_table import CAPACITY, CapacityResult, append_capacity
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
from harness.scenario import LoadSettings, Scenario, SloSettings

SAMPLED = ("app", "downstream", "postgres", "generator", FOREIGN, STEAL)
DOWNSTREAM_AUTO_WARMUP_S = 10.0
DOWNSTREAM_WARMUP_USERS_MAX = 64


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
    levels = len(load.load_points())
    if load.search is not None:
        search = load.search
        levels = planned_steps(start=search.start, factor=search.factor, max_rate=search.max,
                               resolution=search.resolution)
    per_jvm = load.warmup.seconds + levels * (load.settle + load.duration)
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
        return (warmup.seconds if warmup.mode == "fixed" else DOWNSTREAM_AUTO_WARMUP_S), self.load.warmup_point

    def load_generator(self) -> dict[str, str]:
        """What the manifest records as the load generator."""
        return {"driver": "locust", "model": "closed", "version": importlib.metadata.version("locust")}

    def launch_env(self) -> Mapping[str, str]:
        return {}

    def measure(self, ctx: RunContext, launches: Mapping[str, AppLaunch]) -> None:
        seed = self.load.order_seed
        if self.load.order == "shuffled" and seed is None:
            seed = draw_seed()
        ctx.manifest.set_run_order(self.load.order, seed)
        ctx.manifest.set("load_generator", self.load_generator())
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
        # In a container its cgroup is read too: CPU quota and throttled time.
        apps.watch(ctx.sampler, "app", running, cgroup=launch.container is not None)
        target = LoadTarget(base_url=launch.base_url, order_id_max=self.scenario.data.orders,
                            seed=self.scenario.data.seed, profile=workload.profile, mix=workload.endpoint_mix(),
                            customer_id_max=self.scenario.data.customers, cpu_rounds=workload.cpu_rounds,
                            allow_remote=load.allow_remote)
        probes = self.probes(ctx, launch, repetition)
        completed = False
        try:
            for probe in probes:
                probe.start(launch.base_url)
            warmup_s, steady = self._warm_up(ctx, launch, repetition, target, progress)
            record = dataclasses.replace(record, warmup_seconds=warmup_s, warmup_steady=steady)
            ctx.manifest.record_app_run(record)
            self._levels(ctx, launch, target, repetition, probes, progress, steady is not False)
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
        warmup, users = self.load.warmup, self.load.warmup_point
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

    def _levels(self, ctx: RunContext, launch: AppLaunch, target: LoadTarget, repetition: int,
                probes: Sequence[Probe], progress: RunProgress, steady: bool) -> None:
        """Every closed-model level of one JVM, under Locust; ``steady``: whether its warm-up became steady."""
        load = self.load
        distribution = distribution_of(load)
        for users in load.load_points():
            level = LevelId(jdk=launch.jdk.feature, variant=apps.variant_of(launch.name), users=users,
                            repetition=repetition, cpus=launch.cpus)
            out_dir = ctx.results.logs / "locust"
            with progress.phase(f"{launch.name} · {users} users · rep {repetition}/{load.repetitions}",
                                load.settle + load.duration):
                measured = measure_on_a_running_clock(
                    functools.partial(run_level, target, users, load.settle, load.duration, out_dir, level.slug,
                                      ctx.supervisor, ctx.sampler, hlog_path=ctx.results.hlog_path(level),
                                      distribution=distribution),
                    load.remeasure_paused, self._discarded(ctx, level, out_dir, progress))
            recording = measured.value
            self._record_workers(ctx, level, recording)
            window = self._samples(ctx, recording.measured_start, recording.measured_end)
            result = dataclasses.replace(summarise_level(level, recording=recording, samples=window),
                                         warmup_steady=steady, clock_step_s=round(measured.clock_step_s, 3),
                                         attempts=measured.attempts)
            self._finish(ctx, result, (recording.measured_start, recording.measured_end), recording.windows, window,
                         probes, progress)

    def _discarded(self, ctx: RunContext, level: LevelId, out_dir: Path,
                   progress: RunProgress) -> Callable[[int, float], None]:
        """What to do with an attempt of ``level`` during which the machine was paused: set its files aside (they
        stay as evidence, named ``<slug>.paused<attempt>.*``) and say in the manifest why it is measured again."""
        def discard(attempt: int, step_s: float) -> None:
            set_aside(out_dir, level.slug, attempt)
            message = (f"{level.label(self.load.repetitions)}: the machine was paused during attempt {attempt} (its "
                       f"wall clock stepped {step_s:.2f}s away from its monotonic clock: a VM snapshot or migration, "
                       f"or the clock set by hand); measured again on the same JVM, the attempt's files are "
                       f"{out_dir}/{level.slug}.paused{attempt}.*")
            ctx.manifest.add_warning(message)
            progress.log(f"  [yellow]{message}[/]")
        return discard

    @staticmethod
    def _samples(ctx: RunContext, start: float, end: float) -> dict[str, list[ProcessSample]]:
        return {sampled: list(ctx.sampler.samples(sampled, start, end)) for sampled in SAMPLED}

    def _finish(self, ctx: RunContext, result: LevelResult, window: tuple[float, float],
                windows: Sequence[WindowStats], samples: Mapping[str, Sequence[ProcessSample]],
                probes: Sequence[Probe], progress: RunProgress) -> LevelResult:
        """Add the probes' figures to a measured level, write its rows and warnings, say it on the console."""
        for probe in probes:
            figures: dict[str, Any] = dict(probe.window(result.id, *window))
            result = dataclasses.replace(result, **figures)
        self._record(ctx, result, windows, samples)
        progress.log(_one_line(result))
        return result

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


class OpenRequestBenchmark(RequestBenchmark):
    """Open-model request load under vegeta: fixed ``rates``, or a capacity ``search`` under the SLO.

    Everything but the load is the closed model's (fresh JVM per repetition in the interleaved order,
    verification before, warm-up, settle, probes). Each level is a ``LevelId`` with its ``rate``; a search
    step is such a level too, with ``slo_ok`` saying whether it held the SLO, and each repetition's answer
    is a capacity.csv row."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(scenario)
        self.vegeta: Path | None = None

    def begin(self, results: ResultsDir) -> None:
        super().begin(results)
        if self.load.search is not None:
            CAPACITY.create(results.capacity_csv)
        self.vegeta = ensure_vegeta(results.logs / "vegeta-build.log")

    def downstream_warmup(self) -> tuple[float, int]:
        # The runner warms the downstream with Locust users; the open model's connections are its analogue.
        return self.load.warmup.seconds, min(self.load.connections, DOWNSTREAM_WARMUP_USERS_MAX)

    def load_generator(self) -> dict[str, str]:
        return {"driver": "vegeta", "model": "open", "version": VEGETA_VERSION, "module": VEGETA_MODULE,
                "binary": str(self.vegeta)}

    def _warm_up(self, ctx: RunContext, launch: AppLaunch, repetition: int, target: LoadTarget,
                 progress: RunProgress) -> tuple[float, bool | None]:
        """A fixed warm-up at the warm-up rate: (seconds, None). The scenario refuses ``warmup: auto`` with the open
        model (steadiness is judged on Locust's throughput windows; here throughput is the rate)."""
        warmup = self.load.warmup
        assert warmup.mode == "fixed", "LoadSettings refuses warmup: auto with model: open"
        rate, seconds = self.load.warmup_point, math.ceil(warmup.seconds)
        if seconds <= 0:
            return 0.0, None
        name = f"{launch.name}-r{repetition}"
        with progress.phase(f"{name} warm-up · {rate} req/s", seconds):
            self._attack(ctx, target, rate, 0, seconds, f"warmup-{name}", None)
        return float(seconds), None

    def _attack(self, ctx: RunContext, target: LoadTarget, rate: int, settle: int, duration: int, label: str,
                hlog: Path | None) -> OpenLevelRecording:
        assert self.vegeta is not None, "begin() builds or finds vegeta"
        out_dir = ctx.results.logs / "vegeta"
        recording = run_open_level(target, rate, settle, duration, out_dir, label, ctx.supervisor, ctx.sampler,
                                   vegeta=self.vegeta, max_connections=self.load.connections, hlog_path=hlog)
        _compress(out_dir / f"{label}.csv")  # every hit, kept as evidence; large at high rates
        (out_dir / f"{label}.targets").unlink(missing_ok=True)
        return recording

    def _levels(self, ctx: RunContext, launch: AppLaunch, target: LoadTarget, repetition: int,
                probes: Sequence[Probe], progress: RunProgress, steady: bool) -> None:
        load = self.load

        def step(rate: int) -> LevelResult:
            level = LevelId.open(launch.jdk.feature, apps.variant_of(launch.name), rate, repetition, cpus=launch.cpus)
            with progress.phase(f"{launch.name} · {rate} req/s · rep {repetition}/{load.repetitions}",
                                load.settle + load.duration):
                measured = measure_on_a_running_clock(
                    lambda: self._attack(ctx, target, rate, int(load.settle), int(load.duration), level.slug,
                                         ctx.results.hlog_path(level)),
                    load.remeasure_paused, self._discarded(ctx, level, ctx.results.logs / "vegeta", progress))
            recording = measured.value
            window = self._samples(ctx, recording.measured_start, recording.measured_end)
            result = dataclasses.replace(summarise_open_level(level, recording, window), warmup_steady=steady,
                                         clock_step_s=round(measured.clock_step_s, 3), attempts=measured.attempts)
            if load.slo is not None:
                result = dataclasses.replace(result, slo_ok=not slo_failures(result, load.slo))
            return self._finish(ctx, result, (recording.measured_start, recording.measured_end), recording.windows,
                                window, probes, progress)

        if load.search is None:
            for rate in load.load_points():
                step(rate)
            return
        assert load.slo is not None
        steps: dict[int, LevelResult] = {}

        def passes(rate: int) -> bool:
            steps[rate] = step(rate)
            return bool(steps[rate].slo_ok)

        search = load.search
        found = search_capacity(passes, start=search.start, factor=search.factor, max_rate=search.max,
                                resolution=search.resolution)
        at = steps.get(found.capacity)
        failing = steps.get(found.failing) if found.failing is not None else None
        row = CapacityResult(
            jdk=launch.jdk.feature, variant=apps.variant_of(launch.name), repetition=repetition,
            capacity_rps=float(found.capacity), failing_rps=found.failing, outcome=found.outcome,
            steps=len(found.steps), resolution_rps=search.resolution, slo_p99_ms=round(load.slo.p99 * 1000.0, 3),
            slo_error_rate=load.slo.error_rate, achieved_rps=None if at is None else at.achieved_rps,
            p50_ms=None if at is None else at.p50_ms, p99_ms=None if at is None else at.p99_ms,
            failing_reasons="; ".join(slo_failures(failing, load.slo)) if failing is not None else "",
            cpus=launch.cpus,
            generator_limited=failing is not None and (failing.generator_saturated or failing.generator_starved),
        )
        append_capacity(ctx.results.capacity_csv, row)
        progress.log(f"  [bold]{launch.name} rep {repetition}: capacity {found.capacity} req/s[/] ({found.outcome}, "
                     f"{len(found.steps)} steps)")
        if row.generator_limited:
            ctx.manifest.add_warning(
                f"{launch.name} rep {repetition}: the first failing rate ({found.failing} req/s) had a saturated or "
                "starved load generator: the capacity found may be the generator's limit, not the server's")


def slo_failures(result: LevelResult, slo: SloSettings) -> list[str]:
    """Why a step did not hold the SLO, one phrase each; empty when it passed."""
    out = []
    ceiling_ms = slo.p99 * 1000.0
    if result.requests == 0 or result.requests == result.errors:
        out.append("no successful request")
    elif result.p99_ms > ceiling_ms:
        out.append(f"p99 {result.p99_ms:.1f} ms > {ceiling_ms:g} ms")
    if result.error_rate > slo.error_rate:
        out.append(f"error rate {result.error_rate:.3%} > {slo.error_rate:.3%}")
    return out + open_flags(result)


def set_aside(directory: Path, slug: str, attempt: int) -> list[Path]:
    """Rename a level's files in ``directory`` (``<slug>.*``, attempts set aside before excepted) to
    ``<slug>.paused<attempt>.*``, so the next attempt writes fresh ones beside them; the new paths."""
    moved = []
    for path in sorted(directory.glob(f"{slug}.*")):
        if not path.name.startswith(f"{slug}.paused"):
            moved.append(path.rename(path.with_name(f"{slug}.paused{attempt}.{path.name[len(slug) + 1:]}")))
    return moved


def _compress(path: Path) -> None:
    if not path.exists():
        return
    with path.open("rb") as raw, gzip.open(path.with_name(path.name + ".gz"), "wb", compresslevel=1) as packed:
        shutil.copyfileobj(raw, packed)
    path.unlink()


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
    if scenario.consume is not None:
        return ConsumeBenchmark(scenario)
    if scenario.require_load().model == "open":
        return OpenRequestBenchmark(scenario)
    return RequestBenchmark(scenario)


def _one_line(r: LevelResult) -> str:
    if r.rate:
        return _one_open_line(r)
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


def _one_open_line(r: LevelResult) -> str:
    flags = [f"[yellow]{flag}[/]" for flag in open_flags(r)]
    if r.generator_starved:
        flags.append(f"[yellow]generator starved (run queue {r.generator_runqueue_pct:.0f}%)[/]")
    if r.errors:
        flags.append(f"[red]{r.errors} errors[/]")
    if r.slo_ok is not None:
        flags.append("[green]SLO held[/]" if r.slo_ok else "[red]SLO broken[/]")
    return (f"  {r.variant}@jdk{r.jdk} {r.rate:>6} req/s  achieved {r.achieved_rps or 0:>9.1f}  "
            f"p50 {r.p50_ms:>8.3f} ms  p99 {r.p99_ms:>8.3f} ms (service {r.service_p99_ms or 0:.3f})  "
            + " ".join(flags))
