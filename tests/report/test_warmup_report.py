"""The warm-up curves in summary.md and report.html."""

from __future__ import annotations

from harness.report.warmup import warmup_figure, warmup_table
from harness.results.tables import WarmupReading


def _jvm(variant: str, rates: list[float], steady: bool) -> list[WarmupReading]:
    return [WarmupReading(25, variant, 1, i, 2.0 * (i + 1), rate, 100.0 - i, steady) for i, rate in enumerate(rates)]


def test_each_jvm_is_one_row_naming_whether_it_became_steady() -> None:
    readings = [*_jvm("webflux", [10, 400, 990, 1000, 1005], True),
                *_jvm("mvc-virtual", [float(i) for i in range(12)], False)]
    lines = warmup_table(readings)
    assert "| mvc-virtual | 25 | 1 | 24 | **no (reached max)** | 0 → 1 → … → 7 → 8 → 9 → 10 → 11 | " in "\n".join(lines)
    assert "| webflux | 25 | 1 | 10 | yes | 10 → 400 → 990 → 1000 → 1005 | 100 → 99 → 98 → 97 → 96 |" in lines
    assert warmup_table([]) == []


def test_the_figure_is_drawn_only_with_data() -> None:
    assert warmup_figure([]) is None
    png = warmup_figure(_jvm("webflux", [10, 400, 990], True))
    assert png is not None and png.startswith(b"\x89PNG")
