"""The capacity under the SLO: the table at the top of summary.md and report.html, and the latency-vs-throughput
figure of an open-model run.

Read from capacity.csv (one search per JDK × variant × repetition) and levels.csv (every step, with its
achieved rate, corrected p50/p99 and whether it held the SLO).
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.ticker import FuncFormatter

from harness.compare.stats import mean_interval
from harness.report.plots import Plot
from harness.report.style import color, log_ms_axis, new_figure, png, report_style
from harness.results.capacity_table import CapacityResult


@dataclass(frozen=True)
class CapacityEstimate:
    """``capacity = mean [low, high]`` of one JDK × variant × CPU quota over its repetitions (no interval with
    one)."""

    jdk: int
    variant: str
    values: tuple[float, ...]
    mean: float
    low: float | None
    high: float | None
    outcomes: tuple[str, ...]
    cpus: float | None = None  # the app container's CPU quota; None: none
    generator_limited: bool = False  # some repetition's failing step had a saturated or starved generator

    @property
    def label(self) -> str:
        """``mvc-virtual``, or ``mvc-virtual · 2 CPUs`` under a container quota."""
        return self.variant if self.cpus is None else f"{self.variant} · {self.cpus:g} CPUs"

    @property
    def bounded(self) -> bool:
        """Whether every repetition bracketed its capacity (at_max: only a floor; below_start: a ceiling)."""
        return all(outcome == "bracketed" for outcome in self.outcomes)

    def text(self) -> str:
        """``730 req/s [690–770]``; ``>= 2000 req/s`` when a repetition hit the max, ``< 100`` below start."""
        if "at_max" in self.outcomes:
            return f">= {min(self.values):,.0f} req/s (the search's max)"
        if "below_start" in self.outcomes and max(self.values) == 0:
            return "below the first rate (every repetition failed its first step)"
        interval = f" [{self.low:,.0f}–{self.high:,.0f}]" if self.low is not None and self.high is not None else ""
        return f"{self.mean:,.0f} req/s{interval}"


def capacity_estimates(rows: Sequence[CapacityResult], confidence: float = 0.95) -> list[CapacityEstimate]:
    """Per JDK × variant × CPU quota (in first-seen order): mean capacity and its Student-t interval over
    repetitions. Searches under different quotas are different questions, never one sample."""
    grouped: dict[tuple[int, str, float | None], list[CapacityResult]] = defaultdict(list)
    for row in rows:
        grouped[(row.jdk, row.variant, row.cpus)].append(row)
    out = []
    for (jdk, variant, cpus), found in grouped.items():
        values = tuple(r.capacity_rps for r in sorted(found, key=lambda r: r.repetition))
        mean, low, high = mean_interval(values, confidence)
        low = None if low is None else max(0.0, low)
        out.append(CapacityEstimate(jdk, variant, values, mean, low, high, tuple(r.outcome for r in found), cpus,
                                    any(r.generator_limited for r in found)))
    return out


CAPACITY_COLUMNS = ("variant", "JDK", "capacity under SLO", "per repetition", "p99 at capacity",
                    "first failing rate", "why it failed")


def _reason(rows: Sequence[CapacityResult]) -> str:
    reasons = [r.failing_reasons for r in rows if r.failing_reasons]
    limited = [f"r{r.repetition}" for r in rows if r.generator_limited]
    if limited:
        reasons.append(f"load generator saturated or starved at the failing rate ({', '.join(limited)}): maybe the "
                       "generator's limit")
    return "; ".join(dict.fromkeys(reasons)) or "—"


def capacity_rows(rows: Sequence[CapacityResult]) -> list[tuple[CapacityEstimate, tuple[str, ...]]]:
    """Each JDK × variant × CPU quota's estimate and its text cells, in the order of ``CAPACITY_COLUMNS``."""
    out: list[tuple[CapacityEstimate, tuple[str, ...]]] = []
    for estimate in capacity_estimates(rows):
        key = (estimate.jdk, estimate.variant, estimate.cpus)
        mine = sorted((r for r in rows if (r.jdk, r.variant, r.cpus) == key), key=lambda r: r.repetition)
        p99 = [r.p99_ms for r in mine if r.p99_ms is not None]
        failing = [r.failing_rps for r in mine if r.failing_rps is not None]
        out.append((estimate, (
            estimate.label, str(estimate.jdk), estimate.text(),
            ", ".join(f"{r.capacity_rps:,.0f}" + ("" if r.outcome == "bracketed" else f" ({r.outcome})")
                      for r in mine),
            ", ".join(f"{v:.1f} ms" for v in p99) or "—",
            ", ".join(f"{v:,}" for v in failing) or "—",
            _reason(mine),
        )))
    return out


def _slo_text(rows: Sequence[CapacityResult]) -> str:
    first = rows[0]
    return (f"p99 ≤ {first.slo_p99_ms:g} ms, error rate ≤ {first.slo_error_rate:.2%}, achieved rate ≥ 98% of the "
            f"target, no upward latency trend; bisection to {first.resolution_rps} req/s")


def capacity_markdown(rows: Sequence[CapacityResult]) -> list[str]:
    """The "Capacity under SLO" section of summary.md; empty for a run without a search."""
    if not rows:
        return []
    lines = ["## Capacity under SLO", "", f"SLO: {_slo_text(rows)}. The interval is Student's t 95% over the "
             "repetitions, each a fresh JVM.", "",
             "| " + " | ".join(CAPACITY_COLUMNS) + " |", "|---|---:|---:|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(cells) + " |" for _, cells in capacity_rows(rows)]
    return [*lines, ""]


def capacity_html(rows: Sequence[CapacityResult]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in CAPACITY_COLUMNS)
    body = []
    for estimate, cells in capacity_rows(rows):
        swatch = f'<span class="swatch" style="background:{color(estimate.variant)}"></span>'
        tds = [f"<td>{swatch}{html.escape(cells[0])}</td>",
               *(f"<td>{html.escape(cell)}</td>" for cell in cells[1:])]
        flagged = not estimate.bounded or estimate.generator_limited
        body.append(f'<tr class="{"flagged" if flagged else ""}">{"".join(tds)}</tr>')
    return (f'<h2 id="capacity">Capacity under SLO</h2><p>SLO: {html.escape(_slo_text(rows))}. The interval is '
            "Student's t 95% over the repetitions, each a fresh JVM.</p>"
            f'<div class="scroll"><table class="results"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _by_rate(steps: pd.DataFrame) -> pd.DataFrame:
    """One row per target rate: medians over the repetitions that measured it, and whether every one held."""
    frame = steps.assign(
        achieved=pd.to_numeric(steps["achieved_rps"], errors="coerce"),
        held=steps["slo_ok"].map(lambda ok: ok is not False and ok != "false"),
    )
    grouped = frame.groupby("rate", sort=True)
    return pd.DataFrame({"achieved": grouped["achieved"].median(), "p50_ms": grouped["p50_ms"].median(),
                         "p99_ms": grouped["p99_ms"].median(), "held": grouped["held"].all()}).reset_index()


def latency_throughput_plot(levels: pd.DataFrame, capacity: Sequence[CapacityResult], jdk: int,
                            slo_p99_ms: float | None) -> Plot:
    """p50 (dashed) and p99 (solid) against the achieved rate, one line per variant (median per target rate over
    the repetitions that measured it); hollow markers broke the SLO in some repetition; the SLO as a horizontal
    line; the knee (mean capacity) as a vertical dotted line in the variant's colour."""
    of_jdk = levels[(levels["jdk"] == jdk) & (levels["rate"] > 0)]
    quotas = of_jdk["cpus"] if "cpus" in of_jdk else pd.Series([None] * len(of_jdk), index=of_jdk.index)
    quotas = quotas.map(lambda value: None if value is None or pd.isna(value) else float(value))
    estimates = {(e.variant, e.cpus): e for e in capacity_estimates([r for r in capacity if r.jdk == jdk])}
    with report_style():
        figure, (axes,) = new_figure(4.8)
        for index, (variant, cpus) in enumerate(dict.fromkeys(zip(of_jdk["variant"], quotas, strict=True))):
            steps = _by_rate(of_jdk[(of_jdk["variant"] == variant) & (quotas == cpus if cpus is not None
                                                                        else quotas.isna())])
            hue = color(variant)
            label = variant if cpus is None else f"{variant} · {cpus:g} CPUs"
            for column, style, name in (("p99_ms", "-", "p99"), ("p50_ms", "--", "p50")):
                axes.plot(steps["achieved"], steps[column], linestyle=style, color=hue, linewidth=1.3,
                          label=f"{label} {name}")
                held = steps["held"].astype(bool)
                axes.scatter(steps["achieved"][held], steps[column][held], color=hue, s=16, zorder=3)
                axes.scatter(steps["achieved"][~held], steps[column][~held], facecolors="none", edgecolors=hue,
                             s=22, zorder=3)
            estimate = estimates.get((variant, cpus))
            if estimate is not None and estimate.mean > 0:
                axes.axvline(estimate.mean, color=hue, linestyle=":", linewidth=1.2)
                axes.annotate(f"knee {estimate.mean:,.0f}", (estimate.mean, 0.03 + 0.07 * index),
                              xycoords=("data", "axes fraction"), ha="left", fontsize=8, color=hue,
                              xytext=(3, 0), textcoords="offset points")
        if slo_p99_ms is not None:
            axes.axhline(slo_p99_ms, color="black", linestyle="-.", linewidth=1.0, label=f"SLO p99 {slo_p99_ms:g} ms")
        log_ms_axis(axes, "latency from intended send (ms, log scale)")
        achieved = pd.to_numeric(of_jdk["achieved_rps"], errors="coerce")
        if achieved.min() > 0 and achieved.max() / achieved.min() >= 4:
            axes.set_xscale("log", base=2)
            axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
        axes.set_xlabel("achieved requests / s")
        axes.set_title(f"Latency vs throughput — JDK {jdk}")
        handles, _labels = axes.get_legend_handles_labels()
        figure.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=7, frameon=False)
        image = png(figure)
    return Plot(
        f"latency-throughput-jdk{jdk}", f"Latency vs throughput — JDK {jdk}",
        "Open model: corrected p50 (dashed) and p99 (solid) of every measured rate (median over the repetitions "
        "that measured it) against the rate actually achieved; hollow markers broke the SLO (dash-dotted line) "
        "in some repetition; the dotted vertical line is each variant's capacity (the knee), the mean over "
        "repetitions.",
        image,
    )  # fmt: skip


def open_plots(levels: pd.DataFrame, capacity: Sequence[CapacityResult],
               slo_p99_ms: float | None) -> tuple[list[Plot], list[str]]:
    """The figures of an open-model run, per JDK: latency against the achieved rate. The closed model's figures
    against users do not apply (every open level has 0 users)."""
    if levels.empty or "rate" not in levels or not (levels["rate"] > 0).any():
        return [], ["No open-model level was measured, so there is nothing to plot."]
    jdks = list(dict.fromkeys(int(j) for j in levels["jdk"]))
    return [latency_throughput_plot(levels, capacity, jdk, slo_p99_ms) for jdk in jdks], [
        "Figures against users: an open-model run has rates, not users (see latency vs throughput)."]
