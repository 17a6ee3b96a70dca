from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from results_factory import BuiltRun, build_run

from harness import analysis
from harness.analysis import RUN_COLUMNS, Results, compare_runs, load, summary_table
from harness.errors import ResultsError
from harness.results.tables import LEVEL_COLUMNS, TIMESERIES_COLUMNS

CONFIG_BASE = ("run", "app", "variant", "jdk", "jdk_version", "jdk_vendor", "jvm_flags")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuiltRun, BuiltRun]:
    parent = tmp_path_factory.mktemp("results")
    small = {"levels": (16, 64), "repetitions": 2}
    first = build_run(parent, seed=1, **small)  # type: ignore[arg-type]
    second = build_run(parent, seed=2, **small)  # type: ignore[arg-type]
    return parent, first, second


def documented(name: str) -> set[str]:
    """The ``column`` names the Results docstring lists under one frame."""
    doc = Results.__doc__ or ""
    section = doc.split(f"``{name}``:", 1)[1]
    section = re.split(r"\n\s*``\w+``:", section, maxsplit=1)[0]
    return set(re.findall(r"``([\w.<>]+)``", section))


def test_documented_columns_exist(two_runs: tuple[Path, BuiltRun, BuiltRun]) -> None:
    _parent, first, _second = two_runs
    results = load(first.root)
    assert list(results.levels.columns) == ["run", *LEVEL_COLUMNS]
    assert list(results.timeseries.columns) == ["run", *TIMESERIES_COLUMNS]
    assert list(results.runs.columns) == list(RUN_COLUMNS)
    assert set(CONFIG_BASE) <= set(results.config.columns)
    # Every column is documented, and everything the docstring names exists.
    assert {"run", *LEVEL_COLUMNS} <= documented("levels")
    assert {"run", *TIMESERIES_COLUMNS} <= documented("timeseries")
    assert set(RUN_COLUMNS) <= documented("runs")
    for column in documented("config"):
        if column.startswith(("requested.", "effective.")) and "<" not in column:
            assert column in results.config.columns, column
    assert set(CONFIG_BASE) <= documented("config")


def test_frames_of_one_run(two_runs: tuple[Path, BuiltRun, BuiltRun]) -> None:
    _parent, first, _second = two_runs
    results = load(first.root)
    run = first.root.name
    assert results.run_names == [run]
    assert len(results.levels) == 3 * 2 * 2 and set(results.levels["run"]) == {run}
    assert results.levels["throughput_rps"].dtype.kind == "f"
    assert results.levels["generator_saturated"].dtype == bool
    assert len(results.timeseries) == len(results.levels) * 5
    config = results.config.set_index("app")
    assert list(config.index) == ["mvc-platform@jdk25", "mvc-virtual@jdk25", "webflux@jdk25"]
    assert config.loc["webflux@jdk25", "effective.dbPool.kind"] == "r2dbc-pool"
    assert config.loc["mvc-platform@jdk25", "requested.tomcat.maxThreads"] == 32
    assert config.loc["mvc-virtual@jdk25", "effective.virtualThreads"]
    assert math.isnan(config.loc["webflux@jdk25", "effective.tomcat.maxThreads"])
    assert "-Xmx512m" in config.loc["webflux@jdk25", "jvm_flags"]
    row = results.runs.iloc[0]
    assert (row["status"], row["scenario"], row["levels_measured"], row["users_levels"]) == (
        "complete", "report-demo", 12, "16,64")


def test_two_runs_load_into_one_frame(two_runs: tuple[Path, BuiltRun, BuiltRun]) -> None:
    parent, first, second = two_runs
    from_parent = load(parent)
    from_list = load([first.root, second.root])
    names = [first.root.name, second.root.name]
    for results in (from_parent, from_list):
        assert results.run_names == names
        assert results.levels["run"].unique().tolist() == names
        assert len(results.levels) == 24 and len(results.config) == 6
    table = summary_table(from_parent.levels)
    assert len(table) == 2 * 3 * 2
    assert (table["repetitions"] == 2).all()
    assert (table["throughput_rps_min"] <= table["throughput_rps_median"]).all()
    assert (table["throughput_rps_median"] <= table["throughput_rps_max"]).all()
    assert table["variant"].tolist()[:2] == ["mvc-platform", "mvc-platform"]
    ratio = compare_runs(from_parent.levels, names[0], names[1])
    assert len(ratio) == 6 and ratio["ratio"].between(0.5, 2).all()
    itself = compare_runs(from_parent.levels, names[0], names[0])
    assert (itself["ratio"] == 1).all()
    with pytest.raises(KeyError, match="nope"):
        compare_runs(from_parent.levels, names[0], "nope")


def test_runs_of_the_same_name_in_two_parents_stay_apart(tmp_path: Path) -> None:
    a = build_run(tmp_path / "a", levels=(16,), repetitions=1, variants=("webflux",))
    b = build_run(tmp_path / "b", levels=(16,), repetitions=1, variants=("webflux",))
    results = load([a.root, b.root])
    assert len(set(results.run_names)) == 2
    assert results.levels["run"].nunique() == 2


def test_partial_run_without_levels_loads_empty_frames(tmp_path: Path) -> None:
    run = build_run(tmp_path, status="failed", stop_after=0)
    results = load(run.root)
    assert results.levels.empty and list(results.levels.columns) == ["run", *LEVEL_COLUMNS]
    assert results.timeseries.empty and list(results.timeseries.columns) == ["run", *TIMESERIES_COLUMNS]
    assert results.runs.loc[0, "status"] == "failed"
    assert len(results.config) == 3
    assert summary_table(results.levels).empty


def test_bad_folders_raise_results_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ResultsError, match=re.escape(str(missing))):
        load(missing)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ResultsError, match=re.escape(str(empty)) + ".*neither a results folder"):
        load(empty)
    a_file = tmp_path / "levels.csv"
    a_file.write_text("x\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=re.escape(str(a_file))):
        load(a_file)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text(json.dumps({"format_version": 99, "status": "complete"}))
    with pytest.raises(ResultsError, match=re.escape(str(foreign)) + ".*format version 99"):
        load(foreign)
    with pytest.raises(ResultsError, match="no results folder"):
        load([])


def test_unknown_timeseries_format_is_an_error(tmp_path: Path) -> None:
    run = build_run(tmp_path, levels=(16,), repetitions=1, variants=("webflux",))
    run.results.timeseries_csv.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=re.escape(str(run.results.timeseries_csv))):
        analysis.load(run.root)
