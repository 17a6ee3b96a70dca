"""A Locust master with workers against the fixed-delay test server on 127.0.0.1: the merge is exact,
a dead worker fails its level with nothing left running, and ``harness worker`` joins a master."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from hdrh.histogram import HdrHistogram

from harness.errors import LoadError
from harness.load.driver import LoadTarget, run_level
from harness.load.recording import LevelRecording, SidecarInterval, new_histogram
from harness.load.workers import Distribution, WorkerIdentity, WorkerReport, read_reports, worker_loads
from harness.processes import ManagedProcess, Supervisor, free_port, wait_for_port
from harness.sampling import ProcessSampler

SERVER = Path(__file__).with_name("order_server.py")
REPO = Path(__file__).resolve().parents[2]
DELAY_MS = 20  # the server sleeps this long per request: no latency can be below it
MS = 1000  # histogram unit is the microsecond
USERS = 4
SETTLE_S = 1
DURATION_S = 3


@pytest.fixture(scope="module")
def supervisor() -> Iterator[Supervisor]:
    with Supervisor(grace_seconds=5.0) as sup:
        yield sup


@pytest.fixture(scope="module")
def target(supervisor: Supervisor, tmp_path_factory: pytest.TempPathFactory) -> LoadTarget:
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "order_server.log"
    child = supervisor.start("order-server", [sys.executable, str(SERVER), str(port), str(DELAY_MS)], log_path=log)
    assert wait_for_port("127.0.0.1", port, timeout=15, child=child), child.log_tail()
    return LoadTarget(base_url=f"http://127.0.0.1:{port}", order_id_max=1000, seed=42)


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}


@pytest.fixture(scope="module")
def single(supervisor: Supervisor, target: LoadTarget, tmp_path_factory: pytest.TempPathFactory) -> LevelRecording:
    with ProcessSampler(interval_s=0.25) as sampler:
        return run_level(target, USERS, SETTLE_S, DURATION_S, tmp_path_factory.mktemp("single"), "s-u4-r1",
                         supervisor, sampler)


@pytest.fixture(scope="module")
def distributed(supervisor: Supervisor, target: LoadTarget,
                tmp_path_factory: pytest.TempPathFactory) -> tuple[LevelRecording, Path, set[int]]:
    out = tmp_path_factory.mktemp("distributed")
    before = _children()
    with ProcessSampler(interval_s=0.25) as sampler:
        recording = run_level(target, USERS, SETTLE_S, DURATION_S, out, "d-u4-r1", supervisor, sampler,
                              distribution=Distribution(local=2))
    return recording, out, before


def test_two_workers_each_measured_and_the_merged_count_is_their_sum(
        distributed: tuple[LevelRecording, Path, set[int]]) -> None:
    recording = distributed[0]
    assert sorted(w.worker.name for w in recording.workers) == ["w1", "w2"]
    assert len({w.worker.pid for w in recording.workers}) == 2
    assert all(w.requests > 0 and w.successes > 0 for w in recording.workers)
    assert recording.requests == sum(w.requests for w in recording.workers)
    assert recording.errors == sum(w.errors for w in recording.workers)
    assert recording.histogram.get_total_count() == sum(w.successes for w in recording.workers)
    assert recording.histogram.get_total_count() == recording.requests - recording.errors
    assert all(w.cpu_pct_mean is not None and w.cpu_pct_mean > 0 for w in recording.workers)
    assert all(not w.worker.external for w in recording.workers)


def test_merged_histogram_equals_the_sum_of_the_workers_own_histograms(
        distributed: tuple[LevelRecording, Path, set[int]]) -> None:
    """Re-add every worker's measured seconds here: every percentile must be the master's, exactly."""
    recording, out, _ = distributed
    document = json.loads((out / "d-u4-r1.intervals.json").read_text())
    reports, expected = read_reports(document, "d-u4-r1")
    assert expected == 2 and len(reports) == 2
    ours = new_histogram()
    for report in reports:
        for row in report.intervals:
            if SETTLE_S <= row.index < SETTLE_S + DURATION_S and row.requests > row.errors:
                ours.add(HdrHistogram.decode(row.success_histogram))
    assert ours.get_total_count() == recording.histogram.get_total_count()
    for percentile in (50.0, 90.0, 99.0, 99.9, 100.0):
        assert ours.get_value_at_percentile(percentile) == recording.histogram.get_value_at_percentile(percentile)


def test_distributed_percentiles_agree_with_one_process_on_the_fixed_delay(
        distributed: tuple[LevelRecording, Path, set[int]], single: LevelRecording) -> None:
    """The tail is the busy machine's; the floor and the median are the server's known delay."""
    merged = distributed[0].histogram
    for histogram in (merged, single.histogram):
        assert histogram.get_min_value() >= DELAY_MS * MS
        assert DELAY_MS * MS <= histogram.get_value_at_percentile(50) <= (DELAY_MS + 5) * MS
    gap = abs(merged.get_value_at_percentile(50) - single.histogram.get_value_at_percentile(50))
    assert gap <= 3 * MS


def test_no_process_of_the_distributed_level_remains(distributed: tuple[LevelRecording, Path, set[int]],
                                                     supervisor: Supervisor) -> None:
    recording, _, before = distributed
    assert _children() - before == set()
    assert [c.name for c in supervisor.children] == ["order-server"]
    assert not any(psutil.pid_exists(w.worker.pid) and psutil.Process(w.worker.pid).status() != psutil.STATUS_ZOMBIE
                   for w in recording.workers)


def test_a_worker_killed_mid_level_fails_the_level_and_nothing_is_left(
        supervisor: Supervisor, target: LoadTarget, tmp_path: Path) -> None:
    before = _children()
    failure: list[BaseException] = []

    def level() -> None:
        try:
            with ProcessSampler(interval_s=0.25) as sampler:
                run_level(target, USERS, SETTLE_S, 6, tmp_path, "k-u4-r1", supervisor, sampler,
                          distribution=Distribution(local=2))
        except BaseException as error:  # handed to the test thread
            failure.append(error)

    thread = threading.Thread(target=level)
    thread.start()
    victim = _wait_for_worker(supervisor, "w2", tmp_path / "k-u4-r1.locust.log")
    os.kill(victim.pid, signal.SIGKILL)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert len(failure) == 1 and isinstance(failure[0], LoadError), failure
    assert "worker w2" in str(failure[0]) and "exited with code -9 mid-level" in str(failure[0])
    assert _children() - before == set()
    assert [c.name for c in supervisor.children] == ["order-server"]


def _wait_for_worker(supervisor: Supervisor, name: str, log: Path) -> ManagedProcess:
    """The worker once the users run (the master's log says so), so the kill lands mid-level."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [c for c in supervisor.children if c.name.endswith(f"-{name}")]
        if found and log.exists() and "All users spawned" in log.read_text(errors="replace"):
            time.sleep(1.5)
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"worker {name} never started its users; log {log}")


def test_harness_worker_joins_a_master_started_on_loopback(
        supervisor: Supervisor, target: LoadTarget, tmp_path: Path) -> None:
    port = free_port()
    external = supervisor.start(
        "harness-worker", [sys.executable, "-m", "harness.cli", "worker", "--master", f"127.0.0.1:{port}",
                           "--name", "ext1", "--levels", "1"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path, log_path=tmp_path / "harness-worker.log")
    try:
        with ProcessSampler(interval_s=0.25) as sampler:
            recording = run_level(target, USERS, SETTLE_S, DURATION_S, tmp_path, "x-u4-r1", supervisor, sampler,
                                  distribution=Distribution(local=1, external=1, port=port))
        assert external.popen.wait(timeout=30) == 0, external.log_tail()
    finally:
        supervisor.stop(external)
    names = {w.worker.name: w for w in recording.workers}
    assert sorted(names) == ["ext1", "w1"]
    assert names["ext1"].worker.external and not names["w1"].worker.external
    assert names["ext1"].requests > 0
    assert names["ext1"].worker.code_sha256 == names["w1"].worker.code_sha256
    assert recording.requests == sum(w.requests for w in recording.workers)


def test_a_worker_of_other_code_is_refused(supervisor: Supervisor, target: LoadTarget, tmp_path: Path) -> None:
    """A checkout whose load code differs (one comment line) is refused by the master: the level fails."""
    other = tmp_path / "other-checkout"
    shutil.copytree(REPO / "harness", other / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    with (other / "harness" / "load" / "locustfile.py").open("a") as locustfile:
        locustfile.write("# an edit on the worker machine\n")
    port = free_port()
    external = supervisor.start(
        "harness-worker-other", [sys.executable, "-m", "harness.cli", "worker", "--master", f"127.0.0.1:{port}",
                                 "--name", "stale", "--levels", "1"],
        env={**os.environ, "PYTHONPATH": str(other)}, cwd=other, log_path=tmp_path / "harness-worker.log")
    try:
        with ProcessSampler(interval_s=0.25) as sampler, pytest.raises(LoadError) as refused:
            run_level(target, USERS, SETTLE_S, DURATION_S, tmp_path, "v-u4-r1", supervisor, sampler,
                      distribution=Distribution(local=1, external=1, port=port))
    finally:
        supervisor.stop(external)
    message = str(refused.value)
    assert "refused worker(s)" in message and "stale on" in message and "code_sha256" in message
    assert [c.name for c in supervisor.children] == ["order-server"]


def test_a_master_bound_beyond_loopback_is_refused_without_allow_remote() -> None:
    with pytest.raises(LoadError, match="not loopback"):
        Distribution(local=1, bind_host="0.0.0.0")
    assert Distribution(local=1, bind_host="0.0.0.0", allow_remote=True).expected == 1
    with pytest.raises(LoadError, match="fixed master port"):
        Distribution(local=0, external=1)


def _row(index: int, requests: int, errors: int, values: list[int]) -> SidecarInterval:
    histogram = new_histogram()
    for value in values:
        histogram.record_value(value)
    return SidecarInterval(index=index, start=100.0 + index, end=101.0 + index, requests=requests, errors=errors,
                           error_kinds={"http_404": errors} if errors else {}, latency_sum_us=sum(values),
                           success_histogram=histogram.encode().decode("ascii"))


def _report(name: str, rows: tuple[SidecarInterval, ...]) -> WorkerReport:
    identity = WorkerIdentity(name=name, host="h", pid=1, external=False, harness_version="0", code_sha256="c")
    return WorkerReport(worker=identity, test_start=100.0, test_stop=103.0, intervals=rows,
                        cpu=((101.0, 1.0), (102.0, 1.95)))


def test_a_merge_that_is_not_the_workers_sum_is_refused() -> None:
    a = _report("w1", (_row(0, 1, 0, [10]), _row(1, 3, 1, [10, 20])))
    b = _report("w2", (_row(0, 1, 0, [30]), _row(1, 2, 0, [40, 50])))
    exact = [_row(1, 5, 1, [10, 20, 40, 50])]
    loads = worker_loads([a, b], exact, 1, 1, 1.0, "t")
    assert [(w.requests, w.errors, w.successes) for w in loads] == [(3, 1, 2), (2, 0, 2)]
    assert loads[0].cpu_pct_mean == 95.0 and loads[0].saturated  # 0.95 CPU-seconds in one second
    with pytest.raises(LoadError, match="not the sum of its workers"):
        worker_loads([a, b], [_row(1, 5, 1, [10, 20, 40])], 1, 1, 1.0, "t")


def test_a_missing_worker_report_fails_the_level() -> None:
    a = _report("w1", (_row(0, 1, 0, [10]),))
    document = {"expected_workers": 2, "workers": [json.loads(json.dumps(_as_json(a)))], "refused": []}
    with pytest.raises(LoadError, match="1 of 2 workers sent their measurements"):
        read_reports(document, "t")


def _as_json(report: WorkerReport) -> dict[str, object]:
    from harness.codec import json_row

    return json_row(report)


def test_a_worker_that_never_comes_fails_the_level_after_the_timeout(
        supervisor: Supervisor, target: LoadTarget, tmp_path: Path) -> None:
    port = free_port()
    with ProcessSampler(interval_s=0.25) as sampler, pytest.raises(LoadError) as waited:
        run_level(target, USERS, SETTLE_S, DURATION_S, tmp_path, "t-u4-r1", supervisor, sampler,
                  distribution=Distribution(local=1, external=1, port=port, connect_timeout_s=3))
    assert f"waited 3s for 2 Locust worker(s) (1 local, 1 external) to connect to 127.0.0.1:{port}" in str(waited.value)
    assert f"harness worker --master HOST:{port}" in str(waited.value)
    assert [c.name for c in supervisor.children] == ["order-server"]


def test_harness_worker_stopped_by_sigterm_leaves_no_process(tmp_path: Path) -> None:
    """Waiting for a master that never comes, then SIGTERM (a CI timeout, kill): it and its Locust worker end."""
    worker = psutil.Popen([sys.executable, "-m", "harness.cli", "worker", "--master", f"127.0.0.1:{free_port()}"],
                          env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not (children := worker.children(recursive=True)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children, "harness worker never started its Locust worker"
    time.sleep(1.0)  # let the Locust worker import and start connecting
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 130
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
