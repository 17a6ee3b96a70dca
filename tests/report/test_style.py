"""The shared axes of the report's figures."""

from __future__ import annotations

from matplotlib.figure import Figure

from harness.report.style import levels_axis


def _axes_with(values: list[int]) -> tuple[str, list[float], str]:
    axes = Figure().subplots()
    levels_axis(axes, values, "concurrency")
    return axes.get_xscale(), list(axes.get_xticks()), axes.get_xlabel()


def test_levels_spanning_4x_or_more_are_on_a_log_axis_ticked_at_exactly_the_measured_ones() -> None:
    # The consume sweep's concurrencies: 1, 4, 16, 64 measured, so no tick at 2, 8 or 32.
    assert _axes_with([16, 1, 64, 4, 16]) == ("log", [1.0, 4.0, 16.0, 64.0], "concurrency")


def test_close_levels_stay_on_a_linear_axis_with_their_own_ticks() -> None:
    assert _axes_with([8, 16]) == ("linear", [8.0, 16.0], "concurrency")
