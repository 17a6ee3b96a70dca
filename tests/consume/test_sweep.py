"""The consume sweep: its points from the scenario, each point's plain scenario, the rows over repetitions,
and the sweep's record when a point fails or the user presses Ctrl-C.

The runs of the points are stood in for by a function writing the tables a run writes (the harness's own
writers): what is tested here is the sweep's bookkeeping; a real point is a real consume run
(tests/test_e2e_consume.py)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from harness.consume.sweep import (
    NO_REPLAY_RABBITMQ,
    SweepError,
    point_scenario,
    read_sweep,
    rewrite_sweep_report,
    run_sweep,
)
from harness.errors import AppError, ScenarioError
from harness.report.consume_sweep import CONSUME_SWEEP
from harness.results.consume_explain_tables import CONSUME_COST, MEASURED, STEADY, WARMUP, ConsumeCost
from harness.results.consume_replay_table import CONSUME_REPLAY, ConsumeReplay, append_consume_replay
from harness.results.consume_tables import ConsumeResult, append_consume_result
from harness.results.layout import ResultsDir, create
from harness.scenario import ConsumePoint, Scenario, parse_scenario

BASE: dict[str, Any] = {
    "name": "sweep-test", "variants": ["mvc-virtual", "webflux"], "data": {"orders": 1000},
    "consume": {"broker": "kafka", "events": 500, "repetitions": 3, "partitions": 4,
                "sweep": {"broker": ["kafka", "rabbitmq"], "concurrency": [2, 16], "downstream_delay_ms": [0, 20]}},
}


def _scenario(**consume: Any) -> Scenario:
    data = json.loads(json.dumps(BASE))
    data["consume"] |= consume
    return parse_scenario(data, "sweep.yaml")


def test_every_combination_is_a_point_broker_first() -> None:
    points = _scenario(prefetch=20).consume.points()  # type: ignore[union-attr]
    assert [p.slug for p, _ in points] == [
        "kafka-c2-d0", "kafka-c2-d20", "kafka-c16-d0", "kafka-c16-d20",
        "rabbitmq-c2-d0", "rabbitmq-c2-d20", "rabbitmq-c16-d0", "rabbitmq-c16-d20"]
    settings = dict(points)
    kafka16 = settings[ConsumePoint("kafka", 16, 20)]
    # Concurrency is the same n for every variant; on Kafka every listener thread gets a partition.
    assert (kafka16.listener_concurrency, kafka16.max_in_flight, kafka16.partitions) == (16, 16, 16)
    assert kafka16.downstream_delay_ms == 20 and kafka16.sweep is None
    assert settings[ConsumePoint("kafka", 2, 0)].partitions == 4  # never below the scenario's own
    rabbit = settings[ConsumePoint("rabbitmq", 2, 0)]
    assert (rabbit.broker, rabbit.prefetch, rabbit.listener_concurrency) == ("rabbitmq", 20, 2)
    assert rabbit.events == 500 and rabbit.repetitions == 3


def test_a_replay_sweep_over_both_brokers_replays_only_on_kafka_points() -> None:
    points = dict(_scenario(replay=True).consume.points())  # type: ignore[union-attr]
    assert points[ConsumePoint("kafka", 2, 0)].replay
    # Each point is parsed as a plain scenario: a RabbitMQ point asking for a replay would be refused.
    assert not points[ConsumePoint("rabbitmq", 2, 0)].replay
    rabbit = point_scenario(_scenario(replay=True), ConsumePoint("rabbitmq", 2, 0))
    assert rabbit.consume is not None and not rabbit.consume.replay


def test_a_dimension_left_out_keeps_the_sections_own_value() -> None:
    scenario = _scenario(sweep={"downstream_delay_ms": [5, 50]}, listener_concurrency=3)
    points = scenario.consume.points()  # type: ignore[union-attr]
    assert [p.slug for p, _ in points] == ["kafka-d5", "kafka-d50"]
    assert all(s.listener_concurrency == 3 and s.max_in_flight == 256 for _, s in points)


def test_a_point_is_a_plain_consume_scenario_named_after_it() -> None:
    scenario = _scenario()
    point = point_scenario(scenario, ConsumePoint("rabbitmq", 16, 20))
    assert point.name == "sweep-test-rabbitmq-c16-d20"
    assert point.consume is not None and point.consume.sweep is None and point.consume.broker == "rabbitmq"
    assert point.variants == scenario.variants and point.data == scenario.data
    with pytest.raises(ValueError, match="kafka-c3-d0 is not a point"):
        point_scenario(scenario, ConsumePoint("kafka", 3, 0))


def test_bad_sweeps_are_reported_all_at_once_with_their_paths() -> None:
    with pytest.raises(ScenarioError) as bad:
        _scenario(sweep={"broker": ["kafka", "nats"], "concurrency": [4, 4, 0], "downstream_delay_ms": [],
                         "delay": [1]})
    problems = "\n".join(bad.value.problems)
    assert "consume.sweep.broker[1]" in problems
    assert "consume.sweep.concurrency[2]" in problems
    assert "consume.sweep.downstream_delay_ms" in problems
    assert "consume.sweep.delay: unknown key" in problems
    # Partitions are a Kafka knob: refused when no point runs on Kafka.
    with pytest.raises(ScenarioError, match="partitions: only for broker kafka"):
        _scenario(sweep={"broker": ["rabbitmq"]})


# -- the sweep's bookkeeping, points stood in for ---------------------------------------------------
def _result(variant: str, rep: int, drain: float, ok: bool = True) -> ConsumeResult:
    return ConsumeResult(
        jdk=25, variant=variant, broker="kafka", source="preload", repetition=rep, started_at="2026-11-30T16:00:00Z",
        drained=ok, ok=ok, events_created=500, events_published=500, events_processed=500, duplicate_rows=0,
        duplicates_suppressed=0, processed_twice=0, lost=0 if ok else 3, dead_lettered=0, poison_injected=0,
        poison_dead_lettered=0, drain_s=500 / drain, drain_rate_eps=drain, lag_p50_ms=10.0, lag_p90_ms=20.0,
        lag_p99_ms=30.0 + rep, lag_p999_ms=40.0, lag_max_ms=50.0, peak_backlog_db=10, peak_backlog_broker=5,
        app_rss_mb_max=300.0, app_cpu_s=1.0, broker_version="4.1.0", broker_startup_s=3.0, broker_restart_s=None,
        kill_restart_s=None, orders_failed=None)


def _cost(variant: str, rep: int, window: str, cpu_ms: float) -> ConsumeCost:
    return ConsumeCost(jdk=25, variant=variant, broker="kafka", repetition=rep, window=window, basis=STEADY,
                       events=500, seconds=2.0, events_per_s=250.0, app_cpu_s=cpu_ms / 2, app_cpu_ms_per_event=cpu_ms,
                       broker_cpu_s=None, broker_cpu_ms_per_event=None, broker_rss_mb_max=None, postgres_cpu_s=None,
                       downstream_cpu_s=None, load_avg_1m=1.0, app_cpu_ms_per_event_without_jit=cpu_ms * 0.9)


class StandIn:
    """Writes what a consume run of a point writes; fails or is interrupted at the points named."""

    def __init__(self, fail: str | None = None, interrupt: str | None = None) -> None:
        self.fail, self.interrupt, self.ran = fail, interrupt, []

    def __call__(self, point: Scenario, root: Path) -> tuple[ResultsDir, str]:
        assert point.consume is not None and point.consume.sweep is None
        self.ran.append(point.name)
        results = create(root, point.name, datetime.now(UTC))
        (results.root / "manifest.json").write_text(json.dumps({"scenario": point.model_dump(mode="json")}))
        base = 100.0 * point.consume.listener_concurrency
        for rep, spread in enumerate((-10.0, 0.0, 10.0), start=1):
            append_consume_result(results.consume_csv, _result("mvc-virtual", rep, base + spread))
            append_consume_result(results.consume_csv, _result("webflux", rep, base / 2, ok=rep != 2))
            CONSUME_COST.append(results.root / CONSUME_COST.file, [
                _cost("mvc-virtual", rep, WARMUP, 9.0), _cost("mvc-virtual", rep, MEASURED, 1.0 + rep / 10)])
        if point.name.endswith(self.fail or "-never"):
            raise AppError("webflux@jdk25 exited during start-up (exit 1)")
        if point.name.endswith(self.interrupt or "-never"):
            raise KeyboardInterrupt
        return results, "complete"


SMALL = {"sweep": {"concurrency": [1, 4]}}


def test_a_complete_sweep_has_a_row_per_point_and_variant_over_its_repetitions(tmp_path: Path) -> None:
    stand_in = StandIn()
    root, status = run_sweep(_scenario(**SMALL), tmp_path, Console(quiet=True), stand_in)
    assert status == "complete" and stand_in.ran == ["sweep-test-kafka-c1-d20", "sweep-test-kafka-c4-d20"]
    record = read_sweep(root)
    assert record["status"] == "complete" and record["finished_at"]
    assert [(p["slug"], p["status"]) for p in record["points"]] == [("kafka-c1-d20", "complete"),
                                                                     ("kafka-c4-d20", "complete")]
    assert all((root / p["results"] / "manifest.json").is_file() for p in record["points"])

    rows = CONSUME_SWEEP.read(root / CONSUME_SWEEP.file)
    assert [(r.concurrency, r.variant) for r in rows] == [(1, "mvc-virtual"), (1, "webflux"), (4, "mvc-virtual"),
                                                          (4, "webflux")]
    mvc4 = rows[2]
    assert (mvc4.repetitions, mvc4.drain_eps, mvc4.ok) == (3, 400.0, True)
    half = 4.302652729911275 * 10.0 / math.sqrt(3)  # t(0.975, 2) × s / √n, s = 10
    assert mvc4.drain_eps_low == pytest.approx(400.0 - half) and mvc4.drain_eps_high == pytest.approx(400.0 + half)
    assert mvc4.app_cpu_ms_per_event == pytest.approx(1.2)  # the measured windows only, never the warm-up's 9 ms
    assert mvc4.app_cpu_ms_per_event_without_jit == pytest.approx(1.08)
    no_jit_half = 4.302652729911275 * 0.09 / math.sqrt(3)
    assert mvc4.app_cpu_ms_per_event_without_jit_low == pytest.approx(1.08 - no_jit_half)
    assert mvc4.cpu_basis == STEADY and mvc4.lag_p99_ms == pytest.approx(32.0)
    webflux4 = rows[3]
    assert webflux4.ok is False  # one repetition lost events: the point's row says so
    assert webflux4.app_cpu_ms_per_event is None and webflux4.cpu_basis == "not measured"

    markdown = (root / "sweep.md").read_text()
    assert "complete" in markdown.splitlines()[0] and "2 of 2 points complete" in markdown
    assert "| kafka | 20 | 4 | mvc-virtual | 25 | 400 [375–425] |" in markdown
    assert "| steady state | 1.08 [0.86–1.30] |" in markdown
    assert "**NO**" in markdown
    assert (root / "drain-vs-concurrency.png").read_bytes().startswith(b"\x89PNG")


class Driven(StandIn):
    """A point whose orders were driven: its manifest records each segment's sent rate, as a drive run's does."""

    def __call__(self, point: Scenario, root: Path) -> tuple[ResultsDir, str]:
        results, status = super().__call__(point, root)
        manifest = json.loads((results.root / "manifest.json").read_text())
        manifest["consume"] = {"segments": {f"{variant}@jdk25-kafka-r{rep}": {"drive": {"sent_per_s": 96.0 + rep}}
                                            for variant in ("mvc-virtual", "webflux") for rep in (1, 2, 3)}}
        (results.root / "manifest.json").write_text(json.dumps(manifest))
        return results, status


def test_a_driven_sweep_reports_the_rate_the_orders_left_at_and_the_lag_with_its_spread(tmp_path: Path) -> None:
    root, _ = run_sweep(_scenario(source="drive", rate=100, **SMALL), tmp_path, Console(quiet=True), Driven())
    mvc = CONSUME_SWEEP.read(root / CONSUME_SWEEP.file)[2]
    assert mvc.orders_per_s == pytest.approx(98.0)  # the mean of 97, 98 and 99 per second
    assert (mvc.lag_p50_ms, mvc.lag_p50_ms_low, mvc.lag_p50_ms_high) == (10.0, 10.0, 10.0)  # no spread
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # p99 31, 32, 33 ms
    assert mvc.lag_p99_ms == pytest.approx(32.0) and mvc.lag_p99_ms_low == pytest.approx(32.0 - half)
    markdown = (root / "sweep.md").read_text()
    assert "| orders/s | lag p50 ms | lag p99 ms |" in markdown
    assert "| 98.0 | 10 [10–10] | 32 [30–34] |" in markdown
    # A preloaded sweep has no orders column: nothing was driven.
    preloaded, _ = run_sweep(_scenario(**SMALL), tmp_path / "preloaded", Console(quiet=True), StandIn())
    assert "orders/s" not in (preloaded / "sweep.md").read_text()
    assert CONSUME_SWEEP.read(preloaded / CONSUME_SWEEP.file)[0].orders_per_s is None


def test_a_failed_point_is_named_the_others_still_run_and_the_sweep_fails(tmp_path: Path) -> None:
    stand_in = StandIn(fail="kafka-c1-d20")
    with pytest.raises(SweepError) as failed:
        run_sweep(_scenario(**SMALL), tmp_path, Console(quiet=True), stand_in)
    assert "kafka-c1-d20: webflux@jdk25 exited during start-up" in str(failed.value)
    assert stand_in.ran == ["sweep-test-kafka-c1-d20", "sweep-test-kafka-c4-d20"]
    (root,) = tmp_path.iterdir()
    record = read_sweep(root)
    assert record["status"] == "failed"
    assert [p["status"] for p in record["points"]] == ["failed", "complete"]
    assert record["points"][0]["results"] is not None  # what the failed run wrote is kept and pointed to
    assert "**This sweep is failed.**" in (root / "sweep.md").read_text()


def test_ctrl_c_marks_the_sweep_interrupted_and_leaves_later_points_pending(tmp_path: Path) -> None:
    stand_in = StandIn(interrupt="kafka-c1-d20")
    with pytest.raises(KeyboardInterrupt):
        run_sweep(_scenario(**SMALL), tmp_path, Console(quiet=True), stand_in)
    (root,) = tmp_path.iterdir()
    record = read_sweep(root)
    assert record["status"] == "interrupted"
    assert [p["status"] for p in record["points"]] == ["interrupted", "pending"]
    assert "interrupted" in (root / "sweep.md").read_text().splitlines()[0]


def test_the_report_is_drawn_again_from_the_folder(tmp_path: Path) -> None:
    root, _ = run_sweep(_scenario(**SMALL), tmp_path, Console(quiet=True), StandIn())
    written = CONSUME_SWEEP.read(root / CONSUME_SWEEP.file)
    for name in ("sweep.md", CONSUME_SWEEP.file, "drain-vs-concurrency.png"):
        (root / name).unlink()
    rewrite_sweep_report(root)
    assert CONSUME_SWEEP.read(root / CONSUME_SWEEP.file) == written
    assert (root / "sweep.md").is_file() and (root / "drain-vs-concurrency.png").is_file()


def _replay(variant: str, rep: int, eps: float, ok: bool = True) -> ConsumeReplay:
    return ConsumeReplay(
        jdk=25, variant=variant, broker="kafka", repetition=rep, group_id=f"order-consumer-replay-{rep}",
        started_at="2026-01-01T00:00:00.000Z", ok=ok, events=500, replayed=500, lost=0, processed_twice=0, strays=0,
        duplicates_suppressed=0, poison_dead_lettered=0, dead_letters_added=0, projection_rows=500,
        projection_matches=ok, jvm_start_s=4.0, first_to_last_s=500 / eps, ready_to_last_s=500 / eps + 1,
        rebuild_eps=eps, app_cpu_s=1.0, app_cpu_ms_per_event=2.0, load_avg_1m=1.0,
        problems="" if ok else "projection differs: ...")


class ReplayStandIn(StandIn):
    """A run of a point with consume.replay also writes consume_replay.csv (only then: the point's own setting)."""

    def __call__(self, point: Scenario, root: Path) -> tuple[ResultsDir, str]:
        results, status = super().__call__(point, root)
        assert point.consume is not None
        if point.consume.replay:
            for rep in (1, 2, 3):
                append_consume_replay(results.root / CONSUME_REPLAY.file, _replay("mvc-virtual", rep, 1000.0 + rep))
                append_consume_replay(results.root / CONSUME_REPLAY.file, _replay("webflux", rep, 900.0, ok=rep != 3))
        return results, status


def test_a_replay_sweep_says_rabbitmq_has_no_replay_instead_of_a_number(tmp_path: Path) -> None:
    scenario = _scenario(replay=True, sweep={"broker": ["kafka", "rabbitmq"], "concurrency": [2]})
    root, status = run_sweep(scenario, tmp_path, Console(quiet=True), ReplayStandIn())
    assert status == "complete"
    rows = {(r.broker, r.variant): r for r in CONSUME_SWEEP.read(root / CONSUME_SWEEP.file)}
    assert (rows[("kafka", "mvc-virtual")].replay, rows[("kafka", "mvc-virtual")].replay_eps) == ("ok", 1002.0)
    # One failed replay: no rate is reported for the variant, the row says it failed.
    assert (rows[("kafka", "webflux")].replay, rows[("kafka", "webflux")].replay_eps) == ("failed", None)
    for variant in ("mvc-virtual", "webflux"):
        rabbit = rows[("rabbitmq", variant)]
        assert (rabbit.replay, rabbit.replay_eps) == (NO_REPLAY_RABBITMQ, None)
    markdown = (root / "sweep.md").read_text()
    assert "replay (rebuild events/s)" in markdown and "| 1,002 |" in markdown
    assert markdown.count("replay: not available on RabbitMQ") == 2 and "**failed**" in markdown
    rewrite_sweep_report(root)
    assert (root / "sweep.md").read_text() == markdown


def test_a_sweep_without_replay_has_no_replay_column(tmp_path: Path) -> None:
    root, _ = run_sweep(_scenario(**SMALL), tmp_path, Console(quiet=True), StandIn())
    assert all(r.replay == "" and r.replay_eps is None for r in CONSUME_SWEEP.read(root / CONSUME_SWEEP.file))
    assert "replay" not in (root / "sweep.md").read_text()
