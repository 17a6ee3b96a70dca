from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from results_factory import BuiltRun, build_run

from harness.analysis import load
from harness.errors import ResultsError
from harness.report import write_report
from harness.report.plots import draw_plots

EXPECTED_PLOTS = ("throughput-jdk25", "latency-jdk25", "timeline-jdk25", "rss-jdk25", "cpu-jdk25")


class _Page(HTMLParser):
    """Collects what the page references and which figure holds which image."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.references: list[str] = []  # every src/href attribute
        self.figures: dict[str, str] = {}  # figure id -> img src
        self._figure: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        self.references += [v for k, v in attrs if k in ("src", "href") and v is not None]
        if tag == "figure":
            self._figure = values.get("id")
        if tag == "img" and self._figure is not None:
            self.figures[self._figure] = values.get("src") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._figure = None


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> BuiltRun:
    return build_run(tmp_path_factory.mktemp("results"))


@pytest.fixture(scope="module")
def complete_page(complete: BuiltRun) -> str:
    complete.results.summary_md.unlink(missing_ok=True)
    return write_report(complete.root).read_text(encoding="utf-8")


def test_report_embeds_every_expected_plot_as_png(complete: BuiltRun, complete_page: str) -> None:
    assert (complete.root / "report.html").is_file()
    figures = parse(complete_page).figures
    for plot in EXPECTED_PLOTS:
        assert plot in figures, f"missing figure {plot}; have {sorted(figures)}"
        assert figures[plot].startswith("data:image/png;base64,")
        assert base64.b64decode(figures[plot].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_is_self_contained(complete_page: str) -> None:
    page = parse(complete_page)
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert all(ref.startswith(("data:", "#")) for ref in page.references), page.references
    assert not re.search(r"https?://", complete_page)
    assert "@import" not in complete_page and "url(" not in complete_page


def test_report_shows_status_warnings_config_and_results(complete: BuiltRun, complete_page: str) -> None:
    head = complete_page.split('id="plots"', 1)[0]
    assert "Status: complete." in head
    assert "NOT complete" not in complete_page
    # The generator saturates at webflux 256 users in every repetition; rep 2 of mvc-platform has errors.
    assert "webflux jdk25 256 users rep 1/3: load generator at 95% of a core" in head
    assert re.search(r"mvc-platform jdk25 256 users rep 2/3: \d+ of \d+ requests failed", head)
    config = head.split('id="config"', 1)[1].split("</table>", 1)[0]
    for text in ("mvc-platform@jdk25", "mvc-virtual@jdk25", "webflux@jdk25", "hikari 32", "r2dbc-pool 32",
                 "reactor-netty, max 512", "512 MiB", "G1", "Tomcat max threads", "Netty I/O workers"):
        assert text in config, text
    assert "Results: JDK 25" in head
    assert head.count('<tr class="flagged">') == 2  # mvc-platform and webflux at 256 users
    # The summary is rewritten beside the report, from the same data.
    assert "## Results: JDK 25" in complete.results.summary_md.read_text(encoding="utf-8")


def test_interrupted_run_is_loud_and_plots_what_it_measured(tmp_path: Path) -> None:
    run = build_run(tmp_path, status="interrupted", stop_after=4)
    page = write_report(run.root).read_text(encoding="utf-8")
    head = page.split("<h2", 1)[0]
    assert 'class="status bad"' in head
    assert "INTERRUPTED: this run is NOT complete" in head
    assert "(4 level(s))" in head
    assert "interrupted (Ctrl-C or SIGINT)" in head
    figures = parse(page).figures
    assert {"throughput-jdk25", "latency-jdk25", "timeline-jdk25"} <= set(figures)


def test_killed_run_without_levels_renders(tmp_path: Path) -> None:
    run = build_run(tmp_path, status=None, stop_after=0)
    page = write_report(run.root).read_text(encoding="utf-8")
    assert "RUNNING: this run is NOT complete" in page
    assert "No level was measured" in page
    assert parse(page).figures == {}
    assert "mvc-virtual@jdk25" in page  # the configuration is still there


def test_failed_verification_is_listed(tmp_path: Path) -> None:
    problem = "webflux@jdk25: GET /orders/7: customer.tier is 'GOLD', expected 'SILVER'"
    run = build_run(tmp_path, status="failed", stop_after=0, verification_problems=[problem])
    page = write_report(run.root).read_text(encoding="utf-8")
    warnings = page.split('id="warnings"', 1)[1].split("</ul>", 1)[0]
    assert "verification: webflux@jdk25: GET /orders/7: customer.tier is &#x27;GOLD&#x27;" in warnings
    assert "FAILED: this run is NOT complete" in page
    assert "VerificationError: verification failed" in page


def test_setting_mismatch_is_highlighted_and_text_is_escaped(tmp_path: Path) -> None:
    run = build_run(tmp_path, levels=(16,), repetitions=1, variants=("webflux",))
    manifest = json.loads(run.results.manifest.read_text(encoding="utf-8"))
    # 6, not the factory's 8 available processors: equal to those, the cell would also say so.
    manifest["variants"]["webflux@jdk25"]["effective"]["nettyIoWorkers"] = 6
    manifest["scenario"]["description"] = "<script>alert(1)</script> & more"
    run.results.manifest.write_text(json.dumps(manifest), encoding="utf-8")
    page = write_report(run.root).read_text(encoding="utf-8")
    assert '<td class="mismatch">6 ⚠ asked 4</td>' in page
    assert "Netty I/O workers is 6 in the running app, but 4 was requested" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_one_figure_per_jdk(tmp_path: Path) -> None:
    run = build_run(tmp_path, jdks=(21, 25), variants=("mvc-virtual", "webflux"), levels=(16, 64), repetitions=1)
    figures = parse(write_report(run.root).read_text(encoding="utf-8")).figures
    for jdk in (21, 25):
        assert {f"throughput-jdk{jdk}", f"latency-jdk{jdk}", f"timeline-jdk{jdk}"} <= set(figures)


def test_missing_or_new_columns_skip_or_add_plots(complete: BuiltRun) -> None:
    frames = load(complete.root)
    levels = frames.levels.assign(app_rss_mb_max=float("nan"), vt_pinned=3.0)
    plots, missing = draw_plots(levels, frames.timeseries.iloc[0:0])
    ids = {p.id for p in plots}
    assert "rss-jdk25" not in ids and "timeline-jdk25" not in ids
    assert "pinned-jdk25" in ids  # a column a later format adds is drawn as soon as a run has it
    assert "pool-wait-jdk25" not in ids
    assert any("App memory" in m for m in missing) and any("Latency over time" in m for m in missing)


def test_folder_without_manifest_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=str(tmp_path)):
        write_report(tmp_path)


def test_the_runner_renders_the_summary_once_and_the_report_beside_it(tmp_path: Path) -> None:
    """``write_report(..., summary=False)``, as the runner calls it after writing summary.md itself, leaves it."""
    run = build_run(tmp_path, levels=(16,), repetitions=1)
    run.results.summary_md.write_text("written by the runner\n", encoding="utf-8")
    write_report(run.root, summary=False)
    assert run.results.summary_md.read_text(encoding="utf-8") == "written by the runner\n"
    write_report(run.root)  # `harness report` re-renders both
    assert run.results.summary_md.read_text(encoding="utf-8").startswith("# Benchmark results: report-demo")
