"""``harness run``: the one path from a validated scenario to a results folder.

    build jars → start PostgreSQL (schema, seed) → start downstream
    → verify every variant (start, check, stop; all problems at once; no load if any)
    → requests: for each JDK × variant: start, warm up, levels × repetitions, stop
      consume:  for each JDK × variant × repetition: a segment (harness.consume.run)
    → summary

The manifest says ``running`` from the first moment and only ``complete`` at the very end, so a
run cut short by a failure, Ctrl-C or a kill never looks complete.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

from harness import apps, settings, variants
from harness.apps import AppLaunch, RunningApp
from harness.build import Jars, ensure_jars
from harness.consume.env import NO_BROKER
from harness.consume.run import ConsumeContext, run_consume
from harness.errors import HarnessError, VerificationError
from harness.infra import Infrastructure, start_infrastructure
from harness.infra.postgres import server_settings
from harness.jdks import Jdk, find_jdk
from harness.jfr.reader import summarise_recording
from harness.level_id import LevelId
from harness.load.driver import LoadTarget, run_level, run_warmup
from harness.load.endpoints import DOWNSTREAM_MIX
from harness.metrics import LevelResult, summarise_level, warnings_for
from harness.processes import Supervisor, free_port, sigterm_as_interrupt
from harness.progress import RunProgress
from harness.prometheus import AGGREGATE_COLUMNS, PrometheusSampler, aggregate
from harness.report import write_report
from harness.results.jfr_table import append_jfr_rows, jfr_level
from harness.results.layout import ResultsDir, create
from harness.results.manifest import JdkRecord, ManifestWriter, VariantRecord, Verification
from harness.results.summary import write_summary
from harness.results.tables import LevelTable, append_jvm_readings, append_windows
from harness.sampling import ProcessSampler
from harness.scenario import Scenario, VariantName
from harness.verify import compare_bodies, sample_orders, verify_app, verify_settings, verify_write_path

RunStatus = Literal["complete", "failed", "interrupted"]
SAMPLED = ("app", "downstream", "postgres", "generator")


@dataclass(frozen=True)
class Paths:
    repo_root: Path
    results_root: Path

    @property
    def java_apps(self) -> Path:
        return self.repo_root / "java-apps"

    @property
    def schema_dir(self) -> Path:
        return self.java_apps / "order-domain" / "src" / "main" / "resources" / "db" / "schema"


def planned_seconds(scenario: Scenario) -> float:
    load = scenario.require_load()
    per_variant = load.warmup + load.repetitions * len(load.levels) * (load.settle + load.duration)
    return per_variant * len(scenario.variants) * len(scenario.jdks)


class Run:
    """State of one run; each method is one step of the path above."""

    def __init__(self, scenario: Scenario, scenario_path: Path, paths: Paths, console: Console,
                 argv: list[str], rebuild: bool = False) -> None:
        self.scenario = scenario
        self.paths = paths
        self.console = console
        self.rebuild = rebuild
        self.results: ResultsDir = create(paths.results_root, scenario.name, datetime.now(UTC))
        self.manifest = ManifestWriter(self.results, scenario, scenario_path, argv)
        # A consume run has segments, not levels: no levels.csv (consume.csv instead).
        self.table = LevelTable(self.results.levels_csv) if scenario.consume is None else None
        self.levels: list[LevelResult] = []

    # -- the whole path ---------------------------------------------------------------------
    def execute(self) -> RunStatus:
        status: RunStatus = "failed"
        error: str | None = None
        try:
            with sigterm_as_interrupt(), Supervisor() as supervisor, ProcessSampler() as sampler:
                self._execute(supervisor, sampler)
            status = "complete"
        except KeyboardInterrupt:
            status, error = "interrupted", "interrupted (Ctrl-C or SIGTERM); the results are partial"
            raise
        except HarnessError as failure:
            error = str(failure)
            raise
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"
            raise
        finally:
            self.manifest.finish(status, error)
            self._write_reports()
        return status

    def _write_reports(self) -> None:
        # A broken plot must not hide the run's outcome: summary.md is written first and on its own.
        write_summary(self.results)
        try:
            write_report(self.results.root)
        except Exception as failure:
            self.console.print(f"[yellow]report.html could not be drawn: {type(failure).__name__}: {failure}[/]")

    def _execute(self, supervisor: Supervisor, sampler: ProcessSampler) -> None:
        jdks = self._resolve_jdks()
        jars = self._build()
        with tempfile.TemporaryDirectory(prefix="harness-run-") as workdir, start_infrastructure(
            supervisor, Path(workdir), self.results.logs, self.paths.schema_dir, self.scenario.data
        ) as (infra, seed):
            self.manifest.set("seed", {"customers": seed.customers, "orders": seed.orders,
                                       "seconds": round(seed.seconds, 3)})
            self.manifest.set("infrastructure", {"kind": "local",
                                                 "postgres": server_settings(infra.postgres)})
            postgres = next((c for c in supervisor.children if c.name.startswith("postgres")), None)
            if postgres is not None:
                sampler.watch("postgres", postgres.pid, include_children=True)
            downstream = self._start_downstream(supervisor, jdks[max(jdks)], jars)
            sampler.watch("downstream", downstream.process.pid, include_children=False)
            launches = self._launches(jdks, jars, infra, downstream.launch.base_url)
            self._verify(supervisor, launches, infra)
            if self.scenario.consume is not None:
                run_consume(ConsumeContext(self.scenario, self.scenario.consume, self.results, self.manifest,
                                           supervisor, sampler, infra.postgres, Path(workdir), self.console),
                            launches)
                return
            with RunProgress(self.console, planned_seconds(self.scenario)) as progress:
                for launch in launches.values():
                    self._measure(supervisor, sampler, launch, progress)

    # -- steps --------------------------------------------------------------------------------
    def _resolve_jdks(self) -> dict[int, Jdk]:
        jdks = {feature: find_jdk(feature) for feature in self.scenario.jdks}
        self.manifest.set("jdks", {str(f): {"home": str(j.home), "version": j.version, "vendor": j.vendor,
                                            "source": j.source} for f, j in jdks.items()})
        return jdks

    def _build(self) -> Jars:
        self.console.print("[bold]build[/] java-apps (skipped when the jars are up to date)")
        jars, built = ensure_jars(self.paths.java_apps, self.results.logs / "build.log", force=self.rebuild)
        self.manifest.set("build", {"built_now": built, "jars": {k: str(v) for k, v in vars(jars).items()}})
        return jars

    def _start_downstream(self, supervisor: Supervisor, jdk: Jdk, jars: Jars) -> RunningApp:
        port = free_port()
        launch = AppLaunch(
            name="downstream",
            jdk=jdk,
            jar=jars.downstream,
            jvm_flags=apps.downstream_flags(self.results.logs / "downstream-gc.log"),
            env={"ORDERS_SERVER_PORT": str(port)},
            port=port,
        )
        self.console.print(f"[bold]start[/] downstream on {launch.base_url}")
        running = apps.start_app(supervisor, launch, self.results.logs / "downstream.log")
        self.manifest.set("downstream", {**launch.record(), "effective": running.info})
        warmup, users = self._downstream_warmup()
        if warmup > 0:
            # JIT-compile the downstream before anything is measured; otherwise the first variant
            # measured pays for it (seen: 2.4 ms of downstream CPU per call while cold).
            self.console.print(f"[bold]warm up[/] downstream for {warmup:g}s")
            target = LoadTarget(base_url=launch.base_url, order_id_max=self.scenario.data.orders,
                                seed=self.scenario.data.seed, profile="downstream-warmup", mix=DOWNSTREAM_MIX,
                                customer_id_max=self.scenario.data.customers)
            run_warmup(target, users, warmup, self.results.logs / "locust", supervisor, label="warmup-downstream")
        return running

    def _downstream_warmup(self) -> tuple[float, int]:
        """(seconds, users) of the downstream's warm-up: the load's, or the consumers' concurrency."""
        if self.scenario.consume is not None:
            return self.scenario.consume.warmup, self.scenario.consume.listener_concurrency
        load = self.scenario.require_load()
        return load.warmup, max(load.levels)

    def _launches(self, jdks: dict[int, Jdk], jars: Jars, infra: Infrastructure,
                  downstream_url: str) -> dict[str, AppLaunch]:
        launches: dict[str, AppLaunch] = {}
        for feature, jdk in jdks.items():
            for variant in self.scenario.variants:
                key = apps.app_key(variant, feature)
                port = free_port()
                jar: Path = getattr(jars, variants.variant(variant).jar)
                env = apps.variant_env(self.scenario, variant, port, infra.postgres.env(), downstream_url)
                consume = self.scenario.consume
                if consume is not None:
                    env |= NO_BROKER  # each segment adds its broker's variables
                launches[key] = AppLaunch(
                    name=key,
                    jdk=jdk,
                    jar=jar,
                    # A consume segment restarts the app on faults; a flight recording would not survive that.
                    jvm_flags=apps.jvm_flags(self.scenario, variant, self.results.logs / f"{key}-gc.log",
                                             None if consume is not None else self.results.jfr_recording(key)),
                    env=env,
                    port=port,
                )
                self.manifest.set_variant(key, variant_record(launches[key], variant, self._requested(variant)))
        return launches

    def _requested(self, variant: VariantName) -> dict[str, Any]:
        # Verified without a broker: the settings an app reports only once it has one wait for the segment.
        return settings.requested(self.scenario, variant, with_broker=False)

    def _verify(self, supervisor: Supervisor, launches: dict[str, AppLaunch], infra: Infrastructure) -> None:
        orders, unknown = sample_orders(infra.postgres, self.scenario.data.orders)
        problems: list[str] = []
        bodies: dict[str, dict[str, bytes]] = {}
        for key, launch in launches.items():
            self.console.print(f"[bold]verify[/] {key}")
            # Its own logs: the measured start later must not rotate or mix with these.
            checked = replace(launch, jvm_flags=apps.jvm_flags(
                self.scenario, apps.variant_of(key), self.results.logs / f"{key}-verify-gc.log"))
            running = apps.start_app(supervisor, checked, self.results.logs / f"{key}-verify.log")
            try:
                variant = apps.variant_of(key)
                found, bodies[key] = verify_app(key, launch.base_url, orders, unknown,
                                                endpoints=self.scenario.workload.endpoint_mix().keys(),
                                                cpu_rounds=self.scenario.workload.cpu_rounds)
                problems += found
                found, written = verify_write_path(key, launch.base_url, infra.postgres, self.scenario.data.customers)
                problems += found
                bodies[key] |= written
                requested = self._requested(variant)
                problems += verify_settings(key, requested, running.info, settings.awaited())
                for path in settings.not_reported_yet(requested, running.info):
                    self.manifest.add_warning(f"{key}: the app does not report {path} yet, so that setting was "
                                              "sent but not verified")
                self.manifest.set_variant(key, variant_record(launch, variant, self._requested(variant),
                                                              running.info))
            finally:
                supervisor.stop(running.process)
        problems += compare_bodies(bodies)
        self.manifest.set_verification(Verification(tuple(problems), tuple(o.id for o in orders)))
        if problems:
            raise VerificationError(problems)
        self.console.print(f"[green]verified[/] {len(launches)} variant(s): every answer as the contract says")

    def _measure(self, supervisor: Supervisor, sampler: ProcessSampler, launch: AppLaunch,
                 progress: RunProgress) -> None:
        load = self.scenario.require_load()
        variant = apps.variant_of(launch.name)
        running = apps.start_app(supervisor, launch, self.results.logs / f"{launch.name}.log")
        sampler.watch("app", running.process.pid, include_children=False)
        workload = self.scenario.workload
        target = LoadTarget(base_url=launch.base_url, order_id_max=self.scenario.data.orders,
                            seed=self.scenario.data.seed, profile=workload.profile, mix=workload.endpoint_mix(),
                            customer_id_max=self.scenario.data.customers, cpu_rounds=workload.cpu_rounds)
        out_dir = self.results.logs / "locust"
        windows: list[tuple[LevelId, float, float]] = []
        prometheus = PrometheusSampler(launch.base_url, variant, interval_s=load.scrape_interval)
        try:
            # Started before the warm-up: the first scrape of a cold JVM is slow.
            prometheus.start()
            if load.warmup > 0:
                with progress.phase(f"{launch.name} warm-up · {max(load.levels)} users", load.warmup):
                    run_warmup(target, max(load.levels), load.warmup, out_dir, supervisor,
                               label=f"warmup-{launch.name}")
            for repetition in range(1, load.repetitions + 1):
                for users in load.levels:
                    level = LevelId(jdk=launch.jdk.feature, variant=variant, users=users, repetition=repetition)
                    label = f"{launch.name} · {users} users · rep {repetition}/{load.repetitions}"
                    with progress.phase(label, load.settle + load.duration):
                        recording = run_level(
                            target, users, load.settle, load.duration, out_dir, level.slug, supervisor, sampler,
                            hlog_path=self.results.hlog_path(level),
                        )
                    window = {name: sampler.samples(name, recording.measured_start, recording.measured_end)
                              for name in SAMPLED}
                    result = summarise_level(level, recording=recording, samples=window)
                    jvm = prometheus.samples(recording.measured_start, recording.measured_end)
                    result = _with_jvm_figures(result, aggregate(jvm, recording.measured_start,
                                                                 recording.measured_end))
                    append_jvm_readings(self.results.jvm_timeseries_csv, level, jvm)
                    self._record(result, recording.windows, window)
                    windows.append((level, recording.measured_start, recording.measured_end))
                    progress.log(_one_line(result))
        finally:
            prometheus.stop()
            sampler.unwatch("app")
            supervisor.stop(running.process)
        # The recording is complete only once the JVM has exited.
        self._read_jfr(launch, windows)

    def _read_jfr(self, launch: AppLaunch, windows: list[tuple[LevelId, float, float]]) -> None:
        recording = self.results.jfr_recording(launch.name)
        if not self.scenario.app.jfr.enabled or not windows:
            return
        # The reader runs in its own process: windows travel there labelled by each level's slug.
        levels = {level.slug: level for level, _, _ in windows}
        try:
            summaries = summarise_recording(recording, [(level.slug, start, end) for level, start, end in windows])
        except HarnessError as error:
            # The load figures stand without JFR; say loudly that the explanation is missing.
            self.manifest.add_warning(f"{launch.name}: JFR recording not read: {error}")
            return
        rows = [jfr_level(levels[slug], summary) for slug, summary in summaries.items()]
        append_jfr_rows(self.results.jfr_csv, rows)

    def _record(self, result: LevelResult, windows: Any, samples: dict[str, Any]) -> None:
        self.levels.append(result)
        assert self.table is not None
        self.table.append(result)
        append_windows(self.results.timeseries_csv, result.id, windows, samples)
        for warning in warnings_for(result):
            self.manifest.add_warning(warning)


def variant_record(launch: AppLaunch, variant: VariantName, requested: Mapping[str, Any],
                   effective: Mapping[str, Any] | None = None) -> VariantRecord:
    """The manifest's record of one app: how it was launched, what was asked, what it reported."""
    return VariantRecord(
        variant=variant, jdk=JdkRecord(launch.jdk.feature, launch.jdk.version, launch.jdk.vendor),
        jar=str(launch.jar), jvm_flags=launch.jvm_flags, env=dict(launch.env), port=launch.port,
        requested=dict(requested), effective=dict(effective or {}), argv=launch.argv,
    )


_JVM_FIELDS = tuple(f.name for f in fields(LevelResult) if f.name in AGGREGATE_COLUMNS)


def _with_jvm_figures(result: LevelResult, figures: dict[str, float | None]) -> LevelResult:
    changes: dict[str, Any] = {name: figures.get(name) for name in _JVM_FIELDS}
    return replace(result, **changes)



def _one_line(r: LevelResult) -> str:
    flags = []
    if r.errors:
        flags.append(f"[red]{r.errors} errors[/]")
    if r.generator_saturated:
        flags.append("[yellow]generator saturated[/]")
    if not r.littles_law_ok:
        flags.append(f"[yellow]Little's law off {r.littles_law_deviation:.0%}[/]")
    return (f"  {r.variant}@jdk{r.jdk} {r.users:>5} users  {r.throughput_rps:>9.1f} req/s  "
            f"p50 {r.p50_ms:>8.3f} ms  p99 {r.p99_ms:>8.3f} ms  " + " ".join(flags))


def run_scenario(scenario: Scenario, scenario_path: Path, paths: Paths, console: Console,
                 argv: list[str], rebuild: bool = False) -> tuple[ResultsDir, RunStatus]:
    run = Run(scenario, scenario_path, paths, console, argv, rebuild)
    console.print(f"results → {run.results.root}")
    return run.results, run.execute()
