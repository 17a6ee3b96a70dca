"""The report's figures, drawn from the tidy frames of ``harness.analysis`` (one run at a time).

Each figure is one JDK (the variants beside each other on it, each in its ``VARIANT_COLORS``
colour); a figure whose data is absent (no levels, no timeseries, a metric never sampled, a
column a later results format adds) is not drawn, and the reason is returned instead, so a
failed or partial run still gets every figure it has data for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from harness.analysis import summary_table, variants_in_order
from harness.report.style import color, from_zero, log_ms_axis, new_figure, png, report_style, users_axis


@dataclass(frozen=True)
class Plot:
    """One rendered figure."""

    id: str  # stable and unique within a report, e.g. "throughput-jdk25"; the <figure>'s id
    title: str
    caption: str  # what the figure shows and how to read it, one or two sentences
    png: bytes


@dataclass(frozen=True)
class MetricPlot:
    """A per-level metric drawn against users (median over repetitions, min-max spread)."""

    column: str  # in levels.csv; when absent or never measured, the figure is skipped
    slug: str
    title: str
    ylabel: str
    caption: str
    log: bool = False


METRIC_PLOTS: tuple[MetricPlot, ...] = (
    MetricPlot(
        "app_rss_mb_max", "rss", "App memory (peak RSS) vs users", "peak RSS (MiB)",
        "Peak resident memory of the app process during each level's measured window.",
    ),
    MetricPlot(
        "app_cpu_s_per_1k_requests", "cpu", "App CPU per 1,000 successful requests vs users",
        "CPU seconds per 1,000 successful requests",
        "CPU time the app spent per 1,000 successful requests (failures excluded): lower is cheaper per answer.",
    ),
    MetricPlot(
        "heap_used_mb_max", "heap", "Heap used (peak) vs users", "heap used (MiB)",
        "Peak JVM heap in use during the measured window, read from /actuator/prometheus.",
    ),
    # Skipped for a run (or variant) without these meters.
    MetricPlot(
        "vt_pinned", "pinned", "Virtual-thread pinning vs users", "pinned events per level",
        "Virtual threads pinned to their carrier during the measured window (micrometer-java21, from JFR's "
        "jdk.VirtualThreadPinned); jfr.csv has the frames.",
    ),
    MetricPlot(
        "db_pool_pending_max", "pool-wait", "Requests waiting for a DB connection vs users", "waiting (peak)",
        "Peak number of requests waiting for a database connection (HikariCP pending / R2DBC pool pending).",
    ),
)  # fmt: skip

PERCENTILES: tuple[tuple[str, str], ...] = (("p50_ms", "p50"), ("p99_ms", "p99"), ("p999_ms", "p99.9"))


def _has_values(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and bool(pd.to_numeric(frame[column], errors="coerce").notna().any())


def _spread(axes: Axes, table: pd.DataFrame, metric: str, *, label: bool = True, flagged: bool = True) -> bool:
    """Median line with a min-max band and caps per variant; circles levels flagged in the warnings.

    Returns whether any flagged level was circled.
    """
    circled = False
    for variant in variants_in_order(table["variant"]):
        rows = table[table["variant"] == variant].sort_values("users")
        rows = rows[rows[f"{metric}_median"].notna()]
        if rows.empty:
            continue
        users = rows["users"].astype(float)
        median, low, high = (rows[f"{metric}_{s}"].astype(float) for s in ("median", "min", "max"))
        shade = color(variant)
        axes.fill_between(users, low, high, color=shade, alpha=0.15, linewidth=0)
        axes.errorbar(
            users, median, yerr=[median - low, high - median], color=shade, marker="o", markersize=6,
            linewidth=2, capsize=4, label=variant if label else None,
        )  # fmt: skip
        marked = rows[rows["flagged"].astype(bool)]
        if flagged and not marked.empty:
            circled = True
            axes.scatter(
                marked["users"].astype(float), marked[f"{metric}_median"].astype(float), s=190,
                facecolors="none", edgecolors="black", linewidths=1.5, zorder=5,
            )  # fmt: skip
    return circled


def _flag_handle() -> Line2D:
    return Line2D([], [], marker="o", markersize=12, markerfacecolor="none", markeredgecolor="black",
                  linestyle="none", label="flagged level (see Warnings)")  # fmt: skip


def _legend(axes: Axes, circled: bool) -> None:
    handles, _labels = axes.get_legend_handles_labels()
    if circled:
        handles.append(_flag_handle())
    if handles:
        axes.legend(handles=handles, loc="best", framealpha=0.9)


def throughput_plot(table: pd.DataFrame, jdk: int) -> Plot:
    with report_style():
        figure, (axes,) = new_figure(4.6)
        circled = _spread(axes, table, "throughput_rps")
        users_axis(axes, table["users"])
        axes.set_ylabel("successful requests / s")
        from_zero(axes)
        axes.set_title(f"Throughput vs users — JDK {jdk}")
        _legend(axes, circled)
        image = png(figure)
    reps = int(table["repetitions"].max())
    spread = f"; bars and band span min–max over {reps} repetitions" if reps > 1 else ""
    return Plot(
        f"throughput-jdk{jdk}", f"Throughput vs users — JDK {jdk}",
        f"Successful responses per second of measured time, median per level{spread}. "
        "Circled points are levels with a warning (generator saturated, errors or Little's law off).",
        image,
    )  # fmt: skip


def latency_plot(table: pd.DataFrame, jdk: int) -> Plot:
    with report_style():
        figure, panels = new_figure(4.4, ncols=len(PERCENTILES), sharey=True)
        circled = False
        for index, (axes, (metric, name)) in enumerate(zip(panels, PERCENTILES, strict=True)):
            circled |= _spread(axes, table, metric, label=index == 0)
            users_axis(axes, table["users"])
            axes.set_title(name)
            if index == 0:
                log_ms_axis(axes)
        handles, _labels = panels[0].get_legend_handles_labels()
        if circled:
            handles.append(_flag_handle())
        figure.suptitle(f"Latency percentiles vs users — JDK {jdk}")
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
        image = png(figure)
    return Plot(
        f"latency-jdk{jdk}", f"Latency percentiles vs users — JDK {jdk}",
        "p50, p99 and p99.9 of successful requests (log scale), median over repetitions with min–max. "
        "Closed model: not corrected for coordinated omission.",
        image,
    )  # fmt: skip


def timeline_plot(timeseries: pd.DataFrame, jdk: int) -> Plot:
    """p50 and p99 second by second within each level, median over repetitions (p99 band: min-max)."""
    series = timeseries[timeseries["jdk"] == jdk]
    levels = sorted(int(u) for u in series["users"].unique())
    ncols = min(3, len(levels))
    nrows = math.ceil(len(levels) / ncols)
    variants = variants_in_order(series["variant"])
    with report_style():
        figure, panels = new_figure(3.3 * nrows + 0.9, ncols=ncols, nrows=nrows, sharey=True)
        for index, users in enumerate(levels):
            axes = panels[index]
            for variant in variants:
                rows = series[(series["users"] == users) & (series["variant"] == variant)]
                if rows.empty:
                    continue
                by_t = rows.groupby("t")
                p99 = by_t["p99_ms"].median()
                p50 = by_t["p50_ms"].median()
                shade = color(variant)
                if rows["repetition"].nunique() > 1:
                    axes.fill_between(p99.index, by_t["p99_ms"].min(), by_t["p99_ms"].max(), color=shade,
                                      alpha=0.15, linewidth=0)  # fmt: skip
                axes.plot(p99.index, p99.to_numpy(), color=shade, linewidth=2)
                axes.plot(p50.index, p50.to_numpy(), color=shade, linewidth=1.5, linestyle="--")
            axes.set_title(f"{users} users")
            axes.set_xlabel("seconds into the level")
            if index % ncols == 0:
                log_ms_axis(axes)
        for axes in panels[len(levels):]:
            axes.set_visible(False)
        handles = [Line2D([], [], color=color(v), linewidth=2.5, label=v) for v in variants]
        handles += [
            Line2D([], [], color="black", linewidth=2, label="p99"),
            Line2D([], [], color="black", linewidth=1.5, linestyle="--", label="p50"),
        ]
        figure.suptitle(f"Latency over time within each level — JDK {jdk}")
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
        image = png(figure)
    return Plot(
        f"timeline-jdk{jdk}", f"Latency over time within each level — JDK {jdk}",
        "p99 (solid) and p50 (dashed) of each second of measured load, median over repetitions; the band is "
        "the min–max of p99. A level that is still climbing at its end had not reached a steady state.",
        image,
    )  # fmt: skip


def metric_plot(spec: MetricPlot, table: pd.DataFrame, jdk: int) -> Plot:
    with report_style():
        figure, (axes,) = new_figure(3.8)
        circled = _spread(axes, table, spec.column)
        users_axis(axes, table["users"])
        if spec.log:
            log_ms_axis(axes, spec.ylabel)
        else:
            axes.set_ylabel(spec.ylabel)
            from_zero(axes)
        axes.set_title(f"{spec.title} — JDK {jdk}")
        _legend(axes, circled)
        image = png(figure)
    return Plot(f"{spec.slug}-jdk{jdk}", f"{spec.title} — JDK {jdk}", f"{spec.caption} Median, min–max.", image)


def draw_plots(levels: pd.DataFrame, timeseries: pd.DataFrame) -> tuple[list[Plot], list[str]]:
    """Every figure the data allows, per JDK in order of appearance; and why each other one is missing.

    ``levels`` and ``timeseries`` are frames of one run as ``harness.analysis.load`` returns them.
    """
    if levels.empty:
        return [], ["No level was measured, so there is nothing to plot."]
    plots: list[Plot] = []
    missing: list[str] = []
    jdks: Sequence[int] = list(dict.fromkeys(int(j) for j in levels["jdk"]))
    for jdk in jdks:
        of_jdk = levels[levels["jdk"] == jdk]
        metrics = ["throughput_rps", *(m for m, _ in PERCENTILES), *(s.column for s in METRIC_PLOTS)]
        table = summary_table(of_jdk, [m for m in metrics if m in of_jdk.columns])
        plots.append(throughput_plot(table, jdk))
        plots.append(latency_plot(table, jdk))
        if not timeseries.empty and (timeseries["jdk"] == jdk).any():
            plots.append(timeline_plot(timeseries, jdk))
        else:
            missing.append(f"Latency over time — JDK {jdk}: timeseries.csv has no rows for it.")
        for spec in METRIC_PLOTS:
            if _has_values(of_jdk, spec.column):
                plots.append(metric_plot(spec, table, jdk))
            elif spec.column in levels.columns:
                # A column of this format that was never sampled is worth saying; one that a later
                # format adds is simply not in this run.
                missing.append(f"{spec.title} — JDK {jdk}: not measured in this run (no samples).")
    return plots, missing
