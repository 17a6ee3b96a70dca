"""End to end: ``harness run`` with a local Locust worker and a ``harness worker`` that joins its master on
loopback, against real PostgreSQL and a real app. Asserts on what the results say and what is left running."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from harness.processes import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
MARK = f"harness-e2e-workers-{uuid.uuid4().hex}"

SCENARIO = """
name: e2e-workers
variants: [webflux]
jdks: [25]
app: {{heap: 256m, db_pool: 8}}
workload: {{profile: io-bound, downstream_delay_ms: 10, downstream_warmup: 2s}}
data: {{orders: 2000, customers: 200}}
load: {{levels: [8], warmup: 2s, settle: 1s, duration: 3s, workers: 1, expect_workers: 1, master_port: {port},
        worker_timeout: 300s}}
"""


def _harness(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=REPO, text=True,
                            env={**os.environ, "HARNESS_E2E_MARK": MARK, "COLUMNS": "200"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _ours() -> set[int]:
    found = set()
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error):
            if proc.environ().get("HARNESS_E2E_MARK") == MARK and proc.status() != psutil.STATUS_ZOMBIE:
                found.add(proc.info["pid"])
    return found


def test_harness_worker_joins_the_master_of_a_run_and_the_manifest_lists_both_workers(tmp_path: Path) -> None:
    port = free_port()
    scenario = tmp_path / "workers.yaml"
    scenario.write_text(SCENARIO.format(port=port))
    worker = _harness("worker", "--master", f"127.0.0.1:{port}", "--name", "ext1", "--levels", "1")
    try:
        run = _harness("run", str(scenario), "--results-dir", str(tmp_path / "results"))
        output, _ = run.communicate(timeout=900)
        assert run.returncode == 0, output
        worker_output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, worker_output
    finally:
        worker.kill()
    folder = next(p for p in (tmp_path / "results").iterdir() if p.is_dir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["scenario"]["load"]["allow_remote"] is False
    workers = {w["name"]: w for w in manifest["workers"]}
    assert sorted(workers) == ["ext1", "w1"]
    assert workers["ext1"]["external"] is True and workers["w1"]["external"] is False
    assert workers["ext1"]["harness_version"] == manifest["harness_version"]
    assert workers["ext1"]["code_sha256"] == workers["w1"]["code_sha256"]
    with (folder / "levels.csv").open() as handle:
        [level] = list(csv.DictReader(handle))
    with (folder / "generator_workers.csv").open() as handle:
        shares = list(csv.DictReader(handle))
    assert sorted(s["worker"] for s in shares) == ["ext1", "w1"]
    assert all(int(s["requests"]) > 0 for s in shares)
    assert sum(int(s["requests"]) for s in shares) == int(level["requests"])
    deadline = time.monotonic() + 15
    while (left := _ours()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, [psutil.Process(p).cmdline() for p in left if psutil.pid_exists(p)]
