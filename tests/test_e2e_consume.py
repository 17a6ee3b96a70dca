"""End to end, consumer benchmark: the real harness as a subprocess, real PostgreSQL, real Kafka and
RabbitMQ, the real apps, duplicates and a broker restart; asserts on what the results say and on
what is left running, never on how fast anything was.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_e2e import RUN_MARK, no_orphans  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
EVENTS = 300
POISON = 3

SHORT = f"""
name: e2e-consume-BROKER
description: three variants, {EVENTS} events, 5% duplicates, {POISON} poison, one broker restart
variants: [mvc-platform, mvc-virtual, webflux]
jdks: [25]
app: {{heap: 256m, gc: G1, db_pool: 8}}
data: {{orders: 1000, customers: 100}}
consume:
  broker: BROKER
  events: {EVENTS}
  timeout: 2m
  warmup: 2s
  listener_concurrency: 4
  KNOB
  downstream_delay_ms: 10
faults: {{duplicates: 0.05, poison: {POISON}, restart_broker_at: 0.5}}
"""


def _run(broker: str, tmp_path: Path) -> Path:
    knob = "partitions: 4" if broker == "kafka" else "prefetch: 20"
    scenario = tmp_path / f"{broker}.yaml"
    scenario.write_text(SHORT.replace("BROKER", broker).replace("KNOB", knob))
    results = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(scenario), "--results-dir", str(results)], cwd=REPO, text=True,
        env={**os.environ, "HARNESS_E2E_MARK": RUN_MARK, "COLUMNS": "200"}, capture_output=True, timeout=900,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    return run


@pytest.mark.parametrize("broker", ["kafka", "rabbitmq"])
def test_short_consume_run_loses_nothing_and_processes_nothing_twice(
    broker: str, tmp_path: Path, no_orphans: None  # noqa: F811 - the fixture imported above
) -> None:
    run = _run(broker, tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete", manifest["error"]
    for key in ("mvc-platform@jdk25", "mvc-virtual@jdk25", "webflux@jdk25"):
        assert manifest["variants"][key]["effective"]["messaging"]["broker"] == broker
    with (run / "consume.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["variant"] for r in rows) == ["mvc-platform", "mvc-virtual", "webflux"]
    for row in rows:
        where = f"{row['variant']} on {broker}"
        assert row["ok"] == "true" and row["drained"] == "true", (where, row)
        assert int(row["lost"]) == 0, (where, row)
        assert int(row["processed_twice"]) == 0, (where, row)
        assert int(row["events_created"]) == int(row["events_processed"]) == EVENTS, (where, row)
        assert int(row["duplicate_rows"]) == round(EVENTS * 0.05), (where, row)
        # Every duplicate row is published and reaches the inbox, which turns it away.
        assert int(row["duplicates_suppressed"]) >= int(row["duplicate_rows"]), (where, row)
        assert int(row["poison_dead_lettered"]) == int(row["poison_injected"]) == POISON, (where, row)
        assert row["broker_restart_s"], (where, row)
        assert float(row["lag_p50_ms"]) > 0 and float(row["app_rss_mb_max"]) > 0, (where, row)
    assert len(list((run / "histograms").glob("consume-*.hlog"))) == 3
    with (run / "consume_timeseries.csv").open() as handle:
        faults = [r["fault"] for r in csv.DictReader(handle) if r["fault"]]
    assert faults.count("restart-broker") == 3
    summary = (run / "summary.md").read_text()
    assert "Every segment (3): lost = 0, processed twice = 0." in summary
    assert 'id="consume-backlog-' in (run / "report.html").read_text()
