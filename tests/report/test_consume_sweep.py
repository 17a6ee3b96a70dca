"""The sweep's report flags the rows whose drain-rate interval is too wide to rank variants on."""

from __future__ import annotations

from harness.consume.sweep import PointRecord, SweepRow
from harness.report.consume_sweep import sweep_markdown, too_wide
from harness.scenario import parse_scenario


def _row(variant: str, mean: float | None, low: float | None, high: float | None) -> SweepRow:
    return SweepRow(broker="kafka", concurrency=32, downstream_delay_ms=20, jdk=25, variant=variant, repetitions=3,
                    drain_eps=mean, drain_eps_low=low, drain_eps_high=high, app_cpu_ms_per_event=1.0,
                    app_cpu_ms_per_event_low=0.9, app_cpu_ms_per_event_high=1.1, cpu_basis="steady state",
                    lag_p99_ms=10.0, ok=True, run="points/x")


def test_an_interval_wider_than_a_quarter_of_its_mean_or_missing_is_too_wide_to_call() -> None:
    assert not too_wide(_row("mvc-virtual", 400.0, 375.0, 425.0))  # ±6%
    assert not too_wide(_row("mvc-virtual", 400.0, 300.0, 500.0))  # ±25% exactly: still callable
    assert too_wide(_row("mvc-virtual", 400.0, 299.0, 501.0))
    assert too_wide(_row("webflux", 48.0, -22.0, 119.0))  # measured on a loaded machine
    assert too_wide(_row("webflux", 39.0, None, None))  # one repetition: no spread to judge
    assert not too_wide(_row("webflux", None, None, None))  # nothing drained: the reconciled column says so


def test_the_markdown_marks_and_lists_every_row_too_wide_to_call() -> None:
    scenario = parse_scenario({"name": "s", "variants": ["mvc-virtual", "webflux"], "data": {"orders": 1000},
                               "consume": {"broker": "kafka", "events": 300, "sweep": {"concurrency": [32]}}})
    point = PointRecord(slug="kafka-c32-d20", broker="kafka", concurrency=32, downstream_delay_ms=20,
                        results="points/x", status="complete", error="")
    rows = [_row("mvc-virtual", 400.0, 375.0, 425.0), _row("webflux", 48.0, -22.0, 119.0)]
    markdown = sweep_markdown(scenario, [point], rows, "complete")
    assert "**1 of 2 rows are too wide to call**" in markdown
    assert "- kafka delay 20 ms, concurrency 32, webflux (JDK 25)" in markdown
    assert "| 400 [375–425] |" in markdown and "| 48 [-22–119] ⚠ |" in markdown
    calm = sweep_markdown(scenario, [point], rows[:1], "complete")
    assert "too wide" not in calm and "⚠" not in calm
