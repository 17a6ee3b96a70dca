from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from harness.errors import ResultsError
from harness.level_id import LevelId
from harness.load.recording import WindowStats
from harness.metrics import (
    CONTAINER_COLUMNS,
    MACHINE_COLUMNS,
    OPEN_MODEL_COLUMNS,
    PAUSE_COLUMNS,
    TRUST_COLUMNS,
    LevelResult,
)
from harness.prometheus import MetricSample
from harness.results.tables import (
    JVM_TIMESERIES,
    LEVEL_COLUMNS,
    JvmReading,
    LevelTable,
    append_jvm_readings,
    append_windows,
    read_levels,
)
from harness.sampling import ProcessSample

BASE = LevelResult(
    jdk=25,
    variant="webflux",
    users=64,
    repetition=1,
    started_at="2026-11-26T22:43:05.123Z",
    seconds=20.0,
    requests=20_000,
    errors=3,
    error_rate=0.00015,
    error_kinds={"http_502": 2, "ReadTimeout": 1},
    throughput_rps=999.85,
    mean_ms=64.123,
    p50_ms=0.15,
    p90_ms=61.0,
    p99_ms=70.655,
    p999_ms=90.111,
    max_ms=120.5,
    app_rss_mb_max=312.4,
    app_cpu_s=12.345,
    app_cpu_s_per_1k_requests=0.6173,
    downstream_cpu_s=4.0,
    postgres_cpu_s=None,
    generator_cpu_pct_mean=None,
    generator_cpu_pct_max=None,
    generator_saturated=False,
    littles_law_users=64.11,
    littles_law_deviation=0.0017,
    littles_law_ok=True,
)


def test_levels_round_trip_with_types(tmp_path: Path) -> None:
    path = tmp_path / "levels.csv"
    table = LevelTable(path)
    second = dataclasses.replace(
        BASE,
        repetition=2,
        error_kinds={},
        generator_saturated=True,
        generator_cpu_pct_mean=95.5,
        generator_cpu_pct_max=99.0,
    )
    table.append(BASE)
    table.append(second)
    assert read_levels(path) == [BASE, second]
    back = read_levels(path)[0]
    assert isinstance(back.jdk, int) and isinstance(back.seconds, float) and back.postgres_cpu_s is None


def test_rows_are_on_disk_as_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "levels.csv"
    LevelTable(path)
    assert read_levels(path) == []  # header only: a run that failed early still has a readable table
    LevelTable(path).append(BASE)  # a second writer on the same file appends, not truncates
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert tuple(rows[0]) == LEVEL_COLUMNS
    assert rows[1][LEVEL_COLUMNS.index("error_kinds")] == '{"ReadTimeout":1,"http_502":2}'
    assert len(read_levels(path)) == 1


def test_foreign_or_malformed_tables_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "levels.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ResultsError):
        read_levels(path)
    with pytest.raises(ResultsError):
        LevelTable(path)
    good = tmp_path / "good.csv"
    LevelTable(good).append(BASE)
    rows = list(csv.reader(good.open(encoding="utf-8")))
    rows[1][rows[0].index("littles_law_ok")] = "maybe"
    with good.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(ResultsError, match=":2:"):
        read_levels(good)
    with pytest.raises(ResultsError):
        read_levels(tmp_path / "missing.csv")


def test_timeseries_one_row_per_window(tmp_path: Path) -> None:
    path = tmp_path / "timeseries.csv"
    t0 = 1_800_000_000.0
    windows = [WindowStats(t0 + i, 1000, i, 1_500, 9_000, 12_345) for i in range(3)]
    app = [ProcessSample(t0 - 0.5 + i, "app", (300 + i) * 1024 * 1024, 10.0 + 1.5 * i) for i in range(5)]
    append_windows(path, LevelId(25, "webflux", 64, 1), windows, {"app": app})
    append_windows(path, LevelId(25, "webflux", 128, 1), windows[:1], {})
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 4
    first = rows[0]
    assert (first["t"], first["requests"], first["errors"], first["throughput_rps"]) == (
        "0.0",
        "1000",
        "0",
        "1000.0",
    )
    assert (first["p50_ms"], first["p99_ms"], first["max_ms"]) == ("1.5", "9.0", "12.345")
    assert rows[1]["t"] == "1.0" and rows[1]["throughput_rps"] == "999.0"
    assert first["app_cpu_pct"] == "150.0"
    assert first["app_rss_mb"] in ("300.0", "301.0")
    assert rows[3]["users"] == "128" and rows[3]["app_rss_mb"] == "" and rows[3]["app_cpu_pct"] == ""


def test_jvm_timeseries_is_long_format_with_one_header(tmp_path: Path) -> None:
    path = tmp_path / "jvm.csv"
    key = LevelId(jdk=25, variant="webflux", users=16, repetition=1)
    samples = [MetricSample(2.5, "platform_threads", 25.0), MetricSample(1.2504, "platform_threads", 24.0)]
    assert append_jvm_readings(path, key, samples) == 2
    append_jvm_readings(path, LevelId(25, "webflux", 32, 1), [MetricSample(3.0, "heap_used_mb", 40.5)])
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["jdk", "variant", "users", "rate", "repetition", "cpus", "t", "column", "value"]
    assert rows[1:] == [
        ["25", "webflux", "16", "0", "1", "", "1.25", "platform_threads", "24.0"],
        ["25", "webflux", "16", "0", "1", "", "2.5", "platform_threads", "25.0"],
        ["25", "webflux", "32", "0", "1", "", "3.0", "heap_used_mb", "40.5"],
    ]
    assert JVM_TIMESERIES.read(path)[0] == JvmReading(key, 1.25, "platform_threads", 24.0)


def test_jvm_timeseries_refuses_to_mix_layouts(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"jvm_timeseries\.csv format 3"):
        append_jvm_readings(path, LevelId(25, "webflux", 1, 1), [])
    assert path.read_text(encoding="utf-8") == "a,b\n1,2\n"


def _written_without(path: Path, rows: list[LevelResult], left_out: set[str]) -> None:
    """levels.csv as a harness that did not have the ``left_out`` columns wrote it."""
    full = path.with_name("full.csv")
    full.unlink(missing_ok=True)
    table = LevelTable(full)
    for row in rows:
        table.append(row)
    lines = list(csv.DictReader(full.open(encoding="utf-8")))
    columns = [c for c in LEVEL_COLUMNS if c not in left_out]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(lines)


CONTAINERS = {"cpus", *CONTAINER_COLUMNS}
MACHINE = {*MACHINE_COLUMNS, *PAUSE_COLUMNS}


@pytest.mark.parametrize(("branch", "left_out"), [
    ("format 1", {"rate", *OPEN_MODEL_COLUMNS, *TRUST_COLUMNS, *CONTAINERS, *MACHINE}),
    ("open-model's format 2", {*TRUST_COLUMNS, *CONTAINERS, *MACHINE}),
    ("main's format 1 + issue 15", {"rate", *OPEN_MODEL_COLUMNS, *CONTAINERS, *MACHINE}),
    ("format 3", {*CONTAINERS, *MACHINE}),
    ("containers' format 1 + issue 15 + containers", {"rate", *OPEN_MODEL_COLUMNS, *MACHINE}),
    ("format 4", MACHINE),
    ("format 5", set(PAUSE_COLUMNS)),
])
def test_levels_of_each_earlier_harness_read_with_the_defaults(tmp_path: Path, branch: str, left_out: set[str]) -> None:
    path = tmp_path / "levels.csv"
    measured = BASE  # every added column at its default: what the older file meant
    _written_without(path, [measured], left_out)
    [read] = read_levels(path)
    assert read == measured, branch
    # A header missing only part of one version's columns is no version's: refused.
    _written_without(path, [measured], {"generator_starved"})
    with pytest.raises(ResultsError, match=r"levels\.csv format 6"):
        read_levels(path)
