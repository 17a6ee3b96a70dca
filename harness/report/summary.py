"""summary.md: one page a person reads first, rendered from manifest.json and levels.csv alone.

Rendering only reads what the run stored, so ``harness report`` can redo it for any results
folder, including one whose run failed or was killed.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.apps import app_key
from harness.level_id import HasLevelId, LevelPoint
from harness.metrics import LevelResult, open_flags, warnings_for
from harness.report.capacity import capacity_markdown
from harness.report.consume_explain import Explained, explain_section
from harness.report.consume_replay import replay_section
from harness.report.consume_summary import (
    CONSUME_HOW_TO_READ,
    consume_facts,
    consume_section,
    recorded_problems,
)
from harness.report.warmup import warmup_table
from harness.results.capacity_table import CapacityResult, read_capacity
from harness.results.consume_replay_table import CONSUME_REPLAY, ConsumeReplay, read_consume_replay
from harness.results.consume_tables import ConsumeResult, read_consume
from harness.results.jfr_table import JfrLevel, read_jfr
from harness.results.layout import ResultsDir
from harness.results.manifest import GitRecord, MachineRecord, Manifest, VariantRecord, read_manifest
from harness.results.tables import WARMUP, WarmupReading, read_levels
from harness.scenario import LoadSettings, format_duration
from harness.settings import CATALOGUE, Setting, dig

_DASH = "\u2013"  # en dash of "median [min-max]"; spelled out because linters flag it as a confusable

_STATUS_BANNER = {
    "running": "never finished: the harness is still running, or it was killed (kill -9, crash, power loss) "
    "before it could record an end",
    "failed": "the run failed",
    "interrupted": "the run was interrupted (Ctrl-C or SIGTERM)",
}


# -- configuration table (rows from harness.settings.CATALOGUE) -----------------------------------


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


def _config_cell(setting: Setting, record: VariantRecord) -> ConfigCell:
    eff = record.effective
    have = setting.read_effective(eff)
    want = setting.asked(record) if setting.asked is not None else (
        None if setting.reported is None else record.requested.get(setting.reported))
    shown = setting.show(eff) if setting.show else (None if have is None else str(have))
    if have is None or shown is None:
        return ConfigCell("—" if want is None else f"{setting.show_asked(want)} (asked; not read back)")
    if want is None or setting.same(have, want):
        return ConfigCell(shown)
    return ConfigCell(
        shown,
        setting.show_asked(want),
        f"{setting.label} is {shown} in the running app, but {setting.show_asked(want)} was requested",
    )


def config_rows(variants: Mapping[str, VariantRecord], catalogue: Sequence[Setting] = CATALOGUE,
                placement: Mapping[str, Any] | None = None) -> list[ConfigRow]:
    """The configuration variant beside variant: one row per catalogue setting that applies to at least one
    variant (in the catalogue's order).

    ``variants`` is the manifest's ``"<variant>@jdk<N>"`` → record; cells follow its key order. Every
    renderer (summary.md, report.html) builds its table from these rows.
    """
    rows = []
    for setting in catalogue:
        if not setting.table:
            continue
        cells = tuple(_config_cell(setting, variants[key]) for key in variants)
        if any(c.value != "—" for c in cells):
            rows.append(ConfigRow(setting.label, cells))
    if placement:  # the run's, the same for every variant: the manifest's placement section
        rows.append(ConfigRow("CPU placement", tuple(ConfigCell(str(placement.get("describe", placement.get("mode"))))
                                                     for _ in variants)))
    return rows


def config_mismatches(variants: Mapping[str, VariantRecord], catalogue: Sequence[Setting] = CATALOGUE) -> list[str]:
    """One warning per setting whose requested value differs from what the running app reported."""
    return [
        f"{key}: {cell.mismatch}"
        for row in config_rows(variants, catalogue)
        for key, cell in zip(variants, row.cells, strict=True)
        if cell.mismatch
    ]


def config_table(variants: Mapping[str, VariantRecord], catalogue: Sequence[Setting] = CATALOGUE,
                 placement: Mapping[str, Any] | None = None) -> list[str]:
    """The configuration table as markdown lines."""
    keys = list(variants)
    lines = ["| setting | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for row in config_rows(variants, catalogue, placement):
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


def coefficient_of_variation(values: Sequence[float]) -> float | None:
    """Sample standard deviation over mean: the spread of independent repetitions relative to their level;
    None with fewer than two values or a mean of 0."""
    if len(values) < 2 or statistics.fmean(values) == 0:
        return None
    return statistics.stdev(values) / statistics.fmean(values)


def _cv_cell(values: Sequence[float]) -> str:
    cv = coefficient_of_variation(values)
    return "—" if cv is None else f"{cv * 100:.1f}%"


RESULTS_COLUMNS: tuple[str, ...] = (
    "variant", "users", "throughput req/s", "throughput CV", "p50 ms", "p99 ms", "p99.9 ms", "errors", "RSS MB",
    "app CPU s", "req per app CPU-s", "gen CPU %", "Little's law", "flags",
)  # fmt: skip
"""Headers of the results table, in the order of ``ResultsRow.cells``."""

OPEN_RESULTS_COLUMNS: tuple[str, ...] = (
    "variant", "rate req/s", "achieved req/s", "throughput req/s", "p50 ms", "p99 ms", "p99.9 ms",
    "service p50 ms", "service p99 ms", "late", "dropped", "in flight at end", "errors", "app CPU s",
    "req per app CPU-s", "gen CPU %", "Little's law", "SLO", "flags",
)  # fmt: skip
"""The open model's results table: latency corrected from the intended send time, service time beside it."""


def results_columns(rows: Sequence[ResultsRow]) -> tuple[str, ...]:
    """The headers of one results table (a run is either closed- or open-model)."""
    return OPEN_RESULTS_COLUMNS if rows and rows[0].rate else RESULTS_COLUMNS


@dataclass(frozen=True)
class ResultsRow:
    """One variant at one number of users, over its repetitions, as text cells (``median [min-max]``)."""

    jdk: int
    variant: str
    users: int
    cells: tuple[str, ...]  # in the order of results_columns; the Little's law cell reads "ok 3%" or "off 38%"
    littles_law_ok: bool
    flagged: bool  # any repetition saturated the generator, had errors or failed Little's law
    rate: int = 0  # open model


def _open_results_row(jdk: int, variant: str, rate: int, reps: Sequence[LevelResult]) -> ResultsRow:
    law_ok = all(r.littles_law_ok for r in reps)
    law = ("ok " if law_ok else "off ") + _spread([r.littles_law_deviation for r in reps], _pct)
    flags = [*(flag for r in reps for flag in open_flags(r)), *_row_flags(reps, law_ok)]
    held = [r.slo_ok for r in reps if r.slo_ok is not None]
    slo = "—" if not held else ("held" if all(held) else f"broken ({held.count(False)}/{len(held)})")
    cells = (
        variant,
        str(rate),
        _spread([r.achieved_rps for r in reps], _fmt_rate),
        _spread([r.throughput_rps for r in reps], _fmt_rate),
        _spread([r.p50_ms for r in reps], _fmt_ms),
        _spread([r.p99_ms for r in reps], _fmt_ms),
        _spread([r.p999_ms for r in reps], _fmt_ms),
        _spread([r.service_p50_ms for r in reps], _fmt_ms),
        _spread([r.service_p99_ms for r in reps], _fmt_ms),
        _spread([r.late for r in reps], _fmt_int),
        _spread([r.dropped for r in reps], _fmt_int),
        _spread([r.in_flight_end for r in reps], _fmt_int),
        _spread([r.errors for r in reps], _fmt_int),
        _spread([r.app_cpu_s for r in reps], lambda v: f"{v:.1f}"),
        _spread([1000 / r.app_cpu_s_per_1k_requests if r.app_cpu_s_per_1k_requests else None for r in reps],
                lambda v: f"{v:.0f}"),
        _spread([r.generator_cpu_pct_mean for r in reps], lambda v: f"{v:.0f}"),
        law,
        slo,
        ", ".join(dict.fromkeys(flags)),
    )
    return ResultsRow(jdk, variant, 0, cells, law_ok, bool(flags), rate=rate)


def _row_flags(reps: Sequence[LevelResult], law_ok: bool) -> list[str]:
    """The flags of one results row, closed or open model alike: each with how many repetitions had it."""
    n = len(reps)
    flags = []
    for count, name in ((sum(r.generator_saturated for r in reps), "generator saturated"),
                        (sum(r.app_throttled for r in reps), "throttled"),
                        (sum(r.errors > 0 for r in reps), "errors")):
        if count:
            flags.append(name + (f" ({count}/{n})" if n > 1 else ""))
    if not law_ok:
        flags.append("Little's law")
    for count, name in ((sum(r.generator_starved for r in reps), "generator starved"),
                        (sum(not r.warmup_steady for r in reps), "not steady"),
                        (sum(r.machine_busy for r in reps), "machine shared"),
                        (sum(r.paused for r in reps), "machine paused")):
        if count:
            flags.append(name + (f" ({count}/{n})" if n > 1 else ""))
    return flags


def _results_row(jdk: int, variant: str, users: int, reps: Sequence[LevelResult]) -> ResultsRow:
    law_ok = all(r.littles_law_ok for r in reps)
    law = ("ok " if law_ok else "off ") + _spread([r.littles_law_deviation for r in reps], _pct)
    flags = _row_flags(reps, law_ok)
    cells = (
        variant,
        str(users),
        _spread([r.throughput_rps for r in reps], _fmt_rate),
        _cv_cell([r.throughput_rps for r in reps]),
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


@dataclass(frozen=True)
class ResultsSection:
    """What one results table holds: one JDK, under one CPU limit when the apps ran in containers."""

    jdk: int
    cpus: float | None = None

    @property
    def title(self) -> str:
        """``JDK 25``; ``JDK 25, 2 CPUs`` under a container's CPU quota."""
        return f"JDK {self.jdk}" + ("" if self.cpus is None else f", {self.cpus:g} CPU{'' if self.cpus == 1 else 's'}")

    @property
    def anchor(self) -> str:
        return f"jdk{self.jdk}" + ("" if self.cpus is None else f"-cpus{self.cpus:g}".replace(".", "_"))


def results_rows(levels: Sequence[LevelResult]) -> dict[ResultsSection, list[ResultsRow]]:
    """The results table of each JDK × CPU limit (in order of first appearance), rows by variant then users.

    Every renderer (summary.md, report.html) builds its results tables from these rows.
    """
    tables: dict[ResultsSection, list[ResultsRow]] = {}
    for section in dict.fromkeys(ResultsSection(r.jdk, r.cpus) for r in levels):
        jdk = section.jdk
        of_jdk = [r for r in levels if r.jdk == jdk and r.cpus == section.cpus]
        rows = tables.setdefault(section, [])
        for variant in dict.fromkeys(r.variant for r in of_jdk):
            for point in sorted({r.id.point for r in of_jdk if r.variant == variant}):
                reps = sorted((r for r in of_jdk if r.id.point == point), key=lambda r: r.repetition)
                if point.rate:
                    rows.append(_open_results_row(jdk, variant, point.rate, reps))
                else:
                    rows.append(_results_row(jdk, variant, point.users, reps))
    return tables


def _point_header(rows: Sequence[HasLevelId | LevelPoint]) -> str:
    """``users``, or ``rate req/s`` for an open-model run's rows."""
    return "rate req/s" if any(r.rate for r in rows) else "users"


def _results_header(columns: Sequence[str]) -> list[str]:
    align = ["---" if name in ("variant", "Little's law", "SLO", "flags") else "---:" for name in columns]
    return ["| " + " | ".join(columns) + " |", "|" + "|".join(align) + "|"]


def _results_tables(levels: Sequence[LevelResult]) -> list[str]:
    lines: list[str] = []
    for section, rows in results_rows(levels).items():
        columns = results_columns(rows)
        lines += ["", f"## Results: {section.title}", "", *_results_header(columns)]
        for row in rows:
            cells = list(row.cells)
            if not row.littles_law_ok:
                law = columns.index("Little's law")
                cells[law] = "**off** " + cells[law].removeprefix("off ")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


# -- the page -----------------------------------------------------------------------------------


def machine_line(machine: MachineRecord) -> str:
    parts = [
        machine.cpu_model or "unknown CPU",
        f"{machine.logical_cores} logical cores"
        + (
            f" ({machine.usable_cores} usable)"
            if machine.usable_cores not in (None, machine.logical_cores)
            else ""
        ),
        f"{machine.memory_total_bytes / 1024**3:.1f} GiB",
        f"{machine.os} {machine.kernel}".strip(),
    ]
    if machine.load_average_at_start:
        parts.append("load average at start " + " / ".join(str(x) for x in machine.load_average_at_start))
    return f"{machine.hostname}: " + ", ".join(parts)


def git_line(git: GitRecord) -> str:
    if not git.commit:
        return f"unknown ({git.error or 'no git'})"
    text = f"`{git.commit[:12]}` on {git.branch or '?'}"
    if git.dirty:
        text += f" — **dirty** ({git.dirty_files} uncommitted changes: the code measured is not that commit)"
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

OPEN_HOW_TO_READ: tuple[str, ...] = (
    "Open model: requests leave on a fixed timeline whatever the answers do, and latency (p50, p99, p99.9) is "
    "measured from each request's **intended** send time (corrected for coordinated omission); service p50/p99 "
    "are from the actual send time, what the server alone took.",
    "Achieved req/s counts requests that actually left inside the window; below 98% of the rate the server held "
    "every connection and the timeline slipped. Late: sent more than 1 ms after their time; dropped: never sent; "
    "in flight at end: intended inside the window, answered after it.",
    "A level whose per-second p50 rises across the window (last third over 1.5x the first and 5 ms higher) is "
    "not sustainable: its queue grows, and a longer window would show worse numbers.",
    "Little's law: rate x mean corrected latency should equal the requests in flight measured from their own "
    "times; a gap over 10% means latency is not short against the window (edge effects), or hits were lost.",
    "Capacity under SLO: the highest rate whose step held p99, the error rate, 98% of the rate and no upward "
    "trend, after a geometric ramp and a bisection, per fresh JVM; the interval is over repetitions.",
)


def how_to_read(manifest: Manifest) -> tuple[str, ...]:
    if manifest.is_consume:
        return CONSUME_HOW_TO_READ
    return OPEN_HOW_TO_READ if manifest.scenario.require_load().model == "open" else HOW_TO_READ


def status_explanation(status: str) -> str:
    """Why a run with this status is not complete, as a sentence fragment ("the run failed")."""
    return _STATUS_BANNER.get(status, status)


def run_warnings(manifest: Manifest, levels: Sequence[LevelResult]) -> list[str]:
    """Every reason to distrust or qualify a run, deduplicated, in the order a reader needs them.

    First the status (when not complete), then requested-vs-effective mismatches, the problems the
    verification found, the manifest's own warnings, then one line per level warning naming its
    repetition ("rep i/n"). Empty when the run is complete and clean.
    """
    status = manifest.status
    load = manifest.scenario.load
    warnings: list[str] = []
    if status != "complete":
        warnings.append(f"status {status.upper()}: {status_explanation(status)}; results are partial")
    warnings += config_mismatches(manifest.variants)
    if manifest.verification is not None:
        warnings += [f"verification: {p}" for p in manifest.verification.problems]
    if not manifest.independent_repetitions and load is not None and load.repetitions > 1:
        warnings.append("the repetitions ran back to back inside one JVM (results format 1): JIT warm-up drifts "
                        "across them, so their spread is not the spread of independent runs")
    repetitions = max([load.repetitions if load is not None else 1, *(r.repetition for r in levels)])
    # The runner also stores each level's warnings in the manifest, worded without the repetition
    # count; those are replaced here by the wording that names "rep i/n".
    plain = {w for result in levels for w in warnings_for(result)}
    warnings += [w for w in manifest.warnings if w not in plain]
    for result in levels:
        warnings += warnings_for(result, repetitions)
    return _dedupe(warnings)


def incomplete_notice(status: str, measured_levels: int, unit: str = "level") -> str:
    """The sentence under the banner of a run that is not complete (``unit``: level, or segment)."""
    return (
        f"{_sentence(status_explanation(status))}. The tables cover only the {unit}s measured before that"
        f" ({measured_levels} {unit}(s)); do not compare them with complete runs."
    )


def load_points(load: LoadSettings) -> str:
    """``users [16, 64]``, ``rates [100, 200] req/s`` or the search and its SLO."""
    if load.search is not None and load.slo is not None:
        search, slo = load.search, load.slo
        return (f"capacity search {search.start}→{search.max} req/s (×{search.factor:g}, then bisection to "
                f"{search.resolution} req/s) under p99 ≤ {slo.p99 * 1000:g} ms and errors ≤ {slo.error_rate:.2%}")
    if load.model == "open":
        return f"rates {list(load.load_points())} req/s"
    return f"users {list(load.load_points())}"


def load_generator(manifest: Manifest) -> str:
    """`` (vegeta v12.13.0)`` as recorded; empty for a run recorded before the manifest named it."""
    recorded = manifest.load_generator
    if not recorded:
        return ""
    return f" ({recorded.get('driver')} {recorded.get('version', '')})".replace(" )", ")")


def run_facts(manifest: Manifest) -> list[tuple[str, str]]:
    """(label, value) lines describing the run: when, load (or consume), git, machine, harness; values are
    markdown inline."""
    scenario = manifest.scenario
    if scenario.consume is not None:
        workload = ("Consume", consume_facts(scenario.consume, scenario.faults))
    else:
        load, work = scenario.require_load(), scenario.workload
        mix = "" if work.mix is None else " " + ", ".join(f"{name} {weight}" for name, weight in work.mix.items())
        workload = (
            "Load",
            f"{load.model} model{load_generator(manifest)}, {load_points(load)}, {format_duration(load.duration)}"
            f" measured per level after {format_duration(load.settle)} settle, {load.repetitions} repetition(s);"
            f" profile {work.profile}{mix}, downstream delay {work.downstream_delay_ms} ms",
        )
    order = manifest.run_order
    jvms = [] if order is None else [(
        "JVMs",
        f"a fresh JVM per variant × JDK × repetition, each warmed up on its own; {len(order.runs)} run in "
        f"{order.policy} order" + (f" (seed {order.seed})" if order.seed is not None else "")
        + " (manifest.json run_order)",
    )]
    return [
        ("When", f"{manifest.started_at} → {manifest.finished_at or 'not finished'} (UTC)"),
        workload,
        *jvms,
        *warmup_facts(manifest),
        *downstream_warmup_fact(manifest),
        ("Calibration", calibration_fact(manifest.calibration)),
        ("Git", git_line(manifest.git)),
        ("Machine", machine_line(manifest.machine)),
        (
            "Harness",
            f"{manifest.harness_version} (results format {manifest.format_version}),"
            f" `{' '.join(manifest.argv)}`",
        ),
    ]


def warmup_facts(manifest: Manifest) -> list[tuple[str, str]]:
    """The warm-up as configured and, for an auto one, how each JVM's ended."""
    if manifest.is_consume:
        return []
    warmup = manifest.scenario.require_load().warmup
    runs = [] if manifest.run_order is None else [r for r in manifest.run_order.runs if r.warmup_steady is not None]
    if not runs:
        return [("Warm-up", warmup.describe())]
    unsteady = [f"{r.app} r{r.repetition}" for r in runs if not r.warmup_steady]
    seconds = sorted(r.warmup_seconds for r in runs if r.warmup_steady and r.warmup_seconds is not None)
    span = "" if not seconds else f" after {seconds[0]:g}s" if seconds[0] == seconds[-1] else \
        f" after {seconds[0]:g}–{seconds[-1]:g}s"
    outcome = f"; {len(runs) - len(unsteady)} of {len(runs)} JVMs steady{span}"
    if unsteady:
        outcome += f"; **not steady** (reached max): {', '.join(unsteady)}"
    return [("Warm-up", warmup.describe() + outcome + " (warmup.csv)")]


def downstream_warmup_fact(manifest: Manifest) -> list[tuple[str, str]]:
    """How the downstream's warm-up ended (runs before ``downstream.warmup`` was recorded have none)."""
    warmup = (manifest.downstream or {}).get("warmup")
    if not warmup:
        return []
    configured = manifest.scenario.workload.downstream_warmup.describe()
    if warmup.get("steady") is None:
        return [("Downstream warm-up", f"{configured} (fixed: it may still have been compiling)")]
    outcome = "steady" if warmup["steady"] else "**not steady** (reached max)"
    return [("Downstream warm-up", f"{configured}; {outcome} after {warmup['seconds']:g}s at {warmup['users']} users")]


def calibration_fact(calibration: Mapping[str, Any] | None) -> str:
    """How far this machine's figures can be trusted, from its cached ``harness calibrate`` (when run)."""
    if not calibration:
        return "none for this machine: `harness calibrate` measures the instrument's error (README)"
    sentences = " ".join(str(s) for s in calibration.get("trust", []))
    return f"{sentences} (`harness calibrate` of {calibration.get('finished_at', '?')}, manifest.json calibration)"


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
    groups: dict[LevelPoint, list[LevelResult]] = {}
    for level in levels:
        groups.setdefault(level.id.point, []).append(level)
    present = [c for c in _POOL_COLUMNS if any(getattr(level, c[0]) is not None for level in levels)]
    if not present:
        return []
    lines: list[str] = []
    for jdk in sorted({point.jdk for point in groups}):
        lines += [
            "", f"## Pools and threads: JDK {jdk}", "",
            f"| variant | {_point_header(levels)} | " + " | ".join(title for _, title in present) + " |",
            "|---|---:|" + "---:|" * len(present),
        ]  # fmt: skip
        for point, reps in sorted(groups.items()):
            if point.jdk == jdk:
                cells = [_spread([getattr(r, name) for r in reps], _fmt_rate) for name, _ in present]
                lines.append(f"| {_variant_cell(point)} | {point.rate or point.users} | " + " | ".join(cells) + " |")
    return lines


def _variant_cell(point: LevelPoint) -> str:
    """The variant, with its container's CPU limit when it had one."""
    return point.variant if point.cpus is None else f"{point.variant} ({point.cpus:g} CPU)"


def _request_threads(effective: Mapping[str, Any], jvm: Mapping[str, Any]) -> str:
    """The threads that run requests: Netty's event loops, the virtual-thread carriers, or Tomcat's pool."""
    if dig(effective, "nettyIoWorkers") is not None:
        return f"{dig(effective, 'nettyIoWorkers')} event loops"
    if dig(effective, "virtualThreads"):
        return f"{jvm.get('virtualThreadCarriers', '—')} VT carriers"
    threads = dig(effective, "tomcat.maxThreads")
    return "—" if threads is None else f"{threads} Tomcat threads"


def _containers_table(variants: Mapping[str, VariantRecord], levels: Sequence[LevelResult]) -> list[str]:
    """With containerised apps: per JDK, variant × CPU limit × users, what the load got (throughput, p99) beside
    what the JVM saw of its quota (processors, the threads that run requests, GC threads) and how long the
    quota held it back (throttled seconds, share of CFS periods); medians over repetitions."""
    groups: dict[LevelPoint, list[LevelResult]] = {}
    for level in levels:
        if level.cpus is not None:
            groups.setdefault(level.id.point, []).append(level)
    if not groups:
        return []
    lines = [
        "", "## Containers: CPU limit × variant", "",
        "| JDK | variant | CPU limit | users | throughput req/s | p99 ms | available processors | request threads "
        "| GC threads (parallel/concurrent) | throttled s | throttled periods % | cgroup memory MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    order = {key: i for i, key in enumerate(variants)}
    for point, reps in sorted(groups.items(), key=lambda item: (
            item[0].jdk, item[0].cpus or 0, order.get(app_key(item[0].variant, item[0].jdk, item[0].cpus), 0),
            item[0].users)):  # fmt: skip
        record = variants.get(app_key(point.variant, point.jdk, point.cpus))
        jvm = dig(record.effective, "jvm") if record is not None else None
        jvm = jvm if isinstance(jvm, Mapping) else {}
        threads = _request_threads(record.effective if record is not None else {}, jvm)
        gc: Mapping[str, object] = jvm["gcThreads"] if isinstance(jvm.get("gcThreads"), Mapping) else {}
        lines.append(
            f"| {point.jdk} | {point.variant} | {point.cpus:g} | {point.users} "
            f"| {_spread([r.throughput_rps for r in reps], _fmt_rate)} | {_spread([r.p99_ms for r in reps], _fmt_ms)} "
            f"| {jvm.get('availableProcessors', '—')} | {threads} "
            f"| {gc.get('parallel', '—')}/{gc.get('concurrent', '—')} "
            f"| {_spread([r.app_throttled_s for r in reps], _fmt_ms)} "
            f"| {_spread([r.app_throttled_pct for r in reps], lambda v: f'{v:.0f}')} "
            f"| {_spread([r.app_cgroup_memory_mb_max for r in reps], lambda v: f'{v:.0f}')} |"
        )
    return lines


def _jfr_tables(jfr: Sequence[JfrLevel]) -> list[str]:
    """Per JDK: what the flight recordings say per variant and level (median over repetitions)."""
    lines: list[str] = []
    groups: dict[LevelPoint, list[JfrLevel]] = {}
    for row in jfr:
        groups.setdefault(row.id.point, []).append(row)
    for jdk in sorted({point.jdk for point in groups}):
        lines += [
            "", f"## JFR: JDK {jdk}", "",
            f"| variant | {_point_header(list(groups))} | pinned events | pinned total ms | pinned p99 ms "
            "| top pinned frame | submit failed | GC pauses | GC pause total ms | GC pause max ms | alloc MiB/s "
            "| heap after GC max MiB |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]  # fmt: skip
        for point, reps in sorted(groups.items()):
            if point.jdk != jdk:
                continue
            top = max(reps, key=lambda r: r.pinned_events).top_pinned_frame or "—"
            heap = [r.heap_after_gc_max_mb for r in reps]
            lines.append(
                f"| {_variant_cell(point)} | {point.rate or point.users} "
                f"| {_spread([r.pinned_events for r in reps], _fmt_int)} "
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
    manifest: Manifest, levels: Sequence[LevelResult], jfr: Sequence[JfrLevel] = (),
    consume: Sequence[ConsumeResult] = (), *, warmup: Sequence[WarmupReading] = (),
    explained: Explained | None = None, capacity: Sequence[CapacityResult] = (),
    replays: Sequence[ConsumeReplay] = (),
) -> str:
    """The summary page as markdown.

    Guarantees: a status other than ``complete`` is the first thing under the title, in bold, with
    the error if any; everything ``run_warnings`` returns (level warnings, requested-vs-effective
    mismatches, verification problems, manifest warnings) is listed under "Warnings"; with several
    repetitions each number reads ``median [min-max]``. A consume run shows its verdict (every
    segment lost = 0 and processed twice = 0, or the failures) and one row per segment instead.
    """
    scenario = manifest.scenario
    status = manifest.status
    variants = manifest.variants
    warnings = run_warnings(manifest, levels)

    lines = [f"# Benchmark results: {scenario.name}", ""]
    if status == "complete":
        lines.append("**Status: complete.**")
    else:
        notice = (incomplete_notice(status, len(consume), "segment") if manifest.is_consume
                  else incomplete_notice(status, len(levels)))
        lines += [
            f"> ## ⚠ {status.upper()}: this run is NOT complete",
            f"> {notice}",
        ]
        if manifest.error:
            lines.append(f"> **Error:** {manifest.error}")
    if scenario.description:
        lines += ["", scenario.description]
    lines += ["", *(f"- **{label}:** {value}" for label, value in run_facts(manifest)), ""]
    lines += capacity_markdown(capacity)
    lines += [
        "## Warnings",
        "",
    ]
    lines += [f"- {w}" for w in warnings] or ["None."]
    lines += ["", "## Configuration (effective, read back from each running app)", ""]
    lines += config_table(variants, placement=manifest.placement) if variants else ["No variant was started."]
    if manifest.is_consume:
        lines += consume_section(consume, recorded_problems(manifest))
        lines += replay_section(replays)
        lines += explain_section(explained) if explained is not None else []
    else:
        lines += _results_tables(levels) if levels else ["", "## Results", "", "No level was measured."]
        lines += _containers_table(variants, levels)
    reading = how_to_read(manifest)
    lines += warmup_table(warmup)
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
    page = render_summary(manifest, levels, read_jfr(results.jfr_csv), read_consume(results.consume_csv),
                          warmup=WARMUP.read(results.warmup_csv, missing_ok=True),
                          explained=Explained.read(results.root), capacity=read_capacity(results.capacity_csv),
                          replays=read_consume_replay(results.root / CONSUME_REPLAY.file))
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
