"""Why a level's numbers may not be the server's: the harness's self-checks, read per repetition.

A level measured while the load generator was saturated, whose app container was throttled by its
CPU quota (``metrics.THROTTLED_PERIODS_PCT``), or whose throughput × latency does not
give back its users (Little's law), measured the load generator or a queue outside the request
path. A generator that waited on the run queue sent late; a JVM whose warm-up never became steady was
still changing. A rule judged on it is UNRELIABLE, not PASS or FAIL. This is the only place the gate reads
the flags of a level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.metrics import LevelResult

_CHECKS: tuple[tuple[str, Callable[[LevelResult], bool]], ...] = (
    ("load generator saturated", lambda row: row.generator_saturated),
    ("app container throttled", lambda row: row.app_throttled),
    ("Little's law off", lambda row: not row.littles_law_ok),
    ("load generator starved (run queue)", lambda row: row.generator_starved),
    ("not steady after warm-up", lambda row: not row.warmup_steady),
)


def level_flags(where: str, rows: Sequence[LevelResult]) -> list[str]:
    """One phrase per self-check that failed in any repetition: ``webflux jdk25 u32: load generator
    saturated (r1, r3)``; empty when every repetition passed every check."""
    out = []
    for name, flagged in _CHECKS:
        repetitions = [f"r{row.repetition}" for row in rows if flagged(row)]
        if repetitions:
            out.append(f"{where}: {name} ({', '.join(repetitions)})")
    return out
