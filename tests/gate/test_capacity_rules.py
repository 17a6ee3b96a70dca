"""Capacity as a gate measure: read from capacity.csv at each JDK × variant's search point, for relative,
regression and SLO rules, and in ``harness compare``; a search that passed up to its max is only a floor."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gate.gate_runs import level, write_run

from harness.compare import compare_runs, load_run
from harness.compare.measures import MEASURES
from harness.gate import evaluate, failed, parse_rules
from harness.level_id import LevelPoint
from harness.report.capacity import capacity_markdown
from harness.results.capacity_table import CAPACITY, CapacityResult, read_capacity

SEARCH = {"model": "open", "search": {"start": 100, "max": 3200, "resolution": 50},
          "slo": {"p99": "200ms", "error_rate": "0.1%"}, "repetitions": 3}


def _search(variant: str, repetition: int, capacity: float, outcome: str = "bracketed") -> CapacityResult:
    return CapacityResult(jdk=25, variant=variant, repetition=repetition, capacity_rps=capacity,
                          failing_rps=None if outcome == "at_max" else int(capacity) + 50, outcome=outcome, steps=8,
                          resolution_rps=50, slo_p99_ms=200.0, slo_error_rate=0.001, achieved_rps=capacity,
                          p50_ms=45.0, p99_ms=150.0, failing_reasons="p99 250.0 ms > 200 ms")


def _run(root: Path, capacities: dict[str, list[float]], outcome: str = "bracketed") -> Path:
    # Each search also left its steps in levels.csv (open levels, users 0, one rate each).
    steps = [level(variant, 0, rep, rate=100, slo_ok=True, achieved_rps=100.0, rate_ok=True, trend_ok=True)
             for variant, values in capacities.items() for rep in range(1, len(values) + 1)]
    write_run(root, steps, scenario={"load": SEARCH})
    CAPACITY.append(root / "capacity.csv", [_search(variant, rep, value, outcome)
                                            for variant, values in capacities.items()
                                            for rep, value in enumerate(values, start=1)])
    return root


def test_a_run_reads_each_search_at_its_variants_search_point(tmp_path: Path) -> None:
    run = load_run(_run(tmp_path / "run", {"mvc-platform": [700, 720, 710], "webflux": [1500, 1450, 1480]}))
    key = LevelPoint.search(25, "webflux")
    assert str(key) == "webflux jdk25 capacity"
    assert run.values(key, MEASURES["capacity"]) == [1500.0, 1450.0, 1480.0]
    assert run.points(MEASURES["capacity"]) == [LevelPoint.search(25, "mvc-platform"), key]
    assert key not in run.levels  # the steps are levels of their own rates


def test_a_relative_capacity_rule_compares_the_medians(tmp_path: Path) -> None:
    run = load_run(_run(tmp_path / "run", {"mvc-platform": [700, 720, 710], "webflux": [1500, 1450, 1480]}))
    holds = parse_rules("rules:\n  - rule: webflux.capacity >= 2 * mvc-platform.capacity\n", "r")
    [evaluation] = evaluate(holds, run, None)
    assert (evaluation.scope, evaluation.verdict) == ("jdk25 capacity", "PASS")
    assert "1,480.0 rps" in evaluation.measured
    broken = parse_rules("rules:\n  - rule: webflux.capacity >= 2.2 * mvc-platform.capacity\n", "r")
    [evaluation] = evaluate(broken, run, None)
    assert evaluation.verdict == "FAIL" and "is not >= 1,562.0 rps" in evaluation.reason


def test_a_capacity_regression_beyond_tolerance_fails_and_within_passes(tmp_path: Path) -> None:
    base = load_run(_run(tmp_path / "base", {"webflux": [1500, 1490, 1510]}))
    worse = load_run(_run(tmp_path / "worse", {"webflux": [1200, 1190, 1210]}))
    same = load_run(_run(tmp_path / "same", {"webflux": [1495, 1505, 1500]}))
    rules = parse_rules("rules:\n  - regression: {metric: capacity, tolerance: 10%}\n", "r")
    [evaluation] = evaluate(rules, worse, base)
    assert (evaluation.scope, evaluation.verdict) == ("webflux jdk25 capacity", "FAIL")
    assert evaluation.measured.startswith("-20.0%")
    assert not failed(evaluate(rules, same, base))
    # harness compare reports the same change.
    [change] = [c for c in compare_runs(base, worse) if c.measure.name == "capacity"]
    assert change.key == LevelPoint.search(25, "webflux") and change.significant


def test_a_capacity_slo_and_a_floor_only_search_is_unreliable(tmp_path: Path) -> None:
    floor = load_run(_run(tmp_path / "floor", {"webflux": [3200, 3200, 3200]}, outcome="at_max"))
    rules = parse_rules("rules:\n  - slo: {metric: capacity, min: 1000}\n", "r")
    [evaluation] = evaluate(rules, floor, None)
    assert evaluation.verdict == "UNRELIABLE"
    assert "capacity is only a floor (r1, r2, r3)" in evaluation.reason
    bracketed = load_run(_run(tmp_path / "ok", {"webflux": [900, 950, 920]}))
    [evaluation] = evaluate(rules, bracketed, None)
    assert evaluation.verdict == "FAIL" and "below the floor" in evaluation.reason


def test_a_run_without_a_search_skips_a_capacity_rule(tmp_path: Path) -> None:
    closed = load_run(write_run(tmp_path / "closed", [level("webflux", 32), level("mvc-platform", 32)]))
    rules = parse_rules("rules:\n  - rule: webflux.capacity >= mvc-platform.capacity\n", "r")
    [evaluation] = evaluate(rules, closed, None)
    assert evaluation.verdict == "SKIP" and failed([evaluation])


def test_a_search_bounded_by_a_starved_generator_is_unreliable(tmp_path: Path) -> None:
    root = _run(tmp_path / "limited", {"webflux": [900, 950]})
    (root / "capacity.csv").unlink()
    CAPACITY.create(root / "capacity.csv")
    CAPACITY.append(root / "capacity.csv", [_search("webflux", 1, 900),
                                            dataclasses.replace(_search("webflux", 2, 950), generator_limited=True)])
    rules = parse_rules("rules:\n  - slo: {metric: capacity, min: 500}\n", "r")
    [evaluation] = evaluate(rules, load_run(root), None)
    assert evaluation.verdict == "UNRELIABLE"
    assert "saturated or starved load generator, the capacity may be the generator's (r2)" in evaluation.reason
    # The summary's capacity table says it too, beside the SLO reason.
    table = capacity_markdown(read_capacity(root / "capacity.csv"))
    assert any("maybe the generator's limit" in line for line in table)


def test_a_split_cpu_quota_gives_each_quota_its_own_search_point(tmp_path: Path) -> None:
    root = _run(tmp_path / "quotas", {"webflux": [900]})
    CAPACITY.append(root / "capacity.csv", [dataclasses.replace(_search("webflux", 1, 1800), cpus=2.0)])
    run = load_run(root)
    assert run.values(LevelPoint.search(25, "webflux"), MEASURES["capacity"]) == [900.0]
    assert run.values(LevelPoint.search(25, "webflux", 2.0), MEASURES["capacity"]) == [1800.0]
