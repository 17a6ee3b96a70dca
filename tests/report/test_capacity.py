"""The capacity section: the estimate and its interval over repetitions, the table at the top of the summary,
and the latency-vs-throughput figure of an open-model run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from gate.gate_runs import level, write_run

from harness.report.capacity import capacity_estimates, capacity_markdown, latency_throughput_plot
from harness.report.summary import write_summary
from harness.results.capacity_table import CAPACITY, CapacityResult, read_capacity
from harness.results.layout import ResultsDir


def _search(variant: str, repetition: int, capacity: float, outcome: str = "bracketed") -> CapacityResult:
    return CapacityResult(jdk=25, variant=variant, repetition=repetition, capacity_rps=capacity,
                          failing_rps=int(capacity) + 25, outcome=outcome, steps=9, resolution_rps=25,
                          slo_p99_ms=200.0, slo_error_rate=0.001, achieved_rps=capacity, p50_ms=46.0, p99_ms=180.0,
                          failing_reasons="p99 312.0 ms > 200 ms")


def test_the_estimate_is_the_mean_with_a_student_t_interval() -> None:
    [estimate] = capacity_estimates([_search("webflux", r, v) for r, v in ((1, 700), (2, 720), (3, 710))])
    # mean 710, sd 10, t(0.975, 2) = 4.303: half-width 4.303 × 10 / √3 = 24.84
    assert estimate.mean == 710
    assert estimate.low == pytest.approx(685.16, abs=0.01) and estimate.high == pytest.approx(734.84, abs=0.01)
    assert estimate.text() == "710 req/s [685–735]"
    [single] = capacity_estimates([_search("webflux", 1, 700)])
    assert (single.low, single.high, single.text()) == (None, None, "700 req/s")


def test_searches_under_different_cpu_quotas_are_estimated_apart(tmp_path: Path) -> None:
    rows = [dataclasses.replace(_search("webflux", r, v), cpus=cpus)
            for cpus, values in ((1.0, (300, 310)), (2.0, (700, 720))) for r, v in enumerate(values, start=1)]
    one, two = capacity_estimates(rows)
    assert (one.cpus, one.mean, one.label) == (1.0, 305, "webflux · 1 CPUs")
    assert (two.cpus, two.mean, two.label) == (2.0, 710, "webflux · 2 CPUs")
    assert [line.split(" | ")[0] for line in capacity_markdown(rows) if line.startswith("| webflux")] == [
        "| webflux · 1 CPUs", "| webflux · 2 CPUs"]
    # capacity.csv format 1 had no cpus column: its searches read as unlimited.
    path = tmp_path / "capacity.csv"
    CAPACITY.create(path)
    CAPACITY.append(path, [_search("webflux", 1, 700)])
    header, row = path.read_text().splitlines()
    assert header.endswith(",cpus,generator_limited")
    path.write_text(f"{header.removesuffix(',cpus,generator_limited')}\n{row.rsplit(',', 2)[0]}\n")
    assert read_capacity(path) == [_search("webflux", 1, 700)]


def test_a_floor_and_a_failed_start_say_so() -> None:
    [floor] = capacity_estimates([_search("webflux", 1, 6400, "at_max")])
    assert floor.text().startswith(">= 6,400 req/s") and not floor.bounded
    [none] = capacity_estimates([_search("webflux", 1, 0, "below_start")])
    assert none.text().startswith("below the first rate")


def test_the_capacity_table_leads_the_summary(tmp_path: Path) -> None:
    steps = [level("webflux", 0, rate=rate, slo_ok=rate <= 700, achieved_rps=float(rate), rate_ok=True,
                   trend_ok=rate <= 700, latency_trend=1.0 if rate <= 700 else 2.5,
                   p99_ms=150.0 if rate <= 700 else 320.0) for rate in (100, 200, 400, 800, 700)]
    root = write_run(tmp_path / "run", steps, scenario={"load": {
        "model": "open", "search": {"start": 100, "max": 6400, "resolution": 25}, "slo": {"p99": "200ms"}}})
    CAPACITY.append(ResultsDir(root).capacity_csv, [_search("webflux", 1, 700)])
    assert read_capacity(ResultsDir(root).capacity_csv) == [_search("webflux", 1, 700)]
    summary = write_summary(ResultsDir(root)).read_text()
    assert summary.index("## Capacity under SLO") < summary.index("## Warnings") < summary.index("## Results")
    assert "| webflux | 25 | 700 req/s | 700 | 180.0 ms | 725 | p99 312.0 ms > 200 ms |" in summary
    # The open results table: one row per rate, identified by it, with the SLO verdict.
    assert "| variant | rate req/s | achieved req/s |" in summary
    assert summary.count("| webflux | ") == 1 + 5
    assert "latency trending upward" in summary  # the 800 req/s step's flag
    assert capacity_markdown([]) == []


def test_the_latency_throughput_figure_draws_every_variant() -> None:
    rows = [{"jdk": 25, "variant": v, "rate": r, "achieved_rps": r * 0.99, "p50_ms": 45.0 + r / 100,
             "p99_ms": 80.0 + r / 10, "slo_ok": r <= 400}
            for v in ("mvc-platform", "webflux") for r in (100, 200, 400, 800)]
    plot = latency_throughput_plot(pd.DataFrame(rows), [_search("webflux", 1, 400)], 25, 200.0)
    assert plot.id == "latency-throughput-jdk25" and plot.png.startswith(b"\x89PNG")
