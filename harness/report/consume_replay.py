"""The "read-model rebuild" part of summary.md, from consume_replay.csv only (consume.replay)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from statistics import median

from harness.results.consume_replay_table import ConsumeReplay


def _num(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def replay_section(replays: Sequence[ConsumeReplay]) -> list[str]:
    """Markdown, empty when the run has no consume_replay.csv (no replay asked for, or an older folder)."""
    if not replays:
        return []
    lines = ["", "## Read-model rebuild (Kafka replay in a fresh consumer group)", "",
             "| variant | jdk | rep | events | rebuild events/s | first → last row s | ready → last row s | "
             "JVM start s | app CPU ms/event | projection | dead letters added | load avg | verdict |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    for r in replays:
        verdict = "ok" if r.ok else f"**FAILED**: {r.problems}"
        lines.append(
            f"| {r.variant} | {r.jdk} | {r.repetition} | {r.replayed}/{r.events} | {_num(r.rebuild_eps, 0)} | "
            f"{_num(r.first_to_last_s, 2)} | {_num(r.ready_to_last_s, 2)} | {r.jvm_start_s:.1f} | "
            f"{_num(r.app_cpu_ms_per_event, 3)} | {'equal' if r.projection_matches else '**different**'} "
            f"({r.projection_rows} rows) | {r.dead_letters_added} | {r.load_avg_1m:.1f} | {verdict} |")
    by_variant: dict[tuple[str, int], list[float]] = {}
    for r in replays:
        if r.rebuild_eps is not None:
            by_variant.setdefault((r.variant, r.jdk), []).append(r.rebuild_eps)
    if by_variant:
        lines += ["", "Rebuild rate per variant (median over repetitions): " + "; ".join(
            f"**{variant}** jdk{jdk} {median(rates):.0f} events/s ({len(rates)})"
            for (variant, jdk), rates in by_variant.items()) + "."]
    lines += ["", " ".join((
        "After each segment drained and reconciled, its app was stopped, inbox and order_projection emptied (outbox",
        "and dead letters kept) and the same variant started with the same flags and settings in a fresh consumer",
        "group preset to the measured events' first offset; the relay had nothing to publish. The rebuild rate is",
        "events / first → last inbox row (PostgreSQL's clock); ready → last adds the group join and first fetch.",
        "The replay JVM starts cold (no warm-up batch). Projection *equal*: same rows and checksum of every column",
        "the event determines as the measured segment built. Dead letters added: the poison messages failing again",
        "(each must, or the replay did not read them); the measured segment's are not recorded twice."))]
    return lines


def replay_html(replays: Sequence[ConsumeReplay]) -> str:
    """The same table for report.html; empty without consume_replay.csv."""
    if not replays:
        return ""
    heads = ("variant", "jdk", "rep", "events", "rebuild events/s", "first → last row s", "ready → last row s",
             "JVM start s", "app CPU ms/event", "projection", "dead letters added", "verdict")
    body = []
    for r in replays:
        cells = (r.variant, str(r.jdk), str(r.repetition), f"{r.replayed}/{r.events}", _num(r.rebuild_eps, 0),
                 _num(r.first_to_last_s, 2), _num(r.ready_to_last_s, 2), f"{r.jvm_start_s:.1f}",
                 _num(r.app_cpu_ms_per_event, 3), "equal" if r.projection_matches else "different",
                 str(r.dead_letters_added), "ok" if r.ok else f"FAILED: {r.problems}")
        tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        body.append(f'<tr class="{"" if r.ok else "flagged"}">{tds}</tr>')
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    return ('<h2 id="consume-replay">Read-model rebuild (Kafka replay in a fresh consumer group)</h2>'
            f'<div class="scroll"><table class="results"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')
