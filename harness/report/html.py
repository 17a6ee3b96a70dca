"""report.html: one self-contained page (inline CSS, figures as base64 PNG, no script, no fetch).

The page says the same things as summary.md, in the same order, from the same helpers in
``harness.report.summary`` (warnings, configuration rows, results rows, run facts), and adds the
figures. Every text that comes from the run is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.analysis import variant_color
from harness.metrics import LevelResult
from harness.report.capacity import capacity_html
from harness.report.consume import consume_html
from harness.report.consume_replay import replay_html
from harness.report.consume_summary import recorded_problems
from harness.report.plots import Plot
from harness.report.summary import (
    OPEN_RESULTS_COLUMNS,
    RESULTS_COLUMNS,
    config_rows,
    how_to_read,
    incomplete_notice,
    results_columns,
    results_rows,
    run_facts,
    run_warnings,
)
from harness.results.capacity_table import CapacityResult
from harness.results.consume_replay_table import ConsumeReplay
from harness.results.consume_tables import ConsumeResult
from harness.results.manifest import Manifest, VariantRecord

_CSS = """
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bad: #b42318; --bad-bg: #fef3f2;
        --warn-bg: #fffaeb; --warn: #93370d; --ok: #067647; --ok-bg: #ecfdf3; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 24px 30px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: #f2f4f7; padding: 1px 4px;
       border-radius: 4px; }
.status { border-radius: 8px; padding: 12px 16px; margin: 8px 0 16px; }
.status.ok { background: var(--ok-bg); color: var(--ok); border: 1px solid #abefc6; font-weight: 600; }
.status.bad { background: var(--bad-bg); color: var(--bad); border: 3px solid var(--bad); }
.status.bad strong.headline { display: block; font-size: 22px; letter-spacing: .02em; }
.facts { margin: 0; padding-left: 20px; color: var(--muted); }
.facts b { color: var(--ink); }
.warnings { background: var(--warn-bg); border: 1px solid #fedf89; border-radius: 8px; padding: 10px 14px 10px 32px;
            color: var(--warn); margin: 0; }
.warnings li { margin: 3px 0; }
.none { color: var(--ok); }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .range { display: block; font-weight: normal; font-size: 11.5px; color: var(--muted); }
table.results { font-size: 13px; }
table.results th, table.results td { padding: 4px 6px; }
table.results td:first-child { white-space: nowrap; }
.scroll { overflow-x: auto; }
tr.flagged td { background: var(--warn-bg); }
td.mismatch { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px;
          vertical-align: baseline; }
figure { margin: 22px 0 30px; }
figure img { display: block; width: 900px; max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; }
figcaption b { color: var(--ink); }
.muted { color: var(--muted); }
"""

_NUMERIC = frozenset(RESULTS_COLUMNS + OPEN_RESULTS_COLUMNS) - {"variant", "Little's law", "SLO", "flags"}


def _inline(markdown: str) -> str:
    """Escape text and turn the inline markdown the summary helpers use (``**b**``, ```c```) into HTML."""
    text = html.escape(markdown)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _variant_label(key: str) -> str:
    """A variant (or ``variant@jdkN``) with a swatch of its plot colour."""
    swatch = f'<span class="swatch" style="background:{variant_color(key.split("@", 1)[0])}"></span>'
    return f"{swatch}{html.escape(key)}"


def _status(manifest: Manifest, measured: int, unit: str = "level") -> str:
    status = manifest.status
    if status == "complete":
        return '<div class="status ok" id="status">Status: complete.</div>'
    error = manifest.error
    return (
        '<div class="status bad" id="status" role="alert">'
        f'<strong class="headline">⚠ {html.escape(status.upper())}: this run is NOT complete</strong>'
        f"{html.escape(incomplete_notice(status, measured, unit))}"
        + (f"<br><strong>Error:</strong> <code>{html.escape(str(error))}</code>" if error else "")
        + "</div>"
    )


def _warnings(warnings: Sequence[str]) -> str:
    if not warnings:
        return '<p class="none" id="warnings">None.</p>'
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f'<ul class="warnings" id="warnings">{items}</ul>'


def _config(variants: Mapping[str, VariantRecord], placement: Mapping[str, Any] | None = None) -> str:
    if not variants:
        return '<p class="muted">No variant was started.</p>'
    head = "".join(f"<th>{_variant_label(key)}</th>" for key in variants)
    body = []
    for row in config_rows(variants, placement=placement):
        cells = []
        for cell in row.cells:
            if cell.asked is not None:
                cells.append(
                    f'<td class="mismatch">{html.escape(cell.value)} ⚠ asked {html.escape(cell.asked)}</td>'
                )
            else:
                cells.append(f"<td>{html.escape(cell.value)}</td>")
        body.append(f"<tr><th>{html.escape(row.label)}</th>{''.join(cells)}</tr>")
    return f'<table id="config"><thead><tr><th>setting</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


_SPREAD = re.compile(r"^(?P<median>.+?) \[(?P<range>[^\]]+)\]$")


def _spread_cell(value: str) -> str:
    """``median [min–max]`` as the median over a smaller range line, which keeps 12 columns in 900 px."""
    match = _SPREAD.match(value)
    if not match:
        return html.escape(value)
    return f'{html.escape(match["median"])}<span class="range">{html.escape(match["range"])}</span>'


def _results(levels: Sequence[LevelResult]) -> str:
    tables = results_rows(levels)
    if not tables:
        return '<h2 id="results">Results</h2><p class="muted">No level was measured.</p>'
    parts = []
    for section, rows in tables.items():
        columns = results_columns(rows)
        head = "".join(
            f'<th class="{"num" if name in _NUMERIC else ""}">{html.escape(name)}</th>' for name in columns
        )
        body = []
        for row in rows:
            cells = []
            for name, value in zip(columns, row.cells, strict=True):
                if name == "variant":
                    cells.append(f"<td>{_variant_label(value)}</td>")
                elif name == "Little's law":
                    law = _spread_cell(value)
                    cells.append(f"<td>{law if row.littles_law_ok else f'<strong>{law}</strong>'}</td>")
                elif name in _NUMERIC:
                    cells.append(f'<td class="num">{_spread_cell(value)}</td>')
                else:
                    cells.append(f"<td>{html.escape(value)}</td>")
            body.append(f'<tr class="{"flagged" if row.flagged else ""}">{"".join(cells)}</tr>')
        parts.append(
            f'<h2 id="results-{section.anchor}">Results: {html.escape(section.title)}</h2>'
            f'<div class="scroll"><table class="results"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>'
            '<p class="muted">Each number is the median over repetitions, with min–max below it. '
            "Highlighted rows carry a warning.</p>"
        )
    return "".join(parts)


def _figure(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure id="{html.escape(plot.id)}">'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(plot.title)}" width="900">'
        f"<figcaption><b>{html.escape(plot.title)}.</b> {html.escape(plot.caption)}</figcaption></figure>"
    )


def render_report(
    manifest: Manifest, levels: Sequence[LevelResult], plots: Sequence[Plot], missing: Sequence[str] = (),
    consume: Sequence[ConsumeResult] = (), capacity: Sequence[CapacityResult] = (),
    replays: Sequence[ConsumeReplay] = (),
) -> str:
    """The report page as one HTML document.

    Guarantees: the status comes first and, unless ``complete``, is a red banner naming it with the
    error; then the run facts, every warning of ``run_warnings``, the configuration variant beside
    variant (mismatches highlighted), the results tables per JDK, the figures, and the reasons
    figures are missing. The document references no external resource (no script, stylesheet,
    font or image URL): figures are ``data:`` URIs.
    """
    scenario = manifest.scenario
    name = scenario.name
    facts = "".join(f"<li><b>{html.escape(label)}:</b> {_inline(value)}</li>" for label, value in run_facts(manifest))
    description = f"<p>{html.escape(scenario.description)}</p>" if scenario.description else ""
    figures = "".join(_figure(p) for p in plots)
    not_drawn = (
        '<p class="muted" id="not-drawn">Not drawn: ' + " ".join(html.escape(m) for m in missing) + "</p>"
        if missing
        else ""
    )
    consuming = manifest.is_consume
    reading = "".join(f"<li>{_inline(line)}</li>" for line in how_to_read(manifest))
    results = consume_html(consume, recorded_problems(manifest)) if consuming else _results(levels)
    measured = len(consume) if consuming else len(levels)
    warnings = run_warnings(manifest, levels)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Benchmark report: {html.escape(name)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>Benchmark report: {html.escape(name)}</h1>
{_status(manifest, measured, "segment" if consuming else "level")}
{description}
<ul class="facts">{facts}</ul>
{capacity_html(capacity)}
<h2>Warnings ({len(warnings)})</h2>
{_warnings(warnings)}
<h2>Configuration <span class="muted">(effective, read back from each running app)</span></h2>
{_config(manifest.variants, manifest.placement)}
{results}
{replay_html(replays)}
<h2 id="plots">Plots</h2>
{figures}
{not_drawn}
<h2>How to read this</h2>
<ul>{reading}</ul>
</main>
</body>
</html>
"""
