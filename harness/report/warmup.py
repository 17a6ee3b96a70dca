"""The warm-up curves of an auto warm-up (warmup.csv): a table per JVM for summary.md, a figure for the report."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from harness.report.style import color, from_zero, new_figure, png, report_style
from harness.results.tables import WarmupReading

_Key = tuple[int, str, int]


def _jvms(readings: Sequence[WarmupReading]) -> list[tuple[_Key, list[WarmupReading]]]:
    def key(r: WarmupReading) -> _Key:
        return (r.jdk, r.variant, r.repetition)

    return [(k, sorted(rows, key=lambda r: r.window)) for k, rows in groupby(sorted(readings, key=key), key)]


def warmup_table(readings: Sequence[WarmupReading]) -> list[str]:
    """summary.md's '## Warm-up' section: one row per JVM, its last windows and whether it became steady."""
    if not readings:
        return []
    lines = ["", "## Warm-up (auto: until steady)", "",
             "| variant | JDK | rep | seconds | steady | throughput of the windows, req/s | JIT compile ms/s |",
             "|---|---:|---:|---:|---|---|---|"]
    for (jdk, variant, rep), rows in _jvms(readings):
        rates = _curve([f"{r.throughput_rps:.0f}" for r in rows])
        jit = _curve(["?" if r.compile_ms_per_s is None else f"{r.compile_ms_per_s:.0f}" for r in rows])
        steady = "yes" if rows[-1].steady else "**no (reached max)**"
        lines.append(f"| {variant} | {jdk} | {rep} | {rows[-1].end_s:g} | {steady} | {rates} | {jit} |")
    return lines


def _curve(values: list[str], head: int = 2, tail: int = 5) -> str:
    """``a → b → … → y → z``: the start and the end of a long curve (warmup.csv and the figure have all of it)."""
    shown = values if len(values) <= head + tail + 1 else [*values[:head], "…", *values[-tail:]]
    return " → ".join(shown)


def warmup_figure(readings: Sequence[WarmupReading]) -> bytes | None:
    """Throughput and JIT compile rate per window, one line per JVM (dashed: never steady); None without data."""
    if not readings:
        return None
    with report_style():
        figure, (rate_axes, jit_axes) = new_figure(3.2, ncols=2)
        for (jdk, variant, rep), rows in _jvms(readings):
            style = "-" if rows[-1].steady else "--"
            label = f"{variant} jdk{jdk} r{rep}" + ("" if rows[-1].steady else " (not steady)")
            t = [r.end_s for r in rows]
            rate_axes.plot(t, [r.throughput_rps for r in rows], style, color=color(variant), label=label, marker=".")
            jit = [(r.end_s, r.compile_ms_per_s) for r in rows if r.compile_ms_per_s is not None]
            jit_axes.plot([x for x, _ in jit], [y for _, y in jit], style, color=color(variant), marker=".")
        rate_axes.set(xlabel="warm-up seconds", ylabel="successful req/s per window")
        jit_axes.set(xlabel="warm-up seconds", ylabel="JIT compile ms per s")
        for axes in (rate_axes, jit_axes):
            from_zero(axes)
        rate_axes.legend(fontsize="x-small")
        return png(figure)
