"""``write_report``: render report.html (and summary.md) for one results folder."""

from __future__ import annotations

import os
from pathlib import Path

from harness import analysis
from harness.report.capacity import open_plots
from harness.report.consume import consume_plots
from harness.report.html import render_report
from harness.report.plots import Plot, draw_plots
from harness.report.summary import write_summary
from harness.report.warmup import warmup_figure
from harness.results.capacity_table import read_capacity
from harness.results.consume_replay_table import CONSUME_REPLAY, read_consume_replay
from harness.results.consume_tables import read_consume
from harness.results.layout import ResultsDir
from harness.results.manifest import read_manifest
from harness.results.tables import WARMUP, read_levels

REPORT_NAME = "report.html"


def write_report(results_dir: Path, *, summary: bool = True) -> Path:
    """Write ``report.html`` into ``results_dir``, rewrite its summary.md (unless ``summary`` is False: the
    runner has just written it), and return the report's path.

    Works on any run the harness wrote, complete or not: a failed, interrupted or killed run
    gets a loud status banner and the figures its data allows; a run without levels gets a page
    without figures. The file is replaced atomically, so a reader never sees half a page.
    Raises ResultsError when the folder has no readable manifest or a table is malformed.
    """
    results = ResultsDir(Path(results_dir))
    manifest = read_manifest(results.manifest)
    if summary:
        write_summary(results)
    levels = read_levels(results.levels_csv) if results.levels_csv.exists() else []
    frames = analysis.load(results.root)
    consume = read_consume(results.consume_csv)
    capacity = read_capacity(results.capacity_csv)
    if manifest.is_consume:
        plots, missing = consume_plots(frames.consume, frames.consume_timeseries)
    elif manifest.scenario.require_load().model == "open":
        slo = manifest.scenario.require_load().slo
        plots, missing = open_plots(frames.levels, capacity, None if slo is None else slo.p99 * 1000.0)
    else:
        plots, missing = draw_plots(frames.levels, frames.timeseries)
    if not manifest.is_consume:  # an auto warm-up's curve (the closed model's; warmup.csv only exists with one)
        curve = warmup_figure(WARMUP.read(results.warmup_csv, missing_ok=True))
        if curve is not None:
            plots.append(Plot("warmup", "Warm-up: throughput and JIT compile rate per window",
                              "Each fresh JVM's auto warm-up at the top level, window by window: it ends when the last "
                              "windows agree and the JIT has quietened; a dashed line reached its maximum first "
                              "(its levels are flagged 'not steady').", curve))
    page = render_report(manifest, levels, plots, missing, consume, capacity,
                         read_consume_replay(results.root / CONSUME_REPLAY.file))
    path = results.root / REPORT_NAME
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
