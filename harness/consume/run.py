"""The segment loop of a consume run: every JDK × variant × repetition on a fresh broker.

    empty the event tables → fresh broker → start the variant (a flight recording per JVM) with the
    broker's environment and check its messaging settings → warm-up batch, consumed then removed from
    every event table → inject the measured events → until drained or timed out: fire due faults,
    sample → let the broker's backlog settle → reconcile → lag, resources, pools → rows → stop app →
    with ``consume.replay`` (Kafka): rebuild the read model in a fresh consumer group (replay.py) → stop
    broker → read the flight recordings (warm-up and measured windows)

A segment that loses an event, processes one twice or does not drain does not stop the run: every
segment is measured and written, then the run fails with all of them (``ReconciliationError``).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import TupleRow
from rich.console import Console

from harness import apps, settings
from harness.apps import AppLaunch, RunningApp
from harness.clock import clock_step_s, read_clock, stepped
from harness.consume import database, lag, replay
from harness.consume.app_metrics import pools_row, segment_sources
from harness.consume.drive import DuplicateInjector, OrderDriver, add_poison, drive_rate_warning
from harness.consume.explain import Window, basis, cost_row, thread_rows
from harness.consume.faults import KILL_CONSUMER, RESTART_BROKER, Faults
from harness.consume.preload import OutboxPlan, insert_plan, plan_outbox
from harness.consume.reconcile import (
    NOT_DRAINED,
    WARMUP_NOT_DRAINED,
    Drive,
    Injected,
    Problem,
    Reconciliation,
    ReconciliationError,
    reconcile,
    segment_problems,
)
from harness.consume.recordings import SegmentRecordings
from harness.consume.resources import cpu_seconds, rss_mb_max
from harness.consume.sampler import EventSample, EventSampler
from harness.consume.segments import segment_label
from harness.consume.steadiness import cpu_without_jit_s, steady_per_event
from harness.consume.threads import compiler_share, cpu_by_group, thread_cpu
from harness.consume.timeseries import segment_rows
from harness.errors import VerificationError
from harness.infra.brokers import KAFKA_TOPIC, Broker, KafkaBroker, start_broker
from harness.infra.postgres import PostgresEndpoint
from harness.processes import Supervisor
from harness.prometheus import PrometheusSampler
from harness.results.consume_explain_tables import (
    CONSUME_COST,
    CONSUME_JFR,
    CONSUME_JVM_TIMESERIES,
    CONSUME_POOLS,
    CONSUME_THREADS,
    CONSUME_WARMUP,
    MEASURED,
    STEADY_JIT_SHARE,
    WARMUP,
    ConsumeJvmReading,
    ConsumeWarmupBatch,
)
from harness.results.consume_replay_table import CONSUME_REPLAY, ConsumeReplay, append_consume_replay
from harness.results.consume_tables import ConsumeResult, append_consume_result, append_consume_timeseries
from harness.results.layout import ResultsDir
from harness.results.manifest import (
    ConsumeRecord,
    DriveRecord,
    FiredFaultRecord,
    InjectedRecord,
    ManifestWriter,
    PreloadRecord,
    ReplayRecord,
    SegmentBroker,
    SegmentProblem,
    SegmentRecord,
)
from harness.sampling import ProcessSampler
from harness.scenario import ConsumeSettings, Scenario
from harness.verify import verify_settings

POLL_S = 0.2  # how often the processed count is read for the fault thresholds and the drain check
# warmup_batches: auto is bounded by consume.warmup_max; this only keeps a batch that drains instantly from
# looping without end.
AUTO_BATCHES_LIMIT = 10_000
SETTLE_S = 10.0  # after draining, how long to wait for the broker to report an empty backlog


@dataclass(frozen=True)
class ConsumeContext:
    """What the segments share with the rest of the run (the runner owns all of it)."""

    scenario: Scenario
    consume: ConsumeSettings
    results: ResultsDir
    manifest: ManifestWriter
    supervisor: Supervisor
    sampler: ProcessSampler
    postgres: PostgresEndpoint
    workdir: Path
    console: Console


def run_consume(ctx: ConsumeContext, launches: dict[str, AppLaunch]) -> list[ConsumeResult]:
    """Measure every segment; raise ReconciliationError listing every failed one at the end."""
    consume = ctx.consume
    plan = None
    if consume.source == "preload":
        plan = plan_outbox(consume.events, ctx.scenario.data.orders, ctx.scenario.faults.duplicates,
                           ctx.scenario.faults.poison, ctx.scenario.data.seed, lifecycle=consume.lifecycle,
                           inverted=ctx.scenario.faults.inverted_orders)
    ctx.manifest.set_consume(ConsumeRecord(
        broker=consume.broker, source=consume.source,
        preload=None if plan is None else PreloadRecord(rows=plan.rows, events=plan.events,
                                                        duplicate_rows=plan.duplicate_rows,
                                                        poison_rows=plan.poison_rows, orders=plan.orders),
    ))
    results, failures = [], []
    # In rounds, like the request benchmark's run order: every variant's repetition 1, then every repetition 2.
    # Variant-major order put all of one variant's segments in one stretch of time, so a machine that drifted
    # (another tenant, thermal state, a filling disk) would have shown up as a difference between variants.
    for repetition in range(1, consume.repetitions + 1):
        for key, launch in launches.items():
            segment = _Segment(ctx, key, launch, repetition, plan)
            result, problems = segment.run()
            results.append(result)
            failures += [f"{result.label()}: {p}" for p in problems]
    if failures:
        raise ReconciliationError(failures)
    return results



def warmup_plan(scenario: Scenario, consume: ConsumeSettings, index: int) -> OutboxPlan:
    """Warm-up batch ``index``: ``consume.warmup_events`` fresh OrderCreated events of their own stream, with
    duplicates at the measured rate: the inbox's turning one away is code the measured events run, and a
    warm-up without it left the JIT compiling that path inside the measured window. No poison: a dead letter
    is the measured events' to count."""
    return plan_outbox(consume.warmup_events, scenario.data.orders, scenario.faults.duplicates, 0, scenario.data.seed,
                       stream="warmup" if index == 0 else f"warmup-{index}")


def _differing_paths(a: Any, b: Any, prefix: str = "") -> tuple[str, ...]:
    """Dotted paths where two /actuator/info runtime sections differ (for the replay's record)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return tuple(path for key in sorted(set(a) | set(b), key=str)
                     for path in _differing_paths(a.get(key), b.get(key), f"{prefix}{key}."))
    return () if a == b else (prefix.rstrip("."),)


class _Segment:
    def __init__(self, ctx: ConsumeContext, key: str, launch: AppLaunch, repetition: int,
                 plan: OutboxPlan | None) -> None:
        self.ctx = ctx
        self.key = key
        self.variant = apps.variant_of(key)
        self.launch = launch
        self.repetition = repetition
        self.plan = plan
        self.label = segment_label(key, ctx.consume.broker, repetition)
        self.app: RunningApp | None = None
        self.driver: OrderDriver | None = None
        self.segment = (launch.jdk.feature, self.variant, ctx.consume.broker, repetition)
        self.recordings = SegmentRecordings(ctx.results.root / "jfr", self.label, launch.jdk,
                                            ctx.scenario.app.jfr.enabled)
        self.metrics: PrometheusSampler | None = None
        self.windows: list[Window] = []
        self.warmup_events = 0  # every warm-up batch's events, for the warm-up window's cost
        self.steady_per_event = False  # the warm-up ended on batches steady per event (steadiness.py)
        # consume.replay: order-events' end offsets just before the measured events (replay.py), and what
        # was recorded of the segment, completed with the replay.
        self.replay_from: dict[int, int] = {}
        self.record: SegmentRecord | None = None

    # -- the segment ------------------------------------------------------------------------
    def run(self) -> tuple[ConsumeResult, list[str]]:
        ctx = self.ctx
        ctx.console.print(f"[bold]segment[/] {self.label}: fresh {ctx.consume.broker}, {self._what()}")
        database.reset_event_tables(ctx.postgres)
        workdir = ctx.workdir / self.label
        with start_broker(ctx.consume.broker, ctx.supervisor, workdir, ctx.results.logs,
                          infra=ctx.scenario.infra, images=ctx.scenario.docker) as broker:
            launch = replace(self.launch, env={**self.launch.env, **broker.env()})
            broker_startup_s = broker.startup_s
            self._watch_broker(broker)
            try:
                self._start(launch)
                outcome = self._measure(launch, broker, broker_startup_s)
            finally:
                if self.metrics is not None:
                    self.metrics.stop()
                ctx.sampler.unwatch("app")
                if self.app is not None:
                    # SIGTERM: the JVM writes its flight recording on the way out.
                    ctx.supervisor.stop(self.app.process)
            if ctx.consume.replay:
                assert self.app is not None
                outcome = self._replay(self.app, broker, outcome)
            ctx.sampler.unwatch("broker")
        self._read_recordings()
        return outcome

    def _watch_broker(self, broker: Broker) -> None:
        """Sample the broker's process (again after a restart: a new pid); a container's is not sampled."""
        self.ctx.sampler.unwatch("broker")
        if broker.pid is not None:
            self.ctx.sampler.watch("broker", broker.pid, include_children=True)

    def _restart_broker(self, broker: Broker) -> None:
        broker.restart()
        self._watch_broker(broker)

    def _read_recordings(self) -> None:
        """consume_jfr.csv rows of every JVM of the segment, per window; read once the last JVM exited."""
        if not self.recordings.paths or not self.windows:
            return
        rows, warnings = self.recordings.read(self.segment, [(w.name, w.start, w.end) for w in self.windows])
        CONSUME_JFR.append(self.ctx.results.root / CONSUME_JFR.file, rows)
        for warning in warnings:
            self.ctx.manifest.add_warning(warning)
        measured = [r for r in rows if r.window == MEASURED]
        for row in measured:
            total = max(1, row.cpu_samples)
            top = ", ".join(f"{name} {count / total:.0%}" for name, count in row.top_cpu_packages[:4])
            self.ctx.console.print(f"  {self.label} JFR (JVM {row.recording}, measured): {row.cpu_samples} CPU "
                                   f"samples: {top}; JIT {row.jit_compile_ms:.0f} ms, GC pauses {row.gc_pauses}")

    def _what(self) -> str:
        consume, faults = self.ctx.consume, self.ctx.scenario.faults
        events = f"{consume.events} events " + ("preloaded" if consume.source == "preload"
                                                 else f"driven at {consume.rate}/s")
        if consume.lifecycle:
            events += f" (lifecycle: {consume.events // 3} orders × Created → Paid → Shipped)"
        ordering = f"ordering {consume.ordering}"
        return ", ".join([events, ordering, *faults.phrases()])

    def _start(self, launch: AppLaunch) -> None:
        ctx = self.ctx
        self._launch_app(launch)
        assert self.app is not None
        # Pools, the consumer's and the broker client's meters, for the segment's whole life (a restarted
        # app answers on the same port; the scrapes while it is down count as scrape errors).
        self.metrics = PrometheusSampler(launch.base_url, self.variant, interval_s=ctx.consume.scrape_interval,
                                         extra_sources=segment_sources(ctx.consume.broker, self.variant))
        self.metrics.start()
        requested = settings.requested(ctx.scenario, self.variant, with_broker=True)
        problems = verify_settings(self.key, requested, self.app.info)
        recorded = ctx.manifest.variant(self.key)
        if recorded is not None:
            ctx.manifest.set_variant(self.key, dataclasses.replace(
                recorded, requested={**recorded.requested, **requested}, effective=self.app.info))
        if problems:
            raise VerificationError(problems)

    def _launch_app(self, launch: AppLaunch, port_attempts: int = apps.PORT_ATTEMPTS) -> None:
        """Start the app (first or after a kill) into the segment's log, with a flight recording and a GC log
        of its own, and sample its process."""
        ctx = self.ctx
        start = len(self.recordings.paths) + 1
        name = self.label if start == 1 else f"{self.label}-a{start}"
        flags = apps.jvm_flags(ctx.scenario, self.variant, ctx.results.logs / f"{name}-gc.log",
                               self.recordings.next_path())
        launch = replace(launch, jvm_flags=flags)
        self.app = apps.start_app(self.ctx.supervisor, launch, self.ctx.results.log_path(self.label),
                                  port_attempts=port_attempts)
        self.ctx.sampler.watch("app", self.app.process.pid, include_children=False)

    def _kill_and_restart(self, launch: AppLaunch) -> None:
        ctx = self.ctx
        assert self.app is not None
        # No POST may be in flight when the kill lands: whether it was written could not be known,
        # so it could be neither retried nor counted (drive.py). Orders due while the app is down
        # are refused and retried until it is back.
        if self.driver is not None and not self.driver.hold():
            ctx.console.print(f"  {self.label}: a POST /orders was still unanswered when the consumer was killed")
        try:
            # kill -9 leaves no recording: take what the JVM recorded so far first.
            warning = self.recordings.dump(self.app.process.pid)
            if warning is not None:
                ctx.manifest.add_warning(warning)
            # kill -9: no shutdown hook, no commit of offsets or acks; the Supervisor then reaps it.
            os.kill(self.app.process.pid, signal.SIGKILL)
            ctx.supervisor.stop(self.app.process)
        finally:
            if self.driver is not None:
                self.driver.release()
        ctx.sampler.unwatch("app")
        self.app = None
        # On its port: the order driver holds the URL.
        self._launch_app(launch, port_attempts=1)

    def _measure(self, launch: AppLaunch, broker: Broker, broker_startup_s: float) -> tuple[ConsumeResult, list[str]]:
        ctx, consume = self.ctx, self.ctx.consume
        assert self.app is not None
        launch = self.app.launch  # its port, if the chosen one was taken before the first start
        faults = Faults(ctx.scenario.faults, consume.events, {
            KILL_CONSUMER: lambda: self._kill_and_restart(launch),
            RESTART_BROKER: lambda: self._restart_broker(broker),
        })
        duplicates = DuplicateInjector(ctx.scenario.faults.duplicates, ctx.scenario.data.seed)
        warmup_drained = self._warm_up(broker)
        with database.connect(ctx.postgres) as conn, EventSampler(
            ctx.postgres, broker.backlog, consume.sample_interval
        ) as sampler:
            threads = self._threads()
            if ctx.consume.replay and isinstance(broker, KafkaBroker):
                # The warm-up batches are in the topic too, before this: the replay starts here.
                self.replay_from = replay.end_offsets(broker.node.endpoint.bootstrap, KAFKA_TOPIC)
            clock_at_origin = read_clock()
            origin = clock_at_origin.wall
            ctx.sampler.sample_now()  # inside the window: its CPU is read from the samples within it
            self._scrape_edge()
            if self.plan is not None:
                insert_plan(conn, self.plan)
            else:
                assert consume.rate is not None and self.app is not None
                add_poison(conn, ctx.scenario.faults.poison)
                self.driver = OrderDriver(launch.base_url, consume.events, consume.rate, ctx.scenario.data)
                self.driver.start()
            deadline = time.monotonic() + consume.timeout
            drained, next_copy, next_check = False, 0.0, 0.0
            driver = self.driver
            try:
                while time.monotonic() < deadline:
                    driving = driver is not None and not driver.done
                    if driver is not None and (time.monotonic() >= next_copy or not driving):
                        # After the last order answered, one more pass catches the final rows.
                        duplicates.add_duplicates(conn)
                        next_copy = time.monotonic() + 1.0
                    processed, dead = database.processed_and_dead(conn)
                    for fault in faults.fire_due(processed):
                        ctx.console.print(f"  {self.label}: {fault.name} at {fault.processed} processed, "
                                          f"back after {fault.seconds:.1f}s")
                    # The full check joins every event: run it once a second, and only once the counts
                    # say it may pass (the app's CPU is shared with this database).
                    plausible = self.plan is None or processed + dead >= self.plan.events + self.plan.poison_rows
                    if not driving and plausible and time.monotonic() >= next_check:
                        if database.outstanding(conn).drained:
                            drained = True
                            break
                        next_check = time.monotonic() + 1.0
                    time.sleep(POLL_S)
            finally:
                if driver is not None:
                    driver.stop()
            self._scrape_edge()
            ctx.sampler.sample_now()
            clock_at_end = read_clock()
            ended = clock_at_end.wall
            self.windows.append(Window(MEASURED, origin, ended, os.getloadavg()[0], self._threads_since(threads)))
            step = clock_step_s(clock_at_origin, clock_at_end)
            if stepped(step):
                ctx.manifest.add_warning(
                    f"{self.label}: the machine was paused during the measured window (its wall clock stepped "
                    f"{step:.2f}s away from its monotonic clock: a VM snapshot or migration, or the clock set by "
                    "hand); its rates and lags count time nothing ran in: measure the segment again")
            self._settle(broker)
            outstanding = database.outstanding(conn)
            reconciliation = reconcile(conn)
            injected = self._injected(conn, duplicates, faults)
            lags = lag.read_lags(conn)
        return self._write(reconciliation, injected, lags, sampler.samples(), faults, origin, ended, drained,
                           outstanding, broker, broker_startup_s, driver, warmup_drained)

    def _scrape_edge(self) -> None:
        """One /actuator/prometheus reading at a window's edge, so a window shorter than the scrape interval
        still has counter readings at both ends."""
        if self.metrics is not None:
            self.metrics.scrape_once()

    def _threads(self) -> tuple[int, dict[int, tuple[str, float]]] | None:
        """The app's pid and its threads' CPU now."""
        if self.app is None:
            return None
        return self.app.process.pid, thread_cpu(self.app.process.pid)

    def _threads_since(self, before: tuple[int, dict[int, tuple[str, float]]] | None) -> dict[str, float] | None:
        """CPU by thread group since ``before``; None when the JVM is another one now (a kill -9)."""
        if before is None or self.app is None or self.app.process.pid != before[0]:
            return None
        return cpu_by_group(before[1], thread_cpu(before[0]))

    def _warm_up(self, broker: Broker) -> bool:
        """Consume batches of ``warmup_events`` well-formed events (duplicates at the measured rate; no poison or
        faults): a fixed number, or with ``warmup_batches: auto`` until the app is warm, for at most ``warmup_max``.
        Warm is a batch whose JIT compiler threads spent at most STEADY_JIT_SHARE of the app's CPU (the bar the
        measured window's basis is held to), or batches steady per event (steadiness.py: the CPU per event without
        the compiler threads stopped moving). Each batch waits until every event is processed, published and
        acknowledged at the broker, then empties every event table: the measured events start on a warm JVM and
        the reconciliation never sees the warm-up. One warm-up window spans every batch. False if a batch did not
        drain within ``consume.timeout``."""
        ctx, consume = self.ctx, self.ctx.consume
        if consume.warmup_events == 0:
            return True
        auto = consume.warmup_batches == "auto"
        limit = AUTO_BATCHES_LIMIT if consume.warmup_batches == "auto" else consume.warmup_batches
        threads = self._threads()
        start = time.time()
        # Inside the window, at both edges: a warm-up of a few events can end before the sampler's next
        # tick, and edge samples outside it left its CPU unread (seen: an empty app_cpu_s).
        ctx.sampler.sample_now()
        self._scrape_edge()
        drained, batches, share = True, 0, None
        batches_cpu: list[float | None] = []
        while batches < limit:
            before, began = self._threads(), time.time()
            drained = self._warm_up_batch(broker, batches)
            batches += 1
            spent = self._threads_since(before)
            share = None if spent is None else compiler_share(spent)
            without_jit = cpu_without_jit_s(spent)
            batches_cpu.append(without_jit)
            self.steady_per_event = steady_per_event(batches_cpu, consume.warmup_events)
            self._record_batch(batches, time.time() - began, spent, without_jit, share)
            if not drained or (auto and ((share is not None and share <= STEADY_JIT_SHARE) or self.steady_per_event)):
                break
            if auto and time.time() - start >= consume.warmup_max:
                break
        self._scrape_edge()
        ctx.sampler.sample_now()
        end = time.time()
        self.windows.append(Window(WARMUP, start, end, os.getloadavg()[0], self._threads_since(threads)))
        self.warmup_events = batches * consume.warmup_events
        jit = "" if share is None else f", JIT {share:.0%} of the last batch's CPU"
        steady = ", steady per event" if self.steady_per_event else ""
        ctx.console.print(f"  {self.label}: warm-up: {batches} × {consume.warmup_events} events in "
                          f"{end - start:.1f}s{jit}{steady}" + ("" if drained else " [bold red](not drained)[/]"))
        if auto and drained and (share is None or share > STEADY_JIT_SHARE) and not self.steady_per_event:
            ctx.manifest.add_warning(
                f"{self.label}: the JIT was still compiling after {batches} warm-up batches of "
                f"{consume.warmup_events} events ({end - start:.0f}s; consume.warmup_max {consume.warmup_max:g}s), "
                "and their CPU per event had not become steady: its measured CPU per event may include compilation "
                "(consume_cost.csv basis)")
        return drained

    def _record_batch(self, batch: int, seconds: float, spent: dict[str, float] | None, without_jit: float | None,
                      share: float | None) -> None:
        events = self.ctx.consume.warmup_events
        jdk, variant, broker, repetition = self.segment
        CONSUME_WARMUP.append(self.ctx.results.root / CONSUME_WARMUP.file, [ConsumeWarmupBatch(
            jdk, variant, broker, repetition, batch, events, round(seconds, 3),
            None if spent is None else round(sum(spent.values()), 3),
            None if without_jit is None else round(without_jit * 1000.0 / events, 4),
            None if share is None else round(share, 4), self.steady_per_event)])

    def _warm_up_batch(self, broker: Broker, index: int) -> bool:
        """One warm-up batch, consumed and acknowledged, then every event table emptied; False if it did not drain
        within ``consume.timeout``."""
        ctx, consume = self.ctx, self.ctx.consume
        plan = warmup_plan(ctx.scenario, consume, index)
        drained = False
        with database.connect(ctx.postgres) as conn:
            insert_plan(conn, plan)
            deadline = time.monotonic() + consume.timeout
            while time.monotonic() < deadline:
                processed, dead = database.processed_and_dead(conn)
                # Acknowledged too (broker backlog 0): no warm-up event may come again after the reset.
                if (processed + dead >= plan.events and database.outstanding(conn).drained
                        and broker.backlog() == 0):
                    drained = True
                    break
                time.sleep(POLL_S)
        database.reset_event_tables(ctx.postgres)
        return drained

    def _injected(self, conn: psycopg.Connection[TupleRow], duplicates: DuplicateInjector,
                  faults: Faults) -> Injected:
        """What the harness put in, for ``segment_problems`` to hold the counts against."""
        pending = tuple(faults.pending())
        ordering_required = self.ctx.consume.ordering == "required"
        if self.plan is not None:
            return Injected(self.plan.events, self.plan.duplicate_rows, None, pending, ordering_required)
        assert self.driver is not None
        stats = self.driver.stats
        drive = Drive(planned=self.ctx.consume.events, accepted=stats.created, failed=stats.failed,
                      retries=stats.retries, failure_kinds=dict(stats.failure_kinds),
                      new_orders=database.new_orders(conn),
                      sent_per_s=None if stats.sent_per_s is None else round(stats.sent_per_s, 1))
        slow = drive_rate_warning(self.label, stats.sent_per_s, self.driver.rate)
        if slow is not None:
            self.ctx.manifest.add_warning(slow)
            self.ctx.console.print(f"  [yellow]{slow}[/]")
        return Injected(stats.created, duplicates.copied, drive, pending, ordering_required)

    def _settle(self, broker: Broker) -> None:
        # Drained by the database's count, a redelivered duplicate may still be on its way; it
        # belongs to this segment's reconciliation.
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            try:
                backlog = broker.backlog()
            except Exception:  # unreadable is the same as unknown here
                backlog = None
            if not backlog:
                return
            time.sleep(POLL_S)

    # -- the replay (consume.replay) ----------------------------------------------------------
    def _replay(self, measured: RunningApp, broker: Broker,
                outcome: tuple[ConsumeResult, list[str]]) -> tuple[ConsumeResult, list[str]]:
        """Rebuild the read model the measured segment built by replaying its events in a fresh consumer group
        (replay.py); its problems join the segment's. Not run after a segment that failed: there is no good read
        model to rebuild, and the segment's failure already fails the run."""
        ctx, consume = self.ctx, self.ctx.consume
        result, problems = outcome
        if problems:
            ctx.console.print(f"  {self.label}: replay not run: the measured segment failed")
            return outcome
        assert isinstance(broker, KafkaBroker)  # the scenario refuses replay on RabbitMQ
        bootstrap = broker.node.endpoint.bootstrap
        group = replay.replay_group(broker.group_id, self.label)
        with database.connect(ctx.postgres) as conn:
            before = replay.before_replay(conn)
            replay.reset_read_side(conn)
        replay.commit_offsets(bootstrap, group, KAFKA_TOPIC, self.replay_from)
        # The dead-letter listener's group is derived from the group id: without this it would record
        # every dead letter of the measured segment again.
        dlt_group = f"{group}-dlt"
        replay.commit_offsets(bootstrap, dlt_group, replay.DEAD_LETTER_TOPIC,
                              replay.end_offsets(bootstrap, replay.DEAD_LETTER_TOPIC))
        name = f"{self.label}-replay"
        jfr = ctx.results.root / "jfr" / f"{name}.jfr" if ctx.scenario.app.jfr.enabled else None
        if jfr is not None:
            jfr.parent.mkdir(parents=True, exist_ok=True)
        flags = apps.jvm_flags(ctx.scenario, self.variant, ctx.results.logs / f"{name}-gc.log", jfr)
        launch = replace(measured.launch, env={**measured.launch.env, "ORDERS_KAFKA_GROUP_ID": group},
                         jvm_flags=flags)
        ctx.console.print(f"  {self.label}: replay: inbox and projection emptied, {self.variant} in group {group}")
        launched = time.time()
        app = apps.start_app(ctx.supervisor, launch, ctx.results.log_path(name))
        ready = time.time()
        deadline = time.monotonic() + consume.timeout
        try:
            ctx.sampler.watch("app", app.process.pid, include_children=False)
            ctx.sampler.sample_now()
            settings_problems = verify_settings(self.key, settings.requested(ctx.scenario, self.variant,
                                                                             with_broker=True), app.info)
            if settings_problems:
                raise VerificationError(settings_problems)
            with database.connect(ctx.postgres) as conn:
                ready_db = conn.execute("SELECT clock_timestamp()").fetchone()
                drained = False
                while time.monotonic() < deadline:
                    if replay.outstanding(conn, before) == (0, 0):
                        drained = True
                        break
                    time.sleep(POLL_S)
                ctx.sampler.sample_now()
                ended = time.time()
                self._settle_group(broker, group)
                rec = replay.reconcile_replay(conn, before)
        finally:
            ctx.sampler.unwatch("app")
            ctx.supervisor.stop(app.process)
        found = replay.replay_problems(rec, before, drained, consume.timeout)
        first_to_last = rec.first_to_last_s
        ready_to_last = None
        if ready_db is not None and rec.last_processed_at is not None:
            ready_to_last = (rec.last_processed_at - ready_db[0]).total_seconds()
        # Cumulative since the replay JVM's launch: the listener may consume before the app answers healthy
        # (webflux does, under load), so no sample from before the rebuild began can be taken. Start-up included.
        samples = ctx.sampler.samples("app", launched, ended)
        cpu = round(max(s.cpu_seconds for s in samples), 3) if samples else None
        row = ConsumeReplay(
            jdk=result.jdk, variant=self.variant, broker=consume.broker, repetition=self.repetition, group_id=group,
            started_at=datetime.fromtimestamp(launched, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            ok=not found, events=rec.created, replayed=rec.replayed, lost=rec.lost,
            processed_twice=rec.processed_twice, strays=rec.strays, duplicates_suppressed=rec.duplicates_suppressed,
            poison_dead_lettered=rec.poison_dead_lettered, dead_letters_added=rec.dead_letters_added,
            projection_rows=rec.projection_rows,
            projection_matches=(rec.projection_rows, rec.projection_checksum) == (before.projection_rows,
                                                                                  before.projection_checksum),
            jvm_start_s=round(ready - launched, 3),
            first_to_last_s=None if first_to_last is None else round(first_to_last, 3),
            ready_to_last_s=None if ready_to_last is None else round(ready_to_last, 3),
            rebuild_eps=round(rec.created / first_to_last, 1) if first_to_last else None,
            app_cpu_s=cpu, app_cpu_ms_per_event=round(cpu * 1000 / rec.replayed, 4) if cpu and rec.replayed else None,
            load_avg_1m=round(os.getloadavg()[0], 2), problems="; ".join(map(str, found)),
        )  # fmt: skip
        append_consume_replay(ctx.results.root / CONSUME_REPLAY.file, row)
        if self.record is not None:
            self.record = replace(self.record, replay=ReplayRecord(
                group_id=group, dead_letter_group_id=dlt_group,
                start_offsets={str(p): o for p, o in sorted(self.replay_from.items())}, jvm_flags=flags,
                effective_differs=_differing_paths(measured.info, app.info),
                reconciliation={k: v for k, v in dataclasses.asdict(rec).items() if isinstance(v, int)},
                problems=tuple(SegmentProblem(reason=p.reason, detail=p.detail) for p in found)))
            ctx.manifest.set_segment(self.label, self.record)
        rate = f"{row.rebuild_eps:.0f} events/s" if row.rebuild_eps is not None else "no rate"
        verdict = "[green]ok[/]" if not found else "[bold red]FAILED[/]: " + "; ".join(map(str, found))
        ctx.console.print(f"  {self.label}: replay: {rec.replayed}/{rec.created} rebuilt in "
                          f"{row.first_to_last_s if row.first_to_last_s is not None else '—'}s first to last row "
                          f"({rate}), {row.ready_to_last_s}s from ready, projection "
                          f"{'equal' if row.projection_matches else 'DIFFERENT'} — {verdict}")
        return result, problems + [f"replay: {p}" for p in found]

    def _settle_group(self, broker: KafkaBroker, group: str) -> None:
        """Like _settle, for the replay's group: a duplicate still on its way belongs to its reconciliation."""
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            try:
                backlog = broker.backlog_of(group)
            except Exception:  # unreadable is the same as unknown here
                backlog = None
            if not backlog:
                return
            time.sleep(POLL_S)

    # -- results ----------------------------------------------------------------------------
    def _write(self, rec: Reconciliation, injected: Injected, lags: list[tuple[int, float]],
               events: list[EventSample], faults: Faults,
               origin: float, ended: float, drained: bool, outstanding: database.Outstanding, broker: Broker,
               broker_startup_s: float, driver: OrderDriver | None,
               warmup_drained: bool) -> tuple[ConsumeResult, list[str]]:
        ctx, consume = self.ctx, self.ctx.consume
        jdk = self.launch.jdk.feature
        _histogram, summary = lag.summarise(lags)
        lag.write_hlog(ctx.results.consume_hlog_path(jdk, self.variant, consume.broker, self.repetition), lags,
                       origin, self.label)
        app_samples = ctx.sampler.samples("app", origin, ended)
        backlogs = [s.broker_backlog for s in events if s.broker_backlog is not None]
        db_backlogs = [s.progress.backlog for s in events if s.progress is not None]
        drain_s = rec.drain_s
        problems = segment_problems(rec, injected)
        if not drained:
            problems.insert(0, Problem(NOT_DRAINED, f"not done within {consume.timeout:g}s ({outstanding.events} "
                                                    f"events and {outstanding.poison} poison messages neither "
                                                    f"processed nor dead-lettered, {outstanding.unpublished_rows} "
                                                    "outbox rows unpublished)"))
        if not warmup_drained:
            problems.insert(0, Problem(WARMUP_NOT_DRAINED, f"the {consume.warmup_events} warm-up events were not "
                                                           f"all processed and acknowledged within "
                                                           f"{consume.timeout:g}s"))
        result = ConsumeResult(
            jdk=jdk, variant=self.variant, broker=consume.broker, source=consume.source,
            repetition=self.repetition,
            started_at=datetime.fromtimestamp(origin, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            drained=drained, ok=not problems,
            events_created=rec.created, events_published=rec.published, events_processed=rec.processed,
            duplicate_rows=rec.duplicate_rows, duplicates_suppressed=rec.duplicates_suppressed,
            processed_twice=rec.processed_twice, lost=rec.lost, dead_lettered=rec.dead_lettered,
            poison_injected=rec.poison_injected, poison_dead_lettered=rec.poison_dead_lettered,
            drain_s=None if drain_s is None else round(drain_s, 3),
            drain_rate_eps=round(rec.processed / drain_s, 1) if drain_s else None,
            lag_p50_ms=summary.p50_ms, lag_p90_ms=summary.p90_ms, lag_p99_ms=summary.p99_ms,
            lag_p999_ms=summary.p999_ms, lag_max_ms=summary.max_ms,
            peak_backlog_db=max(db_backlogs, default=None), peak_backlog_broker=max(backlogs, default=None),
            app_rss_mb_max=rss_mb_max(app_samples, origin, ended), app_cpu_s=cpu_seconds(app_samples, origin, ended),
            broker_version=broker.version, broker_startup_s=round(broker_startup_s, 3),
            broker_restart_s=faults.seconds(RESTART_BROKER), kill_restart_s=faults.seconds(KILL_CONSUMER),
            orders_failed=driver.stats.failed if driver is not None else None,
            lifecycle=consume.lifecycle, ordering=consume.ordering, ordering_violations=rec.ordering_violations,
        )  # fmt: skip
        append_consume_result(ctx.results.consume_csv, result)
        around = ctx.sampler.samples("app", events[0].t - 2, events[-1].t + 2) if events else []
        append_consume_timeseries(ctx.results.consume_timeseries_csv, segment_rows(
            (jdk, self.variant, consume.broker, self.repetition), origin, events, around, faults.fired))
        self._record_segment(result, rec, faults, injected, problems)
        self._explain(rec, faults, origin)
        self._print(result, problems)
        return result, [str(p) for p in problems]

    def _record_segment(self, result: ConsumeResult, rec: Reconciliation, faults: Faults, injected: Injected,
                        problems: list[Problem]) -> None:
        drive = injected.drive
        self.record = SegmentRecord(
            label=result.label(),
            broker=SegmentBroker(kind=result.broker, version=result.broker_version,
                                 startup_s=result.broker_startup_s),
            faults=tuple(FiredFaultRecord(name=f.name, at_processed=f.processed, seconds=round(f.seconds, 3))
                         for f in faults.fired),
            faults_not_fired=tuple(faults.pending()),
            drive=None if drive is None else DriveRecord(
                planned=drive.planned, accepted=drive.accepted, failed=drive.failed, retries=drive.retries,
                failure_kinds=dict(drive.failure_kinds), new_orders=drive.new_orders, sent_per_s=drive.sent_per_s),
            injected=InjectedRecord(events=injected.events, duplicate_rows=injected.duplicate_rows),
            reconciliation={k: v for k, v in dataclasses.asdict(rec).items() if isinstance(v, int)},
            problems=tuple(SegmentProblem(reason=p.reason, detail=p.detail) for p in problems),
        )
        self.ctx.manifest.set_segment(self.label, self.record)

    def _explain(self, rec: Reconciliation, faults: Faults, origin: float) -> None:
        """consume_cost.csv and consume_pools.csv rows per window, every app reading in consume_jvm_timeseries.csv."""
        ctx = self.ctx
        warmed = any(w.name == WARMUP for w in self.windows)
        killed = any(f.name == KILL_CONSUMER for f in faults.fired)
        readings = self.metrics.samples() if self.metrics is not None else []
        for window in self.windows:
            events = rec.processed if window.name == MEASURED else self.warmup_events
            CONSUME_COST.append(ctx.results.root / CONSUME_COST.file, [
                cost_row(self.segment, window, basis(window, warmed, killed, self.steady_per_event), events,
                         ctx.sampler)])
            CONSUME_POOLS.append(ctx.results.root / CONSUME_POOLS.file,
                                 [pools_row(self.segment, window.name, readings, window.start, window.end)])
            CONSUME_THREADS.append(ctx.results.root / CONSUME_THREADS.file, thread_rows(self.segment, window))
        jdk, variant, broker, repetition = self.segment
        CONSUME_JVM_TIMESERIES.append(ctx.results.root / CONSUME_JVM_TIMESERIES.file, [
            ConsumeJvmReading(jdk, variant, broker, repetition, round(r.t - origin, 3), r.column, round(r.value, 6))
            for r in readings])

    def _print(self, r: ConsumeResult, problems: list[Problem]) -> None:
        verdict = "[green]ok[/]" if not problems else "[bold red]FAILED[/]: " + "; ".join(map(str, problems))
        rate = f"{r.drain_rate_eps:.0f} events/s" if r.drain_rate_eps is not None else "no rate"
        drain = f"{r.drain_s:.1f}s" if r.drain_s is not None else "—"
        self.ctx.console.print(
            f"  {r.label()}: {r.events_processed}/{r.events_created} processed in {drain} ({rate}), lag p50 "
            f"{r.lag_p50_ms:.0f} ms p99 {r.lag_p99_ms:.0f} ms, duplicates suppressed {r.duplicates_suppressed}, "
            f"dead-lettered {r.dead_lettered}, lost {r.lost}, processed twice {r.processed_twice}"
            + (f", out of order {r.ordering_violations}" if r.lifecycle else "") + f" — {verdict}"
        )
