"""A consume segment's windows (warm-up, measured) and their rows in consume_cost.csv and consume_threads.csv.

What the app's CPU in a window means (``basis``) is decided here, once: steady state only after a warm-up batch,
with no JVM started inside the window and the JIT's compiler threads at most ``STEADY_JIT_SHARE`` of its CPU;
steady per event when the compiler threads spent more but the warm-up ended steady per event (steadiness.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.consume.resources import cpu_seconds, rss_mb_max
from harness.consume.threads import compiler_share
from harness.machine_load import FOREIGN, STEAL
from harness.results.consume_explain_tables import (
    COLD,
    COMPILING,
    MEASURED,
    RESTARTED,
    STEADY,
    STEADY_JIT_SHARE,
    STEADY_PER_EVENT,
    WARMUP,
    ConsumeCost,
    ConsumeThreads,
)
from harness.sampling import ProcessSampler

Segment = tuple[int, str, str, int]
"""(jdk, variant, broker, repetition)"""


@dataclass(frozen=True)
class Window:
    """A stretch of a segment in unix seconds and the machine's load at its end."""

    name: str  # WARMUP | MEASURED
    start: float
    end: float
    load_avg_1m: float
    threads: dict[str, float] | None  # the app's CPU by thread group; None when a kill -9 replaced the JVM


def basis(window: Window, warmed: bool, killed: bool, steady_warmup: bool = False) -> str:
    """What the app's CPU in ``window`` contains (see ``consume_explain_tables``): ``warmed`` says the segment
    had a warm-up batch, ``killed`` that a kill -9 restarted the app during the measured window,
    ``steady_warmup`` that the warm-up ended on batches steady per event."""
    if window.name == WARMUP or not warmed:
        return COLD
    if window.name == MEASURED and killed:
        return RESTARTED
    if compiler_share(window.threads) <= STEADY_JIT_SHARE:
        return STEADY
    return STEADY_PER_EVENT if steady_warmup else COMPILING


def cost_row(segment: Segment, window: Window, basis: str, events: int, sampler: ProcessSampler) -> ConsumeCost:
    """The consume_cost.csv row of one window, from the run's process sampler (app, broker, postgres, downstream)."""

    def cpu(name: str) -> float | None:
        return cpu_seconds(sampler.samples(name, window.start, window.end), window.start, window.end)

    def per_event(cpu_s: float | None) -> float | None:
        return None if cpu_s is None or events == 0 else round(cpu_s * 1000.0 / events, 4)

    seconds = window.end - window.start
    app_cpu, broker_cpu = cpu("app"), cpu("broker")
    jdk, variant, broker, repetition = segment
    return ConsumeCost(
        jdk=jdk, variant=variant, broker=broker, repetition=repetition, window=window.name, basis=basis,
        events=events, seconds=round(seconds, 3), events_per_s=round(events / seconds, 1) if seconds > 0 else None,
        app_cpu_s=app_cpu, app_cpu_ms_per_event=per_event(app_cpu),
        broker_cpu_s=broker_cpu, broker_cpu_ms_per_event=per_event(broker_cpu),
        broker_rss_mb_max=rss_mb_max(sampler.samples("broker", window.start, window.end), window.start, window.end),
        postgres_cpu_s=cpu("postgres"), downstream_cpu_s=cpu("downstream"), load_avg_1m=round(window.load_avg_1m, 2),
        foreign_cpu_s=cpu(FOREIGN), steal_cpu_s=cpu(STEAL),
        app_cpu_ms_per_event_without_jit=None if app_cpu is None or window.threads is None else per_event(
            app_cpu * (1.0 - compiler_share(window.threads))),
    )  # fmt: skip


def thread_rows(segment: Segment, window: Window) -> list[ConsumeThreads]:
    """The consume_threads.csv rows of one window, busiest thread group first; none without thread readings."""
    if not window.threads:
        return []
    total = sum(window.threads.values()) or 1.0
    jdk, variant, broker, repetition = segment
    return [ConsumeThreads(jdk, variant, broker, repetition, window.name, group, round(cpu, 3), round(cpu / total, 4))
            for group, cpu in window.threads.items() if cpu > 0]
