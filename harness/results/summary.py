"""summary.md: one page a person reads first, rendered from manifest.json and levels.csv alone.

Rendering only reads what the run stored, so ``harness report`` can redo it for any results
folder, including one whose run failed or was killed.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.metrics import LevelResult, warnings_for
from harness.results.layout import ResultsDir
from harness.results.manifest import read_manifest
from harness.results.tables import read_levels

_MIB = 1024 * 1024
_DASH = "\u2013"  # en dash of "median [min-max]"; spelled out because linters flag it as a confusable
# Runtime.maxMemory() reports the heap less one survivor space under Parallel and Serial, so an
# exact comparison with -Xmx would flag every such run.
_HEAP_TOLERANCE = 0.15

_STATUS_BANNER = {
    "running": "never finished: the harness is still running, or it was killed (kill -9, crash, power loss) "
    "before it could record an end",
    "failed": "the run failed",
    "interrupted": "the run was interrupted (Ctrl-C or SIGTERM)",
}


# -- configuration table ------------------------------------------------------------------------


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _heap_bytes(flag_value: str) -> int | None:
    match = re.fullmatch(r"(\d+)([kmgKMG]?)", flag_value)
    if not match:
        return None
    scale = {"": 1, "k": 1024, "m": _MIB, "g": 1024 * _MIB}[match.group(2).lower()]
    return int(match.group(1)) * scale


def _requested_heap(record: dict[str, Any]) -> int | None:
    heap = None
    for flag in record.get("jvm_flags", []):
        if isinstance(flag, str) and flag.startswith("-Xmx"):
            heap = _heap_bytes(flag[4:])  # the last -Xmx wins, as in the JVM
    return heap


def _gc_kind(names: Any) -> str | None:
    """The collector behind the JVM's GC bean names ("G1 Young Generation", "PS Scavenge", ...)."""
    if not isinstance(names, list) or not names:
        return None
    joined = " ".join(str(n) for n in names)
    for needle, kind in (
        ("G1", "G1"),
        ("ZGC", "ZGC"),
        ("Shenandoah", "Shenandoah"),
        ("PS ", "Parallel"),
        ("MarkSweepCompact", "Serial"),
        ("Copy", "Serial"),
    ):
        if needle in joined:
            return kind
    return joined


def _requested_gc(record: dict[str, Any]) -> str | None:
    gc = None
    for flag in record.get("jvm_flags", []):
        match = re.fullmatch(r"-XX:\+Use(\w+?)GC", str(flag)) or re.fullmatch(r"-XX:\+Use(ZGC)", str(flag))
        if match:
            gc = {"Z": "ZGC"}.get(match.group(1), match.group(1))
    return gc


def _requested(dotted: str) -> Callable[[dict[str, Any]], Any]:
    # The runner stores what it asked for as {"dbPool.maxSize": 32, ...}; older records lack it.
    return lambda record: (record.get("requested") or {}).get(dotted)


def _mib(value: Any) -> str:
    return f"{value / _MIB:.0f} MiB"


@dataclass(frozen=True)
class _Row:
    label: str
    effective: Callable[[dict[str, Any]], Any]  # the value compared, from /actuator/info runtime
    requested: Callable[[dict[str, Any]], Any]  # from the variant record; None when nothing was asked
    show: Callable[[dict[str, Any]], str | None] | None = None  # display of the effective side
    show_requested: Callable[[Any], str] = str
    same: Callable[[Any, Any], bool] = lambda have, want: bool(have == want)


def _jdk_shown(eff: dict[str, Any]) -> str | None:
    version = _dig(eff, "jvm.javaVersion")
    return None if version is None else f"{version} ({_dig(eff, 'jvm.javaVendor') or 'unknown vendor'})"


def _feature(version: Any) -> int | None:
    match = re.match(r"(\d+)", str(version)) if version is not None else None
    return int(match.group(1)) if match else None


def _pool_shown(eff: dict[str, Any]) -> str | None:
    size = _dig(eff, "dbPool.maxSize")
    return None if size is None else f"{_dig(eff, 'dbPool.kind') or '?'} {size}"


def _client_shown(eff: dict[str, Any]) -> str | None:
    size = _dig(eff, "httpClient.maxConnections")
    return None if size is None else f"{_dig(eff, 'httpClient.library') or '?'}, max {size}"


def _on_off(value: Any) -> str:
    return "on" if value else "off"


_ROWS: tuple[_Row, ...] = (
    _Row("JDK", lambda e: _feature(_dig(e, "jvm.javaVersion")), lambda r: _dig(r, "jdk.feature"), _jdk_shown),
    _Row("server", lambda e: _dig(e, "server"), _requested("server")),
    _Row(
        "heap (max)",
        lambda e: _dig(e, "jvm.maxHeapBytes"),
        _requested_heap,
        lambda e: None if _dig(e, "jvm.maxHeapBytes") is None else _mib(_dig(e, "jvm.maxHeapBytes")),
        _mib,
        lambda have, want: abs(have - want) <= _HEAP_TOLERANCE * want,
    ),
    _Row("GC", lambda e: _gc_kind(_dig(e, "jvm.gc")), _requested_gc),
    _Row(
        "virtual threads",
        lambda e: _dig(e, "virtualThreads"),
        _requested("virtualThreads"),
        lambda e: None if _dig(e, "virtualThreads") is None else _on_off(_dig(e, "virtualThreads")),
        _on_off,
    ),
    _Row("DB pool", lambda e: _dig(e, "dbPool.maxSize"), _requested("dbPool.maxSize"), _pool_shown),
    _Row("Tomcat max threads", lambda e: _dig(e, "tomcat.maxThreads"), _requested("tomcat.maxThreads")),
    _Row(
        "Tomcat max connections",
        lambda e: _dig(e, "tomcat.maxConnections"),
        _requested("tomcat.maxConnections"),
    ),
    _Row("Tomcat accept count", lambda e: _dig(e, "tomcat.acceptCount"), _requested("tomcat.acceptCount")),
    _Row("Netty I/O workers", lambda e: _dig(e, "nettyIoWorkers"), _requested("nettyIoWorkers")),
    _Row(
        "HTTP client",
        lambda e: _dig(e, "httpClient.maxConnections"),
        _requested("httpClient.maxConnections"),
        _client_shown,
        lambda want: f"max {want}",
    ),
    _Row("available processors", lambda e: _dig(e, "jvm.availableProcessors"), lambda r: None),
)


def _effective(record: dict[str, Any]) -> dict[str, Any]:
    effective = record.get("effective") or {}
    # Accept the whole /actuator/info document as well as its "runtime" entry.
    if isinstance(effective, dict) and isinstance(effective.get("runtime"), dict):
        effective = effective["runtime"]
    return effective if isinstance(effective, dict) else {}


def _config_cell(row: _Row, record: dict[str, Any]) -> tuple[str, str | None]:
    """(cell text, mismatch description or None)."""
    eff = _effective(record)
    have, want = row.effective(eff), row.requested(record)
    shown = row.show(eff) if row.show else (None if have is None else str(have))
    if have is None or shown is None:
        return ("—" if want is None else f"{row.show_requested(want)} (asked; not read back)"), None
    if want is None or row.same(have, want):
        return shown, None
    return f"**{shown}** ⚠ asked {row.show_requested(want)}", (
        f"{row.label} is {shown} in the running app, but {row.show_requested(want)} was requested"
    )


def _config_table(variants: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(markdown lines, one warning per requested != effective setting)."""
    keys = list(variants)
    lines = ["| setting | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    mismatches: list[str] = []
    for row in _ROWS:
        cells = []
        for key in keys:
            record = variants[key] if isinstance(variants[key], dict) else {}
            cell, mismatch = _config_cell(row, record)
            cells.append(cell)
            if mismatch:
                mismatches.append(f"{key}: {mismatch}")
        if any(c != "—" for c in cells):
            lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return lines, mismatches


# -- results tables -----------------------------------------------------------------------------


def _fmt_ms(value: float) -> str:
    digits = 3 if value < 1 else 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f}"


def _fmt_rate(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _fmt_int(value: float) -> str:
    return f"{value:g}"


def _spread(values: Sequence[float | None], fmt: Callable[[float], str]) -> str:
    """One number, or ``median [min-max]`` over repetitions; missing values are left out."""
    present = [v for v in values if v is not None]
    if not present:
        return "—"
    if len(present) == 1:
        return fmt(present[0])
    return f"{fmt(statistics.median(present))} [{fmt(min(present))}{_DASH}{fmt(max(present))}]"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _results_row(variant: str, users: int, reps: Sequence[LevelResult]) -> str:
    n = len(reps)
    law_ok = all(r.littles_law_ok for r in reps)
    law = ("ok " if law_ok else "**off** ") + _spread([r.littles_law_deviation for r in reps], _pct)
    flags = []
    saturated = sum(r.generator_saturated for r in reps)
    if saturated:
        flags.append("generator saturated" + (f" ({saturated}/{n})" if n > 1 else ""))
    with_errors = sum(r.errors > 0 for r in reps)
    if with_errors:
        flags.append("errors" + (f" ({with_errors}/{n})" if n > 1 else ""))
    if not law_ok:
        flags.append("Little's law")
    cells = [
        variant,
        str(users),
        _spread([r.throughput_rps for r in reps], _fmt_rate),
        _spread([r.p50_ms for r in reps], _fmt_ms),
        _spread([r.p99_ms for r in reps], _fmt_ms),
        _spread([r.p999_ms for r in reps], _fmt_ms),
        _spread([r.errors for r in reps], _fmt_int),
        _spread([r.app_rss_mb_max for r in reps], lambda v: f"{v:.0f}"),
        _spread([r.app_cpu_s for r in reps], lambda v: f"{v:.1f}"),
        _spread([r.generator_cpu_pct_mean for r in reps], lambda v: f"{v:.0f}"),
        law,
        ", ".join(flags),
    ]
    return "| " + " | ".join(cells) + " |"


_RESULTS_HEADER = [
    "| variant | users | throughput req/s | p50 ms | p99 ms | p99.9 ms | errors | RSS MB | app CPU s "
    "| gen CPU % | Little's law | flags |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
]


def _results_tables(levels: Sequence[LevelResult]) -> list[str]:
    lines: list[str] = []
    for jdk in dict.fromkeys(r.jdk for r in levels):
        of_jdk = [r for r in levels if r.jdk == jdk]
        variants = list(dict.fromkeys(r.variant for r in of_jdk))
        lines += ["", f"## Results: JDK {jdk}", "", *_RESULTS_HEADER]
        for variant in variants:
            for users in sorted({r.users for r in of_jdk if r.variant == variant}):
                reps = sorted(
                    (r for r in of_jdk if r.variant == variant and r.users == users),
                    key=lambda r: r.repetition,
                )
                lines.append(_results_row(variant, users, reps))
    return lines


# -- the page -----------------------------------------------------------------------------------


def _machine_line(machine: dict[str, Any]) -> str:
    memory = machine.get("memory_total_bytes")
    parts = [
        str(machine.get("cpu_model") or "unknown CPU"),
        f"{machine.get('logical_cores')} logical cores"
        + (
            f" ({machine['usable_cores']} usable)"
            if machine.get("usable_cores") not in (None, machine.get("logical_cores"))
            else ""
        ),
        f"{memory / 1024**3:.1f} GiB" if isinstance(memory, int | float) else "memory unknown",
        f"{machine.get('os', '?')} {machine.get('kernel', '')}".strip(),
    ]
    if machine.get("load_average_at_start"):
        parts.append("load average at start " + " / ".join(str(x) for x in machine["load_average_at_start"]))
    return f"{machine.get('hostname', '?')}: " + ", ".join(parts)


def _git_line(git: dict[str, Any]) -> str:
    if not git.get("commit"):
        return f"unknown ({git.get('error') or 'no git'})"
    text = f"`{str(git['commit'])[:12]}` on {git.get('branch') or '?'}"
    if git.get("dirty"):
        changes = git.get("dirty_files")
        text += f" — **dirty** ({changes} uncommitted changes: the code measured is not that commit)"
    return text


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dedupe(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def render_summary(manifest: dict[str, Any], levels: Sequence[LevelResult]) -> str:
    """The summary page as markdown.

    Guarantees: a status other than ``complete`` is the first thing under the title, in bold, with
    the error if any; every level warning, every requested-vs-effective mismatch and every
    manifest warning is listed under "Warnings"; with several repetitions each number reads
    ``median [min-max]``.
    """
    scenario = manifest.get("scenario") or {}
    status = str(manifest.get("status", "running"))
    variants = manifest.get("variants") or {}
    config_lines, mismatches = _config_table(variants)
    load = scenario.get("load") or {}

    warnings: list[str] = []
    if status != "complete":
        warnings.append(f"status {status.upper()}: {_STATUS_BANNER.get(status, status)}; results are partial")
    warnings += mismatches
    repetitions = max([int(load.get("repetitions") or 1), *(r.repetition for r in levels)])
    # The runner also stores each level's warnings in the manifest, worded without the repetition
    # count; those are replaced here by the wording that names "rep i/n".
    plain = {w for result in levels for w in warnings_for(result)}
    warnings += [str(w) for w in manifest.get("warnings") or [] if w not in plain]
    for result in levels:
        warnings += warnings_for(result, repetitions)

    lines = [f"# Benchmark results: {scenario.get('name', '?')}", ""]
    if status == "complete":
        lines.append("**Status: complete.**")
    else:
        lines += [
            f"> ## ⚠ {status.upper()}: this run is NOT complete",
            f"> {_sentence(_STATUS_BANNER.get(status, status))}. The tables cover only the levels measured"
            f" before that ({len(levels)} level(s)); do not compare them with complete runs.",
        ]
        if manifest.get("error"):
            lines.append(f"> **Error:** {manifest['error']}")
    if scenario.get("description"):
        lines += ["", str(scenario["description"])]
    git = manifest.get("git") or {}
    lines += [
        "",
        f"- **When:** {manifest.get('started_at')} → {manifest.get('finished_at') or 'not finished'} (UTC)",
        f"- **Load:** {load.get('model', '?')} model, users {load.get('levels')}, {load.get('duration')}"
        f" measured per level after {load.get('settle')} settle, {load.get('repetitions')} repetition(s)",
        f"- **Git:** {_git_line(git)}",
        f"- **Machine:** {_machine_line(manifest.get('machine') or {})}",
        f"- **Harness:** {manifest.get('harness_version')} (results format {manifest.get('format_version')}),"
        f" `{' '.join(str(a) for a in manifest.get('argv') or [])}`",
        "",
        "## Warnings",
        "",
    ]
    lines += [f"- {w}" for w in _dedupe(warnings)] or ["None."]
    lines += ["", "## Configuration (effective, read back from each running app)", ""]
    lines += config_lines if variants else ["No variant was started."]
    lines += _results_tables(levels) if levels else ["", "## Results", "", "No level was measured."]
    lines += [
        "",
        "## How to read this",
        "",
        "- Closed model: each user sends its next request only when the last one answered, so latency is "
        "**not corrected for coordinated omission**; a slow server also slows the arrival of requests.",
        "- Percentiles (p50, p99, p99.9) are of **successful** requests only, measured per request at "
        "microsecond resolution; throughput counts successes per second.",
        "- Little's law: throughput x mean latency (errors included) should equal the users; a gap over "
        "10% means users spent time outside a request (a busy generator, client-side queueing), so the "
        "level did not measure what it claims.",
        "- Generator CPU at or above 90% of one core means Locust, not the server, set the pace.",
        "- RSS MB is the app's peak resident memory in MiB; app CPU s is CPU time over the measured window.",
        "",
    ]
    return "\n".join(lines)


def write_summary(results: ResultsDir) -> Path:
    """Render summary.md from the folder's manifest and levels.csv (absent: no levels) and return its path.

    Raises ResultsError when the manifest is missing or unreadable.
    """
    manifest = read_manifest(results.manifest)
    levels = read_levels(results.levels_csv) if results.levels_csv.exists() else []
    path = results.summary_md
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_summary(manifest, levels), encoding="utf-8")
    tmp.replace(path)
    return path
