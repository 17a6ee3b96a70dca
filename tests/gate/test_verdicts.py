"""The verdicts that make the gate fail loudly: INCONCLUSIVE, a baseline scope missing from the run,
SKIP unless allowed, non-finite cells, the worst repetition for error rates, UNRELIABLE on flagged
levels; each carried into the JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gate.gate_runs import level, series, write_run

from harness.cli import main
from harness.compare import load_run
from harness.errors import ResultsError
from harness.gate import evaluate, failed, parse_rules
from harness.gate.report import write_junit
from harness.metrics import LevelResult


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


def _rules_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def _gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["gate", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _steady(variant: str, users: int = 32, throughputs: tuple[float, ...] = (1000.0, 1004.0, 998.0),
            **figures: object) -> list[LevelResult]:
    return series(variant, users, list(throughputs), **figures)


REGRESSION_ALL = "rules:\n  - regression: {metric: throughput, tolerance: 10%}\n"


def test_a_variant_of_the_baseline_missing_from_the_run_fails(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", [*_steady("mvc-platform"), *_steady("mvc-virtual"),
                                         *_steady("mvc-virtual", users=8)])
    # mvc-virtual crashed before its levels: the run only has mvc-platform.
    new = write_run(tmp_path / "new", _steady("mvc-platform"))
    evaluations = evaluate(parse_rules(REGRESSION_ALL, "r"), load_run(new), load_run(base))
    missing = [(e.scope, e.verdict, e.reason) for e in evaluations if e.verdict != "PASS"]
    assert missing == [
        ("mvc-virtual jdk25 u8", "FAIL", "in the baseline run but not measured in this run"),
        ("mvc-virtual jdk25 u32", "FAIL", "in the baseline run but not measured in this run"),
    ]
    code, out = _gate(capsys, str(new), "--rules", str(_rules_file(tmp_path, REGRESSION_ALL)),
                      "--baseline", str(base), "--allow-skip")
    assert code == 1 and "2 of 3 evaluations failed (2 FAIL)" in out


def test_a_skip_fails_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "run", [*_steady("mvc-platform"), *_steady("webflux")])
    rules = _rules_file(tmp_path, "rules:\n  - rule: mvc-virtual.throughput >= 0.5 * webflux.throughput\n")
    [evaluation] = evaluate(parse_rules(rules.read_text(), "r"), load_run(run), None)
    assert (evaluation.verdict, evaluation.reason) == ("SKIP", "mvc-virtual not in this run")
    assert failed([evaluation]) and not failed([evaluation], allow_skip=True)
    code, out = _gate(capsys, str(run), "--rules", str(rules))
    assert code == 1 and "gate FAILED: 1 of 1 evaluations failed (1 SKIP)" in out
    code, out = _gate(capsys, str(run), "--rules", str(rules), "--allow-skip")
    assert code == 0 and "gate passed: 0 of 1 evaluations failed (1 SKIP) (skips allowed)" in out


def test_a_relative_rule_without_at_reports_a_level_only_one_variant_has(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "run", [*_steady("mvc-virtual"), *_steady("webflux"),
                                                *_steady("mvc-virtual", users=8)]))
    rules = parse_rules("rules:\n  - rule: mvc-virtual.throughput >= 0.5 * webflux.throughput\n", "r")
    assert [(e.scope, e.verdict, e.reason) for e in evaluate(rules, run, None)] == [
        ("jdk25 u8", "SKIP", "no level users=8 on jdk 25 for webflux"),
        ("jdk25 u32", "PASS", ""),
    ]


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf"])
def test_non_finite_cells_are_refused_when_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                cell: str) -> None:
    run = write_run(tmp_path / "run", [*_steady("mvc-platform"), *_steady("mvc-virtual")])
    levels = run / "levels.csv"
    lines = levels.read_text().splitlines()
    header = lines[0].split(",")
    column = header.index("p99_ms")
    row = lines[5].split(",")  # the second repetition of mvc-virtual
    row[column] = cell
    lines[5] = ",".join(row)
    levels.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsError) as caught:
        load_run(run)
    assert f"levels.csv:6 (mvc-virtual jdk25 u32 r2): non-finite p99_ms={float(cell)}" in str(caught.value)
    rules = _rules_file(tmp_path, "rules:\n  - slo: {metric: p99, max: 250ms}\n")
    code, out = _gate(capsys, str(run), "--rules", str(rules))
    assert code == 1 and "non-finite p99_ms" in out


def test_an_error_rate_slo_is_judged_on_the_worst_repetition(tmp_path: Path) -> None:
    rows = [level("webflux", 32, 1), level("webflux", 32, 2, errors=5, error_rate=0.001), level("webflux", 32, 3)]
    run = load_run(write_run(tmp_path / "run", rows))
    [evaluation] = evaluate(parse_rules("rules:\n  - slo: {metric: error_rate, max: 0%}\n", "r"), run, None)
    assert (evaluation.verdict, evaluation.measured) == ("FAIL", "worst of 3 0.1%")
    assert evaluation.reason == "above the ceiling 0%"


def test_latency_slos_still_use_the_median(tmp_path: Path) -> None:
    rows = series("webflux", 32, [1000.0, 1000.0, 1000.0], p99s=[50.0, 400.0, 60.0])
    run = load_run(write_run(tmp_path / "run", rows))
    [evaluation] = evaluate(parse_rules("rules:\n  - slo: {metric: p99, max: 250ms}\n", "r"), run, None)
    assert (evaluation.verdict, evaluation.measured) == ("PASS", "median 60.00 ms")


RELATIVE = "rules:\n  - rule: mvc-virtual.throughput >= 0.5 * webflux.throughput\n"


def test_a_rule_on_a_saturated_level_is_unreliable_unless_allowed(tmp_path: Path) -> None:
    saturated = level("webflux", 32, 2, throughput_rps=1004.0, generator_saturated=True)
    rows = [*_steady("mvc-virtual"), level("webflux", 32, 1), saturated, level("webflux", 32, 3)]
    run = load_run(write_run(tmp_path / "run", rows))
    [evaluation] = evaluate(parse_rules(RELATIVE, "r"), run, None)
    assert evaluation.verdict == "UNRELIABLE"
    assert evaluation.reason == ("webflux jdk25 u32: load generator saturated (r2); the rule alone would say PASS; "
                                 "set allow_flagged: true on the rule to judge flagged levels")
    assert failed([evaluation], allow_skip=True)
    [allowed] = evaluate(parse_rules(RELATIVE + "    allow_flagged: true\n", "r"), run, None)
    assert allowed.verdict == "PASS"
    assert allowed.reason == ("flagged, judged anyway (allow_flagged): webflux jdk25 u32: load generator "
                              "saturated (r2)")


def test_a_rule_on_a_level_whose_container_was_throttled_is_unreliable(tmp_path: Path) -> None:
    throttled = level("webflux", 32, 1, app_throttled=True, app_throttled_s=4.0, app_throttled_pct=40.0)
    run = load_run(write_run(tmp_path / "run", [*_steady("mvc-virtual"), throttled]))
    [evaluation] = evaluate(parse_rules(RELATIVE, "r"), run, None)
    assert evaluation.verdict == "UNRELIABLE"
    assert evaluation.reason.startswith("webflux jdk25 u32: app container throttled (r1); the rule alone would say")


def test_a_relative_rule_compares_variants_under_the_same_cpu_limit_only(tmp_path: Path) -> None:
    rows = [level("mvc-virtual", 32, cpus=1.0, throughput_rps=300.0), level("webflux", 32, cpus=1.0),
            level("mvc-virtual", 32, cpus=2.0, throughput_rps=900.0), level("webflux", 32, cpus=2.0)]
    run = load_run(write_run(tmp_path / "run", rows))
    one, two = evaluate(parse_rules(RELATIVE, "r"), run, None)
    assert (one.scope, one.verdict, two.scope, two.verdict) == ("jdk25 c1 u32", "FAIL", "jdk25 c2 u32", "PASS")


def test_slo_and_regression_on_a_littles_law_flagged_level_are_unreliable(tmp_path: Path) -> None:
    off = {"littles_law_ok": False, "littles_law_deviation": 0.4}
    base = load_run(write_run(tmp_path / "base", _steady("webflux")))
    new = load_run(write_run(tmp_path / "new", [level("webflux", 32, 1, **off), level("webflux", 32, 2)]))
    rules = parse_rules("rules:\n  - slo: {metric: p99, max: 250ms}\n"
                        "  - regression: {metric: throughput, tolerance: 10%}\n", "r")
    slo, regression = evaluate(rules, new, base)
    assert (slo.verdict, regression.verdict) == ("UNRELIABLE", "UNRELIABLE")
    assert slo.reason.startswith("webflux jdk25 u32: Little's law off (r1); the rule alone would say PASS")
    # A flagged baseline is as unreliable as a flagged run.
    [flagged_base] = evaluate(parse_rules(REGRESSION_ALL, "r"), base, new)
    assert flagged_base.verdict == "UNRELIABLE"
    assert flagged_base.reason.startswith("baseline webflux jdk25 u32: Little's law off (r1)")


def test_junit_carries_every_verdict_and_its_reason(tmp_path: Path) -> None:
    base = load_run(write_run(tmp_path / "base", [*_steady("mvc-platform"), *_steady("mvc-virtual"),
                                                  *series("webflux", 32, [1000.0, 600.0])]))
    new = load_run(write_run(tmp_path / "new", [
        *_steady("mvc-platform", throughputs=(500.0, 502.0, 499.0)),                       # FAIL
        *series("webflux", 32, [610.0, 640.0]),                                             # INCONCLUSIVE
        *series("webflux", 8, [100.0, 101.0], generator_saturated=True),                    # SKIP (not in base)
    ]))  # fmt: skip
    evaluations = evaluate(parse_rules(REGRESSION_ALL + "  - slo: {metric: throughput, min: 50}\n", "r"), new, base)
    assert [(e.rule_index, e.scope, e.verdict) for e in evaluations] == [
        (0, "mvc-virtual jdk25 u32", "FAIL"), (0, "mvc-platform jdk25 u32", "FAIL"),
        (0, "webflux jdk25 u8", "SKIP"), (0, "webflux jdk25 u32", "INCONCLUSIVE"),
        (1, "mvc-platform jdk25 u32", "PASS"), (1, "webflux jdk25 u8", "UNRELIABLE"), (1, "webflux jdk25 u32", "PASS"),
    ]
    junit = tmp_path / "gate.xml"
    write_junit(junit, evaluations)
    cases = ET.parse(junit).getroot().findall("testsuite/testcase")
    assert len(cases) == len(evaluations)
    for case, evaluation in zip(cases, evaluations, strict=True):
        properties = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        assert properties == {"verdict": evaluation.verdict, "reason": evaluation.reason}
        failure = case.find("failure")
        if evaluation.verdict == "PASS":
            assert failure is None
        else:
            assert failure is not None and failure.get("type") == evaluation.verdict
            assert failure.get("message") == f"{evaluation.verdict}: {evaluation.reason}"


@pytest.mark.parametrize(("flag", "name"), [({"generator_starved": True, "generator_runqueue_pct": 31.0},
                                             "load generator starved (run queue)"),
                                            ({"warmup_steady": False}, "not steady after warm-up"),
                                            ({"machine_busy": True, "foreign_cpu_cores": 0.9},
                                             "machine shared with other processes"),
                                            ({"clock_step_s": 8.7, "attempts": 3}, "machine paused (clock stepped)")])
def test_a_rule_on_a_starved_or_unsteady_level_is_unreliable(tmp_path: Path, flag: dict[str, object],
                                                             name: str) -> None:
    rows = [*_steady("mvc-virtual"), level("webflux", 32, 1), level("webflux", 32, 2, **flag), level("webflux", 32, 3)]
    run = load_run(write_run(tmp_path / "run", rows))
    [evaluation] = evaluate(parse_rules(RELATIVE, "r"), run, None)
    assert evaluation.verdict == "UNRELIABLE"
    assert evaluation.reason.startswith(f"webflux jdk25 u32: {name} (r2); the rule alone would say PASS")
