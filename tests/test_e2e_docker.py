"""``harness run`` with ``infra: docker`` on a real engine: the same verification and results as a
local run, and no container or volume left after success, Ctrl-C or kill -9 of the harness."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
from docker_services import volume_names

from harness.infra.docker_containers import OWNER_PID_LABEL, RUN_LABEL, sweep_stale_containers
from harness.infra.docker_engine import docker_client

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
DELAY_MS = 10
VARIANTS = ("mvc-platform", "mvc-virtual", "webflux")

TINY = f"""
name: e2e-docker
description: three variants against PostgreSQL in a container
variants: [{", ".join(VARIANTS)}]
jdks: [25]
infra: docker
app: {{heap: 256m, gc: G1, db_pool: 8, tomcat: {{max_threads: 8, max_connections: 1000, accept_count: 100}}}}
workload: {{profile: io-bound, downstream_delay_ms: {DELAY_MS}, downstream_warmup: 2s}}
data: {{orders: 2000, customers: 200}}
load: {{levels: [4], warmup: 2s, settle: 1s, duration: 3s, repetitions: 1}}
"""


@pytest.fixture(scope="module")
def engine() -> docker.DockerClient:
    return docker_client()  # fails, naming what it tried, when no engine answers


def _containers_of(engine: docker.DockerClient, pid: int) -> list[str]:
    return [str(c.name) for c in engine.containers.list(all=True, filters={"label": f"{OWNER_PID_LABEL}={pid}"})]


def _harness(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args], cwd=REPO, text=True, env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_ctrl_c_default,
    )  # fmt: skip


def _ctrl_c_default() -> None:
    # As from a terminal: a pytest started in the background of a non-interactive shell (nohup ... &)
    # ignores SIGINT, the harness would inherit that, and the Ctrl-C test would send it into the void.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_until_postgres_container(
    engine: docker.DockerClient, scenario: Path, results: Path
) -> subprocess.Popen[str]:
    proc = _harness("run", str(scenario), "--results-dir", str(results))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None and not _containers_of(engine, proc.pid):
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()[0]
    assert _containers_of(engine, proc.pid), "no PostgreSQL container appeared"
    return proc


def test_a_tiny_three_variant_run_verifies_measures_and_leaves_nothing(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    volumes_before = volume_names(engine)
    proc = _harness("run", str(scenario), "--results-dir", str(tmp_path / "results"))
    output, _ = proc.communicate(timeout=1200)
    assert proc.returncode == 0, output
    (run,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]

    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    infra = manifest["infrastructure"]
    assert infra["kind"] == "docker"
    assert infra["images"]["postgres"].startswith(("postgres:15 (", "loom-bench/postgres:15-bookworm ("))
    assert infra["postgres"]["server_version"].startswith("15")
    assert infra["postgres"]["max_connections"] == "200"
    with (run / "levels.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["variant"] for r in rows) == sorted(VARIANTS)
    for row in rows:
        assert int(row["requests"]) > 0, row["variant"]
        assert int(row["errors"]) == 0, row["variant"]
        assert float(row["p50_ms"]) >= 2 * DELAY_MS, row["variant"]  # two sequential downstream calls
        # Empty when the server was not sampled; 0.0 happens for a level of a few dozen lookups
        # (CPU time comes in 10 ms ticks) on a busy machine, so the run as a whole must show CPU.
        assert row["postgres_cpu_s"] != "", f"{row['variant']}: the container's server was not sampled"
    assert sum(float(r["postgres_cpu_s"]) for r in rows) > 0, "the container's server was not sampled"
    assert "database system is ready to accept connections" in (run / "logs" / "postgres.log").read_text()
    assert _containers_of(engine, proc.pid) == []
    assert volume_names(engine) == volumes_before


def test_ctrl_c_removes_the_container_and_marks_the_run_interrupted(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(TINY.replace("duration: 3s", "duration: 120s"))
    results = tmp_path / "results"
    proc = _start_until_postgres_container(engine, scenario, results)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    (run,) = [p for p in results.iterdir() if p.is_dir()]
    assert json.loads((run / "manifest.json").read_text())["status"] == "interrupted"
    assert _containers_of(engine, proc.pid) == []


def test_after_kill_9_of_the_harness_the_next_start_sweeps_its_container(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(TINY.replace("duration: 3s", "duration: 120s"))
    proc = _start_until_postgres_container(engine, scenario, tmp_path / "results")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    left = _containers_of(engine, proc.pid)
    assert len(left) == 1, left  # a killed harness cannot remove its container...
    run_label = engine.containers.get(left[0]).labels[RUN_LABEL]
    # ...the next start does (docker_postgres_for_run sweeps before it starts anything).
    assert left[0] in sweep_stale_containers(engine)
    assert _containers_of(engine, proc.pid) == []
    assert engine.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_label}"}) == []


# The downstream warm-up is fixed at 2 s, as in tests/test_e2e_consume.py: without `workload` the run warmed the
# downstream until its JIT was quiet (the default, up to 90 s), and nothing here depends on how fast it answers.
CONSUME = """
name: e2e-docker-consume
description: one variant consuming from RabbitMQ in a container, with a broker restart
variants: [mvc-virtual]
jdks: [25]
infra: docker
app: {heap: 256m, gc: G1, db_pool: 8}
workload: {downstream_warmup: 2s}
data: {orders: 400, customers: 40}
consume: {broker: rabbitmq, source: preload, events: 200, repetitions: 1, timeout: 5m, downstream_delay_ms: 5}
faults: {duplicates: 0.05, restart_broker_at: 0.4}
"""


def test_a_consume_run_with_its_broker_in_a_container_reconciles_and_leaves_nothing(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    scenario = tmp_path / "consume.yaml"
    scenario.write_text(CONSUME)
    volumes_before = volume_names(engine)
    proc = _harness("run", str(scenario), "--results-dir", str(tmp_path / "results"))
    output, _ = proc.communicate(timeout=1200)
    assert proc.returncode == 0, output
    (run,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]
    with (run / "consume.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["broker"], row["ok"], row["events_processed"], row["lost"]) == ("rabbitmq", "true", "200", "0")
    assert row["processed_twice"] == "0"
    assert "restart-broker at" in output  # the fault restarted the container and the run went on
    assert (run / "logs" / "rabbitmq.log").read_text().count("Server startup complete") == 2
    assert _containers_of(engine, proc.pid) == []
    assert volume_names(engine) == volumes_before
