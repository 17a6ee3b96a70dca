"""End to end, consumer benchmark: the real harness as a subprocess, real PostgreSQL, real Kafka and
RabbitMQ, the real apps; asserts on what the results say and on what is left running, never on how
fast anything was.

Per broker one run in drive mode (POST /orders at a rate) with duplicates, poison, a kill -9 of the
consumer while orders are still arriving, and a broker restart: every planned order must be
delivered and every event accounted for. On Kafka each segment's read model is then rebuilt by a
replay in a fresh consumer group, which must reconcile too. One more run, with the relay effectively
off, must fail with its reasons named.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_e2e import RUN_MARK, no_orphans  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
EVENTS = 300
POISON = 3
WARMUP = 30  # a warm-up batch before the measured orders: consumed, removed, never reconciled
# Batches repeated until the JIT is quiet, at most 5 s: a cold JVM's compiler is busy far longer than that (known
# answer), so every segment must run more than one batch and then say that the JIT was still compiling.

# Orders arrive for 30 s. A fault fires only while events remain, and a fast consumer drains a backlog
# between two polls: both thresholds must be crossed while orders still arrive. The broker restart
# (10%) stalls processing, not the POSTs; when it is back, the backlog carries processing past 50%
# and the consumer is killed while orders still arrive, so the driver must carry the orders due
# while the app is down (a kill -9 to healthy took up to 46 s on a busy 2-core machine).
DRIVE = f"""
name: e2e-consume-BROKER
description: three variants, {EVENTS} orders driven at 10/s, 5% duplicates, {POISON} poison, broker restart, kill -9
variants: [mvc-platform, mvc-virtual, webflux]
jdks: [25]
app: {{heap: 256m, gc: G1, db_pool: 8}}
workload: {{downstream_warmup: 2s}}
data: {{orders: 1000, customers: 100}}
consume:
  broker: BROKER
  source: drive
  rate: 10
  events: {EVENTS}
  timeout: 2m
  warmup: 2s
  warmup_events: WARMUP
  warmup_batches: auto
  warmup_max: 5s
  listener_concurrency: 4
  KNOB
  downstream_delay_ms: 10
  REPLAY
faults: {{duplicates: 0.05, poison: {POISON}, restart_broker_at: 0.1, kill_consumer_at: 0.5}}
"""

# The relay polls once at start-up, before the preload, and then only after a minute: nothing is
# published within the 20 s timeout. A real configuration, no stand-in: the reconciliation must say so.
RELAY_OFF = f"""
name: e2e-consume-relay-off
variants: [webflux]
jdks: [25]
app: {{heap: 256m, gc: G1, db_pool: 8}}
workload: {{downstream_warmup: 1s}}
data: {{orders: 1000, customers: 100}}
consume:
  broker: kafka
  events: {EVENTS}
  timeout: 20s
  warmup: 1s
  partitions: 2
  listener_concurrency: 2
  relay: {{batch_size: 200, poll_interval_ms: 60000}}
faults: {{duplicates: 0.05}}
"""


# The order lifecycle with a known answer: 30 orders × Created → Paid → Shipped, two of them written to the outbox
# with Paid before Created. Ordering is required, so every variant runs per-key and applies a partition's events in
# the broker's order: exactly 2 violations per inverted order, and the run must fail naming them. webflux only (the
# variant per-key changes; the sweep below counts mvc's), no warm-up batch, few events: the count and the verdict.
LIFECYCLE = """
name: e2e-consume-lifecycle
variants: [webflux]
jdks: [25]
app: {heap: 256m, gc: G1, db_pool: 8}
workload: {downstream_warmup: 1s}
data: {orders: 1000, customers: 100}
consume:
  broker: kafka
  events: 90
  lifecycle: true
  ordering: required
  timeout: 1m
  warmup: 1s
  partitions: 2
  listener_concurrency: 2
  downstream_delay_ms: 5
faults: {duplicates: 0.1, inverted_orders: 2}
"""


def _harness_run(scenario: Path, results: Path) -> tuple[int, str, Path]:
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(scenario), "--results-dir", str(results)], cwd=REPO, text=True,
        env={**os.environ, "HARNESS_E2E_MARK": RUN_MARK, "COLUMNS": "200"}, capture_output=True, timeout=900,
    )
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    return proc.returncode, proc.stdout + proc.stderr, run


@pytest.mark.parametrize("broker", ["kafka", "rabbitmq"])
def test_drive_mode_with_kill_and_broker_restart_delivers_every_order_and_loses_nothing(
    broker: str, tmp_path: Path, no_orphans: None  # noqa: F811 - the fixture imported above
) -> None:
    knob = "partitions: 4" if broker == "kafka" else "prefetch: 20"
    scenario = tmp_path / f"{broker}.yaml"
    # Kafka only: the scenario refuses a replay on RabbitMQ (tests/test_scenario.py).
    replay = "replay: true" if broker == "kafka" else ""
    scenario.write_text(DRIVE.replace("BROKER", broker).replace("KNOB", knob).replace("WARMUP", str(WARMUP))
                        .replace("REPLAY", replay))
    code, output, run = _harness_run(scenario, tmp_path / "results")
    assert code == 0, output
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete", manifest["error"]
    for key in ("mvc-platform@jdk25", "mvc-virtual@jdk25", "webflux@jdk25"):
        assert manifest["variants"][key]["effective"]["messaging"]["broker"] == broker
        # consume.relay.db_pool's default: every relay ran on a pool of its own, through the kill and the restart.
        assert manifest["variants"][key]["effective"]["messaging"]["relayDbPool"] == 2
    with (run / "consume.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["variant"] for r in rows) == ["mvc-platform", "mvc-virtual", "webflux"]
    segments = manifest["consume"]["segments"]
    assert len(segments) == 3
    for row in rows:
        where = f"{row['variant']} on {broker}"
        assert row["ok"] == "true" and row["drained"] == "true", (where, row)
        assert int(row["lost"]) == 0 and int(row["processed_twice"]) == 0, (where, row)
        assert int(row["orders_failed"]) == 0, (where, row)
        assert int(row["events_created"]) == int(row["events_processed"]) == EVENTS, (where, row)
        assert int(row["duplicate_rows"]) > 0, (where, row)
        assert int(row["duplicates_suppressed"]) >= int(row["duplicate_rows"]), (where, row)
        assert int(row["poison_dead_lettered"]) == int(row["poison_injected"]) == POISON, (where, row)
        assert row["kill_restart_s"] and row["broker_restart_s"], (where, row)
    for label, segment in segments.items():
        drive = segment["drive"]
        # Every planned order answered 201 exactly once and exists exactly once in PostgreSQL.
        assert (drive["planned"], drive["accepted"], drive["failed"], drive["new_orders"]) == (
            EVENTS, EVENTS, 0, EVENTS), (label, drive)
        assert segment["problems"] == [], (label, segment["problems"])
        # The rate the orders left at is recorded, and the schedule never sends faster than asked (10/s).
        assert 0 < drive["sent_per_s"] <= 10 * 1.001, (label, drive)
        assert any(w.startswith(f"{label}: the JIT was still compiling after ") for w in manifest["warnings"]), (
            label, manifest["warnings"])
        assert [f["name"] for f in segment["faults"]] == ["restart-broker", "kill-consumer"], (label, segment)
    with (run / "consume_timeseries.csv").open() as handle:
        faults = [r["fault"] for r in csv.DictReader(handle) if r["fault"]]
    assert faults.count("restart-broker") == 3 and faults.count("kill-consumer") == 3
    summary = (run / "summary.md").read_text()
    assert "Every segment (3): lost = 0, processed twice = 0." in summary
    assert "driven by POST /orders at 10/s" in summary
    assert 'id="consume-backlog-' in (run / "report.html").read_text()
    _assert_explained(run)
    if broker == "kafka":
        _assert_replayed(run, manifest)
    else:
        assert not (run / "consume_replay.csv").exists()


def _assert_replayed(run: Path, manifest: dict[str, Any]) -> None:
    """Each segment's read model, rebuilt after a broker restart and a kill -9 from the topic in a fresh group,
    is the one the segment built: every event exactly once, nothing lost, the same projection, each poison
    message dead-lettered once more and the segment's dead letters not recorded twice."""
    rows = _rows(run / "consume_replay.csv")
    assert sorted(r["variant"] for r in rows) == ["mvc-platform", "mvc-virtual", "webflux"]
    for row in rows:
        where = row["variant"]
        assert row["ok"] == "true" and row["problems"] == "", (where, row)
        assert int(row["events"]) == int(row["replayed"]) == int(row["projection_rows"]) == EVENTS, (where, row)
        assert (row["lost"], row["processed_twice"], row["strays"], row["projection_matches"]) == (
            "0", "0", "0", "true"), (where, row)
        assert int(row["poison_dead_lettered"]) == int(row["dead_letters_added"]) == POISON, (where, row)
        rate = float(row["rebuild_eps"])
        assert math.isfinite(rate) and rate > 0, (where, row)
        assert float(row["first_to_last_s"]) > 0 and float(row["jvm_start_s"]) > 0, (where, row)
    for label, segment in manifest["consume"]["segments"].items():
        replay = segment["replay"]
        assert replay["problems"] == [] and replay["group_id"].startswith("order-consumer-replay-"), (label, replay)
        # Preset past the warm-up batches, which are in the topic before the measured events.
        assert sum(replay["start_offsets"].values()) >= WARMUP, (label, replay)
        # Same JVM, pools and messaging settings as the measured app: only its flags' log file names, its live
        # thread counts and its consumer group may differ, and the group must (the app reports the one it joined).
        differs = replay["effective_differs"]
        assert "messaging.kafkaConsumer.group.id" in differs, (label, replay)
        assert [p for p in differs if p not in ("jvm.inputArguments", "messaging.kafkaConsumer.group.id")
                and not p.startswith("liveThreads.")] == [], (label, replay)
    summary = (run / "summary.md").read_text()
    assert "## Read-model rebuild (Kafka replay in a fresh consumer group)" in summary


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _assert_explained(run: Path) -> None:
    """Every segment of the drive run (warm-up, broker restart, kill -9) is explained: CPU per event per window,
    both JVMs' flight recordings read, pools and broker-client meters, CPU by thread."""
    variants = ["mvc-platform", "mvc-virtual", "webflux"]
    costs = _rows(run / "consume_cost.csv")
    assert sorted((r["variant"], r["window"]) for r in costs) == sorted(
        (v, w) for v in variants for w in ("measured", "warmup"))
    for cost in costs:
        measured = cost["window"] == "measured"
        # The measured window counts only the measured events, and a kill -9 inside it makes it no steady state;
        # the warm-up window every batch it ran, more than one (see WARMUP).
        events = int(cost["events"])
        assert events == EVENTS if measured else (events % WARMUP == 0 and events >= 2 * WARMUP), cost
        assert cost["basis"] == ("restart included" if measured else "cold start included"), cost
        assert float(cost["app_cpu_s"]) > 0 and float(cost["app_cpu_ms_per_event"]) > 0, cost
    jfr = _rows(run / "consume_jfr.csv")
    for variant in variants:
        # The killed JVM's recording (dumped before the kill) and its successor's are both read.
        recordings = {int(r["recording"]) for r in jfr if r["variant"] == variant and r["window"] == "measured"}
        assert recordings == {1, 2}, (variant, jfr)
        assert sum(int(r["cpu_samples"]) for r in jfr if r["variant"] == variant) > 0, variant
    assert len(list((run / "jfr").glob("*-a2.jfr"))) == 3
    pools = _rows(run / "consume_pools.csv")
    assert len(pools) == 6 and all(int(p["scrapes"]) > 0 and p["consumer_attempts"] for p in pools), pools
    # The relay's own pool is read apart from the app's, in every variant.
    assert all(p["relay_db_pool_active_max"] and p["db_pool_active_max"] for p in pools), pools
    threads = _rows(run / "consume_threads.csv")
    # The warm-up windows lived in one JVM: their CPU is split by thread; a measured window with a kill is not.
    assert {r["window"] for r in threads} == {"warmup"} and {r["variant"] for r in threads} == set(variants)
    # One row per warm-up batch, numbered in order, adding up to the warm-up window's events; 30-event batches
    # never spend the CPU a steady-per-event verdict needs (steadiness.MIN_BATCH_CPU_S).
    batches = _rows(run / "consume_warmup.csv")
    for variant in variants:
        mine = [b for b in batches if b["variant"] == variant]
        warm = next(c for c in costs if c["variant"] == variant and c["window"] == "warmup")
        assert [int(b["batch"]) for b in mine] == list(range(1, len(mine) + 1)), mine
        assert sum(int(b["events"]) for b in mine) == int(warm["events"]), (mine, warm)
        assert all(float(b["app_cpu_s"]) > 0 and b["steady_per_event"] == "false" for b in mine), mine
    summary = (run / "summary.md").read_text()
    assert "## Where the consumer's CPU went" in summary and "### Top CPU frames per variant" in summary


def test_a_run_whose_relay_publishes_nothing_fails_with_its_reasons_named(
    tmp_path: Path, no_orphans: None  # noqa: F811 - the fixture imported above
) -> None:
    scenario = tmp_path / "relay-off.yaml"
    scenario.write_text(RELAY_OFF)
    code, output, run = _harness_run(scenario, tmp_path / "results")
    assert code == 1, output
    for reason in ("not drained: ", f"lost: {EVENTS} of {EVENTS} events never processed",
                   "duplicates not seen by the consumer: 15 duplicate rows injected, the inbox turned away 0"):
        assert reason in output, (reason, output)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    [segment] = manifest["consume"]["segments"].values()
    assert [p["reason"] for p in segment["problems"]] == ["not drained", "lost", "duplicates not seen by the consumer"]
    summary = (run / "summary.md").read_text()
    assert "FAILED in 1 of 1 segment(s): webflux jdk25 kafka rep 1: not drained:" in summary
    assert "- **duplicates not seen by the consumer**: 15 duplicate rows injected" in summary
    with (run / "consume.csv").open() as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["ok"], row["events_published"], row["events_processed"]) == ("false", "0", "0")


SWEEP = """
name: e2e-sweep
variants: [mvc-virtual, webflux]
jdks: [25]
app: {heap: 256m, gc: G1, db_pool: 8}
workload: {downstream_warmup: 1s}
data: {orders: 1000, customers: 100}
consume:
  broker: kafka
  events: 198
  lifecycle: true
  repetitions: 2
  timeout: 2m
  warmup: 1s
  partitions: 2
  downstream_delay_ms: 5
  sweep: {concurrency: [1, 4]}
faults: {inverted_orders: 1}
"""


def test_a_sweep_runs_each_point_as_its_own_run_with_the_points_settings_in_the_apps(
    tmp_path: Path, no_orphans: None  # noqa: F811 - the fixture imported above
) -> None:
    scenario = tmp_path / "sweep.yaml"
    scenario.write_text(SWEEP)
    code, output, root = _harness_run(scenario, tmp_path / "results")
    assert code == 0, output
    record = json.loads((root / "sweep.json").read_text())
    assert record["status"] == "complete"
    assert [(p["slug"], p["status"]) for p in record["points"]] == [("kafka-c1-d5", "complete"),
                                                                     ("kafka-c4-d5", "complete")]
    for point, n in zip(record["points"], (1, 4), strict=True):
        manifest = json.loads((root / point["results"] / "manifest.json").read_text())
        assert manifest["status"] == "complete"
        for key, variant in manifest["variants"].items():
            # What the running app reported, not what was asked: the point's concurrency reached every app,
            # and on Kafka every listener thread had a partition.
            messaging = variant["effective"]["messaging"]
            assert messaging["listenerConcurrency"] == n, key
            assert messaging["partitions"] == max(2, n), key
            if key.startswith("webflux"):
                assert messaging["maxInFlight"] == n, key
            assert messaging["ordering"] == "none", key  # ordering observed
        # Segments in rounds, each variant's repetition 1 before any repetition 2: never one variant's stretch.
        with (root / point["results"] / "consume.csv").open() as handle:
            segments = sorted(csv.DictReader(handle), key=lambda row: row["started_at"])
        assert [(row["variant"], row["repetition"]) for row in segments] == [
            ("mvc-virtual", "1"), ("webflux", "1"), ("mvc-virtual", "2"), ("webflux", "2")]
        # The one inverted order is exactly its 2 violations, counted and (observed) not failed, wherever the
        # broker's order is applied: by mvc's container threads (a partition's records one at a time) at every n,
        # and by webflux at n = 1 (one event at a time). At n = 4 webflux's in-flight limit is app-wide, so a
        # partition's records may overlap: its count is reported as a number, not predicted.
        for row in segments:
            if row["variant"] == "mvc-virtual" or n == 1:
                assert row["ordering_violations"] == "2", row
            else:
                assert int(row["ordering_violations"]) >= 0, row
    with (root / "consume_sweep.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["concurrency"], r["variant"]) for r in rows] == [
        ("1", "mvc-virtual"), ("1", "webflux"), ("4", "mvc-virtual"), ("4", "webflux")]
    for row in rows:
        assert row["ok"] == "true" and row["repetitions"] == "2", row
        if row["variant"] == "mvc-virtual" or row["concurrency"] == "1":
            assert row["ordering_violations"] == "4", row  # over both repetitions
        assert float(row["drain_eps_low"]) <= float(row["drain_eps"]) <= float(row["drain_eps_high"]), row
    assert "2 of 2 points complete" in (root / "sweep.md").read_text()
    assert "| out of order |" in (root / "sweep.md").read_text()
    assert (root / "drain-vs-concurrency.png").stat().st_size > 0


def test_a_lifecycle_with_inverted_orders_counts_its_violations_and_fails_when_order_is_required(
    tmp_path: Path, no_orphans: None  # noqa: F811 - the fixture imported above
) -> None:
    scenario = tmp_path / "lifecycle.yaml"
    scenario.write_text(LIFECYCLE)
    code, output, run = _harness_run(scenario, tmp_path / "results")
    assert code == 1, output
    assert "events applied out of order: 4 events were not the next stage of their order" in output, output
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    # What the running app reported: the harness asked for per-key and checked it.
    assert manifest["variants"]["webflux@jdk25"]["effective"]["messaging"]["ordering"] == "per-key"
    [segment] = manifest["consume"]["segments"].values()
    # Nothing else went wrong: only the order, and duplicates were turned away without counting as violations.
    assert [p["reason"] for p in segment["problems"]] == ["events applied out of order"], segment
    assert manifest["consume"]["preload"]["orders"] == 30
    [row] = _rows(run / "consume.csv")
    assert (row["lifecycle"], row["ordering"], row["ordering_violations"]) == ("true", "required", "4"), row
    assert (row["ok"], row["drained"], row["lost"], row["processed_twice"]) == ("false", "true", "0", "0"), row
    assert int(row["events_processed"]) == 90 and int(row["duplicates_suppressed"]) >= 9, row
    summary = (run / "summary.md").read_text()
    assert "| out of order |" in summary and "| 4 (required) |" in summary
