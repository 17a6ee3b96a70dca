"""Results folders written by the harness before issue 9 (tests/fixtures/results-format1, made with commit
51cf137 through its own writers) stay readable: report, compare, gate and the analysis frames read them,
and summary.md renders exactly as that harness rendered it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import analysis
from harness.cli import main
from harness.report import write_report
from harness.report.consume_summary import CONSUME_HOW_TO_READ

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "results-format1"


@pytest.fixture
def folders(tmp_path: Path) -> Path:
    """A copy: report rewrites summary.md and report.html in place."""
    shutil.copytree(FIXTURES, tmp_path / "format1")
    return tmp_path / "format1"


# Configuration rows the settings catalogue added (issue 9): the only lines a re-rendered summary may add.
ADDED_ROWS = ("DB acquire timeout ms", "HTTP client acquire timeout ms", "HTTP client response timeout ms",
              "downstream delay ms", "legacy stripes")


@pytest.mark.parametrize(("kind", "added"), [("requests", 3), ("consume", 0)])
def test_summary_renders_as_the_old_harness_did(folders: Path, kind: str, added: int) -> None:
    before = (folders / kind / "summary.md").read_text(encoding="utf-8").splitlines()
    report = write_report(folders / kind)
    assert report.exists() and report.stat().st_size > 10_000
    after = (folders / kind / "summary.md").read_text(encoding="utf-8").splitlines()
    new_rows = [line for line in after if line.startswith(tuple(f"| {label} |" for label in ADDED_ROWS))]
    kept = [line for line in after if line not in new_rows]
    # Issue 15 parts 2-4: the facts name the warm-up (request runs) and this machine's calibration; an old
    # folder has neither a placement nor a calibration recorded.
    facts = [line for line in kept if line.startswith(("- **Warm-up:**", "- **Calibration:**"))]
    assert facts == (["- **Warm-up:** 2s"] if kind == "requests" else []) + [
        "- **Calibration:** none for this machine: `harness calibrate` measures the instrument's error (README)"]
    kept = [line for line in kept if line not in facts]
    # The Load line now also names the profile and the downstream delay (issue 9); nothing else changed.
    load = [i for i, line in enumerate(before) if line.startswith("- **Load:**")]
    for i in load:
        assert kept[i] == before[i] + "; profile io-bound, downstream delay 20 ms"
        kept[i] = before[i]
    assert len(load) == (1 if kind == "requests" else 0)
    # The consume reading note names every reason a segment now fails for (issue 10); nothing else changed.
    old_rule = "**A segment with lost or processed twice above 0 fails the run.**"
    rule = [i for i, line in enumerate(before) if old_rule in line]
    for i in rule:
        assert kept[i] == f"- {CONSUME_HOW_TO_READ[0]}"
        kept[i] = before[i]
    assert len(rule) == (1 if kind == "consume" else 0)
    # Issue 15: the results table gained a throughput CV column, and a format-1 request run with two
    # repetitions is warned about: they ran inside one JVM. Nothing else changed.
    if kind == "requests":
        warned = kept.index("## Warnings") + 2
        assert kept[warned].startswith("- the repetitions ran back to back inside one JVM")
        assert before[warned] == "None."
        kept[warned] = before[warned]
        for i, line in enumerate(kept):
            if line == "|---|" + "---:|" * 11 + "---|---|":
                kept[i] = "|---|" + "---:|" * 10 + "---|---|"
            elif line.startswith("| mvc-virtual |") or line.startswith("| webflux |") or line.startswith("| variant |"):
                cells = line.split(" | ")
                if len(cells) == 14:  # a results row; the configuration rows have three cells
                    assert cells[3] == "throughput CV" or cells[3].endswith("%"), line
                    kept[i] = " | ".join(cells[:3] + cells[4:])
    assert kept == before
    # The old apps reported their timeouts: shown now, and equal to what was asked (no mismatch flagged).
    assert len(new_rows) == added and all("⚠" not in line for line in new_rows)


def test_compare_and_gate_read_an_old_folder(folders: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = str(folders / "requests")
    assert main(["compare", run, run]) == 0
    out = capsys.readouterr().out
    assert "mvc-virtual" in out and "webflux" in out
    rules = folders / "rules.yaml"
    rules.write_text("rules:\n  - slo: {metric: p99, max: 10s}\n"
                     "  - regression: {metric: throughput, tolerance: 10%}\n", encoding="utf-8")
    assert main(["gate", run, "--rules", str(rules), "--baseline", run]) == 0
    assert "PASS" in capsys.readouterr().out.upper()


def test_analysis_loads_every_table_of_an_old_folder(folders: Path) -> None:
    loaded = analysis.load([folders / "requests", folders / "consume"])
    assert len(loaded.levels) == 8
    assert set(loaded.levels["users"]) == {16, 64}
    assert len(loaded.timeseries) == 8 * 5
    assert len(loaded.consume) == 2
    assert len(loaded.consume_timeseries) == 10
