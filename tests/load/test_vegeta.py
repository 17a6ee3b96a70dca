"""The open-model driver: folding arithmetic on hand-made hits, then real vegeta against a real
server with a known delay, and the coordinated-omission check (a 1 s SIGSTOP of the server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hdrh.log import HistogramLogReader

from harness.errors import LoadError
from harness.level_id import LevelId
from harness.load.driver import LoadTarget, run_level
from harness.load.recording import new_histogram
from harness.load.vegeta import (
    VEGETA_VERSION,
    Hit,
    OpenLevelRecording,
    driver_ceiling,
    ensure_vegeta,
    fold_hits,
    run_open_level,
)
from harness.metrics import summarise_open_level
from harness.processes import ManagedProcess, Supervisor, free_port, wait_for_port
from harness.sampling import ProcessSampler

SERVER = Path(__file__).with_name("order_server.py")
ORDER_ID_MAX = 1000  # ids divisible by 10 answer 404
DELAY_MS = 5
MS = 1000  # µs


# -- folding, on hand-made hits -----------------------------------------------------------------
def _hit(seq: int, rate: int, *, late_ms: float = 0.0, latency_ms: float = 2.0, code: int = 200,
         error: str = "") -> Hit:
    origin = 1_700_000_000 * 10**9
    intended = origin + seq * 10**9 // rate
    return Hit(seq=seq, sent_ns=intended + int(late_ms * 1e6), latency_ns=int(latency_ms * 1e6), code=code,
               error=error)


def test_a_late_hit_carries_its_wait_in_the_corrected_latency_only() -> None:
    rate = 10
    hits = [_hit(seq, rate) for seq in range(20)]
    hits[15] = _hit(15, rate, late_ms=300, latency_ms=2)  # waited 300 ms for a worker
    folded = fold_hits(hits, rate, settle_s=1, duration_s=1)
    assert folded.scheduled == folded.sent == 10
    assert folded.corrected.get_max_value() == pytest.approx(302 * MS, rel=0.002)
    assert folded.service.get_max_value() == pytest.approx(2 * MS, rel=0.002)
    assert folded.late == 1
    assert folded.max_lateness_us == 300 * MS


def test_settle_is_excluded_by_schedule_and_unsent_hits_are_dropped() -> None:
    rate = 10
    hits = [_hit(seq, rate, latency_ms=50 if seq < 10 else 2) for seq in range(27)]  # 3 never sent
    folded = fold_hits(hits, rate, settle_s=1, duration_s=2)
    assert folded.scheduled == 20
    assert folded.sent == 17
    assert folded.corrected.get_max_value() < 3 * MS  # the slow settle second is not in the window
    assert [window.requests for window in folded.windows] == [10, 7]


def test_errors_are_counted_by_kind_and_kept_out_of_the_histograms() -> None:
    rate = 5
    hits = [_hit(0, rate), _hit(1, rate, code=404, error="404 Not Found"),
            _hit(2, rate, code=0, error="Get ...: net/http: request canceled (Client.Timeout exceeded)"),
            _hit(3, rate, code=0, error="dial tcp 127.0.0.1:1: connect: connection refused"), _hit(4, rate)]
    folded = fold_hits(hits, rate, settle_s=0, duration_s=1)
    assert folded.errors == 3
    assert folded.error_kinds == {"http_404": 1, "timeout": 1, "connection_refused": 1}
    assert folded.corrected.get_total_count() == 2


def test_in_flight_figures_follow_littles_law_on_a_steady_timeline() -> None:
    # 50/s, every answer 40 ms after its intended time: 50 × 0.04 = 2 requests in flight at any moment.
    rate = 50
    folded = fold_hits([_hit(seq, rate, latency_ms=40) for seq in range(rate * 3)], rate, settle_s=1, duration_s=1)
    assert folded.in_flight_mean == pytest.approx(2.0, rel=0.01)
    assert folded.in_flight_end == 2  # intended at 1.96 s and 1.98 s, answered after 2 s
    assert folded.sent_in_window == rate


def test_hits_that_leave_after_the_window_do_not_count_as_achieved() -> None:
    # A server that holds the workers: from the window's middle every hit leaves 1 s late.
    rate = 10
    hits = [_hit(seq, rate, late_ms=1000 if seq >= 15 else 0) for seq in range(30)]
    folded = fold_hits(hits, rate, settle_s=1, duration_s=1)
    assert folded.sent == folded.scheduled == 10  # by schedule every hit was sent (late)
    assert folded.sent_in_window == 5  # by the clock only 10..14 left inside [1 s, 2 s); 15..19 after it
    # In flight inside the window: 10..14 for their 2 ms each, 15..19 (intended at 1.5..1.9 s) until its end.
    assert folded.in_flight_mean == pytest.approx(5 * 0.002 + (0.5 + 0.4 + 0.3 + 0.2 + 0.1), abs=1e-6)
    assert folded.in_flight_end == 5


def test_a_late_first_hit_does_not_move_the_timeline() -> None:
    # Hit 0 waited 60 ms (say, for its connection); every later hit left on time, 2 ms each.
    rate = 10
    hits = [_hit(seq, rate, late_ms=60 if seq == 0 else 0) for seq in range(30)]
    folded = fold_hits(hits, rate, settle_s=1, duration_s=2)
    assert folded.start == 1_700_000_000 + 1  # the pacer's origin, not hit 0's send time
    assert folded.late == 0 and folded.max_lateness_us == 0
    assert folded.in_flight_mean == pytest.approx(rate * 0.002, rel=1e-6)  # Little's law: 10/s × 2 ms


def test_results_without_hit_zero_are_refused() -> None:
    with pytest.raises(LoadError, match="hit 0"):
        fold_hits([_hit(1, 10)], 10, settle_s=0, duration_s=1)


# -- real vegeta, real server ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def vegeta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_vegeta(tmp_path_factory.mktemp("vegeta-build") / "go-install.log")


@pytest.fixture(scope="module")
def supervisor() -> Iterator[Supervisor]:
    with Supervisor(grace_seconds=5.0) as sup:
        yield sup


def _server(supervisor: Supervisor, log_dir: Path, delay_ms: int) -> tuple[ManagedProcess, str]:
    port = free_port()
    child = supervisor.start(f"order-server-{port}", [sys.executable, str(SERVER), str(port), str(delay_ms)],
                             log_path=log_dir / f"server-{port}.log")
    assert wait_for_port("127.0.0.1", port, timeout=15, child=child), child.log_tail()
    return child, f"http://127.0.0.1:{port}"


def test_the_binary_is_the_pinned_version(vegeta: Path) -> None:
    assert vegeta.is_file()
    assert VEGETA_VERSION in str(vegeta)


@pytest.fixture(scope="module")
def steady(vegeta: Path, supervisor: Supervisor, tmp_path_factory: pytest.TempPathFactory) -> OpenLevelRecording:
    out = tmp_path_factory.mktemp("steady")
    _, base_url = _server(supervisor, out, DELAY_MS)
    target = LoadTarget(base_url=base_url, order_id_max=ORDER_ID_MAX, seed=7)
    with ProcessSampler(interval_s=0.25) as sampler:
        return run_open_level(target, 100, 1, 3, out, "open-r100", supervisor, sampler,
                              vegeta=vegeta, max_connections=16)


def test_every_scheduled_request_is_sent_and_counted(steady: OpenLevelRecording) -> None:
    assert steady.scheduled == 300
    assert steady.sent == 300
    assert steady.dropped == 0
    assert set(steady.error_kinds) == {"http_404"}
    assert steady.corrected.get_total_count() == steady.service.get_total_count() == steady.sent - steady.errors


def test_expected_404s_match_the_targets_drawn(steady: OpenLevelRecording) -> None:
    # Hit i uses target i (fewer hits than distinct targets here): the measured window is 100..399.
    lines = [line for line in steady.hlog_path.with_suffix(".targets").read_text().splitlines() if line]
    ids = [int(line.rsplit("/", 1)[1]) for line in lines]
    assert steady.errors == sum(1 for order_id in ids[100:400] if order_id % 10 == 0)


def test_latency_at_low_load_is_the_known_delay(steady: OpenLevelRecording) -> None:
    """Calibration against a known answer: 100/s on a 5 ms server is far below its capacity, so
    corrected and service p50 are the delay plus the stack's overhead. The bounds come from runs on
    this 2-core machine: p50 stayed within [delay, delay + 3 ms] even at load average 15, while p99
    reached delay + 39 ms there (it stayed within delay + 15 ms at load 3), so p99 is bounded at delay + 60 ms. A unit
    slip (ms for µs, ns for µs) lands orders of magnitude outside both."""
    for histogram in (steady.corrected, steady.service):
        p50 = histogram.get_value_at_percentile(50)
        assert DELAY_MS * MS <= p50 <= (DELAY_MS + 3) * MS
        assert histogram.get_value_at_percentile(99) <= (DELAY_MS + 60) * MS


def test_hlog_holds_exactly_the_measured_window(steady: OpenLevelRecording) -> None:
    reader = HistogramLogReader(str(steady.hlog_path), new_histogram())
    merged = new_histogram()
    intervals = 0
    while (interval := reader.get_next_interval_histogram()) is not None:
        merged.add(interval)
        intervals += 1
    assert intervals == 3
    assert merged.get_total_count() == steady.corrected.get_total_count()
    assert merged.get_value_at_percentile(99) == steady.corrected.get_value_at_percentile(99)


def _pause_later(pid: int, after_s: float, pause_s: float) -> None:
    threading.Timer(after_s, os.kill, (pid, signal.SIGSTOP)).start()
    threading.Timer(after_s + pause_s, os.kill, (pid, signal.SIGCONT)).start()


def test_a_server_pause_shows_in_the_open_model_and_hides_in_the_closed_one(
    vegeta: Path, supervisor: Supervisor, tmp_path: Path
) -> None:
    """The coordinated-omission check: the server is stopped (SIGSTOP, a stand-in for a 1 s
    stop-the-world pause) inside the measured window. Open model: every request scheduled during
    the pause waits, so the corrected p99.9 is about the pause, while the service time (from the
    actual send) hides the wait like a closed model does. Closed model: its few users wait
    once each and then send nothing, so only its max sees the pause and its p99 barely moves."""
    pause_s, settle_s, duration_s = 1.0, 1, 5
    open_server, open_url = _server(supervisor, tmp_path, DELAY_MS)
    closed_server, closed_url = _server(supervisor, tmp_path, DELAY_MS)
    with ProcessSampler(interval_s=0.5) as sampler:
        _pause_later(open_server.pid, settle_s + 2, pause_s)
        open_level = run_open_level(LoadTarget(base_url=open_url, order_id_max=ORDER_ID_MAX, seed=1), 200,
                                    settle_s, duration_s, tmp_path, "open", supervisor, sampler,
                                    vegeta=vegeta, max_connections=4)
        # Locust takes a second or two to start: pause later, and check below that it was measured.
        _pause_later(closed_server.pid, settle_s + 3.5, pause_s)
        closed_level = run_level(LoadTarget(base_url=closed_url, order_id_max=ORDER_ID_MAX, seed=1), 4,
                                 settle_s, duration_s, tmp_path, "closed", supervisor, sampler)
    pause_us = pause_s * 1e6
    assert 0.8 * pause_us <= open_level.corrected.get_value_at_percentile(99.9) <= 1.5 * pause_us
    assert open_level.corrected.get_value_at_percentile(99) >= 0.5 * pause_us
    assert open_level.late > 0
    # Only the 4 requests in flight when it stopped spent the pause inside the server.
    assert open_level.service.get_value_at_percentile(99) <= 0.1 * pause_us
    assert closed_level.histogram.get_max_value() >= 0.8 * pause_us  # the pause was inside its window
    assert closed_level.histogram.get_value_at_percentile(99) <= 0.1 * pause_us
    # The levels.csv row of the open level (what a scenario with model: open records) keeps both views.
    row = summarise_open_level(LevelId.open(25, "webflux", 200, 1), open_level, {})
    assert 0.8 * pause_s * 1000 <= row.p999_ms <= 1.5 * pause_s * 1000
    assert row.service_p99_ms is not None and row.service_p99_ms <= 0.1 * pause_s * 1000
    assert row.late == open_level.late > 0
    # Requests that waited out the pause were in flight meanwhile: Little's law still balances.
    assert row.littles_law_ok, (row.littles_law_users, row.in_flight_mean)


def test_the_driver_ceiling_is_what_vegeta_sent_flat_out(vegeta: Path, supervisor: Supervisor, tmp_path: Path) -> None:
    """Not a figure (the machine is shared): the ceiling's count must be vegeta's own, and the rate its quotient."""
    _, base_url = _server(supervisor, tmp_path, 0)
    ceiling = driver_ceiling(vegeta, f"{base_url}/orders/7", tmp_path, supervisor, seconds=2, connections=4)
    hits = subprocess.run([str(vegeta), "encode", "--to", "csv", str(tmp_path / "ceiling.bin")], capture_output=True,
                          text=True, check=True).stdout.splitlines()
    assert ceiling.requests == len(hits) > 0
    assert ceiling.successes == sum(1 for line in hits if line.split(",")[1] == "200")
    assert ceiling.rate == pytest.approx(ceiling.requests / ceiling.seconds)
    assert ceiling.seconds > 0
