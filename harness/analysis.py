"""Results folders as tidy pandas DataFrames, for notebooks and for the HTML report.

``load`` reads one results folder, a list of them, or a parent folder holding many, and returns
a ``Results`` of four frames that share the ``run`` column (the results folder's name)::

    from harness.analysis import load, summary_table
    results = load("results/20261126T224305Z-quickstart")
    summary_table(results.levels)          # median/min/max per run × jdk × variant × users

Only what the run stored is read (manifest.json, levels.csv, timeseries.csv), so a failed or
interrupted run loads too: its frames hold what it measured before it stopped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from harness.clock import CLOCK_STEP_LIMIT_S
from harness.codec import Table
from harness.errors import ResultsError
from harness.level_id import LEVEL_POINT_COLUMNS
from harness.results.consume_tables import CONSUME, CONSUME_COLUMNS, CONSUME_TIMESERIES, CONSUME_TIMESERIES_COLUMNS
from harness.results.layout import ResultsDir
from harness.results.manifest import Manifest, read_manifest
from harness.results.tables import LEVELS, TIMESERIES
from harness.scenario import format_duration
from harness.variants import ALL_VARIANTS, VARIANTS

VARIANT_ORDER: tuple[str, ...] = ALL_VARIANTS
"""The order variants are listed and plotted in (``harness.variants``)."""

VARIANT_COLORS: dict[str, str] = {v.name: v.colour for v in VARIANTS}
"""One colour per variant, used by every plot of the report; use it in notebooks so plots match."""

_FALLBACK_COLORS = ("#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")

LEVEL_KEYS: tuple[str, ...] = ("run", *LEVEL_POINT_COLUMNS)
"""What identifies one level across repetitions; ``summary_table`` groups by it."""

SUMMARY_METRICS: tuple[str, ...] = (
    "throughput_rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "error_rate",
    "app_rss_mb_max", "app_cpu_s", "app_cpu_s_per_1k_requests", "generator_cpu_pct_mean",
)  # fmt: skip
"""Metrics ``summary_table`` reduces by default (those of them present in the frame)."""

RUN_COLUMNS: tuple[str, ...] = (
    "run", "path", "status", "scenario", "description", "started_at", "finished_at", "error", "git_commit",
    "git_branch", "git_dirty", "harness_version", "format_version", "hostname", "cpu_model", "logical_cores",
    "memory_total_bytes", "jdks", "variants", "users_levels", "repetitions", "duration", "warnings",
    "verification_problems", "levels_measured",
)  # fmt: skip


@dataclass(frozen=True)
class Results:
    """Tidy frames of one or more runs. Every frame has a ``run`` column naming the results folder.

    ``levels``: one row per run × jdk × variant × users × repetition; the columns of levels.csv
    (``harness.metrics.LevelResult``) after ``run``:

    - ``jdk`` (int, feature version), ``variant`` (str), ``users`` (int; 0 in the open model), ``rate``
      (int, the open model's target requests per second; 0 in the closed model), ``repetition`` (int, from 1),
      ``cpus`` (float, the app container's CPU quota; NaN when the apps ran as processes)
    - ``started_at`` (str, ISO 8601 UTC of the measured window), ``seconds`` (float, measured length)
    - ``requests`` (int, errors included), ``errors`` (int), ``error_rate`` (float, 0..1),
      ``error_kinds`` (dict kind → count)
    - ``throughput_rps`` (float, successful requests per second)
    - ``mean_ms`` (all completed requests), ``p50_ms``, ``p90_ms``, ``p99_ms``, ``p999_ms``, ``max_ms``
      (float, successful requests, microsecond resolution)
    - ``app_rss_mb_max`` (MiB), ``app_cpu_s``, ``app_cpu_s_per_1k_requests``, ``downstream_cpu_s``,
      ``postgres_cpu_s`` (CPU seconds in the window), ``generator_cpu_pct_mean``,
      ``generator_cpu_pct_max`` (percent of one core); each NaN when not sampled
    - ``generator_saturated`` (bool), ``littles_law_users`` (float), ``littles_law_deviation``
      (float, relative), ``littles_law_ok`` (bool), ``generator_runqueue_pct`` (percent of the window
      the generator waited for a CPU; NaN when not read), ``generator_starved`` (bool),
      ``warmup_steady`` (bool: false when the JVM's auto warm-up reached its maximum)
    - from the app's ``/actuator/prometheus`` in the window (NaN when the variant has no such meter):
      ``platform_threads_max``, ``heap_used_mb_max``, ``db_pool_active_max``, ``db_pool_pending_max``,
      ``db_acquire_ms_mean``, ``db_acquire_ms_max``, ``db_acquire_timeouts``, ``tomcat_busy_threads_max``,
      ``tomcat_connections_max``, ``http_client_pending_max``, ``vt_pinned``, ``vt_submit_failed``,
      ``gc_pauses``, ``gc_pause_ms_total``, ``scrape_errors`` (gauges: max; counters: increase)
    - open model only (NaN/None in the closed model, where the percentiles above are corrected: from each
      request's intended send time): ``achieved_rps`` (requests that left inside the window per second),
      ``scheduled``, ``dropped``, ``late``, ``max_lateness_ms``, ``in_flight_end``, ``in_flight_mean``,
      ``service_p50_ms``, ``service_p99_ms``, ``service_p999_ms`` (from the actual send time),
      ``latency_trend`` (last third's p50 over the first third's), ``rate_ok``, ``trend_ok``, ``slo_ok``
    - containerised apps only (NaN otherwise): ``app_throttled_s`` (seconds the app's cgroup was throttled
      in the window), ``app_throttled_pct`` (share of its CFS periods throttled); ``app_throttled`` (bool);
      ``app_cgroup_memory_mb_max`` (MiB, the container's memory as its limit counts it, page cache included)
    - the machine (empty, and ``machine_busy`` False, in results of format 4 and before): ``foreign_cpu_cores``
      (mean CPU of processes outside the run, cores), ``steal_pct`` (the hypervisor's steal, % of all CPUs'
      time); ``machine_busy`` (bool: foreign CPU above ``machine_load.FOREIGN_CPU_LIMIT_CORES``)
    - whether the machine was paused (NaN, and 1 attempt, in results of format 5 and before): ``clock_step_s``
      (how far the wall clock stepped from the monotonic one during the kept attempt), ``attempts`` (the
      earlier ones were paused and set aside, ``harness.clock``)

    ``timeseries``: one row per second of measured load: ``run``, ``jdk``, ``variant``, ``users``,
    ``rate``, ``repetition``, ``cpus``, ``t`` (seconds since the level's first measured second), ``requests``,
    ``errors``, ``throughput_rps``, ``p50_ms``, ``p99_ms``, ``max_ms``, ``app_rss_mb`` and
    ``app_cpu_pct`` (NaN when not sampled).

    ``config``: one row per run × variant × JDK: ``run``, ``app`` (``"<variant>@jdk<N>"``),
    ``variant``, ``jdk`` (int or None), ``jdk_version``, ``jdk_vendor``, ``jvm_flags`` (space
    separated), then ``requested.<setting>`` for each setting the harness asked for (e.g.
    ``requested.dbPool.maxSize``) and ``effective.<setting>`` for each value the running app reported
    in ``/actuator/info`` (e.g. ``effective.tomcat.maxThreads``, ``effective.jvm.maxHeapBytes``);
    lists are space-joined strings, settings absent for a variant are NaN.

    ``consume``: one row per run × consume segment: ``run`` then the columns of consume.csv
    (``harness.results.consume_tables.ConsumeResult``: ``jdk``, ``variant``, ``broker``, ``source``,
    ``repetition``, ``drained``, ``ok``, ``events_created`` ... ``lost``, ``dead_lettered``, ``drain_s``,
    ``drain_rate_eps``, ``lag_p50_ms`` ... ``lag_max_ms``, ``peak_backlog_db``, ``peak_backlog_broker``,
    ``app_rss_mb_max``, ``app_cpu_s``, ``broker_startup_s``, ``broker_restart_s``, ``kill_restart_s``, ...);
    empty for request runs. ``consume_timeseries``: one row per event sample: ``run``, ``jdk``,
    ``variant``, ``broker``, ``repetition``, ``t`` (seconds since the first event), ``created``,
    ``published``, ``processed``, ``dead_lettered``, ``outbox_pending``, ``backlog_db``,
    ``backlog_broker``, ``app_rss_mb``, ``app_cpu_pct``, ``fault`` (faults started in that interval).

    ``runs``: one row per run: ``run``, ``path`` (str), ``status`` (running | complete | failed |
    interrupted), ``scenario`` (name), ``description``, ``started_at``, ``finished_at``, ``error``,
    ``git_commit``, ``git_branch``, ``git_dirty``, ``harness_version``, ``format_version``,
    ``hostname``, ``cpu_model``, ``logical_cores``, ``memory_total_bytes``, ``jdks``,
    ``variants``, ``users_levels`` (comma-separated), ``repetitions``, ``duration`` (seconds
    measured per level), ``warnings`` (count in the manifest), ``verification_problems`` (count),
    ``levels_measured`` (rows in levels.csv).
    """

    levels: pd.DataFrame
    timeseries: pd.DataFrame
    config: pd.DataFrame
    runs: pd.DataFrame
    consume: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=["run", *CONSUME_COLUMNS]))
    consume_timeseries: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=["run", *CONSUME_TIMESERIES_COLUMNS])
    )

    @property
    def run_names(self) -> list[str]:
        """The runs, in the order they were loaded."""
        return [str(name) for name in self.runs["run"]]


def variant_color(variant: str) -> str:
    """The variant's colour in ``VARIANT_COLORS``; an unknown variant gets a stable colour of its own."""
    if variant in VARIANT_COLORS:
        return VARIANT_COLORS[variant]
    return _FALLBACK_COLORS[sum(variant.encode()) % len(_FALLBACK_COLORS)]


def variants_in_order(variants: Iterable[str]) -> list[str]:
    """The distinct variants, known ones in ``VARIANT_ORDER`` first, then the rest alphabetically."""
    present = set(variants)
    return [v for v in VARIANT_ORDER if v in present] + sorted(present - set(VARIANT_ORDER))


# -- finding runs -------------------------------------------------------------------------------


def _is_run(folder: Path) -> bool:
    return (folder / "manifest.json").is_file()


def find_runs(paths: str | PathLike[str] | Sequence[str | PathLike[str]]) -> list[Path]:
    """The results folders named by ``paths``: each one a results folder, or a parent of several.

    A parent's runs are taken in name order (the folder names start with the UTC start time, so
    that is chronological). Raises ResultsError naming the path for a missing folder, a file, or a
    folder that neither is a run nor holds one.
    """
    items = [paths] if isinstance(paths, str | PathLike) else list(paths)
    if not items:
        raise ResultsError("no results folder given")
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if not path.exists():
            raise ResultsError(f"{path}: no such results folder")
        if not path.is_dir():
            raise ResultsError(f"{path}: not a folder; pass a results folder (the one holding manifest.json)")
        if _is_run(path):
            found.append(path)
            continue
        children = sorted(child for child in path.iterdir() if child.is_dir() and _is_run(child))
        if not children:
            raise ResultsError(
                f"{path}: neither a results folder (no manifest.json) nor a folder holding results folders"
            )
        found += children
    return found


def _run_names(folders: Sequence[Path]) -> list[str]:
    # The folder name is unique within one results root; runs from several roots may share one,
    # and then the parent's name tells them apart.
    names = [folder.name for folder in folders]
    return [
        name if names.count(name) == 1 else f"{folder.parent.name}/{name}"
        for name, folder in zip(names, folders, strict=True)
    ]


# -- reading one run ----------------------------------------------------------------------------


def _table_frame(table: Table[Any], path: Path, run: str) -> pd.DataFrame:
    """Every row of ``path`` read through its table (no rows when missing), after a "run" column.

    Reading through the table validates the header and every cell, so a foreign or damaged file
    fails naming its line; numeric columns are floats or ints with NaN where a cell was empty."""
    rows = table.read(path, missing_ok=True)
    frame = pd.DataFrame([table.flat(r) for r in rows], columns=list(table.columns))
    for column in table.columns:
        if table.numeric(column) and frame[column].dtype == object:
            frame[column] = pd.to_numeric(frame[column])
    frame.insert(0, "run", run)
    return frame


def _flatten(prefix: str, value: Any, into: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, into)
    elif isinstance(value, list | tuple):
        into[prefix] = " ".join(str(v) for v in value)
    else:
        into[prefix] = value


def _config_rows(manifest: Manifest, run: str) -> list[dict[str, Any]]:
    rows = []
    for app, record in manifest.variants.items():
        row: dict[str, Any] = {
            "run": run,
            "app": app,
            "variant": record.variant,
            "jdk": record.jdk.feature,
            "jdk_version": record.jdk.version,
            "jdk_vendor": record.jdk.vendor,
            "jvm_flags": " ".join(record.jvm_flags),
        }
        # Requested settings are stored flat with dotted keys already ("dbPool.maxSize").
        for key, value in record.requested.items():
            _flatten(f"requested.{key}", value, row)
        _flatten("effective", record.effective, row)
        rows.append(row)
    return rows


def _run_row(manifest: Manifest, run: str, path: Path, levels_measured: int) -> dict[str, Any]:
    scenario = manifest.scenario
    load = scenario.load
    git, machine = manifest.git, manifest.machine
    return {
        "run": run,
        "path": str(path),
        "status": manifest.status,
        "scenario": scenario.name,
        "description": scenario.description,
        "started_at": manifest.started_at,
        "finished_at": manifest.finished_at,
        "error": manifest.error,
        "git_commit": git.commit,
        "git_branch": git.branch,
        "git_dirty": git.dirty,
        "harness_version": manifest.harness_version,
        "format_version": manifest.format_version,
        "hostname": machine.hostname,
        "cpu_model": machine.cpu_model,
        "logical_cores": machine.logical_cores,
        "memory_total_bytes": machine.memory_total_bytes,
        "jdks": ",".join(str(j) for j in scenario.jdks),
        "variants": ",".join(scenario.variants),
        "users_levels": ",".join(str(u) for u in load.levels or ()) if load is not None else "",
        "repetitions": load.repetitions if load is not None else (scenario.consume.repetitions
                                                                  if scenario.consume is not None else None),
        "duration": format_duration(load.duration) if load is not None else None,
        "warnings": len(manifest.warnings),
        "verification_problems": len(manifest.verification.problems) if manifest.verification else 0,
        "levels_measured": levels_measured,
    }


def load(paths: str | PathLike[str] | Sequence[str | PathLike[str]]) -> Results:
    """Load one results folder, several, or every results folder inside a parent folder.

    Guarantees: every frame has the columns documented on ``Results`` (``config``'s
    ``requested.*``/``effective.*`` columns are those the runs stored) even when a run measured
    nothing; rows keep the order of the runs, then of the files. Raises ResultsError, naming the
    path, for a missing folder, a folder without runs, an unreadable manifest or table, or a
    results format this harness does not read.
    """
    folders = find_runs(paths)
    levels, timeseries, config, runs, consume, consume_series = [], [], [], [], [], []
    for folder, run in zip(folders, _run_names(folders), strict=True):
        results = ResultsDir(folder)
        manifest = read_manifest(results.manifest)
        levels.append(_table_frame(LEVELS, results.levels_csv, run))
        timeseries.append(_table_frame(TIMESERIES, results.timeseries_csv, run))
        consume.append(_table_frame(CONSUME, results.consume_csv, run))
        consume_series.append(_table_frame(CONSUME_TIMESERIES, results.consume_timeseries_csv, run))
        config += _config_rows(manifest, run)
        runs.append(_run_row(manifest, run, folder, len(levels[-1])))
    config_frame = pd.DataFrame(config)
    if config_frame.empty:
        config_frame = pd.DataFrame(
            columns=["run", "app", "variant", "jdk", "jdk_version", "jdk_vendor", "jvm_flags"]
        )
    return Results(
        levels=_concat(levels),
        timeseries=_concat(timeseries),
        config=config_frame,
        runs=pd.DataFrame(runs, columns=list(RUN_COLUMNS)),
        consume=_concat(consume),
        consume_timeseries=_concat(consume_series),
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if not f.empty]
    # Concatenating empty frames with typed ones would turn every column into object dtype.
    return pd.concat(non_empty, ignore_index=True) if non_empty else frames[0].iloc[0:0]


# -- helpers for notebooks and the report -------------------------------------------------------


def summary_table(levels: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Median, min and max over repetitions, one row per run × jdk × variant × users.

    Columns: the ``LEVEL_KEYS`` present, ``repetitions`` (count), then ``<metric>_median``,
    ``<metric>_min``, ``<metric>_max`` for each metric (default: ``SUMMARY_METRICS`` present in
    ``levels``), and ``flagged`` (True when any repetition saturated the generator, was throttled, had errors or
    failed Little's law). Rows are sorted by run, jdk, variant (``VARIANT_ORDER``) and users;
    missing values (NaN) are left out of the statistics.
    """
    keys = [k for k in LEVEL_KEYS if k in levels.columns]
    chosen = [m for m in (metrics if metrics is not None else SUMMARY_METRICS) if m in levels.columns]
    columns = [*keys, "repetitions", *(f"{m}_{s}" for m in chosen for s in ("median", "min", "max")), "flagged"]
    if levels.empty:
        return pd.DataFrame(columns=columns)
    frame = levels.copy()
    for metric in chosen:
        # A column that is entirely empty reads as object dtype; statistics need numbers.
        frame[metric] = pd.to_numeric(frame[metric], errors="coerce")
    frame["_flagged"] = _flagged(frame)
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped.size().rename("repetitions").to_frame()
    for metric in chosen:
        out[f"{metric}_median"] = grouped[metric].median()
        out[f"{metric}_min"] = grouped[metric].min()
        out[f"{metric}_max"] = grouped[metric].max()
    out["flagged"] = grouped["_flagged"].any()
    out = out.reset_index()
    return _sorted(out)[columns].reset_index(drop=True)


def _flagged(levels: pd.DataFrame) -> pd.Series:
    flagged = pd.Series(False, index=levels.index)
    if "generator_saturated" in levels:
        flagged |= levels["generator_saturated"].fillna(False).astype(bool)
    if "app_throttled" in levels:
        flagged |= levels["app_throttled"].fillna(False).astype(bool)
    if "errors" in levels:
        flagged |= pd.to_numeric(levels["errors"], errors="coerce").fillna(0) > 0
    if "littles_law_ok" in levels:
        flagged |= ~levels["littles_law_ok"].fillna(True).astype(bool)
    if "generator_starved" in levels:
        flagged |= levels["generator_starved"].fillna(False).astype(bool)
    if "warmup_steady" in levels:
        flagged |= ~levels["warmup_steady"].fillna(True).astype(bool)
    if "machine_busy" in levels:
        flagged |= levels["machine_busy"].fillna(False).astype(bool)
    if "clock_step_s" in levels:
        flagged |= pd.to_numeric(levels["clock_step_s"], errors="coerce").fillna(0.0) > CLOCK_STEP_LIMIT_S
    for check in ("rate_ok", "trend_ok"):  # open model only; empty (closed model) is not a flag
        if check in levels:
            flagged |= levels[check].map(lambda ok: ok is False or ok == "false")
    return flagged


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    order = {v: i for i, v in enumerate(variants_in_order(frame["variant"]))} if "variant" in frame else {}
    frame = frame.assign(_variant_rank=frame["variant"].map(order)) if order else frame
    by = [k for k in ("run", "jdk", "_variant_rank", "users", "rate") if k in frame.columns]
    # Runs keep their load order (a stable sort on the other keys only would reorder them by name).
    if "run" in frame:
        run_order = {r: i for i, r in enumerate(dict.fromkeys(frame["run"]))}
        frame = frame.assign(_run_rank=frame["run"].map(run_order))
        by = ["_run_rank", *by[1:]]
    frame = frame.sort_values(by, kind="stable")
    return frame.drop(columns=[c for c in ("_variant_rank", "_run_rank") if c in frame.columns])


def compare_runs(levels: pd.DataFrame, baseline: str, candidate: str, metric: str = "throughput_rps") -> pd.DataFrame:
    """``metric`` of run ``candidate`` relative to run ``baseline``, per jdk × variant × users.

    Columns: ``jdk``, ``variant``, ``users``, ``baseline`` and ``candidate`` (medians over
    repetitions), ``ratio`` (candidate / baseline; NaN when the baseline is 0 or a side is
    missing). Only levels both runs measured are listed. Comparing a run with itself gives ratios
    of 1. Raises KeyError naming a run that is not in ``levels``.
    """
    for run in (baseline, candidate):
        if run not in set(levels["run"]):
            raise KeyError(f"run {run!r} is not among the loaded runs {sorted(set(levels['run']))}")
    table = summary_table(levels, [metric])
    keys = [k for k in ("jdk", "variant", "users", "rate") if k in table.columns]
    left = table[table["run"] == baseline][[*keys, f"{metric}_median"]].rename(
        columns={f"{metric}_median": "baseline"}
    )
    right = table[table["run"] == candidate][[*keys, f"{metric}_median"]].rename(
        columns={f"{metric}_median": "candidate"}
    )
    merged = left.merge(right, on=keys, how="inner")
    baseline_values = merged["baseline"].where(merged["baseline"] != 0)
    merged["ratio"] = merged["candidate"] / baseline_values
    return merged.reset_index(drop=True)
