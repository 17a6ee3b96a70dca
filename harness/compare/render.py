"""The outputs of ``harness compare``: a rich table, JSON and CSV.

JSON and CSV carry raw numbers (fractions, not percent strings) so notebooks and CI scripts can
use them without parsing; the table is for people.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from harness.compare.changes import METHOD, Change
from harness.compare.runs import Run

CSV_COLUMNS: tuple[str, ...] = (
    "variant", "jdk", "users", "rate", "metric", "base_n", "base_mean", "base_median", "new_n", "new_mean",
    "new_median", "difference", "diff_ci_low", "diff_ci_high", "change", "ci_low", "ci_high", "significant",
    "direction", "note",
)  # fmt: skip


def _pct(value: float) -> str:
    return f"{value * 100:+.1f}%"


def _signed(change: Change, value: float) -> str:
    text = change.measure.format(abs(value))
    return ("+" if value >= 0 else "-") + text


def change_text(change: Change) -> str:
    """``-12.3%`` (or an absolute change when the base is 0); ``—`` when not measured."""
    if change.difference is None:
        return "—"
    if change.change is not None:
        return _pct(change.change)
    return _signed(change, change.difference)


def interval_text(change: Change) -> str:
    """``[-20.1%, -4.2%]``, or the note explaining why there is none (``n=1: no interval``)."""
    if change.ci_low is not None and change.ci_high is not None:
        return f"[{_pct(change.ci_low)}, {_pct(change.ci_high)}]"
    if change.diff_low is not None and change.diff_high is not None:
        return f"[{_signed(change, change.diff_low)}, {_signed(change, change.diff_high)}]"
    return change.note or "—"


def _verdict(change: Change) -> str:
    if change.significant is None:
        return "[dim]n/a[/]"
    if not change.significant:
        return "no"
    style = "red" if change.direction == "worse" else "green"
    return f"[{style}]yes, {change.direction}[/]"


def _side(change: Change, values: Sequence[float]) -> str:
    if not values:
        return "—"
    mean = sum(values) / len(values)
    return f"{change.measure.format(mean)} (n={len(values)})"


def compare_table(base: Run, new: Run, changes: Sequence[Change]) -> Table:
    """Every change, one row each; the level is printed once per group of measures."""
    table = Table(title=f"{new.root.name} vs {base.root.name} — {METHOD}", title_justify="left")
    for column in ("level", "metric", "base mean", "new mean", "change", "95% CI", "significant"):
        table.add_column(column, justify="left" if column in ("level", "metric", "95% CI") else "right")
    previous = None
    for change in changes:
        level = str(change.key) if change.key != previous else ""
        if change.key != previous and previous is not None:
            table.add_section()
        previous = change.key
        table.add_row(
            level, change.measure.field, _side(change, change.base_values), _side(change, change.new_values),
            change_text(change), interval_text(change), _verdict(change),
        )  # fmt: skip
    return table


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def change_record(change: Change) -> dict[str, Any]:
    """One change as a flat dict with the CSV columns; numbers stay numbers, fractions stay fractions."""
    return {
        "variant": change.key.variant,
        "jdk": change.key.jdk,
        "users": change.key.users,
        "rate": change.key.rate,  # open model; users and rate both 0: a capacity search
        "metric": change.measure.field,
        "base_n": len(change.base_values),
        "base_mean": change.base_mean,
        "base_median": _median(change.base_values),
        "new_n": len(change.new_values),
        "new_mean": change.new_mean,
        "new_median": _median(change.new_values),
        "difference": change.difference,
        "diff_ci_low": change.diff_low,
        "diff_ci_high": change.diff_high,
        "change": change.change,
        "ci_low": change.ci_low,
        "ci_high": change.ci_high,
        "significant": change.significant,
        "direction": change.direction if change.difference is not None else None,
        "note": change.note,
    }


def write_json(path: Path, base: Run, new: Run, changes: Sequence[Change], warnings: Sequence[str]) -> None:
    """``{base, new, method, confidence, warnings, changes: [...]}``; see ``change_record`` for a change."""
    document = {
        "base": str(base.root),
        "new": str(new.root),
        "method": METHOD,
        "confidence": 0.95,
        "warnings": list(warnings),
        "changes": [change_record(c) for c in changes],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(path: Path, changes: Sequence[Change]) -> None:
    """One row per change, columns ``CSV_COLUMNS``; empty cells for ``None``, ``true``/``false`` for booleans."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for change in changes:
            record = change_record(change)
            writer.writerow({
                k: ("" if v is None else ("true" if v is True else "false" if v is False else v))
                for k, v in record.items()
            })
