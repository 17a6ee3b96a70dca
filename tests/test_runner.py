"""harness.runner: what one run refuses before it creates anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from harness.errors import ScenarioError
from harness.runner import Paths, run_scenario
from harness.scenario import parse_scenario


def test_a_sweep_never_runs_as_one_run(tmp_path: Path) -> None:
    """A consume sweep is one run per point (harness.consume.sweep); one run of the whole is refused, with
    nothing created."""
    sweep = parse_scenario({"name": "s", "data": {"orders": 1000},
                            "consume": {"broker": "kafka", "events": 500, "sweep": {"concurrency": [1, 4]}}}, "s.yaml")
    with pytest.raises(ScenarioError, match=r"consume\.sweep"):
        run_scenario(sweep, tmp_path / "s.yaml", Paths(tmp_path, tmp_path), Console(quiet=True), [])
    assert list(tmp_path.iterdir()) == []
