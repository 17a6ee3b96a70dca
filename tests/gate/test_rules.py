from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.compare import MEASURES
from harness.errors import RulesError
from harness.gate.rules import RegressionRule, RelativeRule, SloRule, load_rules, parse_bound, parse_rules

VALID = """\
rules:
  - name: virtual keeps up
    rule: mvc-virtual.throughput >= 0.5 * mvc-platform.throughput at users=32 jdk=25
  - rule: mvc-virtual.p99 <= 1.5 * webflux.p99
  - regression: {metric: throughput, tolerance: 10%, variants: [mvc-virtual], users: [32]}
  - slo: {metric: p99, max: 250ms, variants: all, users: all}
  - slo: {metric: error_rate, max: 0.1%}
"""


def test_a_valid_file_gives_every_kind_of_rule() -> None:
    rules = parse_rules(VALID, "rules.yaml").rules
    assert [type(r) for r in rules] == [RelativeRule, RelativeRule, RegressionRule, SloRule, SloRule]
    first = rules[0]
    assert isinstance(first, RelativeRule) and first.name == "virtual keeps up"
    cmp = first.comparison
    assert (str(cmp.left), cmp.op, cmp.factor, str(cmp.right), cmp.users, cmp.jdk) == (
        "mvc-virtual.throughput", ">=", 0.5, "mvc-platform.throughput", 32, 25)
    second = rules[1]
    assert isinstance(second, RelativeRule) and second.comparison.users is None
    assert second.name == "mvc-virtual.p99 <= 1.5 * webflux.p99"
    regression = rules[2]
    assert isinstance(regression, RegressionRule)
    assert (regression.tolerance, regression.selection.variants, regression.selection.users) == (
        0.1, ("mvc-virtual",), (32,))
    assert regression.selection.jdks is None
    slo, errors = rules[3], rules[4]
    assert isinstance(slo, SloRule) and slo.max == 250.0 and slo.selection.variants is None
    assert isinstance(errors, SloRule) and errors.max == pytest.approx(0.001)


def test_the_example_message_names_file_line_and_field() -> None:
    text = VALID + "  - rule: mvc-virtual.p98 <= webflux.p99\n"
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.yaml")
    assert (
        "rules.yaml:8: rules[5].rule: unknown metric 'p98' "
        "(known: throughput, p50, p90, p99, p999, max, error_rate, cpu_per_1k, rss, capacity)"
    ) in str(caught.value)


def test_every_problem_is_reported_at_once_with_its_line() -> None:
    text = """\
# gate rules
rules:
  - rule: mvc-virtual.throughput >= 0.8 * webflux.throughput at users=256
  - rule: foo.p99 < 2 webflux.p99
  - regression: {metric: throughput, tolerance: 10, variants: [mvc-virtual, bogus]}
  - slo:
      metric: p99
      max: 250 furlongs
      maximum: 3
  - slo: {metric: error_rate, max: 0.1%}
    rule: mvc-virtual.p99 < webflux.p99
  - regression: {metric: p99}
  - slo: {metric: rss}
"""
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "r.yaml")
    message = str(caught.value)
    assert message.startswith("r.yaml: 9 problems in the gate rules; nothing was evaluated")
    expected = [
        "r.yaml:4: rules[1].rule: unknown variant 'foo'",
        "r.yaml:4: rules[1].rule: expected '*' after the factor 2, found 'webflux.p99'",
        "r.yaml:5: rules[2].regression.tolerance: 10 is ambiguous; write a percentage such as '10%'",
        "r.yaml:5: rules[2].regression.variants: unknown variant 'bogus'",
        "r.yaml:8: rules[3].slo.max: '250 furlongs' is not a p99 bound",
        "r.yaml:9: rules[3].slo.maximum: unknown key",
        "r.yaml:10: rules[4]: needs exactly one of 'rule' (relative), 'regression' or 'slo'; found 'rule' and 'slo'",
        "r.yaml:12: rules[5].regression.tolerance: required",
        "r.yaml:13: rules[6].slo: needs 'max' (a ceiling) or 'min' (a floor)",
    ]
    for line in expected:
        assert line in message, line
    assert len(caught.value.args[0].splitlines()) == 1 + 9


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("mvc-virtual.p99 = webflux.p99", "expected one of >=, <=, >, < after 'mvc-virtual.p99', found '='"),
        ("mvc-virtual.p99 <=", "expected VARIANT.METRIC after '<=', found the end of the rule"),
        ("mvc-virtual.p99 <= webflux.p99 where users=3", "expected 'at users=N' or the end of the rule"),
        ("mvc-virtual.p99 <= webflux.p99 at users=x", "expected users=N or jdk=N after 'at', found 'users=x'"),
        ("mvc-virtual.p99 <= webflux.p99 at users=8 users=9", "users= is given twice"),
        ("mvc-virtual.p99 <= 0 * webflux.p99", "the factor must be greater than 0"),
        ("p99 <= webflux.p99", "expected VARIANT.METRIC at the start, found 'p99'"),
    ],
)
def test_malformed_relative_rules(rule: str, problem: str) -> None:
    with pytest.raises(RulesError, match=r"rules\[0\]\.rule: ") as caught:
        parse_rules(f"rules:\n  - rule: {rule}\n", "r.yaml")
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["", "rules: []\n", "- slo: {metric: p99, max: 1s}\n", "rules: [{slo: {metric: p99, max: 1s}}]\nextra: 1\n",
     "rules: [3]\n"],
)
def test_malformed_documents(text: str) -> None:
    with pytest.raises(RulesError, match="problem"):
        parse_rules(text, "r.yaml")


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(RulesError, match=r"r.yaml:3: not valid YAML"):
        parse_rules("rules:\n  - slo: {metric: p99\n  - x: [\n", "r.yaml")


@pytest.mark.parametrize(
    ("metric", "text", "value"),
    [("p99", "250ms", 250.0), ("p99", "1.5s", 1500.0), ("p99", 250, 250.0), ("error_rate", "0.1%", 0.001),
     ("error_rate", 0, 0.0), ("rss", "512MB", 512.0), ("rss", "1g", 1024.0), ("throughput", 500, 500.0)],
)
def test_bounds_are_read_in_the_metrics_unit(metric: str, text: object, value: float) -> None:
    assert parse_bound(MEASURES[metric], text) == pytest.approx(value)


@pytest.mark.parametrize(("metric", "text"), [("error_rate", 5), ("p99", "250 rps"), ("p99", -1), ("p99", True)])
def test_bad_bounds_are_refused(metric: str, text: object) -> None:
    with pytest.raises(ValueError):
        parse_bound(MEASURES[metric], text)


def test_the_projects_ci_rules_are_valid(repo_root: Path) -> None:
    rules = load_rules(repo_root / "scenarios" / "ci-gate.rules.yaml")
    assert rules.regression_rules, "the CI gate should guard against regressions when a baseline is given"


def test_cli_exit_2_for_malformed_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps stderr at 80 columns otherwise
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - slo: {metric: p98, max: 1s}\n")
    # The rules are checked before the results folder, which need not even exist.
    assert main(["gate", str(tmp_path / "absent"), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert "rules.yaml:2: rules[0].slo.metric: unknown metric 'p98'" in err
    assert main(["gate", str(tmp_path / "absent"), "--rules", str(tmp_path / "nope.yaml")]) == 2


def test_allow_flagged_is_read_per_rule_and_must_be_a_boolean() -> None:
    rules = parse_rules(
        "rules:\n"
        "  - rule: mvc-virtual.p99 <= 1.5 * webflux.p99\n"
        "    allow_flagged: true\n"
        "  - slo: {metric: p99, max: 250ms}\n",
        "r.yaml",
    ).rules
    assert [r.allow_flagged for r in rules] == [True, False]
    with pytest.raises(RulesError) as caught:
        parse_rules("rules:\n  - slo: {metric: p99, max: 250ms}\n    allow_flagged: 1\n", "r.yaml")
    assert "r.yaml:3: rules[0].allow_flagged: Input should be a valid boolean" in str(caught.value)
