"""Steady-state warm-up: the rule on windows, and a real warm-up against a fixed-delay server."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.load.driver import LoadTarget
from harness.load.warmup import WarmupWindow, is_steady, warm_up_until_steady
from harness.processes import Supervisor, free_port, wait_for_port
from harness.scenario import WarmupSettings

SERVER = Path(__file__).with_name("order_server.py")
DELAY_MS = 20
USERS = 4


def _windows(rates: list[float], jit: list[float | None] | None = None) -> list[WarmupWindow]:
    compile_rates = jit or [0.0] * len(rates)
    return [WarmupWindow(i, 2.0 * (i + 1), rate, c) for i, (rate, c) in enumerate(zip(rates, compile_rates,
                                                                                        strict=True))]


def test_steady_needs_the_last_windows_to_agree_and_the_jit_to_have_quietened() -> None:
    settings = WarmupSettings(mode="auto", windows=3, tolerance=0.03, jit=0.05)
    assert is_steady(_windows([50, 900, 1000, 1010, 1020]), settings)  # (1020 - 1000) / 1010 = 2%
    assert not is_steady(_windows([1000, 1010, 1060]), settings)  # 5.8% apart
    assert not is_steady(_windows([1000, 1010]), settings)  # too few windows
    assert not is_steady(_windows([1000, 1010, 1020], [300.0, 80.0, 40.0]), settings)  # JIT 14% of the time
    assert is_steady(_windows([1000, 1010, 1020], [60.0, 40.0, 20.0]), settings)  # 4%
    assert is_steady(_windows([1000, 1010, 1020], [None, None, None]), settings)  # no metric: throughput decides
    assert not is_steady(_windows([0, 0, 0]), settings)  # nothing answered is not steady


def test_a_fixed_delay_server_warms_up_steady_and_no_faster_than_its_delay_allows(tmp_path: Path) -> None:
    settings = WarmupSettings(mode="auto", max=12.0, window=1.0, windows=2, tolerance=0.30)
    with Supervisor(grace_seconds=5.0) as supervisor:
        port = free_port()
        server = supervisor.start("order-server", [sys.executable, str(SERVER), str(port), str(DELAY_MS)],
                                  log_path=tmp_path / "server.log")
        assert wait_for_port("127.0.0.1", port, 15, server), server.log_tail()
        target = LoadTarget(base_url=f"http://127.0.0.1:{port}", order_id_max=1000, seed=3)
        outcome = warm_up_until_steady(target, USERS, settings, tmp_path, supervisor, label="warmup-test")
    assert outcome.steady, outcome
    assert 2 <= len(outcome.windows) <= 12
    assert outcome.seconds == len(outcome.windows) * 1.0
    assert [w.end_s for w in outcome.windows] == [float(i + 1) for i in range(len(outcome.windows))]
    for window in outcome.windows:
        # Closed model: USERS users each waiting DELAY_MS cannot exceed USERS / delay successful answers a second.
        assert 0 < window.throughput_rps <= USERS * 1000 / DELAY_MS, window
        assert window.compile_ms_per_s is None  # this server has no /actuator/prometheus
    assert (tmp_path / "warmup-test.locust.log").exists()
