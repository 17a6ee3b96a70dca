"""Results folders with chosen numbers, written by the harness's own writers, for compare and gate tests.

``ManifestWriter`` writes manifest.json and ``LevelTable`` levels.csv exactly as a run does; the
rows are either ``LevelResult``s with chosen figures (``level``/``series``) or the output of
``summarise_level`` on a real HdrHistogram (``recorded_level``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.level_id import LevelId
from harness.load.recording import LevelRecording, new_histogram
from harness.metrics import LevelResult, summarise_level
from harness.results.layout import ResultsDir
from harness.results.manifest import ManifestWriter
from harness.results.tables import LevelTable
from harness.scenario import parse_scenario

_BASE = LevelResult(
    jdk=25, variant="webflux", users=32, repetition=1, started_at="2026-11-26T22:43:05.000Z", seconds=5.0,
    requests=5000, errors=0, error_rate=0.0, error_kinds={}, throughput_rps=1000.0, mean_ms=32.0,
    p50_ms=30.0, p90_ms=40.0, p99_ms=50.0, p999_ms=60.0, max_ms=80.0, app_rss_mb_max=300.0, app_cpu_s=2.5,
    app_cpu_s_per_1k_requests=0.5, downstream_cpu_s=1.0, postgres_cpu_s=1.0, generator_cpu_pct_mean=40.0,
    generator_cpu_pct_max=50.0, generator_saturated=False, littles_law_users=32.0, littles_law_deviation=0.0,
    littles_law_ok=True,
)  # fmt: skip


def level(variant: str, users: int, repetition: int = 1, jdk: int = 25, **figures: Any) -> LevelResult:
    """A level with plausible defaults (1000 rps, p99 50 ms, no errors) and the given figures."""
    return dataclasses.replace(_BASE, variant=variant, users=users, repetition=repetition, jdk=jdk, **figures)


def series(variant: str, users: int, throughputs: Sequence[float], p99s: Sequence[float] | None = None,
           **figures: Any) -> list[LevelResult]:
    """One level per repetition with the given throughputs (and p99s)."""
    rows = []
    for rep, throughput in enumerate(throughputs, start=1):
        chosen: dict[str, Any] = {"throughput_rps": throughput, **figures}
        if p99s:
            chosen["p99_ms"] = p99s[rep - 1]
        rows.append(level(variant, users, rep, **chosen))
    return rows


def recorded_level(variant: str, users: int, repetition: int, latencies_ms: Sequence[float],
                   errors: int = 0, seconds: float | None = None) -> LevelResult:
    """A level reduced by ``summarise_level`` from a real µs HdrHistogram of ``latencies_ms``.

    By default it lasts as long as ``users`` sending back to back need for these latencies, so
    Little's law holds and the level is not flagged.
    """
    if seconds is None:
        seconds = sum(latencies_ms) / 1000.0 / users
    histogram = new_histogram()
    for latency in latencies_ms:
        histogram.record_value(int(latency * 1000))
    requests = len(latencies_ms) + errors
    recording = LevelRecording(
        users=users, measured_start=1_800_000_000.0, measured_end=1_800_000_000.0 + seconds, histogram=histogram,
        requests=requests, errors=errors, error_kinds={"http_500": errors} if errors else {},
        latency_sum_us=int(sum(latencies_ms) * 1000), windows=(), hlog_path=Path("unused.hlog"), generator_pid=1,
    )  # fmt: skip
    return summarise_level(LevelId(jdk=25, variant=variant, users=users, repetition=repetition), recording=recording,
                           samples={})


def write_run(root: Path, rows: Sequence[LevelResult], *, status: str = "complete",
              scenario: dict[str, Any] | None = None) -> Path:
    """A results folder at ``root`` holding ``rows``; ``status`` ``running`` leaves the run unfinished."""
    results = ResultsDir(root)
    root.mkdir(parents=True)
    results.histograms.mkdir()
    results.logs.mkdir()
    variants = list(dict.fromkeys(r.variant for r in rows))
    document = {
        "name": "gate-test",
        "variants": variants,
        "load": {"levels": sorted({r.users for r in rows}), "repetitions": max(r.repetition for r in rows)},
        **(scenario or {}),
    }
    writer = ManifestWriter(results, parse_scenario(document), Path("scenarios/gate-test.yaml"), ["harness", "run"])
    table = LevelTable(results.levels_csv)
    for row in rows:
        table.append(row)
    if status != "running":
        writer.finish(status)  # type: ignore[arg-type]
    return root
