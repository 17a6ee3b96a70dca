"""A real Locust level against a real (tiny) HTTP server on 127.0.0.1; no timing assertions."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

from harness.codec import from_json_row
from harness.errors import LoadError
from harness.level_id import LevelId
from harness.load.driver import LoadTarget, _Paths, _read_sidecar, is_loopback, run_level, run_warmup
from harness.load.recording import SIDECAR_FORMAT, LevelRecording, SidecarInterval, new_histogram
from harness.metrics import summarise_level
from harness.processes import Supervisor, free_port, wait_for_port
from harness.sampling import ProcessSampler, cpu_percent_series

SERVER = Path(__file__).with_name("order_server.py")
ORDER_ID_MAX = 1000  # ids divisible by 10 answer 404: about 10% of a uniform draw
SETTLE_S = 1
DURATION_S = 3
USERS = 4

# (recording, the sampler it ran with, out_dir, pids of this process's children before the level)
Level = tuple[LevelRecording, ProcessSampler, Path, set[int]]


@pytest.fixture(scope="module")
def supervisor() -> Iterator[Supervisor]:
    with Supervisor(grace_seconds=5.0) as sup:
        yield sup


@pytest.fixture(scope="module")
def base_url(supervisor: Supervisor, tmp_path_factory: pytest.TempPathFactory) -> str:
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "order_server.log"
    child = supervisor.start("order-server", [sys.executable, str(SERVER), str(port)], log_path=log)
    assert wait_for_port("127.0.0.1", port, timeout=15, child=child), child.log_tail()
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def level(supervisor: Supervisor, base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Level:
    out_dir = tmp_path_factory.mktemp("level")
    target = LoadTarget(base_url=base_url, order_id_max=ORDER_ID_MAX, seed=42)
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}
    with ProcessSampler(interval_s=0.25) as sampler:
        recording = run_level(target, USERS, SETTLE_S, DURATION_S, out_dir, "t-u4-r1", supervisor, sampler,
                              hlog_path=out_dir / "histograms" / "t-u4-r1.hlog")
    return recording, sampler, out_dir, children_before


def test_level_counts_requests_and_http_404_errors(level: Level) -> None:
    recording = level[0]
    assert recording.users == USERS
    assert recording.requests > 0
    assert 0 < recording.errors < recording.requests
    assert set(recording.error_kinds) == {"http_404"}
    assert sum(recording.error_kinds.values()) == recording.errors
    # 10% expected; bounds wide enough that only a broken draw or error mapping fails them.
    if recording.requests >= 100:
        assert 0.02 < recording.errors / recording.requests < 0.25
    assert recording.latency_sum_us >= recording.requests  # every request recorded as >= 1 us


def test_histogram_is_exact_merge_of_successes(level: Level) -> None:
    recording = level[0]
    assert recording.histogram.get_total_count() == recording.requests - recording.errors
    assert sum(w.requests for w in recording.windows) == recording.requests
    assert sum(w.errors for w in recording.windows) == recording.errors
    assert 0 < recording.histogram.get_value_at_percentile(50) <= recording.histogram.get_max_value()
    assert all(w.p50_us <= w.p99_us <= w.max_us for w in recording.windows)


def test_settle_seconds_are_excluded(level: Level) -> None:
    recording, _, out_dir, _ = level
    sidecar = json.loads((out_dir / "t-u4-r1.intervals.json").read_text())
    test_start = sidecar["test_start"]
    assert recording.measured_start >= test_start + SETTLE_S
    assert recording.measured_end <= test_start + SETTLE_S + DURATION_S + 1e-6
    assert len(recording.windows) == DURATION_S
    assert recording.windows[0].start == recording.measured_start
    # The settle second had requests too, and they are not in the recording.
    settle_requests = sum(row["requests"] for row in sidecar["intervals"] if row["index"] < SETTLE_S)
    assert settle_requests > 0
    assert sum(row["requests"] for row in sidecar["intervals"]) > recording.requests


def _read_hlog(path: Path) -> tuple[list[HdrHistogram], float]:
    """Every interval of an hlog as HdrHistogram's own log reader gives it, and the log's start time."""
    reader = HistogramLogReader(str(path), new_histogram())
    intervals = []
    while (hist := reader.get_next_interval_histogram()) is not None:
        intervals.append(hist)
    reader.input_file.close()
    return intervals, reader.get_start_time_sec()


def test_the_results_hlog_reproduces_the_reports_count_and_p99(level: Level) -> None:
    recording, _, out_dir, _ = level
    assert recording.hlog_path == out_dir / "histograms" / "t-u4-r1.hlog"
    intervals, start = _read_hlog(recording.hlog_path)
    assert len(intervals) == DURATION_S and all(h.get_tag() == "t-u4-r1" for h in intervals)
    assert start == pytest.approx(recording.measured_start, abs=1e-3)
    merged = new_histogram()
    for hist in intervals:
        merged.add(hist)
    report = summarise_level(LevelId(25, "webflux", USERS, 1), recording=recording, samples={})
    assert merged.get_total_count() == recording.requests - recording.errors > 0
    assert round(merged.get_value_at_percentile(99.0) / 1000.0, 3) == report.p99_ms
    assert round(merged.get_value_at_percentile(50.0) / 1000.0, 3) == report.p50_ms
    assert merged.get_max_value() == recording.histogram.get_max_value()


def test_hlog_parses_and_holds_the_whole_level(level: Level) -> None:
    recording, _, out_dir, _ = level
    whole = out_dir / "t-u4-r1.hlog"  # Locust's own log beside its sidecar: the settle seconds too
    assert whole.exists()
    reader = HistogramLogReader(str(whole), new_histogram())
    intervals = []
    while (hist := reader.get_next_interval_histogram()) is not None:
        intervals.append(hist)
    reader.input_file.close()
    assert len(intervals) >= SETTLE_S + DURATION_S
    assert all(h.get_tag() == "t-u4-r1" for h in intervals)
    assert sum(h.get_total_count() for h in intervals) >= recording.histogram.get_total_count()
    assert abs(reader.get_start_time_sec() - recording.measured_start + SETTLE_S) < 1e-3


def test_generator_was_sampled(level: Level) -> None:
    recording, sampler, _, _ = level
    samples = sampler.samples("generator")
    assert samples
    assert all(s.rss_bytes > 0 for s in samples)
    assert cpu_percent_series(samples)
    assert "generator" not in sampler.watching()
    assert recording.generator_pid > 0


def test_no_child_process_remains(level: Level) -> None:
    recording, _, _, before = level
    assert not psutil.pid_exists(recording.generator_pid) or (
        psutil.Process(recording.generator_pid).status() == psutil.STATUS_ZOMBIE
    )
    remaining = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert remaining == set()


def test_harness_process_never_imports_locust(level: Level) -> None:
    assert "locust" not in sys.modules
    assert "gevent" not in sys.modules


def test_warmup_runs_and_keeps_only_the_log(supervisor: Supervisor, base_url: str, tmp_path: Path) -> None:
    target = LoadTarget(base_url=base_url, order_id_max=ORDER_ID_MAX, seed=7)
    run_warmup(target, 2, 1, tmp_path, supervisor, label="warmup-test")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warmup-test.locust.log"]
    assert [c.name for c in supervisor.children] == ["order-server"]


def test_unreachable_target_fails_the_warmup(supervisor: Supervisor, tmp_path: Path) -> None:
    target = LoadTarget(base_url=f"http://127.0.0.1:{free_port()}", order_id_max=10, seed=1)
    with pytest.raises(LoadError, match="completed no request successfully"):
        run_warmup(target, 1, 1, tmp_path, supervisor)


def test_remote_target_is_refused_without_allow_remote() -> None:
    with pytest.raises(LoadError, match="not on this machine"):
        LoadTarget(base_url="http://10.0.0.1:8080", order_id_max=10, seed=1)
    assert LoadTarget(base_url="http://10.0.0.1:8080", order_id_max=10, seed=1, allow_remote=True)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("10.0.0.1", False), ("example.com", False), ("0.0.0.0", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_bad_level_arguments_are_refused_before_starting_anything(tmp_path: Path) -> None:
    target = LoadTarget(base_url="http://127.0.0.1:1", order_id_max=10, seed=1)
    with Supervisor() as sup, ProcessSampler() as sampler:
        with pytest.raises(LoadError, match="whole seconds"):
            run_level(target, 1, 0.5, 3, tmp_path, "x", sup, sampler)
        with pytest.raises(LoadError, match="label"):
            run_level(target, 1, 1, 3, tmp_path, "a b/c", sup, sampler)
        assert sup.children == ()
    with pytest.raises(LoadError, match="unknown endpoint 'nope'"):
        LoadTarget(base_url="http://127.0.0.1:1", order_id_max=10, seed=1, mix={"nope": 1})
    with pytest.raises(LoadError, match="no endpoint with a positive weight"):
        LoadTarget(base_url="http://127.0.0.1:1", order_id_max=10, seed=1, mix={"orders": 0})


def test_a_malformed_sidecar_interval_is_refused_naming_the_field(level: Level, tmp_path: Path) -> None:
    """The sidecar the real Locust run wrote reads back; the same with one bad cell is a LoadError."""
    recording, _, out_dir, _ = level
    written = json.loads((out_dir / "t-u4-r1.intervals.json").read_text())
    assert written["format"] == SIDECAR_FORMAT
    rows = [from_json_row(SidecarInterval, row) for row in written["intervals"]]
    assert sum(row.requests for row in rows) > recording.requests
    written["intervals"][1]["errors"] = "three"
    sidecar = tmp_path / "bad.intervals.json"
    sidecar.write_text(json.dumps(written))
    paths = _Paths(log=tmp_path / "l.log", hlog=tmp_path / "h.hlog", sidecar=sidecar, cwd=tmp_path)
    with pytest.raises(LoadError, match="malformed interval: errors: 'three' is not an integer"):
        _read_sidecar(paths, None, "t-u4-r1", "io-bound")  # type: ignore[arg-type]  # child: read if missing only
    with pytest.raises(LoadError, match="Locust ran profile 'io-bound', the scenario asks 'pinning'"):
        _read_sidecar(paths, None, "t-u4-r1", "pinning")  # type: ignore[arg-type]
