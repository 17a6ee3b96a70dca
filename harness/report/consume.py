"""The consume part of report.html: the verdict, the segment table and two figures (backlog, lag)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from harness.analysis import variants_in_order
from harness.report.consume_summary import consume_columns, consume_rows, verdict
from harness.report.plots import Plot
from harness.report.style import color, from_zero, new_figure, png, report_style
from harness.results.consume_tables import ConsumeResult
from harness.results.manifest import SegmentProblem

_LAGS: tuple[tuple[str, str], ...] = (("lag_p50_ms", "p50"), ("lag_p99_ms", "p99"), ("lag_p999_ms", "p99.9"))


def backlog_plot(series: pd.DataFrame, broker: str) -> Plot:
    """Events created but not processed, second by second, one line per segment; faults marked."""
    with report_style():
        figure, (axes,) = new_figure(4.4)
        for (variant, _jdk, _rep), rows in series.groupby(["variant", "jdk", "repetition"], sort=False):
            rows = rows.sort_values("t")
            shade = color(str(variant))
            axes.plot(rows["t"], pd.to_numeric(rows["backlog_db"], errors="coerce"), color=shade, linewidth=2)
            axes.plot(rows["t"], pd.to_numeric(rows["backlog_broker"], errors="coerce"), color=shade, linewidth=1.2,
                      linestyle="--")
            for t in rows.loc[rows["fault"].fillna("").astype(str) != "", "t"]:
                axes.axvline(float(t), color=shade, linewidth=1, linestyle=":", alpha=0.8)
        axes.set_xlabel("seconds since the first event")
        axes.set_ylabel("events waiting")
        from_zero(axes)
        handles = [Line2D([], [], color=color(v), linewidth=2.5, label=v)
                   for v in variants_in_order(series["variant"])]
        handles += [Line2D([], [], color="black", linewidth=2, label="not processed (DB)"),
                    Line2D([], [], color="black", linewidth=1.2, linestyle="--", label=f"{broker} backlog"),
                    Line2D([], [], color="black", linewidth=1, linestyle=":", label="fault")]
        axes.legend(handles=handles, loc="best", framealpha=0.9)
        axes.set_title(f"Backlog over time — {broker}")
        image = png(figure)
    return Plot(
        f"consume-backlog-{broker}", f"Backlog over time — {broker}",
        "Solid: well-formed events created but not yet processed (PostgreSQL). Dashed: the broker's own backlog "
        "(Kafka consumer-group lag, RabbitMQ ready + unacknowledged; gaps while it restarts). Dotted: a fault "
        "(broker restart, consumer kill). The slope of the solid line is the drain rate.",
        image,
    )  # fmt: skip


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:.0f} ms"


def lag_plot(results: pd.DataFrame, broker: str) -> Plot:
    """End-to-end lag percentiles per variant (median over repetitions), grouped bars, log scale."""
    variants = variants_in_order(results["variant"])
    width = 0.8 / len(_LAGS)
    with report_style():
        figure, (axes,) = new_figure(3.8)
        for index, (column, name) in enumerate(_LAGS):
            values = [float(pd.to_numeric(results.loc[results["variant"] == v, column]).median()) for v in variants]
            positions = np.arange(len(variants)) + (index - (len(_LAGS) - 1) / 2) * width
            bars = axes.bar(positions, values, width=width * 0.95, label=name,
                            color=[color(v) for v in variants], alpha=0.45 + 0.25 * index, edgecolor="black")
            axes.bar_label(bars, labels=[f"{name}\n{_ms(v)}" for v in values], fontsize=9, padding=2)
        axes.set_xticks(np.arange(len(variants)), variants)
        axes.set_ylabel("end-to-end lag (ms)")
        from_zero(axes)
        _bottom, top = axes.get_ylim()
        axes.set_ylim(0, top * 1.12)  # room for the labels
        axes.set_title(f"End-to-end lag — {broker}")
        image = png(figure)
    return Plot(
        f"consume-lag-{broker}", f"End-to-end lag — {broker}",
        "Per variant, left to right: p50, p99 and p99.9 of inbox processed_at − first outbox created_at "
        "(median over repetitions). With a preload, lag grows with each event's place in the queue.",
        image,
    )  # fmt: skip


def consume_plots(consume: pd.DataFrame, series: pd.DataFrame) -> tuple[list[Plot], list[str]]:
    """Per broker: backlog over time and lag; and why a figure is missing."""
    plots: list[Plot] = []
    missing: list[str] = []
    for broker in dict.fromkeys(str(b) for b in consume["broker"]):
        of_broker = series[series["broker"] == broker] if not series.empty else series
        if of_broker.empty:
            missing.append(f"Backlog over time — {broker}: consume_timeseries.csv has no rows for it.")
        else:
            plots.append(backlog_plot(of_broker, broker))
        plots.append(lag_plot(consume[consume["broker"] == broker], broker))
    return plots, missing


def consume_html(results: Sequence[ConsumeResult],
                 problems: Mapping[str, Sequence[SegmentProblem]] | None = None) -> str:
    """The verdict (with each failed segment's named reasons) and the table of every segment, as HTML."""
    passed, line = verdict(results, problems)
    banner = (f'<p class="status ok" id="consume-verdict">{html.escape(line)}</p>' if passed
              else f'<div class="status bad" id="consume-verdict" role="alert">{html.escape(line)}</div>')
    if not results:
        return f'<h2 id="consume">Consume results</h2>{banner}'
    columns = consume_columns(results)
    head = "".join(f'<th class="{"num" if c.numeric else ""}">{html.escape(c.title)}</th>' for c in columns)
    body = []
    for result, cells in consume_rows(results):
        tds = "".join(f'<td class="{"num" if c.numeric else ""}">{html.escape(v)}</td>'
                      for c, v in zip(columns, cells, strict=True))
        body.append(f'<tr class="{"" if result.ok else "flagged"}">{tds}</tr>')
    return (f'<h2 id="consume">Consume results</h2>{banner}<div class="scroll"><table class="results">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')
