"""``harness run`` with the apps in containers on a real engine: the same verification as a local run, the JVM
seeing its container's quota, its cgroup sampled, JFR written through the bind-mounted results folder, and no
container left after success or, once the next start has swept, after kill -9 of the harness."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker
import pytest

from harness.infra.docker_containers import LABEL_PREFIX, OWNER_PID_LABEL, sweep_stale_containers
from harness.infra.docker_engine import docker_client, reachable_engine

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
VARIANTS = ("mvc-platform", "mvc-virtual", "webflux")
MEMORY_BYTES = 768 * 1024 * 1024
APP_LABEL = f"{LABEL_PREFIX}.app"
FIRST_APP = f"{VARIANTS[0]}@jdk25@cpus1"  # verified first: its container follows the downstream's

TINY = f"""
name: e2e-containers
description: three variants, each in a container under one CPU
variants: [{", ".join(VARIANTS)}]
jdks: [25]
containers: {{cpus: [1], memory: 768m}}
app: {{heap: 256m, gc: G1, db_pool: 8, tomcat: {{max_threads: 8, max_connections: 1000, accept_count: 100}}}}
workload: {{profile: io-bound, downstream_delay_ms: 10, downstream_warmup: 2s}}
data: {{orders: 2000, customers: 200}}
load: {{levels: [4], warmup: 2s, settle: 1s, duration: 3s, repetitions: 1}}
"""


@pytest.fixture(scope="module")
def engine() -> docker.DockerClient:
    return docker_client()  # fails, naming what it tried, when no engine answers


def _containers_of(engine: docker.DockerClient, pid: int, app: str | None = None) -> list[str]:
    labels = [f"{OWNER_PID_LABEL}={pid}", *([f"{APP_LABEL}={app}"] if app else [])]
    return [str(c.name) for c in engine.containers.list(all=True, filters={"label": labels})]


def _gone(engine: docker.DockerClient, pid: int) -> list[str]:
    """The containers of ``pid`` once the engine has finished removing them (on vfs that can take a while on a
    busy disk); what is still there after five minutes."""
    deadline = time.monotonic() + 300
    while (left := _containers_of(engine, pid)) and time.monotonic() < deadline:
        time.sleep(1)
    return left


def _option_values(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == option]


def _harness(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args], cwd=REPO, text=True, env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_a_tiny_containerised_run_verifies_sees_the_quota_and_leaves_nothing(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY)
    proc = _harness("run", str(scenario), "--results-dir", str(tmp_path / "results"))
    output, _ = proc.communicate(timeout=1800)
    assert proc.returncode == 0, output
    (run,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["verification"]["problems"] == []
    apps = manifest["infrastructure"]["apps"]
    assert apps["cpus"] == [1.0] and apps["memory"] == "768m"
    assert apps["downstream"]["cpus"] is None  # the downstream runs unlimited: it must never be measured
    for variant in VARIANTS:
        key = f"{variant}@jdk25@cpus1"
        assert apps["containers"][key]["cpus"] == 1.0
        record = manifest["variants"][key]
        assert "--cpus" in record["argv"] and record["argv"][record["argv"].index("--cpus") + 1] == "1"
        # What the JVM inside saw, and that verification asked for exactly that.
        jvm = record["effective"]["jvm"]
        assert (jvm["availableProcessors"], jvm["virtualThreadCarriers"], jvm["memoryLimitBytes"]) == (
            1, 1, MEMORY_BYTES), key
        assert record["requested"]["jvm.availableProcessors"] == 1
        # Placement reaches the JVM the engine starts: the container runs on the app's CPU set.
        placed = manifest["placement"].get("app")
        if placed:
            assert _option_values(record["argv"], "--cpuset-cpus") == [placed], key
            assert apps["containers"][key]["cpuset"] == placed
    assert manifest["variants"]["webflux@jdk25@cpus1"]["effective"]["nettyIoWorkers"] == 1

    with (run / "levels.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["variant"] for r in rows) == sorted(VARIANTS)
    for row in rows:
        assert row["cpus"] == "1.0", row["variant"]
        assert int(row["requests"]) > 0 and int(row["errors"]) == 0, row["variant"]
        # The JVM's host pid was found and its container's cgroup read in the window.
        assert row["app_cpu_s"] != "" and row["app_throttled_s"] != "", row["variant"]
        assert 0 < float(row["app_cgroup_memory_mb_max"]) <= MEMORY_BYTES / 1024**2, row["variant"]
    with (run / "jfr.csv").open() as handle:
        assert sorted(r["variant"] for r in csv.DictReader(handle)) == sorted(VARIANTS)
    for variant in VARIANTS:
        assert (run / "jfr" / f"{variant}@jdk25@cpus1-r1.jfr").stat().st_size > 0
        assert "Pause" in (run / "logs" / f"{variant}@jdk25@cpus1-r1-gc.log").read_text() or \
            (run / "logs" / f"{variant}@jdk25@cpus1-r1-gc.log").stat().st_size > 0
    summary = (run / "summary.md").read_text()
    assert "## Results: JDK 25, 1 CPU" in summary and "## Containers: CPU limit × variant" in summary
    assert _containers_of(engine, proc.pid) == []


def _start_until_an_app_container(engine: docker.DockerClient, tmp_path: Path) -> subprocess.Popen[str]:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(TINY.replace("duration: 3s", "duration: 120s"))
    proc = _harness("run", str(scenario), "--results-dir", str(tmp_path / "results"))
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None and not _containers_of(engine, proc.pid, FIRST_APP):
        time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()[0]
    assert _containers_of(engine, proc.pid, FIRST_APP), "no app container appeared"
    assert _containers_of(engine, proc.pid, "downstream"), "the downstream runs in a container too"
    return proc


def test_sigterm_stops_the_run_and_removes_every_app_container(engine: docker.DockerClient, tmp_path: Path) -> None:
    proc = _start_until_an_app_container(engine, tmp_path)
    proc.send_signal(signal.SIGTERM)  # what Ctrl-C does too (sigterm_as_interrupt)
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 130, output
    (run,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]
    assert json.loads((run / "manifest.json").read_text())["status"] == "interrupted"
    assert _containers_of(engine, proc.pid) == []  # the run waited for the engine to remove them


def test_after_kill_9_of_the_harness_the_next_start_sweeps_its_app_containers(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    proc = _start_until_an_app_container(engine, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    left = _containers_of(engine, proc.pid)
    # A killed harness cannot remove its containers: its docker clients died, the JVMs did not.
    assert {"downstream", FIRST_APP} <= {engine.containers.get(name).labels[APP_LABEL] for name in left}
    assert set(left) <= set(sweep_stale_containers(engine))
    assert _gone(engine, proc.pid) == []


class _TcpToUnix:
    """A TCP port on 127.0.0.1 that forwards every connection to the engine's unix socket: the harness reaches the
    engine as it would reach one on another host (``tcp://``), so it may use nothing but the engine's API."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"tcp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            engine.connect(self.socket_path)
            for source, sink in ((client, engine), (engine, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(1 << 16):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)  # a half-close: the other direction may still be talking

    def close(self) -> None:
        self.listener.close()


REMOTE = """
name: e2e-remote
description: one variant and PostgreSQL on an engine reached over TCP, as on another host
variants: [mvc-virtual]
jdks: [25]
infra: docker
containers: {cpus: [1], memory: 768m, remote: {address: 127.0.0.1}}
app: {heap: 256m, gc: G1, db_pool: 8}
workload: {profile: io-bound, downstream_delay_ms: 10, downstream_warmup: 2s}
data: {orders: 2000, customers: 200}
load: {levels: [4], warmup: 2s, settle: 1s, duration: 3s, repetitions: 1}
"""


def test_a_system_under_test_on_an_engine_reached_over_tcp_is_measured_through_its_api_only(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    _client, unix_url = reachable_engine()
    assert unix_url.startswith("unix://"), unix_url
    proxy = _TcpToUnix(unix_url.removeprefix("unix://"))
    scenario = tmp_path / "remote.yaml"
    scenario.write_text(REMOTE)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness", "run", str(scenario), "--results-dir", str(tmp_path / "results")],
            cwd=REPO, text=True, env={**os.environ, "COLUMNS": "200", "DOCKER_HOST": proxy.url},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        output, _ = proc.communicate(timeout=1800)
    finally:
        proxy.close()
    assert proc.returncode == 0, output
    assert proxy.connections > 0
    (run,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["verification"]["problems"] == []
    apps = manifest["infrastructure"]["apps"]
    assert apps["docker_host"] == proxy.url and apps["remote"] == {"address": "127.0.0.1"}
    key = "mvc-virtual@jdk25@cpus1"
    assert apps["containers"][key]["remote"] is True and apps["containers"][key]["cpuset"] is None
    argv = manifest["variants"][key]["argv"]
    # Nothing of this machine's file system is shared, and the container outlives its JVM until copied.
    assert "--rm" not in argv and "--volume" not in argv
    assert _option_values(argv, "--mount") == [f"type=volume,dst={run.resolve() / d}" for d in ("logs", "jfr")]
    assert "ORDERS_SERVER_ADDRESS=127.0.0.1" in _option_values(argv, "--env")

    with (run / "levels.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    assert int(row["requests"]) > 0 and int(row["errors"]) == 0
    # The engine's stats, not /proc: the app's CPU and cgroup, and PostgreSQL's container.
    assert float(row["app_cpu_s"]) > 0 and float(row["app_rss_mb_max"]) > 0
    assert row["app_throttled_s"] != "" and 0 < float(row["app_cgroup_memory_mb_max"]) <= MEMORY_BYTES / 1024**2
    assert float(row["postgres_cpu_s"]) > 0 and float(row["downstream_cpu_s"]) > 0
    # Written inside the container, copied out after the JVM exited, then read as a local run's are.
    assert (run / "jfr" / f"{key}-r1.jfr").stat().st_size > 0
    assert (run / "logs" / f"{key}-r1-gc.log").stat().st_size > 0
    assert (run / "logs" / "downstream-gc.log").stat().st_size > 0
    with (run / "jfr.csv").open() as handle:
        assert [r["variant"] for r in csv.DictReader(handle)] == ["mvc-virtual"]
    assert _gone(engine, proc.pid) == []
