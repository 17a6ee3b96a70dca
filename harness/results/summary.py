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
from harness.results.consume_summary import (
    CONSUME_HOW_TO_READ,
    consume_facts,
    consume_section,
    recorded_problems,
)
from harness.results.consume_tables import ConsumeResult, read_consume
from harness.results.jfr_table import JfrLevel, read_jfr
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


def _messaging(key: str) -> Callable[[dict[str, Any]], Any]:
    # Request runs start the apps without a broker: their messaging block is not worth a row.
    def read(effective: dict[str, Any]) -> Any:
        if _dig(effective, "messaging.broker") in (None, "none"):
            return None
        return _dig(effective, f"messaging.{key}")

    return read


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
    *(
        _Row(label, _messaging(key), _requested(f"messaging.{key}"))
        for label, key in (
            ("broker", "broker"), ("partitions", "partitions"), ("listener concurrency", "listenerConcurrency"),
            ("prefetch", "prefetch"), ("max in flight (webflux)", "maxInFlight"), ("relay batch", "relayBatchSize"),
            ("relay poll ms", "relayPollIntervalMs"), ("consumer delay ms", "consumerDelayMs"),
            ("consumer attempts", "maxAttempts"), ("retry backoff ms", "backoffMs"),
        )
    ),
)


def _effective(record: dict[str, Any]) -> dict[str, Any]:
    effective = record.get("effective") or {}
    # Accept the whole /actuator/info document as well as its "runtime" entry.
    if isinstance(effective, dict) and isinstance(effective.get("runtime"), dict):
        effective = effective["runtime"]
    return effective if isinstance(effective, dict) else {}


@dataclass(frozen=True)
class ConfigCell:
    """One setting of one variant: what the running app reported, and what was asked when they differ."""

    value: str  # effective value as shown, "—" when the setting does not apply, or "X (asked; not read back)"
    asked: str | None = None  # the requested value, only when it differs from the effective one
    mismatch: str | None = None  # one sentence describing the difference, only when there is one


@dataclass(frozen=True)
class ConfigRow:
    label: str
    cells: tuple[ConfigCell, ...]  # in the order of the variant keys


def _config_cell(row: _Row, record: dict[str, Any]) -> ConfigCell:
    eff = _effective(record)
    have, want = row.effective(eff), row.requested(record)
    shown = row.show(eff) if row.show else (None if have is None else str(have))
    if have is None or shown is None:
        return ConfigCell("—" if want is None else f"{row.show_requested(want)} (asked; not read back)")
    if want is None or row.same(have, want):
        return ConfigCell(shown)
    return ConfigCell(
        shown,
        row.show_requested(want),
        f"{row.label} is {shown} in the running app, but {row.show_requested(want)} was requested",
    )


def config_rows(variants: dict[str, Any]) -> list[ConfigRow]:
    """The configuration variant beside variant: one row per setting that applies to at least one variant.

    ``variants`` is the manifest's ``variants`` section (``"<variant>@jdk<N>"`` → record); cells follow
    its key order. Every renderer (summary.md, report.html) builds its table from these rows.
    """
    rows = []
    for row in _ROWS:
        cells = tuple(
            _config_cell(row, variants[key] if isinstance(variants[key], dict) else {}) for key in variants
        )
        if any(c.value != "—" for c in cells):
            rows.append(ConfigRow(row.label, cells))
    return rows


def config_mismatches(variants: dict[str, Any]) -> list[str]:
    """One warning per setting whose requested value differs from what the running app reported."""
    return [
        f"{key}: {cell.mismatch}"
        for row in config_rows(variants)
        for key, cell in zip(variants, row.cells, strict=True)
        if cell.mismatch
    ]


def _config_table(variants: dict[str, Any]) -> list[str]:
    keys = list(variants)
    lines = ["| setting | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for row in config_rows(variants):
        cells = [f"**{c.value}** ⚠ asked {c.asked}" if c.asked is not None else c.value for c in row.cells]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return lines


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


RESULTS_COLUMNS: tuple[str, ...] = (
    "variant", "users", "throughput req/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "RSS MB", "app CPU s",
    "req per app CPU-s", "gen CPU %", "Little's law", "flags",
)  # fmt: skip
"""Headers of the results table, in the order of ``ResultsRow.cells``."""


@dataclass(frozen=True)
class ResultsRow:
    """One variant at one number of users, over its repetitions, as text cells (``median [min-max]``)."""

    jdk: int
    variant: str
    users: int
    cells: tuple[str, ...]  # in the order of RESULTS_COLUMNS; the Little's law cell reads "ok 3%" or "off 38%"
    littles_law_ok: bool
    flagged: bool  # any repetition saturated the generator, had errors or failed Little's law


def _results_row(jdk: int, variant: str, users: int, reps: Sequence[LevelResult]) -> ResultsRow:
    n = len(reps)
    law_ok = all(r.littles_law_ok for r in reps)
    law = ("ok " if law_ok else "off ") + _spread([r.littles_law_deviation for r in reps], _pct)
    flags = []
    saturated = sum(r.generator_saturated for r in reps)
    if saturated:
        flags.append("generator saturated" + (f" ({saturated}/{n})" if n > 1 else ""))
    with_errors = sum(r.errors > 0 for r in reps)
    if with_errors:
        flags.append("errors" + (f" ({with_errors}/{n})" if n > 1 else ""))
    if not law_ok:
        flags.append("Little's law")
    cells = (
        variant,
        str(users),
        _spread([r.throughput_rps for r in reps], _fmt_rate),
        _spread([r.p50_ms for r in reps], _fmt_ms),
        _spread([r.p99_ms for r in reps], _fmt_ms),
        _spread([r.p999_ms for r in reps], _fmt_ms),
        _spread([r.errors for r in reps], _fmt_int),
        _spread([r.app_rss_mb_max for r in reps], lambda v: f"{v:.0f}"),
        _spread([r.app_cpu_s for r in reps], lambda v: f"{v:.1f}"),
        # Neither threads nor an event loop create CPU: this is the number that says which is cheaper.
        _spread([1000 / r.app_cpu_s_per_1k_requests if r.app_cpu_s_per_1k_requests else None for r in reps],
                lambda v: f"{v:.0f}"),
        _spread([r.generator_cpu_pct_mean for r in reps], lambda v: f"{v:.0f}"),
        law,
        ", ".join(flags),
    )
    return ResultsRow(jdk, variant, users, cells, law_ok, bool(flags))


def results_rows(levels: Sequence[LevelResult]) -> dict[int, list[ResultsRow]]:
    """The results table of each JDK (in order of first appearance), rows by variant then users.

    Every renderer (summary.md, report.html) builds its results tables from these rows.
    """
    tables: dict[int, list[ResultsRow]] = {}
    for jdk in dict.fromkeys(r.jdk for r in levels):
        of_jdk = [r for r in levels if r.jdk == jdk]
        rows = tables.setdefault(jdk, [])
        for variant in dict.fromkeys(r.variant for r in of_jdk):
            for users in sorted({r.users for r in of_jdk if r.variant == variant}):
                reps = sorted(
                    (r for r in of_jdk if r.variant == variant and r.users == users),
                    key=lambda r: r.repetition,
                )
                rows.append(_results_row(jdk, variant, users, reps))
    return tables


_RESULTS_HEADER = [
    "| " + " | ".join(RESULTS_COLUMNS) + " |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
]


def _results_tables(levels: Sequence[LevelResult]) -> list[str]:
    lines: list[str] = []
    for jdk, rows in results_rows(levels).items():
        lines += ["", f"## Results: JDK {jdk}", "", *_RESULTS_HEADER]
        for row in rows:
            cells = list(row.cells)
            if not row.littles_law_ok:
                law = RESULTS_COLUMNS.index("Little's law")
                cells[law] = "**off** " + cells[law].removeprefix("off ")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


# -- the page -----------------------------------------------------------------------------------


def machine_line(machine: dict[str, Any]) -> str:
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


def git_line(git: dict[str, Any]) -> str:
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


HOW_TO_READ: tuple[str, ...] = (
    "Closed model: each user sends its next request only when the last one answered, so latency is "
    "**not corrected for coordinated omission**; a slow server also slows the arrival of requests.",
    "Percentiles (p50, p99, p99.9) are of **successful** requests only, measured per request at "
    "microsecond resolution; throughput counts successes per second.",
    "Little's law: throughput x mean latency (errors included) should equal the users; a gap over "
    "10% means users spent time outside a request (a busy generator, client-side queueing), so the "
    "level did not measure what it claims.",
    "Generator CPU at or above 90% of one core means Locust, not the server, set the pace.",
    "RSS MB is the app's peak resident memory in MiB; app CPU s is CPU time over the measured window.",
)
"""The reading notes under every summary and report, markdown inline (``**bold**``)."""


def status_explanation(status: str) -> str:
    """Why a run with this status is not complete, as a sentence fragment ("the run failed")."""
    return _STATUS_BANNER.get(status, status)


def run_warnings(manifest: dict[str, Any], levels: Sequence[LevelResult]) -> list[str]:
    """Every reason to distrust or qualify a run, deduplicated, in the order a reader needs them.

    First the status (when not complete), then requested-vs-effective mismatches, the problems the
    verification found, the manifest's own warnings, then one line per level warning naming its
    repetition ("rep i/n"). Empty when the run is complete and clean.
    """
    status = str(manifest.get("status", "running"))
    load = (manifest.get("scenario") or {}).get("load") or {}
    warnings: list[str] = []
    if status != "complete":
        warnings.append(f"status {status.upper()}: {status_explanation(status)}; results are partial")
    warnings += config_mismatches(manifest.get("variants") or {})
    verification = manifest.get("verification") or {}
    if isinstance(verification, dict):
        warnings += [f"verification: {p}" for p in verification.get("problems") or []]
    repetitions = max([int(load.get("repetitions") or 1), *(r.repetition for r in levels)])
    # The runner also stores each level's warnings in the manifest, worded without the repetition
    # count; those are replaced here by the wording that names "rep i/n".
    plain = {w for result in levels for w in warnings_for(result)}
    warnings += [str(w) for w in manifest.get("warnings") or [] if w not in plain]
    for result in levels:
        warnings += warnings_for(result, repetitions)
    return _dedupe(warnings)


def incomplete_notice(status: str, measured_levels: int, unit: str = "level") -> str:
    """The sentence under the banner of a run that is not complete (``unit``: level, or segment)."""
    return (
        f"{_sentence(status_explanation(status))}. The tables cover only the {unit}s measured before that"
        f" ({measured_levels} {unit}(s)); do not compare them with complete runs."
    )


def is_consume(manifest: dict[str, Any]) -> bool:
    """Whether the run is a consumer benchmark (its scenario has a consume section)."""
    return bool((manifest.get("scenario") or {}).get("consume"))


def run_facts(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines describing the run: when, load (or consume), git, machine, harness; values are
    markdown inline."""
    scenario = manifest.get("scenario") or {}
    load = scenario.get("load") or {}
    if is_consume(manifest):
        workload = ("Consume", consume_facts(scenario["consume"], scenario.get("faults") or {}))
    else:
        workload = (
            "Load",
            f"{load.get('model', '?')} model, users {load.get('levels')}, {load.get('duration')}"
            f" measured per level after {load.get('settle')} settle, {load.get('repetitions')} repetition(s)",
        )
    return [
        ("When", f"{manifest.get('started_at')} → {manifest.get('finished_at') or 'not finished'} (UTC)"),
        workload,
        ("Git", git_line(manifest.get("git") or {})),
        ("Machine", machine_line(manifest.get("machine") or {})),
        (
            "Harness",
            f"{manifest.get('harness_version')} (results format {manifest.get('format_version')}),"
            f" `{' '.join(str(a) for a in manifest.get('argv') or [])}`",
        ),
    ]


_POOL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("platform_threads_max", "platform threads"), ("heap_used_mb_max", "heap MiB"),
    ("db_pool_active_max", "DB pool active"), ("db_pool_pending_max", "DB pool waiting"),
    ("db_acquire_ms_mean", "DB acquire ms mean"), ("db_acquire_ms_max", "DB acquire ms max"),
    ("tomcat_busy_threads_max", "Tomcat busy threads"), ("http_client_pending_max", "HTTP client waiting"),
    ("vt_pinned", "VT pinned"), ("gc_pauses", "GC pauses"), ("gc_pause_ms_total", "GC pause ms"),
)  # fmt: skip


def _pool_tables(levels: Sequence[LevelResult]) -> list[str]:
    """Per JDK: the pools and threads behind each level (read from /actuator/prometheus; max of
    gauges, increase of counters; median over repetitions; — where a variant has no such meter)."""
    groups: dict[tuple[int, str, int], list[LevelResult]] = {}
    for level in levels:
        groups.setdefault((level.jdk, level.variant, level.users), []).append(level)
    present = [c for c in _POOL_COLUMNS if any(getattr(level, c[0]) is not None for level in levels)]
    if not present:
        return []
    lines: list[str] = []
    for jdk in sorted({key[0] for key in groups}):
        lines += [
            "", f"## Pools and threads: JDK {jdk}", "",
            "| variant | users | " + " | ".join(title for _, title in present) + " |",
            "|---|---:|" + "---:|" * len(present),
        ]  # fmt: skip
        for (row_jdk, variant, users), reps in sorted(groups.items()):
            if row_jdk == jdk:
                cells = [_spread([getattr(r, name) for r in reps], _fmt_rate) for name, _ in present]
                lines.append(f"| {variant} | {users} | " + " | ".join(cells) + " |")
    return lines


def _jfr_tables(jfr: Sequence[JfrLevel]) -> list[str]:
    """Per JDK: what the flight recordings say per variant and level (median over repetitions)."""
    lines: list[str] = []
    groups: dict[tuple[int, str, int], list[JfrLevel]] = {}
    for row in jfr:
        groups.setdefault((row.jdk, row.variant, row.users), []).append(row)
    for jdk in sorted({key[0] for key in groups}):
        lines += [
            "", f"## JFR: JDK {jdk}", "",
            "| variant | users | pinned events | pinned total ms | pinned p99 ms | top pinned frame "
            "| submit failed | GC pauses | GC pause total ms | GC pause max ms | alloc MiB/s | heap after GC max MiB |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]  # fmt: skip
        for (row_jdk, variant, users), reps in sorted(groups.items()):
            if row_jdk != jdk:
                continue
            top = max(reps, key=lambda r: r.pinned_events).top_pinned_frame or "—"
            heap = [r.heap_after_gc_max_mb for r in reps]
            lines.append(
                f"| {variant} | {users} | {_spread([r.pinned_events for r in reps], _fmt_int)} "
                f"| {_spread([r.pinned_total_ms for r in reps], _fmt_ms)} "
                f"| {_spread([r.pinned_p99_ms for r in reps], _fmt_ms)} | `{top}` "
                f"| {_spread([r.submit_failed_events for r in reps], _fmt_int)} "
                f"| {_spread([r.gc_pauses for r in reps], _fmt_int)} "
                f"| {_spread([r.gc_pause_total_ms for r in reps], _fmt_ms)} "
                f"| {_spread([r.gc_pause_max_ms for r in reps], _fmt_ms)} "
                f"| {_spread([r.allocation_rate_mb_s for r in reps], _fmt_rate)} "
                f"| {_spread(heap, _fmt_rate)} |"
            )
    return lines


def render_summary(
    manifest: dict[str, Any], levels: Sequence[LevelResult], jfr: Sequence[JfrLevel] = (),
    consume: Sequence[ConsumeResult] = (),
) -> str:
    """The summary page as markdown.

    Guarantees: a status other than ``complete`` is the first thing under the title, in bold, with
    the error if any; everything ``run_warnings`` returns (level warnings, requested-vs-effective
    mismatches, verification problems, manifest warnings) is listed under "Warnings"; with several
    repetitions each number reads ``median [min-max]``. A consume run shows its verdict (every
    segment lost = 0 and processed twice = 0, or the failures) and one row per segment instead.
    """
    scenario = manifest.get("scenario") or {}
    status = str(manifest.get("status", "running"))
    variants = manifest.get("variants") or {}
    warnings = run_warnings(manifest, levels)

    lines = [f"# Benchmark results: {scenario.get('name', '?')}", ""]
    if status == "complete":
        lines.append("**Status: complete.**")
    else:
        notice = (incomplete_notice(status, len(consume), "segment") if is_consume(manifest)
                  else incomplete_notice(status, len(levels)))
        lines += [
            f"> ## ⚠ {status.upper()}: this run is NOT complete",
            f"> {notice}",
        ]
        if manifest.get("error"):
            lines.append(f"> **Error:** {manifest['error']}")
    if scenario.get("description"):
        lines += ["", str(scenario["description"])]
    lines += ["", *(f"- **{label}:** {value}" for label, value in run_facts(manifest)), ""]
    lines += [
        "## Warnings",
        "",
    ]
    lines += [f"- {w}" for w in warnings] or ["None."]
    lines += ["", "## Configuration (effective, read back from each running app)", ""]
    lines += _config_table(variants) if variants else ["No variant was started."]
    if is_consume(manifest):
        lines += consume_section(consume, recorded_problems(manifest))
        reading = CONSUME_HOW_TO_READ
    else:
        lines += _results_tables(levels) if levels else ["", "## Results", "", "No level was measured."]
        reading = HOW_TO_READ
    lines += _pool_tables(levels)
    lines += _jfr_tables(jfr)
    lines += [
        "",
        "## How to read this",
        "",
        *(f"- {line}" for line in reading),
        "",
    ]
    return "\n".join(lines)


def write_summary(results: ResultsDir) -> Path:
    """Render summary.md from the folder's manifest, levels.csv and consume.csv (absent: none) and return its path.

    Raises ResultsError when the manifest is missing or unreadable.
    """
    manifest = read_manifest(results.manifest)
    levels = read_levels(results.levels_csv) if results.levels_csv.exists() else []
    path = results.summary_md
    tmp = path.with_name(f".{path.name}.tmp")
    page = render_summary(manifest, levels, read_jfr(results.jfr_csv), read_consume(results.consume_csv))
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
