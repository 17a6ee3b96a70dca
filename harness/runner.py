"""``harness run``: the one path from a validated scenario to a results folder.

    build jars → start PostgreSQL (schema, seed) → start downstream
    → verify every variant (start, check, stop; all problems at once; no load if any)
    → kind.measure (harness.benchmarks: requests, levels × repetitions per app with probes;
                    consume, one segment per JDK × variant × repetition)
    → summary.md, then report.html

The manifest says ``running`` from the first moment and only ``complete`` at the very end, so a
run cut short by a failure, Ctrl-C or a kill never looks complete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

from harness import apps, placement, settings, variants
from harness.app_containers import AppContainers, app_containers
from harness.apps import AppLaunch, RunningApp
from harness.benchmarks import RunContext, benchmark_kind
from harness.build import Jars, ensure_jars
from harness.calibration import cached_for
from harness.errors import HarnessError, ScenarioError, VerificationError
from harness.infra import Infrastructure, start_infrastructure
from harness.infra.docker_remote import engine_client, stats_reader
from harness.infra.postgres import server_settings
from harness.jdks import Jdk, find_jdk
from harness.load.driver import LoadTarget
from harness.load.endpoints import DOWNSTREAM_MIX
from harness.load.warmup import warm_up
from harness.machine_load import FOREIGN, STEAL, ForeignCpu, steal_cpu
from harness.processes import Supervisor, free_port, sigterm_as_interrupt
from harness.report import write_report
from harness.report.summary import write_summary
from harness.results.layout import ResultsDir, create
from harness.results.manifest import JdkRecord, ManifestWriter, VariantRecord, Verification
from harness.sampling import ProcessSampler
from harness.scenario import RemoteEngine, Scenario, VariantName
from harness.verify import compare_bodies, sample_orders, verify_app, verify_settings, verify_write_path

RunStatus = Literal["complete", "failed", "interrupted"]


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


class Run:
    """State of one run; each method is one step of the path above."""

    def __init__(self, scenario: Scenario, scenario_path: Path, paths: Paths, console: Console,
                 argv: list[str], rebuild: bool = False) -> None:
        self.scenario = scenario
        self.scenario_path = scenario_path
        self.paths = paths
        self.console = console
        self.rebuild = rebuild
        self.results: ResultsDir = create(paths.results_root, scenario.name, datetime.now(UTC))
        self.manifest = ManifestWriter(self.results, scenario, scenario_path, argv)
        self.kind = benchmark_kind(scenario)
        self.placement = placement.resolve(scenario.placement.sets())
        self.kind.begin(self.results)
        self.containers: AppContainers | None = None  # with scenario.containers, once the engine answered

    # -- the whole path ---------------------------------------------------------------------
    def execute(self) -> RunStatus:
        status: RunStatus = "failed"
        error: str | None = None
        try:
            cpus = self.placement
            self.manifest.set("placement", cpus.record())
            self._refuse_unusable_quota()
            measured = cached_for(dataclasses.asdict(self.manifest.manifest.machine))
            if measured is not None:
                self.manifest.set("calibration", measured)
            with sigterm_as_interrupt(), placement.harness_pinned(cpus), \
                    Supervisor(cpus_for=cpus.cpus_for_process) as supervisor, ProcessSampler() as sampler:
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

    def _refuse_unusable_quota(self) -> None:
        """Apps in containers run on the app's CPU set: a quota that set cannot hold is refused before anything
        starts (placement auto depends on this machine's CPUs, so the scenario alone cannot say)."""
        containers = self.scenario.containers
        # On a remote engine's host this machine's CPU sets do not apply (_container_cpus).
        refusal = None if containers is None or containers.remote is not None else placement.quota_refusal(
            self.placement, containers.cpus)
        if refusal is not None:
            raise ScenarioError(str(self.scenario_path), [refusal])

    def _write_reports(self) -> None:
        # A broken plot must not hide the run's outcome: summary.md is written first and on its own,
        # once; the report then draws beside it.
        write_summary(self.results)
        try:
            write_report(self.results.root, summary=False)
        except Exception as failure:
            self.console.print(f"[yellow]report.html could not be drawn: {type(failure).__name__}: {failure}[/]")

    def _execute(self, supervisor: Supervisor, sampler: ProcessSampler) -> None:
        sampler.watch_reader(FOREIGN, ForeignCpu(lambda: [*sampler.watched_pids(),
                                                          *(child.pid for child in supervisor.children)]))
        sampler.watch_reader(STEAL, steal_cpu)
        jdks = self._resolve_jdks()
        jars = self._build()
        with contextlib.ExitStack() as stack:
            if self.scenario.containers is not None:
                # Entered first, left last: every app container is gone before the database is.
                self.containers = stack.enter_context(app_containers(
                    self.scenario.containers, self._container_mounts(), self.results.logs))
            self._with_infrastructure(supervisor, sampler, jdks, jars)

    def _container_mounts(self) -> tuple[Path, ...]:
        """The folders a container sees at the same path: the results folder, shared with this machine; on a remote
        engine, the folders its JVM writes to (GC logs, recordings), each a volume of its own, copied out after."""
        root = self.results.root.resolve()
        if self._remote is None:
            return (root,)
        return (self.results.logs.resolve(), self.results.jfr.resolve())

    def _with_infrastructure(self, supervisor: Supervisor, sampler: ProcessSampler, jdks: dict[int, Jdk],
                             jars: Jars) -> None:
        with tempfile.TemporaryDirectory(prefix="harness-run-") as workdir, start_infrastructure(
            supervisor, Path(workdir), self.results.logs, self.paths.schema_dir, self.scenario.data,
            kind=self.scenario.infra, images=self.scenario.docker, address=self._sut_address,
            remote=self._remote is not None,
        ) as (infra, seed):
            self.manifest.set("seed", {"customers": seed.customers, "orders": seed.orders,
                                       "seconds": round(seed.seconds, 3)})
            infrastructure = {"kind": infra.kind, "images": infra.images, "postgres": server_settings(infra.postgres)}
            self.manifest.set("infrastructure", infrastructure)
            postgres = next((c for c in supervisor.children if c.name.startswith("postgres")), None)
            postgres_pid = postgres.pid if postgres is not None else infra.postgres_pid
            if self._remote is not None and infra.postgres_container is not None and self.containers is not None:
                sampler.watch_reader("postgres", stats_reader(engine_client(self.containers.docker_host),
                                                              infra.postgres_container, "postgres"))
            elif postgres_pid is not None:
                sampler.watch("postgres", postgres_pid, include_children=True)
                infra_cpus = self.placement.cpus("infra")
                if postgres is None and infra_cpus is not None:  # a container: not forked here, pinned now
                    placement.pin_tree(postgres_pid, infra_cpus)
            downstream = self._start_downstream(supervisor, jdks[max(jdks)], jars)
            measured = False
            try:
                apps.watch(sampler, "downstream", downstream, cgroup=False)
                launches = self._launches(jdks, jars, infra, downstream.launch.base_url)
                if self.containers is not None and self.scenario.containers is not None:
                    self.manifest.set("infrastructure", {**infrastructure, "apps": {
                        **self.scenario.containers.model_dump(mode="json"), "docker_host": self.containers.docker_host,
                        "downstream": None if downstream.launch.container is None else
                        downstream.launch.container.record(),
                        "containers": {key: launch.container.record() for key, launch in launches.items()
                                       if launch.container is not None}}})
                self._verify(supervisor, launches, infra)
                self.kind.measure(RunContext(self.scenario, self.results, self.manifest, self.console, supervisor,
                                             sampler, infra.postgres, Path(workdir)), launches)
                measured = True
            finally:
                # Stopped here, not by the Supervisor at the end: on a remote engine its GC log is copied out now.
                try:
                    apps.stop_app(supervisor, downstream)
                except HarnessError:
                    if measured:
                        raise  # otherwise the error that ended the run is the one to report

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

    @property
    def _remote(self) -> RemoteEngine | None:
        return None if self.scenario.containers is None else self.scenario.containers.remote

    @property
    def _sut_address(self) -> str:
        """Where the apps, the downstream and PostgreSQL listen, and where load goes."""
        return "127.0.0.1" if self._remote is None else self._remote.address

    @property
    def _allow_remote(self) -> bool:
        return self.scenario.load is not None and self.scenario.load.allow_remote

    def _container_cpus(self, role: placement.Role) -> frozenset[int] | None:
        # Placement names this machine's CPUs: on a remote engine's host they mean nothing.
        return None if self._remote is not None else self.placement.cpus(role)

    def _start_downstream(self, supervisor: Supervisor, jdk: Jdk, jars: Jars) -> RunningApp:
        port = free_port()
        launch = AppLaunch(
            name="downstream",
            jdk=jdk,
            jar=jars.downstream,
            jvm_flags=apps.downstream_flags(self.results.logs / "downstream-gc.log"),
            env={"ORDERS_SERVER_ADDRESS": self._sut_address, "ORDERS_SERVER_PORT": str(port)},
            port=port,
            # No limit: the downstream must never be what is measured.
            container=None if self.containers is None else self.containers.container(
                jars.downstream, jdk, None, limited=False, cpuset=self._container_cpus("infra")),
        )
        self.console.print(f"[bold]start[/] downstream on {launch.base_url}")
        running = apps.start_app(supervisor, launch, self.results.logs / "downstream.log")
        launch = running.launch  # its port, if the chosen one was taken meanwhile
        self.manifest.set("downstream", {**launch.record(), "effective": running.info})
        warmup, users = self.kind.downstream_warmup()
        if warmup > 0:
            warmed = self._warm_downstream(launch, users, supervisor)
            self.manifest.set("downstream", {**launch.record(), "effective": running.info, "warmup": warmed})
        return running

    def _warm_downstream(self, launch: AppLaunch, users: int, supervisor: Supervisor) -> dict[str, Any]:
        """Warm the downstream up as ``workload.downstream_warmup`` says (by default until its JIT is quiet and its
        throughput flat, at most 90 s); what it took goes to the manifest, and a warning when it never got there.

        A fixed few seconds were not enough: measured on one CPU, the downstream's C2 compiler kept running about
        a second per second for the first 32-36 s of load. In the ci-gate scenario (5 s) it was still compiling
        while the first repetition was measured, spent 3.7x the CPU per call of the later ones on the CPU it
        shares with the app, and halved that repetition's throughput; every run starts with the same variant, so
        the bias fell on one variant only."""
        settings = self.scenario.workload.downstream_warmup
        target = LoadTarget(base_url=launch.base_url, order_id_max=self.scenario.data.orders,
                            seed=self.scenario.data.seed, profile="downstream-warmup", mix=DOWNSTREAM_MIX,
                            customer_id_max=self.scenario.data.customers, allow_remote=self._allow_remote)
        self.console.print("[bold]warm up[/] downstream " + (f"for {settings.seconds:g}s" if settings.mode == "fixed"
                           else f"until steady (at most {settings.max:g}s)"))
        outcome, seconds = warm_up(target, users, settings, self.results.logs / "locust", supervisor,
                                   "warmup-downstream")
        if outcome is None:
            return {"users": users, "seconds": seconds, "steady": None, "windows": []}
        self.console.print(f"  downstream {'steady' if outcome.steady else '[yellow]not steady[/]'} after {seconds:g}s")
        if not outcome.steady:
            self.manifest.add_warning(
                f"the downstream was not steady after its {seconds:g}s warm-up maximum (throughput not flat "
                f"within {settings.tolerance:.0%}, or its JIT compiling more than {settings.jit:.0%} of the time): "
                "the first repetitions measured may have shared a CPU with its compiler")
        return {"users": users, "seconds": seconds, "steady": outcome.steady,
                "windows": [dataclasses.asdict(w) for w in outcome.windows]}

    def _launches(self, jdks: dict[int, Jdk], jars: Jars, infra: Infrastructure,
                  downstream_url: str) -> dict[str, AppLaunch]:
        launches: dict[str, AppLaunch] = {}
        containers = self.scenario.containers
        limits: tuple[float | None, ...] = (None,) if containers is None else containers.cpus
        for feature, jdk in jdks.items():
            for cpus in limits:
                for variant in self.scenario.variants:
                    key = apps.app_key(variant, feature, cpus)
                    port = free_port()
                    jar: Path = getattr(jars, variants.variant(variant).jar)
                    scenario = apps.launch_scenario(self.scenario, cpus)
                    env = apps.variant_env(scenario, variant, port, infra.postgres.env(), downstream_url,
                                           self._sut_address)
                    launches[key] = AppLaunch(
                        name=key,
                        jdk=jdk,
                        jar=jar,
                        jvm_flags=apps.jvm_flags(scenario, variant, self.results.logs / f"{key}-gc.log",
                                                 self.results.jfr_recording(key) if self.kind.records_flight else None),
                        env={**env, **self.kind.launch_env()},
                        port=port,
                        container=None if self.containers is None else self.containers.container(
                            jar, jdk, cpus, cpuset=self._container_cpus("app")),
                    )
                    self.manifest.set_variant(key, variant_record(launches[key], variant,
                                                                  self._requested(launches[key])))
        return launches

    def _requested(self, launch: AppLaunch) -> dict[str, Any]:
        # Verified without a broker: the settings an app reports only once it has one wait for the segment.
        return settings.requested(apps.launch_scenario(self.scenario, launch.cpus), apps.variant_of(launch.name),
                                  with_broker=False, cpus=launch.cpus)

    def _verify(self, supervisor: Supervisor, launches: dict[str, AppLaunch], infra: Infrastructure) -> None:
        orders, unknown = sample_orders(infra.postgres, self.scenario.data.orders)
        problems: list[str] = []
        bodies: dict[str, dict[str, bytes]] = {}
        for key, launch in launches.items():
            self.console.print(f"[bold]verify[/] {key}")
            # Its own logs: the measured start later must not rotate or mix with these.
            checked = replace(launch, jvm_flags=apps.jvm_flags(
                apps.launch_scenario(self.scenario, launch.cpus), apps.variant_of(key),
                self.results.logs / f"{key}-verify-gc.log"))
            running = apps.start_app(supervisor, checked, self.results.logs / f"{key}-verify.log")
            launch = replace(launch, port=running.launch.port, env=running.launch.env)
            try:
                variant = apps.variant_of(key)
                found, bodies[key] = verify_app(key, launch.base_url, orders, unknown,
                                                endpoints=self.scenario.workload.endpoint_mix().keys(),
                                                cpu_rounds=self.scenario.workload.cpu_rounds)
                problems += found
                found, written = verify_write_path(key, launch.base_url, infra.postgres, self.scenario.data.customers)
                problems += found
                bodies[key] |= written
                requested = self._requested(launch)
                problems += verify_settings(key, requested, running.info)
                self.manifest.set_variant(key, variant_record(launch, variant, requested, running.info))
            finally:
                apps.stop_app(supervisor, running)
        problems += compare_bodies(bodies)
        self.manifest.set_verification(Verification(tuple(problems), tuple(o.id for o in orders)))
        if problems:
            raise VerificationError(problems)
        self.console.print(f"[green]verified[/] {len(launches)} variant(s): every answer as the contract says")


def variant_record(launch: AppLaunch, variant: VariantName, requested: Mapping[str, Any],
                   effective: Mapping[str, Any] | None = None) -> VariantRecord:
    """The manifest's record of one app: how it was launched, what was asked, what it reported."""
    return VariantRecord(
        variant=variant, jdk=JdkRecord(launch.jdk.feature, launch.jdk.version, launch.jdk.vendor),
        jar=str(launch.jar), jvm_flags=launch.jvm_flags, env=dict(launch.env), port=launch.port,
        requested=dict(requested), effective=dict(effective or {}), argv=launch.argv,
    )


def run_scenario(scenario: Scenario, scenario_path: Path, paths: Paths, console: Console,
                 argv: list[str], rebuild: bool = False) -> tuple[ResultsDir, RunStatus]:
    if scenario.consume is not None and scenario.consume.sweep is not None:
        # One run measures one point; harness.consume.sweep runs a sweep as one run per point.
        raise ScenarioError(str(scenario_path), ["consume.sweep: a sweep runs through harness.consume.sweep.run_sweep"])
    run = Run(scenario, scenario_path, paths, console, argv, rebuild)
    console.print(f"results → {run.results.root}")
    return run.results, run.execute()
