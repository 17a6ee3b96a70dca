from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gate.gate_runs import level, recorded_level, series, write_run

from harness.cli import main
from harness.compare import load_run
from harness.compare.stats import repetitions_to_resolve
from harness.gate import MissingBaselineError, evaluate, failed, parse_rules
from harness.metrics import LevelResult


@pytest.fixture(autouse=True)
def _wide_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # keep rich from wrapping the table and messages in captured output


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


REGRESSION = "rules:\n  - regression: {metric: throughput, tolerance: 10%, variants: [mvc-virtual]}\n"


def _three_variants(
    virtual_tp: list[float], virtual_p99: list[float] | None = None, users: int = 32
) -> list[LevelResult]:
    return [
        *series("mvc-platform", users, [900.0, 910.0]),
        *series("mvc-virtual", users, virtual_tp, virtual_p99),
        *series("webflux", users, [1000.0, 1005.0]),
    ]


def _gate(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["gate", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_significant_regression_beyond_tolerance_fails_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write_run(tmp_path / "base", _three_variants([1000.0, 1010.0, 995.0]))
    new = write_run(tmp_path / "new", _three_variants([700.0, 690.0, 705.0]))
    junit = tmp_path / "gate.xml"
    code, out = _gate(tmp_path, capsys, str(new), "--rules", str(_rules(tmp_path, REGRESSION)),
                      "--baseline", str(base), "--junit", str(junit))
    assert code == 1
    assert "mvc-virtual jdk25 u32" in out and "FAIL" in out
    assert "worse than the 10% tolerance and significant (95% CI excludes 0)" in out
    assert "−30.3%" in out or "-30.3%" in out
    assert "gate FAILED: 1 of 1 evaluations failed (1 FAIL)" in out
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("1", "1", "0")
    failure = suite.find("./testsuite/testcase/failure")
    assert failure is not None and "significant" in (failure.get("message") or "")


def test_identical_runs_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _three_variants([1000.0, 1010.0])
    base, new = write_run(tmp_path / "base", rows), write_run(tmp_path / "new", rows)
    rules = _rules(tmp_path, REGRESSION + "  - regression: {metric: p99, tolerance: 10%}\n")
    code, out = _gate(tmp_path, capsys, str(new), "--rules", str(rules), "--baseline", str(base))
    assert code == 0 and "gate passed: 0 of 4 evaluations failed; 4 PASS" in out


def test_noise_within_tolerance_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", _three_variants([1000.0, 1002.0, 998.0]))
    # -5%, and very consistent: significant, but inside the 10% tolerance.
    new = write_run(tmp_path / "new", _three_variants([950.0, 951.0, 949.0]))
    code, out = _gate(tmp_path, capsys, str(new), "--rules", str(_rules(tmp_path, REGRESSION)),
                      "--baseline", str(base))
    assert code == 0 and "PASS" in out


def test_beyond_tolerance_but_too_wide_to_call_is_inconclusive_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # -23% on the means, but one base repetition was as slow as the new ones: the interval spans 0.
    base = write_run(tmp_path / "base", _three_variants([1000.0, 600.0]))
    new = write_run(tmp_path / "new", _three_variants([610.0, 1000.0 - 400.0 * 0.9]))
    [evaluation] = evaluate(parse_rules(REGRESSION, "r"), load_run(new), load_run(base))
    assert evaluation.verdict == "INCONCLUSIVE"
    # Sized on the scale the verdict is judged on: the logarithms of the repetitions.
    expected_n = repetitions_to_resolve([math.log(1000.0), math.log(600.0)], [math.log(610.0), math.log(640.0)])
    assert expected_n is not None and expected_n > 2
    assert evaluation.reason.startswith("worse than the 10% tolerance, but the 95% interval includes 0 with 2 base "
                                        "and 2 new repetitions")
    assert f"about {expected_n} repetitions per side would resolve a change this large" in evaluation.reason
    assert failed([evaluation])
    code, out = _gate(tmp_path, capsys, str(new), "--rules", str(_rules(tmp_path, REGRESSION)),
                      "--baseline", str(base))
    assert code == 1 and "gate FAILED: 1 of 1 evaluations failed (1 INCONCLUSIVE)" in out


def test_single_repetition_falls_back_to_the_tolerance(tmp_path: Path) -> None:
    base = load_run(write_run(tmp_path / "base", _three_variants([1000.0])))
    worse = load_run(write_run(tmp_path / "worse", _three_variants([850.0])))
    close = load_run(write_run(tmp_path / "close", _three_variants([950.0])))
    rules = parse_rules(REGRESSION, "r")
    [failing] = evaluate(rules, worse, base)
    assert failing.verdict == "FAIL"
    assert failing.reason == "n=1: no interval: judged on the tolerance alone; worse than 10%"
    [passing] = evaluate(rules, close, base)
    assert passing.verdict == "PASS" and "n=1: no interval: judged on the tolerance alone" in passing.reason


def test_regression_can_target_one_variants_throughput_and_p99(tmp_path: Path) -> None:
    base = load_run(write_run(tmp_path / "base", _three_variants([1000.0, 1010.0], [50.0, 52.0])))
    new = load_run(write_run(tmp_path / "new", _three_variants([1000.0, 1010.0], [90.0, 91.0])))
    rules = parse_rules(
        "rules:\n"
        "  - regression: {metric: throughput, tolerance: 10%, variants: [mvc-virtual], users: [32]}\n"
        "  - regression: {metric: p99, tolerance: 20%, variants: [mvc-virtual], users: [32]}\n",
        "r",
    )
    throughput, p99 = evaluate(rules, new, base)
    assert (throughput.scope, throughput.verdict) == ("mvc-virtual jdk25 u32", "PASS")
    assert (p99.scope, p99.verdict) == ("mvc-virtual jdk25 u32", "FAIL")
    assert p99.bound == "≤ +20%" and p99.measured.startswith("+77.5% [")


def test_relative_rules_use_medians_and_skip_absent_levels(tmp_path: Path) -> None:
    rows = [*_three_variants([400.0, 420.0, 5000.0]), *series("mvc-platform", 8, [300.0]),
            *series("mvc-virtual", 8, [310.0])]
    run = load_run(write_run(tmp_path / "run", rows))
    rules = parse_rules(
        "rules:\n"
        "  - rule: mvc-virtual.throughput >= 0.4 * mvc-platform.throughput\n"
        "  - rule: mvc-virtual.throughput >= 0.8 * webflux.throughput at users=32\n"
        "  - rule: mvc-virtual.throughput >= webflux.throughput at users=256\n",
        "r",
    )
    evaluations = evaluate(rules, run, None)
    assert [(e.rule_index, e.scope, e.verdict) for e in evaluations] == [
        (0, "jdk25 u8", "PASS"), (0, "jdk25 u32", "PASS"), (1, "jdk25 u32", "FAIL"), (2, "jdk25 u256", "SKIP"),
    ]
    # The median (420) is used, not the mean (1940): one wild repetition does not flip the verdict.
    assert evaluations[2].measured == "mvc-virtual.throughput = 420.0 rps"
    assert evaluations[2].bound == ">= 0.8 × webflux.throughput = 802.0 rps"
    assert "no level users=256 on jdk 25 for mvc-virtual, webflux" in evaluations[3].reason
    assert failed(evaluations)


def test_slo_rules_on_real_histograms(tmp_path: Path) -> None:
    rows = [
        recorded_level("webflux", 8, 1, [10.0] * 980 + [300.0] * 20),
        recorded_level("webflux", 8, 2, [10.0] * 985 + [300.0] * 15, errors=2),
        recorded_level("mvc-virtual", 8, 1, [10.0] * 1000),
    ]
    run = load_run(write_run(tmp_path / "run", rows))
    rules = parse_rules(
        "rules:\n"
        "  - slo: {metric: p99, max: 250ms}\n"
        "  - slo: {metric: error_rate, max: 0%, variants: [webflux, mvc-virtual], users: [8, 64]}\n",
        "r",
    )
    verdicts = [(e.rule_index, e.scope, e.verdict) for e in evaluate(rules, run, None)]
    assert verdicts == [
        (0, "webflux jdk25 u8", "FAIL"), (0, "mvc-virtual jdk25 u8", "PASS"),
        (1, "—", "SKIP"), (1, "webflux jdk25 u8", "FAIL"), (1, "mvc-virtual jdk25 u8", "PASS"),
    ]


def test_missing_baseline_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "run", _three_variants([1000.0, 1010.0]))
    rules = _rules(tmp_path, REGRESSION)
    code, out = _gate(tmp_path, capsys, str(run), "--rules", str(rules))
    assert code == 2 and "no baseline run was given; pass --baseline" in out
    code, out = _gate(tmp_path, capsys, str(run), "--rules", str(rules), "--baseline", str(tmp_path / "nope"))
    assert code == 2 and "no such results folder" in out
    with pytest.raises(MissingBaselineError):
        evaluate(parse_rules(REGRESSION, "r"), load_run(run), None)


def test_incomplete_run_is_refused_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "run", [level("webflux", 8)], status="failed")
    rules = _rules(tmp_path, "rules:\n  - slo: {metric: error_rate, max: 0%}\n")
    code, out = _gate(tmp_path, capsys, str(run), "--rules", str(rules))
    assert code == 1 and "not complete" in out
    code, _ = _gate(tmp_path, capsys, str(run), "--rules", str(rules), "--allow-incomplete")
    assert code == 0


def test_junit_counts_every_evaluation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "run", _three_variants([300.0, 310.0]))
    rules = _rules(tmp_path, (
        "rules:\n"
        "  - slo: {metric: error_rate, max: 0%}\n"                                       # 3 PASS
        "  - rule: mvc-virtual.throughput >= 0.5 * webflux.throughput\n"                 # 1 FAIL
        "  - rule: mvc-virtual.throughput >= 0.5 * webflux.throughput at users=999\n"    # 1 SKIP
    ))  # fmt: skip
    junit = tmp_path / "out" / "gate.xml"
    junit.parent.mkdir()
    # By default the SKIP fails too, so the JUnit view agrees with the exit code.
    code, _ = _gate(tmp_path, capsys, str(run), "--rules", str(rules), "--junit", str(junit))
    assert code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "2", "0")
    assert [f.get("type") for f in suite.findall("testcase/failure")] == ["FAIL", "SKIP"]
    code, _ = _gate(tmp_path, capsys, str(run), "--rules", str(rules), "--junit", str(junit), "--allow-skip")
    assert code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "1")
    cases = suite.findall("testcase")
    assert len(cases) == 5
    assert [c.get("classname") for c in cases] == ["gate.rules[0]"] * 3 + ["gate.rules[1]", "gate.rules[2]"]
    assert len(suite.findall("testcase/failure")) == 1 and len(suite.findall("testcase/skipped")) == 1


def test_the_projects_ci_rules_pass_a_healthy_run_and_fail_a_slowed_one(repo_root: Path, tmp_path: Path) -> None:
    def healthy(scale: float, p99: float) -> list[LevelResult]:
        return [
            level(variant, users, rep, throughput_rps=tp * scale, p99_ms=p99 + rep)
            for variant, factor in (("mvc-platform", 0.9), ("mvc-virtual", 1.0), ("webflux", 1.05))
            for users, tp in ((8, 300.0 * factor), (32, 900.0 * factor))
            for rep in (1, 2)
        ]

    rules = _rules(tmp_path, (repo_root / "scenarios" / "ci-gate.rules.yaml").read_text())
    base = write_run(tmp_path / "base", healthy(1.0, 40.0))
    same = write_run(tmp_path / "same", healthy(0.97, 42.0))
    slowed = write_run(tmp_path / "slowed", healthy(0.55, 75.0))
    assert main(["gate", str(same), "--rules", str(rules), "--baseline", str(base)]) == 0
    assert main(["gate", str(slowed), "--rules", str(rules), "--baseline", str(base)]) == 1
