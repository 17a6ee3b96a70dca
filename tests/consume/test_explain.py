"""What a consume window's CPU figure is called, and its row, from a real process sampler watching this process."""

from __future__ import annotations

import hashlib
import os
import time

from harness.consume.explain import Window, basis, cost_row, thread_rows
from harness.machine_load import FOREIGN, STEAL
from harness.sampling import ProcessSample, ProcessSampler

SEGMENT = (25, "mvc-virtual", "kafka", 1)
WARM = {"orderEvents-#-C": 9.0, "C# CompilerThre#": 0.4}  # compiler threads 4% of the window's CPU
COMPILING = {"orderEvents-#-C": 6.0, "C# CompilerThre#": 2.0}  # 25%


def _window(name: str, threads: dict[str, float] | None) -> Window:
    return Window(name, 0.0, 1.0, 1.5, threads)


def test_only_a_warmed_up_window_without_a_restart_or_busy_jit_is_steady_state() -> None:
    assert basis(_window("measured", WARM), warmed=True, killed=False) == "steady state"
    assert basis(_window("measured", COMPILING), warmed=True, killed=False) == "JIT still compiling"
    # A busy compiler after a warm-up that ended steady per event: the figure without the JIT is the steady one.
    assert basis(_window("measured", COMPILING), warmed=True, killed=False, steady_warmup=True) == (
        "steady per event, JIT busy")
    assert basis(_window("measured", WARM), warmed=True, killed=False, steady_warmup=True) == "steady state"
    assert basis(_window("measured", None), warmed=True, killed=True, steady_warmup=True) == "restart included"
    assert basis(_window("measured", WARM), warmed=False, killed=False) == "cold start included"
    assert basis(_window("measured", None), warmed=True, killed=True) == "restart included"
    assert basis(_window("warmup", WARM), warmed=True, killed=False) == "cold start included"


def test_thread_rows_share_the_window_s_cpu() -> None:
    rows = thread_rows(SEGMENT, _window("measured", COMPILING))
    assert [(r.thread, r.cpu_s, r.share) for r in rows] == [("orderEvents-#-C", 6.0, 0.75),
                                                           ("C# CompilerThre#", 2.0, 0.25)]
    assert thread_rows(SEGMENT, _window("measured", None)) == []


def test_cost_row_divides_the_app_s_cpu_in_the_window_by_its_events() -> None:
    with ProcessSampler(interval_s=0.05) as sampler:
        sampler.watch("app", os.getpid())
        sampler.sample_now()
        start = time.time()
        digest = b""
        for _ in range(300_000):
            digest = hashlib.sha256(digest).digest()
        sampler.sample_now()
        end = time.time()
        row = cost_row(SEGMENT, Window("measured", start, end, 2.0, None), "steady state", 1000, sampler)
    assert row.app_cpu_s is not None and row.app_cpu_s > 0
    assert row.app_cpu_ms_per_event == round(row.app_cpu_s * 1000.0 / 1000, 4)
    # Nothing watched under these names: unknown, not zero.
    assert row.broker_cpu_s is None and row.broker_cpu_ms_per_event is None and row.postgres_cpu_s is None
    assert row.foreign_cpu_s is None and row.steal_cpu_s is None
    assert row.app_cpu_ms_per_event_without_jit is None  # no thread readings: nothing to take the JIT out of
    compiling = cost_row(SEGMENT, Window("measured", start, end, 2.0, COMPILING), "JIT still compiling", 1000, sampler)
    assert compiling.app_cpu_ms_per_event_without_jit == round(row.app_cpu_s * 0.75, 4)  # compiler threads 25%
    assert (row.window, row.basis, row.events, row.load_avg_1m) == ("measured", "steady state", 1000, 2.0)


def test_cost_row_carries_what_other_processes_and_the_hypervisor_took_in_the_window() -> None:
    with ProcessSampler(interval_s=0.05) as sampler:
        sampler.watch_reader(FOREIGN, lambda: ProcessSample(time.time(), FOREIGN, 0, 3.0 * time.time()))
        sampler.watch_reader(STEAL, lambda: ProcessSample(time.time(), STEAL, 0, 0.5 * time.time()))
        sampler.sample_now()
        start = time.time()
        time.sleep(0.3)
        sampler.sample_now()
        end = time.time()
        row = cost_row(SEGMENT, Window("measured", start, end, 2.0, None), "steady state", 1000, sampler)
    assert row.foreign_cpu_s is not None and 0.5 < row.foreign_cpu_s < 1.5  # three cores for 0.3 s
    assert row.steal_cpu_s is not None and 0.08 < row.steal_cpu_s < 0.25  # half a core for 0.3 s
