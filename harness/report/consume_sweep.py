"""The sweep's own report: consume_sweep.csv, sweep.md and the drain-vs-concurrency plot.

The question a sweep answers is where virtual threads (a cheap blocked thread per listener) and reactive
(an in-flight limit on a few event loops) part ways for an I/O-bound consumer: drain rate against
concurrency, one panel per broker and downstream delay, one line per variant, the 95% interval over
repetitions as error bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.codec import Table
from harness.consume.sweep import PointRecord, SweepRow
from harness.report.style import color, from_zero, levels_axis, new_figure, png, report_style
from harness.scenario import Scenario
from harness.variants import ALL_VARIANTS

CONSUME_SWEEP = Table(SweepRow, "consume_sweep.csv", 4,
                      added={2: ("replay_eps", "replay", "ordering_violations"),
                             3: ("app_cpu_ms_per_event_without_jit", "app_cpu_ms_per_event_without_jit_low",
                                 "app_cpu_ms_per_event_without_jit_high"),
                             4: ("lag_p50_ms", "lag_p50_ms_low", "lag_p50_ms_high", "lag_p99_ms_low",
                                 "lag_p99_ms_high", "orders_per_s")})
PLOT_FILE = "drain-vs-concurrency.png"


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _with_interval(mean: float | None, low: float | None, high: float | None, digits: int) -> str:
    if mean is None:
        return "–"
    if low is None or high is None:
        return f"{_num(mean, digits)} (one repetition)"
    return f"{_num(mean, digits)} [{_num(low, digits)}–{_num(high, digits)}]"


def _without_jit(row: SweepRow) -> str:
    return _with_interval(row.app_cpu_ms_per_event_without_jit, row.app_cpu_ms_per_event_without_jit_low,
                          row.app_cpu_ms_per_event_without_jit_high, 2)


WIDE_INTERVAL = 0.25
"""A drain-rate interval whose half-width exceeds this share of its mean is too wide to rank variants on:
repetitions that far apart measured the machine as much as the variant (three values on a loaded 2-core
machine gave ±50-150%). The row is marked and listed; nothing hides it."""


def too_wide(row: SweepRow) -> bool:
    """The row's drain-rate interval is too wide to call (or it has none to judge: one repetition)."""
    if row.drain_eps is None or row.drain_eps <= 0:
        return False  # nothing drained: the reconciliation column already says why
    if row.drain_eps_low is None or row.drain_eps_high is None:
        return True
    return (row.drain_eps_high - row.drain_eps_low) / 2 > WIDE_INTERVAL * row.drain_eps


def _ordered(rows: Sequence[SweepRow]) -> list[SweepRow]:
    rank: dict[str, int] = {name: index for index, name in enumerate(ALL_VARIANTS)}
    return sorted(rows, key=lambda r: (r.broker, r.downstream_delay_ms, r.concurrency, r.jdk,
                                       rank.get(r.variant, len(rank)), r.variant))


def _replay_cell(row: SweepRow) -> str:
    if row.replay == "ok":
        return _num(row.replay_eps, 0)
    if row.replay == "failed":
        return "**failed**"
    return f"replay: {row.replay}" if row.replay else "–"


def sweep_markdown(scenario: Scenario, points: Sequence[PointRecord], rows: Sequence[SweepRow],
                   status: str) -> str:
    done = sum(p.status == "complete" for p in points)
    lines = [f"# Consume sweep {scenario.name}: {status}", "",
             f"{done} of {len(points)} points complete. Each point is a full run under `points/` (its own "
             "summary.md explains every segment); drain rate and app CPU per event are the mean over repetitions "
             "with the 95% Student-t interval; CPU per event is the measured window's, of the basis named; out of "
             "order (lifecycle streams only) is the events applied out of their order's stage order, over every "
             "repetition.", ""]
    if status != "complete":
        lines += [f"**This sweep is {status}.** Points not complete:", ""]
        lines += [f"- {p.slug}: {p.status}" + (f" ({p.error.splitlines()[0]})" if p.error else "")
                  for p in points if p.status != "complete"]
        lines.append("")
    wide = [r for r in _ordered(rows) if too_wide(r)]
    if wide:
        lines += [f"**{len(wide)} of {len(rows)} rows are too wide to call** (⚠: the drain rate's 95% interval is "
                  f"wider than ±{WIDE_INTERVAL:.0%} of its mean, or there is one repetition). Do not rank variants "
                  "on them: rerun with more repetitions or on a quieter machine.", ""]
        lines += [f"- {r.broker} delay {r.downstream_delay_ms} ms, concurrency {r.concurrency}, {r.variant} "
                  f"(JDK {r.jdk})" for r in wide]
        lines.append("")
    replay = scenario.consume is not None and scenario.consume.replay
    driven = scenario.consume is not None and scenario.consume.source == "drive"
    if driven:
        lines += ["The orders were POSTed at a fixed rate (`consume.rate`): the lag is end to end, from an order's "
                  "creation to its event's processing, and *orders/s* is the rate they did leave at (mean over "
                  "the repetitions); the drain rate is then that rate, not a capacity.", ""]
    lines += ["| broker | delay ms | concurrency | variant | JDK | drain events/s | app CPU ms/event | CPU basis | "
              "app CPU ms/event without JIT |" + (" orders/s |" if driven else "") + " lag p50 ms | lag p99 ms | "
              "out of order | reconciled |" + (" replay (rebuild events/s) |" if replay else ""),
              "|---|---:|---:|---|---:|---:|---:|---|---:|" + ("---:|" if driven else "") + "---:|---:|---:|---|"
              + ("---|" if replay else "")]
    for r in _ordered(rows):
        lines.append(
            f"| {r.broker} | {r.downstream_delay_ms} | {r.concurrency} | {r.variant} | {r.jdk} | "
            f"{_with_interval(r.drain_eps, r.drain_eps_low, r.drain_eps_high, 0)}{' ⚠' if too_wide(r) else ''} | "
            f"{_with_interval(r.app_cpu_ms_per_event, r.app_cpu_ms_per_event_low, r.app_cpu_ms_per_event_high, 2)} | "
            f"{r.cpu_basis} | {_without_jit(r)} | " + (f"{_num(r.orders_per_s, 1)} | " if driven else "")
            + f"{_with_interval(r.lag_p50_ms, r.lag_p50_ms_low, r.lag_p50_ms_high, 0)} | "
            f"{_with_interval(r.lag_p99_ms, r.lag_p99_ms_low, r.lag_p99_ms_high, 0)} | "
            f"{'–' if r.ordering_violations is None else r.ordering_violations} | {'yes' if r.ok else '**NO**'} |"
            + (f" {_replay_cell(r)} |" if replay else ""))
    if not rows:
        lines.append("| (no point measured anything) ||||||||||||")
    lines += ["", f"![drain rate against concurrency]({PLOT_FILE})", ""]
    return "\n".join(lines)


def drain_plot(rows: Sequence[SweepRow]) -> bytes:
    """Drain rate against concurrency: a panel per (broker, delay), a line per variant × JDK."""
    panels = sorted({(r.broker, r.downstream_delay_ms) for r in rows})
    with report_style():
        figure, axes_list = new_figure(2.8 * max(1, (len(panels) + 1) // 2), ncols=2 if len(panels) > 1 else 1,
                                       nrows=max(1, (len(panels) + 1) // 2))
        for axes, (broker, delay) in zip(axes_list, panels, strict=False):
            for r_variant, jdk in dict.fromkeys((r.variant, r.jdk) for r in _ordered(rows)):
                line = sorted((r for r in rows if (r.broker, r.downstream_delay_ms, r.variant, r.jdk)
                               == (broker, delay, r_variant, jdk) and r.drain_eps is not None),
                              key=lambda r: r.concurrency)
                if not line:
                    continue
                x = [r.concurrency for r in line]
                y = [r.drain_eps or 0.0 for r in line]
                # One repetition has no interval: no bar rather than a zero-width one that looks certain.
                below = [y_ - (r.drain_eps_low if r.drain_eps_low is not None else y_)
                         for y_, r in zip(y, line, strict=True)]
                above = [(r.drain_eps_high if r.drain_eps_high is not None else y_) - y_
                         for y_, r in zip(y, line, strict=True)]
                axes.errorbar(x, y, yerr=[below, above], color=color(r_variant), marker="o", markersize=4,
                              linewidth=1.3, capsize=3, label=f"{r_variant} (JDK {jdk})")
            levels_axis(axes, (r.concurrency for r in rows if (r.broker, r.downstream_delay_ms) == (broker, delay)),
                        "concurrency (listener threads / in flight)")
            axes.set_ylabel("drain events / s")
            axes.set_title(f"{broker}, downstream delay {delay} ms", fontsize=9)
            from_zero(axes)
        for unused in axes_list[len(panels):]:
            unused.set_visible(False)
        handles, labels = axes_list[0].get_legend_handles_labels()
        if handles:
            figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7, frameon=False)
        return png(figure)


def write_sweep_report(root: Path, scenario: Scenario, points: Sequence[PointRecord], rows: Sequence[SweepRow],
                       status: str) -> None:
    table = root / CONSUME_SWEEP.file
    table.unlink(missing_ok=True)
    CONSUME_SWEEP.create(table)
    CONSUME_SWEEP.append(table, _ordered(rows))
    (root / PLOT_FILE).write_bytes(drain_plot(rows))
    (root / "sweep.md").write_text(sweep_markdown(scenario, points, rows, status), encoding="utf-8")
