from __future__ import annotations

import csv
import json
import math
import statistics
from pathlib import Path

import pytest
from gate.gate_runs import level, recorded_level, series, write_run

from harness.cli import main
from harness.compare import MEASURES, LevelPoint, compare_runs, compare_values, load_run, setup_differences
from harness.compare.render import CSV_COLUMNS, interval_text
from harness.compare.stats import (
    WelchInterval,
    ratio_interval,
    repetitions_to_resolve,
    t_cdf,
    t_quantile,
    welch_interval,
)
from harness.errors import ResultsError

KEY = LevelPoint(jdk=25, variant="mvc-virtual", users=32)


@pytest.mark.parametrize("df", [1, 2, 3.7, 10, 1000])
def test_t_quantile_inverts_the_cdf(df: float) -> None:
    for p in (0.6, 0.9, 0.975, 0.995):
        assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def test_t_quantile_matches_closed_forms_and_tables() -> None:
    assert t_quantile(0.975, 1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-9)  # Cauchy
    assert t_quantile(0.975, 2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-9)
    assert t_quantile(0.975, 10) == pytest.approx(2.228139, abs=1e-6)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.959964, abs=1e-6)
    assert t_quantile(0.025, 5) == pytest.approx(-t_quantile(0.975, 5))


def test_welch_interval_needs_two_values_per_side() -> None:
    assert welch_interval([1.0], [1.0, 2.0]) is None
    assert welch_interval([1.0, 2.0], [3.0]) is None


def test_welch_interval_against_a_hand_computation() -> None:
    # base mean 100.5, new mean 80.5, each variance 0.5 → se = sqrt(0.25 + 0.25), df = 2.
    interval = welch_interval([100.0, 101.0], [80.0, 81.0])
    assert interval is not None
    half = t_quantile(0.975, 2) * math.sqrt(0.5)
    assert interval.difference == pytest.approx(-20.0) and interval.df == pytest.approx(2.0)
    assert interval.low == pytest.approx(-20 - half) and interval.high == pytest.approx(-20 + half)
    assert interval.excludes_zero


def test_identical_values_are_no_change_and_not_significant() -> None:
    change = compare_values(KEY, MEASURES["throughput"], [1000.0, 1000.0], [1000.0, 1000.0])
    assert change.change == 0 and change.significant is False and change.direction == "same"


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def test_a_large_drop_is_significant_and_worse() -> None:
    base, new = [1000.0, 1010.0, 990.0], [700.0, 710.0, 690.0]
    change = compare_values(KEY, MEASURES["throughput"], base, new)
    assert change.on_log_scale
    assert change.change == pytest.approx(_geomean(new) / _geomean(base) - 1) and change.change == pytest.approx(
        -0.3, abs=1e-4)
    assert change.significant is True and change.direction == "worse"
    assert change.ci_low is not None and change.ci_high is not None and change.ci_low < -0.3 < change.ci_high < 0
    assert change.difference == pytest.approx(-300.0)  # the plain difference stays in the measure's unit


def test_ratio_interval_is_welchs_interval_of_the_logarithms() -> None:
    base, new = [100.0, 110.0, 95.0], [80.0, 85.0, 70.0]
    ratio = ratio_interval(base, new)
    logs = welch_interval([math.log(v) for v in base], [math.log(v) for v in new])
    assert ratio is not None and logs is not None
    assert ratio.ratio == pytest.approx(_geomean(new) / _geomean(base))
    assert (ratio.low, ratio.high) == (pytest.approx(math.exp(logs.low)), pytest.approx(math.exp(logs.high)))
    assert ratio.df == pytest.approx(logs.df) and ratio.excludes_one == logs.excludes_zero
    assert ratio_interval([1.0, 2.0], [0.0, 1.0]) is None and ratio_interval([1.0], [1.0, 2.0]) is None


def test_a_collapse_measured_against_a_noisy_baseline_is_significant_and_never_below_minus_100() -> None:
    # One baseline repetition far above the others (416 against 231 and 248 rps, seen on this project's CI runner)
    # and a 5x slower build. The plain difference over the base mean reaches below -100% (a throughput below 0)
    # and includes 0; the log scale's interval of the ratio stays inside (-100%, 0) and calls the collapse.
    base, new = [416.0, 231.0, 248.0], [53.0, 52.0, 54.0]
    linear = welch_interval(base, new)
    assert linear is not None and not linear.excludes_zero and linear.low / statistics.fmean(base) < -1
    change = compare_values(KEY, MEASURES["throughput"], base, new)
    assert change.significant is True and change.direction == "worse"
    assert change.ci_low is not None and change.ci_high is not None and -1 < change.ci_low < change.ci_high < 0


def test_a_zero_among_the_values_falls_back_to_the_linear_interval() -> None:
    change = compare_values(KEY, MEASURES["error_rate"], [0.0, 0.02], [0.01, 0.03])
    assert not change.on_log_scale and "a value is 0: linear interval" in change.note
    assert change.change == pytest.approx(0.01 / 0.01)
    assert change.ci_low == pytest.approx((change.diff_low or 0) / 0.01)


def test_noise_is_not_significant() -> None:
    change = compare_values(KEY, MEASURES["p99"], [50.0, 70.0], [55.0, 75.0])
    assert change.significant is False
    assert change.ci_low is not None and change.ci_low < 0 < (change.ci_high or 0)


def test_single_repetition_gives_no_interval() -> None:
    change = compare_values(KEY, MEASURES["throughput"], [1000.0], [900.0])
    assert change.change == pytest.approx(-0.1)
    assert change.significant is None and not change.has_interval
    assert change.note == "n=1: no interval" and interval_text(change) == "n=1: no interval"


def test_base_zero_reports_an_absolute_change() -> None:
    change = compare_values(KEY, MEASURES["error_rate"], [0.0, 0.0], [0.01, 0.02])
    assert change.change is None and change.difference == pytest.approx(0.015)
    assert change.significant is False  # two noisy values: not enough to call it
    assert "base is 0" in change.note
    assert interval_text(change).startswith("[")


def test_compare_runs_pairs_levels_and_uses_real_histograms(tmp_path: Path) -> None:
    fast = [recorded_level("webflux", 8, rep, [10.0] * 900 + [20.0] * 100) for rep in (1, 2)]
    slow = [recorded_level("webflux", 8, rep, [15.0 + rep] * 900 + [40.0] * 100) for rep in (1, 2)]
    base = load_run(write_run(tmp_path / "base", fast))
    new = load_run(write_run(tmp_path / "new", slow))
    by_metric = {c.measure.name: c for c in compare_runs(base, new)}
    assert set(by_metric) == {"throughput", "p50", "p99", "p999", "error_rate", "cpu_per_1k", "rss"}
    assert by_metric["p50"].direction == "worse" and by_metric["p50"].significant
    assert by_metric["cpu_per_1k"].note == "not measured in the base run"  # no process samples


def test_load_run_refuses_an_incomplete_run_unless_allowed(tmp_path: Path) -> None:
    root = write_run(tmp_path / "run", series("webflux", 8, [1000.0]), status="failed")
    with pytest.raises(ResultsError, match=r"'failed', not complete.*--allow-incomplete"):
        load_run(root)
    assert load_run(root, allow_incomplete=True).status == "failed"
    running = write_run(tmp_path / "running", series("webflux", 8, [1000.0]), status="running")
    with pytest.raises(ResultsError, match="'running'"):
        load_run(running)
    with pytest.raises(ResultsError, match="no such results folder"):
        load_run(tmp_path / "absent")


def test_setup_differences_name_the_keys(tmp_path: Path) -> None:
    rows = series("webflux", 8, [1000.0])
    base = load_run(write_run(tmp_path / "a", rows))
    same = load_run(write_run(tmp_path / "b", rows))
    other = load_run(write_run(tmp_path / "c", rows, scenario={"workload": {"downstream_delay_ms": 30}}))
    assert setup_differences(base, same) == []
    assert setup_differences(base, other) == ["scenario.workload.downstream_delay_ms: 20 → 30"]


def test_cli_compare_prints_and_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", [*series("mvc-virtual", 32, [1000.0, 1010.0]), level("webflux", 32)])
    new = write_run(tmp_path / "new", [*series("mvc-virtual", 32, [700.0, 705.0]), level("webflux", 32)],
                    scenario={"workload": {"downstream_delay_ms": 30}})
    out_json, out_csv = tmp_path / "c.json", tmp_path / "c.csv"
    assert main(["compare", str(base), str(new), "--json", str(out_json), "--csv", str(out_csv)]) == 0
    captured = capsys.readouterr()
    assert "−30." in captured.out or "-30." in captured.out
    assert "yes, worse" in captured.out and "n=1: no interval" in captured.out
    assert "downstream_delay_ms: 20 → 30" in captured.err
    document = json.loads(out_json.read_text())
    throughput = next(c for c in document["changes"]
                      if c["variant"] == "mvc-virtual" and c["metric"] == "throughput_rps")
    assert throughput["significant"] is True and throughput["change"] == pytest.approx(-0.3, abs=0.01)
    assert any("downstream_delay_ms" in w for w in document["warnings"])
    rows = list(csv.DictReader(out_csv.open()))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(document["changes"]) == 14


def test_cli_compare_refuses_incomplete_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", series("webflux", 8, [1000.0]))
    new = write_run(tmp_path / "new", series("webflux", 8, [1000.0]), status="interrupted")
    assert main(["compare", str(base), str(new)]) == 1
    assert "--allow-incomplete" in capsys.readouterr().err
    assert main(["compare", str(base), str(new), "--allow-incomplete"]) == 0


def _with_mean_and_sd(mean: float, sd: float, n: int) -> list[float]:
    """``n`` values whose sample mean and standard deviation are exactly ``mean`` and ``sd``."""
    raw = [float(i) for i in range(n)]
    centre, spread = statistics.fmean(raw), statistics.stdev(raw)
    return [mean + sd * (x - centre) / spread for x in raw]


@pytest.mark.parametrize(("base", "new"), [
    ([1000.0, 600.0], [610.0, 640.0]),
    ([1000.0, 1010.0, 990.0], [900.0, 700.0, 960.0]),
    ([300.0, 310.0], [250.0, 320.0]),
])
def test_repetitions_to_resolve_is_the_smallest_n_whose_interval_excludes_zero(
    base: list[float], new: list[float]
) -> None:
    n = repetitions_to_resolve(base, new)
    assert n is not None and n > min(len(base), len(new))

    def interval_at(size: int) -> WelchInterval:
        interval = welch_interval(_with_mean_and_sd(statistics.fmean(base), statistics.stdev(base), size),
                                  _with_mean_and_sd(statistics.fmean(new), statistics.stdev(new), size))
        assert interval is not None
        return interval

    assert interval_at(n).excludes_zero
    assert not interval_at(n - 1).excludes_zero


def test_repetitions_to_resolve_without_a_difference_or_spread() -> None:
    assert repetitions_to_resolve([1.0, 1.0], [1.0, 1.0]) is None
    assert repetitions_to_resolve([1.0], [2.0, 3.0]) is None
    assert repetitions_to_resolve([1.0, 1.0], [2.0, 2.0]) == 2
    assert repetitions_to_resolve([100.0, 0.0], [51.0, 49.0], limit=50) is None


def test_repetitions_inside_one_jvm_are_called_dependent_and_fresh_jvms_are_not(tmp_path: Path) -> None:
    from harness.compare import dependent_repetitions

    format1 = load_run(Path(__file__).resolve().parent / "fixtures" / "results-format1" / "requests")
    (warning,) = dependent_repetitions(format1)
    assert "2 repetitions ran inside one JVM" in warning and "too narrow" in warning
    fresh = load_run(write_run(tmp_path / "fresh", series("mvc-virtual", 32, [100.0, 101.0])))
    assert fresh.manifest.independent_repetitions
    assert dependent_repetitions(fresh, fresh) == []
