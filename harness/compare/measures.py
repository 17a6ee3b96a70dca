"""The per-level numbers that can be compared and gated, their units and which direction is better.

Rules name a measure by its short name (``throughput``, ``p99``); compare output and JSON/CSV use
the levels.csv column (``throughput_rps``, ``p99_ms``) so notebooks see the names they know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from harness.metrics import LevelResult

if TYPE_CHECKING:  # capacity_table uses the compare package's statistics
    from harness.results.capacity_table import CapacityResult


@dataclass(frozen=True)
class Measure:
    """One ``LevelResult`` field (``source`` levels) or ``CapacityResult`` field (``source`` capacity: one value
    per search, at the ``LevelPoint.search`` point): ``name`` in rules, ``field`` in the CSV file."""

    name: str
    field: str
    unit: str
    higher_is_better: bool
    source: Literal["levels", "capacity"] = "levels"

    def value(self, row: LevelResult | CapacityResult) -> float | None:
        """The row's number, ``None`` when it was not measured (e.g. the app was not sampled)."""
        value = getattr(row, self.field)
        return None if value is None else float(value)

    def format(self, value: float | None) -> str:
        """A human figure with its unit: ``12.3 ms``, ``0.05%``, ``812 rps``."""
        if value is None:
            return "—"
        if self.unit == "fraction":
            return f"{value * 100:.3g}%"
        if self.unit == "rps":
            return f"{value:,.1f} rps"
        if self.unit == "ms":
            return f"{value:,.2f} ms"
        if self.unit == "MiB":
            return f"{value:,.1f} MiB"
        return f"{value:.4g} {self.unit}"

    def is_worse(self, change: float) -> bool:
        """Whether a change of this sign (new - base) is a deterioration."""
        return change < 0 if self.higher_is_better else change > 0


_ALL = (
    Measure("throughput", "throughput_rps", "rps", higher_is_better=True),
    Measure("p50", "p50_ms", "ms", higher_is_better=False),
    Measure("p90", "p90_ms", "ms", higher_is_better=False),
    Measure("p99", "p99_ms", "ms", higher_is_better=False),
    Measure("p999", "p999_ms", "ms", higher_is_better=False),
    Measure("max", "max_ms", "ms", higher_is_better=False),
    Measure("error_rate", "error_rate", "fraction", higher_is_better=False),
    Measure("cpu_per_1k", "app_cpu_s_per_1k_requests", "s/1k req", higher_is_better=False),
    Measure("rss", "app_rss_mb_max", "MiB", higher_is_better=False),
    Measure("capacity", "capacity_rps", "rps", higher_is_better=True, source="capacity"),
)

MEASURES: dict[str, Measure] = {m.name: m for m in _ALL}
"""Every measure by its short name, in display order."""

COMPARED: tuple[Measure, ...] = tuple(
    MEASURES[name] for name in ("throughput", "p50", "p99", "p999", "error_rate", "cpu_per_1k", "rss", "capacity")
)
"""What ``harness compare`` reports by default."""


def known_names() -> str:
    """``throughput, p50, ...`` for error messages."""
    return ", ".join(MEASURES)
