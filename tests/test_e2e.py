"""End to end: the real harness, as a subprocess, against real PostgreSQL, real apps, real Locust.

Asserts on what the results say and on what is left running; never on how fast anything was.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
DELAY_MS = 10

TINY = f"""
name: e2e-tiny
description: three variants, two short levels
variants: [mvc-platform, mvc-virtual, webflux]
jdks: [25]
infra: local
app: {{heap: 256m, gc: G1, db_pool: 8, tomcat: {{max_threads: 8, max_connections: 1000, accept_count: 100}}}}
workload: {{profile: io-bound, downstream_delay_ms: {DELAY_MS}, downstream_warmup: 2s}}
data: {{orders: 2000, customers: 200}}
load: {{levels: [4, 16], warmup: 2s, settle: 1s, duration: 4s, repetitions: 1}}
"""


RUN_MARK = f"harness-e2e-{uuid.uuid4().hex}"


def _ours() -> set[int]:
    """Processes started by the harness runs of this test module: they inherit RUN_MARK."""
    found = set()
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("HARNESS_E2E_MARK") == RUN_MARK:
                found.add(proc.info["pid"])
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def _assert_no_orphans() -> None:
    deadline = time.monotonic() + 15
    while (left := _ours()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, f"processes left behind: {[psutil.Process(p).cmdline() for p in left if psutil.pid_exists(p)]}"


@pytest.fixture
def no_orphans() -> Iterator[None]:
    yield
    _assert_no_orphans()


def _harness(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=REPO, text=True,
                            env={**os.environ, "HARNESS_E2E_MARK": RUN_MARK, "COLUMNS": "200"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_ctrl_c_default)


def _ctrl_c_default() -> None:
    # As from a terminal: a pytest started in the background of a non-interactive shell (nohup ... &)
    # ignores SIGINT, the harness would inherit that, and the Ctrl-C tests would send it into the void.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _only_run(results: Path) -> Path:
    runs = [p for p in results.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def _run(scenario: Path, results: Path) -> Path:
    proc = _harness("run", str(scenario), "--results-dir", str(results))
    output, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, output
    runs = sorted(p for p in results.iterdir() if p.is_dir())
    return runs[-1]


def _gate(run: Path, rules: Path, *extra: str) -> tuple[int, str]:
    proc = _harness("gate", str(run), "--rules", str(rules), *extra)
    output, _ = proc.communicate(timeout=120)
    return proc.returncode, output


def _run_checked(scenario: Path, results: Path) -> Path:
    """``_run`` for a module-scoped fixture: what a test's ``no_orphans`` checks, checked once the run is over."""
    try:
        return _run(scenario, results)
    finally:
        _assert_no_orphans()


# One run of the project's own CI gate, scenarios/ci-gate.yaml (~400 s), shared by the tests below: each asserts one
# part of what it wrote, so that one failing part does not hide the others (the gate above all).
@pytest.fixture(scope="module")
def ci_gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run_checked(REPO / "scenarios" / "ci-gate.yaml", tmp_path_factory.mktemp("ci-gate") / "results")


def _manifest(run: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((run / "manifest.json").read_text())
    return manifest


def test_ci_gate_run_is_complete_and_records_what_each_variant_ran_with(ci_gate: Path) -> None:
    manifest = _manifest(ci_gate)
    scenario = manifest["scenario"]
    pool = scenario["app"]["db_pool"]
    assert manifest["status"] == "complete"
    assert manifest["git"]["commit"]
    assert manifest["jdks"]["25"]["version"].startswith("25")
    for key in ("mvc-platform@jdk25", "mvc-virtual@jdk25", "webflux@jdk25"):
        variant = manifest["variants"][key]
        assert f"-Xmx{scenario['app']['heap']}" in variant["jvm_flags"]
        assert variant["effective"]["dbPool"]["maxSize"] == pool
    assert manifest["variants"]["mvc-virtual@jdk25"]["effective"]["virtualThreads"] is True
    assert manifest["variants"]["mvc-platform@jdk25"]["effective"]["tomcat"]["maxThreads"] == (
        scenario["app"]["tomcat"]["max_threads"])


def test_ci_gate_run_warmed_the_downstream_until_its_jit_went_quiet(ci_gate: Path) -> None:
    # The downstream was warmed until its JIT went quiet, before the first app was measured: with a fixed 5 s its
    # compiler ran for another ~30 s on the CPU it shares with the app, and the first variant paid for it.
    warmup = _manifest(ci_gate)["downstream"]["warmup"]
    assert warmup["steady"] is True, warmup
    last = warmup["windows"][-3:]
    assert len(last) == 3 and sum(w["compile_ms_per_s"] for w in last) / 3 <= 0.05 * 1000, warmup


def test_ci_gate_run_measures_each_repetition_in_a_fresh_jvm_in_rounds(ci_gate: Path) -> None:
    # Each repetition is a fresh JVM, run in rounds: every variant's repetition 1, then every repetition 2.
    manifest = _manifest(ci_gate)
    repetitions = manifest["scenario"]["load"]["repetitions"]
    order = manifest["run_order"]
    assert order["policy"] == "round-robin"
    runs = order["runs"]
    assert [(r["app"], r["repetition"]) for r in runs] == [
        (f"{v}@jdk25", rep) for rep in range(1, repetitions + 1) for v in ("mvc-platform", "mvc-virtual", "webflux")]
    assert len({r["pid"] for r in runs}) == len(runs)
    for r in runs:
        assert r["finished_at"] is not None and r["started_at"] < r["finished_at"]
        assert Path(r["jfr_recording"]).stat().st_size > 0, r
        assert Path(r["gc_log"]).stat().st_size > 0, r


def test_ci_gate_run_measured_every_level_of_every_variant_and_reported_them(ci_gate: Path) -> None:
    scenario = _manifest(ci_gate)["scenario"]
    delay_ms = scenario["workload"]["downstream_delay_ms"]
    repetitions = scenario["load"]["repetitions"]
    with (ci_gate / "levels.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    levels = scenario["load"]["levels"]
    assert sorted((r["variant"], int(r["users"]), int(r["repetition"])) for r in rows) == sorted(
        (v, u, rep) for v in ("mvc-platform", "mvc-virtual", "webflux") for u in levels
        for rep in range(1, repetitions + 1)
    )
    for row in rows:
        where = f"{row['variant']} {row['users']} users rep {row['repetition']}"
        assert int(row["requests"]) > 0, where
        assert int(row["errors"]) == 0, where
        # The chain makes two sequential downstream calls: no answer can be faster than both delays.
        assert float(row["p50_ms"]) >= 2 * delay_ms, where
        assert float(row["app_rss_mb_max"]) > 0, where
        assert float(row["app_cpu_s"]) > 0, where
        # What else the machine did is read in every window (machine_load.py), whatever it was.
        assert float(row["foreign_cpu_cores"]) >= 0 and float(row["steal_pct"]) >= 0, where
    assert len(list((ci_gate / "histograms").glob("*.hlog"))) == len(rows)
    summary = (ci_gate / "summary.md").read_text()
    for variant in ("mvc-platform", "mvc-virtual", "webflux"):
        assert variant in summary
    assert "<img" in (ci_gate / "report.html").read_text()


def test_ci_gate_scenario_over_all_variants_passes_its_gate(
    ci_gate: Path, tmp_path: Path, no_orphans: None
) -> None:
    """The project's own CI gate: scenarios/ci-gate.yaml, gated by its in-run rules (SLOs, relative)."""
    # Regression rules need a baseline; the regression tests below cover them.
    rules = yaml.safe_load((REPO / "scenarios" / "ci-gate.rules.yaml").read_text())
    in_run = tmp_path / "in-run.rules.yaml"
    in_run.write_text(yaml.safe_dump({"rules": [r for r in rules["rules"] if "regression" not in r]}))
    code, output = _gate(ci_gate, in_run, "--junit", str(tmp_path / "gate.xml"))
    assert code == 0, output
    assert (tmp_path / "gate.xml").exists()


REGRESSION = """
name: regression
variants: [mvc-virtual]
jdks: [25]
app: {heap: 256m, gc: G1, db_pool: 8}
workload: {profile: io-bound, downstream_delay_ms: DELAY}
data: {orders: 2000, customers: 200}
load: {levels: [16], warmup: 5s, settle: 1s, duration: 3s, repetitions: 5}
"""
RULES = REPO / "scenarios" / "ci-gate.rules.yaml"


# Five repetitions, each a fresh JVM, with the downstream warmed until steady. Three were enough on a quiet
# host (throughput CV 0.5-11% for mvc-virtual, docs/ci-gate.md), not on 2026-12-02: the hypervisor stole up to
# 9% of the CPUs (levels.csv steal_pct), one baseline repetition ran at 416 rps against 231 and 248, and the
# 6x slowdown below came out INCONCLUSIVE (-83.8% [-168.8%, +1.1%]), as the A/A pair of the CI run before had
# drifted by -52%. On the same noise five narrow the interval by about half (t 4.30 -> 2.78, and sqrt(3/5)).
# Three runs of REGRESSION (module-scoped: the baseline serves both tests below, each other run one of them).
def _regression_run(tmp_path_factory: pytest.TempPathFactory, name: str, delay_ms: int) -> Path:
    work = tmp_path_factory.mktemp(name)
    scenario = work / f"{name}.yaml"
    scenario.write_text(REGRESSION.replace("DELAY", str(delay_ms)))
    return _run_checked(scenario, work / "results")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _regression_run(tmp_path_factory, "baseline", 10)


@pytest.fixture(scope="module")
def same(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _regression_run(tmp_path_factory, "same", 10)


@pytest.fixture(scope="module")
def slower(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 2 x 150 ms per order caps 16 users at ~53 req/s whatever the CPU does: unmistakably slower.
    return _regression_run(tmp_path_factory, "slowed", 150)


# One variant at one level: the relative rules and the 8-user floor have nothing to judge here.
def test_gate_passes_the_same_build(baseline: Path, same: Path, no_orphans: None) -> None:
    code, output = _gate(same, RULES, "--baseline", str(baseline), "--allow-skip")
    assert code == 0, output


def test_gate_fails_a_slowed_build(baseline: Path, slower: Path, tmp_path: Path, no_orphans: None) -> None:
    junit = tmp_path / "gate.xml"
    code, output = _gate(slower, RULES, "--baseline", str(baseline), "--allow-skip", "--junit", str(junit))
    assert code == 1, output
    assert "throughput regression" in output
    assert "FAIL" in output
    # The rule's own verdict: the two lines above also hold for an INCONCLUSIVE or UNRELIABLE one (both fail the
    # gate, and its last line says "gate FAILED"), which is what a too-wide interval gives, not a caught slowdown.
    verdicts = {case.get("name"): prop.get("value") for case in ET.parse(junit).iter("testcase")
                for prop in case.iter("property") if prop.get("name") == "verdict"}
    assert verdicts["throughput regression [mvc-virtual jdk25 u16]"] == "FAIL", output


def test_validate_reports_every_problem_and_starts_nothing(tmp_path: Path, no_orphans: None) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\napp: {heap: big, pool: 3}\nload: {levels: [4, 0], duration: 1x}\n")
    proc = _harness("validate", str(bad))
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "app.heap:" in output
    assert "app.pool: unknown key" in output
    assert "load.levels[1]: Input should be greater than 0" in output
    assert "load.duration: must be a duration" in output


def test_failed_start_marks_the_run_failed_and_stops_everything(tmp_path: Path, no_orphans: None) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(TINY.replace("name: e2e-tiny", "name: broken").replace(
        "heap: 256m,", "heap: 256m, jvm_args: [-XX:+NoSuchFlagAnywhere],"))
    proc = _harness("run", str(scenario), "--results-dir", str(tmp_path / "results"))
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 1, output
    assert "NoSuchFlagAnywhere" in output
    manifest = json.loads((_only_run(tmp_path / "results") / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert "NoSuchFlagAnywhere" in manifest["error"]


def test_ctrl_c_mid_level_stops_everything_and_marks_the_run_interrupted(
    tmp_path: Path, no_orphans: None
) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(TINY.replace("name: e2e-tiny", "name: long")
                        .replace("[mvc-platform, mvc-virtual, webflux]", "[mvc-virtual]")
                        .replace("duration: 4s", "duration: 120s"))
    results = tmp_path / "results"
    proc = _harness("run", str(scenario), "--results-dir", str(results))
    deadline = time.monotonic() + 300
    # Wait until Locust is sending load, the moment with the most processes alive.
    while time.monotonic() < deadline and proc.poll() is None:
        if any("locust" in " ".join(_cmdline(pid)) for pid in _ours()):
            break
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()[0]
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    manifest = json.loads((_only_run(results) / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
