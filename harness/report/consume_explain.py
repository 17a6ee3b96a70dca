"""The "where the consumer's CPU went" part of summary.md: per segment and window, the CPU per event and
what it is (steady state or not), the JIT, GC, the busiest threads, and per variant the top CPU frames.

Rendered from consume_cost.csv, consume_jfr.csv, consume_threads.csv and consume_pools.csv only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.results.consume_explain_tables import (
    MEASURED,
    ConsumeCost,
    ConsumeJfr,
    ConsumePools,
    ConsumeThreads,
    read_consume_cost,
    read_consume_jfr,
    read_consume_pools,
    read_consume_threads,
)

TOP = 5


@dataclass(frozen=True)
class Explained:
    costs: Sequence[ConsumeCost]
    jfr: Sequence[ConsumeJfr]
    threads: Sequence[ConsumeThreads]
    pools: Sequence[ConsumePools]

    @classmethod
    def read(cls, root: Path) -> Explained:
        return cls(read_consume_cost(root / "consume_cost.csv"), read_consume_jfr(root / "consume_jfr.csv"),
                   read_consume_threads(root / "consume_threads.csv"), read_consume_pools(root / "consume_pools.csv"))


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _same(a: ConsumeCost, b: ConsumeJfr | ConsumeThreads | ConsumePools) -> bool:
    return (a.jdk, a.variant, a.broker, a.repetition, a.window) == (b.jdk, b.variant, b.broker, b.repetition, b.window)


def _shares(counts: Counter[str], top: int = 3) -> str:
    total = sum(counts.values())
    if not total:
        return "—"
    return ", ".join(f"{name} {count / total:.0%}" for name, count in counts.most_common(top))


def explain_section(explained: Explained) -> list[str]:
    """Markdown, empty when the run has no consume_cost.csv (older folders, or nothing measured)."""
    if not explained.costs:
        return []
    lines = ["", "## Where the consumer's CPU went", "",
             "| variant | broker | rep | window | CPU figure | events | events/s | app CPU ms/event | without JIT | "
             "broker CPU ms/event | load avg | other processes CPU s | steal s | JIT ms | GC pauses | "
             "Kafka commits / RabbitMQ acks per event | top JFR CPU packages | top threads (CPU) |",
             "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for cost in explained.costs:
        jfr = [j for j in explained.jfr if _same(cost, j)]
        packages: Counter[str] = Counter()
        for row in jfr:
            packages.update(dict(row.top_cpu_packages))
        threads: Counter[str] = Counter({t.thread: round(t.cpu_s * 1000) for t in explained.threads
                                         if _same(cost, t)})
        pools = next((p for p in explained.pools if _same(cost, p)), None)
        acks = None
        if pools is not None and cost.events:
            count = pools.kafka_commits if cost.broker == "kafka" else pools.rabbit_acknowledged
            acks = None if count is None else count / cost.events
        lines.append(
            f"| {cost.variant} | {cost.broker} | {cost.repetition} | {cost.window} | {cost.basis} | {cost.events} | "
            f"{_num(cost.events_per_s, 0)} | {_num(cost.app_cpu_ms_per_event)} | "
            f"{_num(cost.app_cpu_ms_per_event_without_jit)} | "
            f"{_num(cost.broker_cpu_ms_per_event)} | {cost.load_avg_1m:.1f} | {_num(cost.foreign_cpu_s)} | "
            f"{_num(cost.steal_cpu_s)} | "
            f"{_num(sum(j.jit_compile_ms for j in jfr) if jfr else None, 0)} | "
            f"{sum(j.gc_pauses for j in jfr) if jfr else '—'} | {_num(acks)} | {_shares(packages)} | "
            f"{_shares(threads)} |")
    lines += ["", " ".join((
        "With a warm-up batch the app first consumes that many events, which are then removed from every event",
        "table: every count of the results table above is of the measured events only.",
        "The per-event CPU figure to compare is the measured window's when it says **steady state** (after a",
        "warm-up batch, no JVM started inside it, the JIT's compiler threads under 5% of the app's CPU); *steady per",
        "event, JIT busy* means the compiler threads spent more, but the warm-up ended on 3 batches whose CPU per",
        "event without the compiler threads agreed within 10%: the *without JIT* figure is then the steady one;",
        "*JIT still compiling* means the warm-up was too short for this machine's load (*without JIT* then leaves",
        "the compiler threads' share out: an upper bound of the steady figure); a *cold start included* figure",
        "carries the JIT and class loading, a *restart included* one a JVM started by a kill -9. Load avg is the",
        "machine's 1-minute load average at the window's end: figures compare only under similar load; other",
        "processes CPU s is what processes outside the run spent in the window (another job on the machine), steal s",
        "what the hypervisor gave other guests of the host (a slower machine for the window). JIT ms is",
        "the compiler's time in the window (wall, per jdk.CompilerStatistics); threads are the kernel's per-thread",
        "CPU, compiler and GC threads included, which JFR's samples do not see."))]
    lines += _top_frames(explained.jfr)
    return lines


def _top_frames(jfr: Sequence[ConsumeJfr]) -> list[str]:
    """Per variant (and broker), the measured windows' top CPU frames: top of stack and first frame of our code."""
    groups: dict[tuple[str, str], tuple[Counter[str], Counter[str], int]] = {}
    for row in jfr:
        if row.window != MEASURED:
            continue
        frames, ours, samples = groups.get((row.variant, row.broker), (Counter(), Counter(), 0))
        frames.update(dict(row.top_cpu_frames))
        ours.update(dict(row.top_cpu_app_frames))
        groups[(row.variant, row.broker)] = (frames, ours, samples + row.cpu_samples)
    if not groups:
        return []
    lines = ["", "### Top CPU frames per variant (measured window, JFR execution samples)", ""]
    for (variant, broker), (frames, ours, samples) in groups.items():
        lines += [f"**{variant}** on {broker} ({samples} samples): top of stack: "
                  + "; ".join(f"`{f}` {c / max(1, samples):.1%}" for f, c in frames.most_common(TOP))
                  + ". First frame of our code: "
                  + "; ".join(f"`{f}` {c / max(1, samples):.0%}" for f, c in ours.most_common(TOP)) + ".", ""]
    return lines
