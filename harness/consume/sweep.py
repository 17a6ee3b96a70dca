"""A consume sweep: the consume benchmark at every combination of broker, concurrency and downstream delay.

Each point is a full ``harness run`` of its own scenario (the sweep's, with the point's values and no
sweep), written to ``<sweep>/points/<time>-<name>-<point>/`` with everything a run has: manifest, every
variant interleaved, every repetition in a fresh JVM, reconciliation, the explained windows. The sweep
folder adds what only the whole can say:

- ``sweep.json``: the points, each with its folder, status and error; the sweep's own status is
  ``complete`` only when every point completed (``interrupted`` after Ctrl-C, ``failed`` otherwise);
- ``consume_sweep.csv``: per point × JDK × variant, the drain rate and the measured window's app CPU
  per event over the repetitions (mean and 95% interval), its basis, the end-to-end lag p50 and p99 (mean
  and interval) and, where orders were driven, the rate they left at; with
  ``consume.replay`` the mean read-model rebuild rate, or on a RabbitMQ point ``not available on RabbitMQ``;
- ``sweep.md`` and ``drain-vs-concurrency.png``: the table and the plot drain rate against concurrency,
  one panel per broker and delay, one line per variant.

A point that fails is recorded and the sweep goes on to the next (a study should not lose hours of
points to one); the sweep then fails, naming every failed point.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

from harness.apps import app_key
from harness.compare.stats import mean_interval
from harness.consume.segments import segment_label
from harness.errors import HarnessError, ResultsError
from harness.results.consume_explain_tables import MEASURED, read_consume_cost
from harness.results.consume_replay_table import CONSUME_REPLAY, read_consume_replay
from harness.results.consume_tables import read_consume
from harness.results.layout import new_folder
from harness.scenario import ConsumePoint, ConsumeSettings, Scenario

SWEEP_FORMAT = 1
SweepStatus = Literal["complete", "failed", "interrupted", "running"]


@dataclass(frozen=True)
class PointRecord:
    """One point of the sweep in ``sweep.json``."""

    slug: str
    broker: str
    concurrency: int | None
    downstream_delay_ms: int
    results: str | None  # the point's run folder, relative to the sweep folder; None before it started
    status: str  # complete | failed | interrupted | pending
    error: str | None = None


@dataclass(frozen=True)
class SweepRow:
    """One consume_sweep.csv row: a variant on one JDK at one point, over its repetitions.

    ``app_cpu_ms_per_event`` is of the measured window (after the warm-up batch); ``cpu_basis`` says what
    that window's CPU contains (steady state, JIT still compiling, ...), every distinct one of the
    repetitions. ``ok`` is every repetition reconciled (nothing lost, nothing processed twice, drained)."""

    broker: str
    concurrency: int  # listener threads / in-flight limit the point ran with
    downstream_delay_ms: int
    jdk: int
    variant: str
    repetitions: int
    drain_eps: float | None
    drain_eps_low: float | None
    drain_eps_high: float | None
    app_cpu_ms_per_event: float | None
    app_cpu_ms_per_event_low: float | None
    app_cpu_ms_per_event_high: float | None
    cpu_basis: str
    lag_p99_ms: float | None
    ok: bool
    run: str
    # consume.replay (format 2): the mean rebuild rate over the repetitions, and what it is: "ok", "failed",
    # NO_REPLAY_RABBITMQ (no number: RabbitMQ keeps no consumed message to replay), or "" when not asked for.
    replay_eps: float | None = None
    replay: str = ""
    # Also format 2 (a format-1 point had one event per order: nothing could be out of order).
    ordering_violations: int | None = None  # summed over repetitions; None: no lifecycle stream
    # Format 3: the app's CPU per event less its JIT compiler threads' share (consume_cost.csv), mean and interval.
    app_cpu_ms_per_event_without_jit: float | None = None
    app_cpu_ms_per_event_without_jit_low: float | None = None
    app_cpu_ms_per_event_without_jit_high: float | None = None
    # Format 4: the lag's median and p99 as means over the repetitions with their intervals (the true end-to-end lag
    # where the orders were driven), and the rate the driven orders left at (manifest drive.sent_per_s; None for a
    # preload): a lag is of that rate, which may fall short of consume.rate.
    lag_p50_ms: float | None = None
    lag_p50_ms_low: float | None = None
    lag_p50_ms_high: float | None = None
    lag_p99_ms_low: float | None = None
    lag_p99_ms_high: float | None = None
    orders_per_s: float | None = None


def point_scenario(scenario: Scenario, point: ConsumePoint, settings: ConsumeSettings | None = None) -> Scenario:
    """The plain consume scenario of one point: the sweep's, with the point's settings, named after it.
    ``settings`` are the point's from ``consume.points()`` when the caller has them (else looked up)."""
    consume = scenario.consume
    if consume is None:
        raise ValueError("not a consume scenario")
    if settings is None:
        found = dict(consume.points())
        if point not in found:
            raise ValueError(f"{point.slug} is not a point of {scenario.name}")
        settings = found[point]
    name = f"{scenario.name}-{point.slug}"[:64].rstrip("-")
    return scenario.model_copy(update={"name": name, "consume": settings})


def _mean(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    return mean_interval(values) if values else (None, None, None)


NO_REPLAY_RABBITMQ = "not available on RabbitMQ"


def point_rows(point: PointRecord, run_root: Path, relative: str, replay: bool = False) -> list[SweepRow]:
    """The consume_sweep.csv rows of one point's run folder (none when it measured nothing); ``replay``: the
    sweep asked for consume.replay."""
    results = read_consume(run_root / "consume.csv")
    replays = read_consume_replay(run_root / CONSUME_REPLAY.file)
    costs = [c for c in read_consume_cost(run_root / "consume_cost.csv") if c.window == MEASURED]
    manifest = json.loads((run_root / "manifest.json").read_text(encoding="utf-8"))
    concurrency = int(manifest["scenario"]["consume"]["listener_concurrency"])
    segments: dict[str, Any] = (manifest.get("consume") or {}).get("segments") or {}
    rows = []
    groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for result in results:
        groups[(result.jdk, result.variant)].append(result)
    for (jdk, variant), found in groups.items():
        drains = [r.drain_rate_eps for r in found if r.drain_rate_eps is not None]
        cost = [c for c in costs if (c.jdk, c.variant) == (jdk, variant)]
        cpu = [c.app_cpu_ms_per_event for c in cost if c.app_cpu_ms_per_event is not None]
        drain, drain_low, drain_high = _mean(drains)
        cpu_mean, cpu_low, cpu_high = _mean(cpu)
        no_jit = _mean([c.app_cpu_ms_per_event_without_jit for c in cost
                        if c.app_cpu_ms_per_event_without_jit is not None])
        lag_p50, lag_p99 = _mean([r.lag_p50_ms for r in found]), _mean([r.lag_p99_ms for r in found])
        sent = [rate for r in found if (rate := _sent_per_s(segments, r)) is not None]
        rebuilt = [r for r in replays if (r.jdk, r.variant) == (jdk, variant)]
        rates = [r.rebuild_eps for r in rebuilt if r.rebuild_eps is not None]
        if not replay:
            replay_state = ""
        elif point.broker == "rabbitmq":
            replay_state = NO_REPLAY_RABBITMQ
        else:
            replay_state = "ok" if rebuilt and all(r.ok for r in rebuilt) else "failed"
        rows.append(SweepRow(
            broker=point.broker, concurrency=concurrency, downstream_delay_ms=point.downstream_delay_ms, jdk=jdk,
            variant=variant, repetitions=len(found), drain_eps=drain, drain_eps_low=drain_low,
            drain_eps_high=drain_high, app_cpu_ms_per_event=cpu_mean, app_cpu_ms_per_event_low=cpu_low,
            app_cpu_ms_per_event_high=cpu_high, cpu_basis=", ".join(sorted({c.basis for c in cost})) or "not measured",
            lag_p99_ms=lag_p99[0], ok=all(r.ok for r in found), run=relative,
            replay_eps=_mean(rates)[0] if replay_state == "ok" else None, replay=replay_state,
            ordering_violations=sum(r.ordering_violations for r in found) if all(r.lifecycle for r in found)
            else None,
            app_cpu_ms_per_event_without_jit=no_jit[0], app_cpu_ms_per_event_without_jit_low=no_jit[1],
            app_cpu_ms_per_event_without_jit_high=no_jit[2],
            lag_p50_ms=lag_p50[0], lag_p50_ms_low=lag_p50[1], lag_p50_ms_high=lag_p50[2],
            lag_p99_ms_low=lag_p99[1], lag_p99_ms_high=lag_p99[2], orders_per_s=_mean(sent)[0],
        ))
    return rows


def _sent_per_s(segments: dict[str, Any], result: Any) -> float | None:
    """The rate a driven segment's orders left at, from its manifest record (keyed as the segment names itself)."""
    record = segments.get(segment_label(app_key(result.variant, result.jdk), result.broker, result.repetition)) or {}
    rate = (record.get("drive") or {}).get("sent_per_s")
    return None if rate is None else float(rate)


class Sweep:
    """The sweep folder and its record; ``run_point`` is given by the caller (the runner's ``run_scenario``)."""

    def __init__(self, scenario: Scenario, results_root: Path, now: datetime | None = None) -> None:
        if scenario.consume is None or scenario.consume.sweep is None:
            raise ValueError("not a consume sweep")
        self.scenario = scenario
        self.root = new_folder(results_root, scenario.name, now or datetime.now(UTC))
        self.points = [PointRecord(p.slug, p.broker, p.concurrency, p.downstream_delay_ms, None, "pending")
                       for p, _settings in scenario.consume.points()]
        self.started_at = datetime.now(UTC).isoformat()
        self.status: SweepStatus = "running"
        self._write()

    @property
    def _replay(self) -> bool:
        return self.scenario.consume is not None and self.scenario.consume.replay

    @property
    def points_root(self) -> Path:
        return self.root / "points"

    def record(self, index: int, *, results: Path | None, status: str, error: str | None = None) -> None:
        relative = None if results is None else str(results.relative_to(self.root))
        self.points[index] = PointRecord(**{**asdict(self.points[index]), "results": relative, "status": status,
                                            "error": error})
        self._write()

    def finish(self, status: SweepStatus) -> list[SweepRow]:
        """Record the outcome and write consume_sweep.csv and sweep.md from every point that has a folder."""
        from harness.report.consume_sweep import write_sweep_report

        self.status = status
        self._write()
        rows = sweep_rows(self.root, self.points, self._replay)
        write_sweep_report(self.root, self.scenario, self.points, rows, status)
        return rows

    def _write(self) -> None:
        # The scenario as written (unset fields left out), so that it parses again: rewrite_sweep_report.
        document = {"format": SWEEP_FORMAT, "scenario": self.scenario.model_dump(mode="json", exclude_unset=True),
                    "started_at": self.started_at, "status": self.status,
                    "finished_at": None if self.status == "running" else datetime.now(UTC).isoformat(),
                    "points": [asdict(p) for p in self.points]}
        (self.root / "sweep.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def read_sweep(root: Path) -> dict[str, Any]:
    """``sweep.json`` of a sweep folder; ResultsError when it is missing or of another format."""
    path = root / "sweep.json"
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path}: not a readable sweep record ({error})") from None
    if document.get("format") != SWEEP_FORMAT:
        raise ResultsError(f"{path}: sweep format {document.get('format')!r}, this harness reads {SWEEP_FORMAT}")
    return document


def sweep_rows(root: Path, points: Sequence[PointRecord], replay: bool = False) -> list[SweepRow]:
    """consume_sweep.csv's rows from every point that has a run folder."""
    rows = []
    for point in points:
        if point.results is not None and (root / point.results / "manifest.json").is_file():
            rows += point_rows(point, root / point.results, point.results, replay)
    return rows


def rewrite_sweep_report(root: Path) -> None:
    """Draw a sweep folder's table, plot and sweep.md again from sweep.json and the points' folders."""
    from harness.report.consume_sweep import write_sweep_report
    from harness.scenario import parse_scenario

    document = read_sweep(root)
    points = [PointRecord(**p) for p in document["points"]]
    scenario = parse_scenario(document["scenario"], str(root / "sweep.json"))
    replay = scenario.consume is not None and scenario.consume.replay
    write_sweep_report(root, scenario, points, sweep_rows(root, points, replay), document["status"])


def run_sweep(scenario: Scenario, results_root: Path, console: Console,
              run_point: Any) -> tuple[Path, SweepStatus]:
    """Run every point in order with ``run_point(point_scenario, results_root) -> (ResultsDir, status)``.

    Raises SweepError naming every failed point when any failed (after the last point and the sweep
    report); Ctrl-C marks the sweep interrupted, writes what it has and re-raises."""
    sweep = Sweep(scenario, results_root)
    assert scenario.consume is not None
    console.print(f"sweep → {sweep.root} ({len(sweep.points)} points)")
    failures = []
    for index, (point, settings) in enumerate(scenario.consume.points()):
        console.rule(f"point {index + 1}/{len(sweep.points)}: {point.slug}")
        before = set(sweep.points_root.iterdir()) if sweep.points_root.is_dir() else set()
        try:
            results, status = run_point(point_scenario(scenario, point, settings), sweep.points_root)
            sweep.record(index, results=results.root, status=status)
        except KeyboardInterrupt:
            sweep.record(index, results=_new_folder(sweep.points_root, before), status="interrupted")
            sweep.finish("interrupted")
            raise
        except HarnessError as failure:
            sweep.record(index, results=_new_folder(sweep.points_root, before), status="failed", error=str(failure))
            failures.append(f"{point.slug}: {str(failure).splitlines()[0]}")
            console.print(f"[red]point {point.slug} failed[/]: {str(failure).splitlines()[0]}")
    sweep.finish("failed" if failures else "complete")
    if failures:
        raise SweepError(failures)
    return sweep.root, "complete"


def _new_folder(points_root: Path, before: set[Path]) -> Path | None:
    created = sorted(set(points_root.iterdir()) - before) if points_root.is_dir() else []
    return created[0] if created else None


class SweepError(HarnessError):
    """One or more points of a sweep failed; each is named with the first line of its error, and its run
    folder holds the rest. Every other point was run and is in the sweep's table."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        lines = "\n".join(f"  {f}" for f in self.failures)
        super().__init__(f"{len(self.failures)} point(s) of the sweep failed (see sweep.json and each "
                         f"point's summary.md):\n{lines}")
