"""End to end, open model: the real harness with vegeta against a real app, a two-step capacity search.

One tiny run (one variant, two 3-second steps). It asserts that the rows agree with each other and with the
hits vegeta recorded (achieved rate = hits sent inside the window / its seconds, the scheduled count, the
in-flight average recomputed from the hits, Little's law's arithmetic, the hlog's count) and that
capacity.csv agrees with its steps in levels.csv, whatever the noisy machine made them pass or fail:
never a timing.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from hdrh.log import HistogramLogReader

from harness.load.recording import new_histogram
from harness.load.vegeta import VEGETA_VERSION

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
RATES = (40, 80)
SETTLE_S, DURATION_S = 1, 3
OPEN = f"""
name: e2e-open
variants: [webflux]
jdks: [25]
app: {{heap: 256m, db_pool: 8, jfr: {{enabled: false}}}}
workload: {{profile: io-bound, downstream_delay_ms: 5, downstream_warmup: 2s}}
data: {{orders: 2000, customers: 200}}
load:
  model: open
  search: {{start: {RATES[0]}, factor: 2, max: {RATES[1]}, resolution: {RATES[1] - RATES[0]}}}
  slo: {{p99: 2s, error_rate: 1%}}
  connections: 64
  warmup: 2s
  settle: {SETTLE_S}s
  duration: {DURATION_S}s
"""
MARK = f"harness-e2e-open-{uuid.uuid4().hex}"


def _ours() -> set[int]:
    found = set()
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("HARNESS_E2E_MARK") == MARK:
                found.add(proc.info["pid"])
    return found


def _window_of(hits_csv: Path) -> list[tuple[int, int, int]]:
    """(seq, sent ns, latency ns) of every hit vegeta recorded (``vegeta encode --to csv``)."""
    with gzip.open(hits_csv, "rt", newline="") as rows:
        return [(int(r[8]), int(r[0]), int(r[2])) for r in csv.reader(rows) if r]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("open")
    scenario = work / "e2e-open.yaml"
    scenario.write_text(OPEN)
    proc = subprocess.run([sys.executable, "-m", "harness", "run", str(scenario), "--results-dir", str(work)],
                          cwd=REPO, text=True, capture_output=True, timeout=600, check=False,
                          env={**os.environ, "HARNESS_E2E_MARK": MARK, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deadline = time.monotonic() + 15
    while (left := _ours()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, "processes left behind"
    [folder] = [p for p in work.iterdir() if p.is_dir()]
    return folder


def _levels(run: Path) -> list[dict[str, str]]:
    with (run / "levels.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_manifest_names_the_driver_and_its_version(run: Path) -> None:
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["load_generator"]["driver"] == "vegeta"
    assert manifest["load_generator"]["version"] == VEGETA_VERSION
    assert manifest["scenario"]["load"]["model"] == "open"


def test_each_level_row_agrees_with_the_hits_vegeta_recorded(run: Path) -> None:
    rows = _levels(run)
    assert rows and all(r["users"] == "0" and int(r["rate"]) in RATES for r in rows)
    for row in rows:
        rate, seconds = int(row["rate"]), float(row["seconds"])
        slug = f"jdk25-webflux-{rate}rps-r1"
        hits = _window_of(run / "logs" / "vegeta" / f"{slug}.csv.gz")
        # The pacer's origin: vegeta never sends a hit before its time (hit 0 itself may leave late).
        origin = min(sent - seq * 10**9 // rate for seq, sent, _ in hits)
        start, end = origin + SETTLE_S * 10**9, origin + (SETTLE_S + DURATION_S) * 10**9
        in_window = [h for h in hits if SETTLE_S * rate <= h[0] < (SETTLE_S + DURATION_S) * rate]
        assert seconds == DURATION_S
        assert int(row["scheduled"]) == rate * DURATION_S
        assert int(row["requests"]) == len(in_window) == int(row["scheduled"]) - int(row["dropped"])
        # Achieved: hits that actually left inside the window, by the clock.
        sent_inside = sum(start <= sent < end for _, sent, _ in hits)
        assert float(row["achieved_rps"]) == pytest.approx(sent_inside / seconds, abs=1e-3)
        assert (row["rate_ok"] == "true") == (sent_inside / seconds >= 0.98 * rate)
        # Little's law: rate × mean corrected latency against the in-flight average the hits give.
        busy = sum(max(0, min(sent + latency, end) - max(origin + seq * 10**9 // rate, start))
                   for seq, sent, latency in hits)
        assert float(row["in_flight_mean"]) == pytest.approx(busy / (end - start), abs=2e-3)
        predicted = int(row["requests"]) / seconds * float(row["mean_ms"]) / 1000
        assert float(row["littles_law_users"]) == pytest.approx(predicted, abs=2e-3)
        deviation = abs(predicted - float(row["in_flight_mean"])) / float(row["in_flight_mean"])
        assert float(row["littles_law_deviation"]) == pytest.approx(deviation, abs=2e-3)
        # Corrected latency is never below the service time; the hlog holds the window's successes exactly.
        assert float(row["p99_ms"]) >= float(row["service_p99_ms"])
        reader = HistogramLogReader(str(run / "histograms" / f"{slug}.hlog"), new_histogram())
        merged = new_histogram()
        while (interval := reader.get_next_interval_histogram()) is not None:
            merged.add(interval)
        assert merged.get_total_count() == int(row["requests"]) - int(row["errors"])


def test_capacity_agrees_with_its_steps(run: Path) -> None:
    steps = {int(r["rate"]): r for r in _levels(run)}
    with (run / "capacity.csv").open(newline="") as handle:
        [search] = list(csv.DictReader(handle))
    assert int(search["steps"]) == len(steps)
    passed = sorted(rate for rate, r in steps.items() if r["slo_ok"] == "true")
    assert all(r["slo_ok"] in ("true", "false") for r in steps.values())
    # Ramp 40 → 80 (the max; no bisection at this resolution): every outcome it can give, each consistent.
    if steps[RATES[0]]["slo_ok"] == "false":
        assert (search["outcome"], float(search["capacity_rps"]), len(steps)) == ("below_start", 0.0, 1)
    elif steps.get(RATES[1], {}).get("slo_ok") == "true":
        assert (search["outcome"], float(search["capacity_rps"])) == ("at_max", RATES[1])
    else:
        assert search["outcome"] == "bracketed" and float(search["capacity_rps"]) == max(passed)
        assert all(rate <= max(passed) or steps[rate]["slo_ok"] == "false" for rate in steps)
    if passed:
        at = steps[int(float(search["capacity_rps"]))]
        assert search["achieved_rps"] == at["achieved_rps"] and search["p99_ms"] == at["p99_ms"]
    summary = (run / "summary.md").read_text()
    assert summary.index("## Capacity under SLO") < summary.index("## Warnings")
    assert "Latency vs throughput" in (run / "report.html").read_text()
