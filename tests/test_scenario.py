from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario import format_location, load_scenario, parse_duration, parse_scenario

SCENARIOS = [
    p for p in sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
    if not p.name.endswith(".rules.yaml")
]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem


def test_quickstart_resolves_every_setting_explicitly() -> None:
    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml")
    resolved = scenario.model_dump(mode="json")
    assert resolved["app"]["tomcat"] == {"max_threads": 32, "max_connections": 10000, "accept_count": 1000}
    assert resolved["app"]["netty"]["io_workers"] > 0
    assert resolved["app"]["http_client"]["max_connections"] > 0
    assert resolved["load"]["warmup"] == "10s"


def test_every_problem_is_reported_with_its_yaml_path() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({
            "name": "ok",
            "app": {"heap": "lots", "tomcat": {"max_thread": 5}},
            "load": {"levels": [16, 64, -1], "duration": "forever"},
        })
    problems = caught.value.problems
    assert "app.heap: String should match pattern '^\\d+[kmg]$'" in problems
    assert any(p.startswith("app.tomcat.max_thread: unknown key") for p in problems)
    assert "load.levels[2]: Input should be greater than 0" in problems
    assert any(p.startswith("load.duration: must be a duration") for p in problems)
    assert len(problems) == 4


def test_missing_load_is_named() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "x"})
    assert caught.value.problems == ["load: required"]


def test_not_a_mapping() -> None:
    with pytest.raises(ScenarioError, match="must be a mapping"):
        parse_scenario(["a", "list"])


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)


def test_duplicate_levels_and_variants_are_rejected() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "x", "variants": ["webflux", "webflux"], "load": {"levels": [4, 4]}})
    assert set(caught.value.problems) == {
        "variants: entries must be distinct",
        "load.levels: levels must be distinct",
    }


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10.0), ("500ms", 0.5), ("2m", 120.0), (3, 3.0)])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["10", "ten seconds", "-1s", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_location() -> None:
    assert format_location(("load", "levels", 2)) == "load.levels[2]"
    assert format_location(()) == "(top level)"
