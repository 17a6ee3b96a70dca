"""consume.csv and consume_timeseries.csv through the harness's own writers, into summary.md, report.html
and the analysis frames."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness import analysis
from harness.errors import ResultsError
from harness.report import write_report
from harness.results.consume_tables import (
    CONSUME_TIMESERIES_COLUMNS,
    ConsumeResult,
    ConsumeSample,
    append_consume_result,
    append_consume_timeseries,
    read_consume,
)
from harness.results.layout import ResultsDir, create
from harness.results.manifest import (
    ConsumeRecord,
    InjectedRecord,
    ManifestWriter,
    SegmentBroker,
    SegmentProblem,
    SegmentRecord,
)
from harness.scenario import parse_scenario

SCENARIO = parse_scenario({
    "name": "consume-test", "data": {"orders": 1000},
    "consume": {"broker": "kafka", "events": 1000},
    "faults": {"duplicates": 0.05, "restart_broker_at": 0.5},
})

OK = ConsumeResult(
    jdk=25, variant="webflux", broker="kafka", source="preload", repetition=1, started_at="2026-11-27T01:00:00.000Z",
    drained=True, ok=True, events_created=1000, events_published=1000, events_processed=1000, duplicate_rows=50,
    duplicates_suppressed=50, processed_twice=0, lost=0, dead_lettered=0, poison_injected=0, poison_dead_lettered=0,
    drain_s=4.2, drain_rate_eps=238.1, lag_p50_ms=2100.0, lag_p90_ms=3800.0, lag_p99_ms=4150.0,
    lag_p999_ms=4190.0, lag_max_ms=4200.0, peak_backlog_db=990, peak_backlog_broker=600, app_rss_mb_max=310.5,
    app_cpu_s=6.1, broker_version="4.4.0", broker_startup_s=6.5, broker_restart_s=7.25, kill_restart_s=None,
    orders_failed=None,
)  # fmt: skip


def _run(tmp_path: Path, rows: list[ConsumeResult], status: str = "complete",
         problems: dict[str, list[tuple[str, str]]] | None = None) -> ResultsDir:
    results = create(tmp_path, SCENARIO.name, datetime(2026, 11, 27, tzinfo=UTC))
    manifest = ManifestWriter(results, SCENARIO, Path("consume-test.yaml"), ["harness", "run"])
    if problems:
        # As harness.consume.run records them: one segment entry per failed segment, its reasons named.
        manifest.set_consume(ConsumeRecord(broker="kafka", source="preload"))
        for label, named in problems.items():
            manifest.set_segment(label, SegmentRecord(
                label=label, broker=SegmentBroker(kind="kafka", version="4.4.0", startup_s=6.5), faults=(),
                faults_not_fired=(), drive=None, injected=InjectedRecord(events=1000, duplicate_rows=50),
                reconciliation={"created": 1000}, problems=tuple(SegmentProblem(r, d) for r, d in named)))
    for row in rows:
        append_consume_result(results.consume_csv, row)
        append_consume_timeseries(results.consume_timeseries_csv, [
            ConsumeSample(row.jdk, row.variant, row.broker, row.repetition, float(t), 1000, min(1000, 300 * t),
                          250 * t, 0, max(0, 1000 - 300 * t), max(0, 1000 - 250 * t),
                          None if t == 2 else max(0, 600 - 200 * t), 300.0, 150.0, "restart-broker" if t == 2 else "")
            for t in range(5)
        ])
    manifest.finish(status, None if status == "complete" else "1 consume segment(s) failed reconciliation")  # type: ignore[arg-type]
    return results


def test_rows_read_back_with_their_types(tmp_path: Path) -> None:
    results = _run(tmp_path, [OK, dataclasses.replace(OK, variant="mvc-virtual", kill_restart_s=9.5)])
    assert read_consume(results.consume_csv) == [OK, dataclasses.replace(OK, variant="mvc-virtual", kill_restart_s=9.5)]
    assert read_consume(results.root / "absent.csv") == []


def test_a_foreign_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "consume.csv"
    path.write_text("jdk,variant\n25,webflux\n")
    with pytest.raises(ResultsError, match="columns"):
        read_consume(path)


def test_summary_and_report_say_every_segment_passed(tmp_path: Path) -> None:
    results = _run(tmp_path, [OK, dataclasses.replace(OK, variant="mvc-platform")])
    report = write_report(results.root)
    summary = results.summary_md.read_text()
    assert "**Every segment (2): lost = 0, processed twice = 0.**" in summary
    assert "- **Consume:** 1000 events preloaded into the outbox, on kafka (8 partitions" in summary
    assert "5% duplicates" in summary and "broker restart at 50%" in summary
    assert "| webflux | kafka | 1 | 1000 | 1000 | 1000 | 50 | 50 | 0 | 0 | 0 | 4.2 | 238 |" in summary
    assert "No level was measured" not in summary
    page = report.read_text()
    assert 'id="consume-verdict"' in page and "lost = 0, processed twice = 0" in page
    assert 'id="consume-backlog-kafka"' in page and 'id="consume-lag-kafka"' in page


def test_a_failed_segment_is_loud(tmp_path: Path) -> None:
    failed = dataclasses.replace(OK, variant="mvc-virtual", ok=False, lost=3, events_processed=997)
    results = _run(tmp_path, [OK, failed], status="failed")
    write_report(results.root)
    summary = results.summary_md.read_text()
    assert "FAILED in 1 of 2 segment(s): mvc-virtual jdk25 kafka rep 1: lost 3, processed twice 0." in summary
    assert "| **mvc-virtual** ⚠ |" in summary
    assert "The tables cover only the segments measured before that (2 segment(s))" in summary
    assert 'class="status bad" id="consume-verdict"' in (results.root / "report.html").read_text()


def test_each_failed_check_is_named_in_summary_and_report(tmp_path: Path) -> None:
    failed = dataclasses.replace(OK, variant="mvc-virtual", ok=False, events_created=926, events_processed=926)
    problems = {"mvc-virtual jdk25 kafka rep 1": [
        ("orders not delivered", "926 of 1200 planned orders answered 201"),
        ("POST /orders failed", "274 POST /orders never accepted (ReadError × 274; 0 retries)"),
        ("fault did not fire", "kill-consumer was configured but its threshold was never reached (926 processed)"),
    ]}
    results = _run(tmp_path, [OK, failed], status="failed", problems=problems)
    write_report(results.root)
    summary = results.summary_md.read_text()
    assert ("FAILED in 1 of 2 segment(s): mvc-virtual jdk25 kafka rep 1: orders not delivered: 926 of 1200 planned "
            "orders answered 201; POST /orders failed: 274 POST /orders never accepted") in summary
    assert "- **orders not delivered**: 926 of 1200 planned orders answered 201" in summary
    assert "- **POST /orders failed**: 274 POST /orders never accepted (ReadError × 274; 0 retries)" in summary
    assert "- **fault did not fire**: kill-consumer was configured" in summary
    page = (results.root / "report.html").read_text()
    assert "orders not delivered: 926 of 1200 planned orders answered 201" in page


def test_analysis_loads_the_consume_frames(tmp_path: Path) -> None:
    results = _run(tmp_path, [OK])
    frames = analysis.load(results.root)
    assert list(frames.consume["variant"]) == ["webflux"]
    assert frames.consume.loc[0, "lag_p99_ms"] == 4150.0
    assert list(frames.consume_timeseries.columns) == ["run", *CONSUME_TIMESERIES_COLUMNS]
    assert len(frames.consume_timeseries) == 5
    assert frames.levels.empty
    assert frames.runs.loc[0, "repetitions"] == 1


def test_a_lifecycle_run_shows_who_kept_order_per_variant_and_broker(tmp_path: Path) -> None:
    lifecycle = dataclasses.replace(OK, lifecycle=True, ordering="observed")
    rows = [dataclasses.replace(lifecycle, variant="webflux", ordering_violations=41),
            dataclasses.replace(lifecycle, variant="mvc-virtual", ordering_violations=0),
            dataclasses.replace(lifecycle, variant="webflux", broker="rabbitmq", ordering_violations=7)]
    results = _run(tmp_path, rows)
    assert read_consume(results.consume_csv) == rows
    write_report(results.root)
    summary = results.summary_md.read_text()
    assert "| processed twice | out of order | lost |" in summary
    assert "| webflux | kafka | 1 | 1000 | 1000 | 1000 | 50 | 50 | 0 | 41 (observed) | 0 |" in summary
    assert "| mvc-virtual | kafka | 1 | 1000 | 1000 | 1000 | 50 | 50 | 0 | 0 (observed) | 0 |" in summary
    assert "| webflux | rabbitmq | 1 | 1000 | 1000 | 1000 | 50 | 50 | 0 | 7 (observed) | 0 |" in summary
    assert "41 (observed)" in (results.root / "report.html").read_text()


def test_a_format_1_consume_csv_reads_as_one_event_per_order(tmp_path: Path) -> None:
    results = _run(tmp_path, [OK])
    lines = results.consume_csv.read_text().splitlines()
    width = len(lines[0].split(",")) - 3  # format 1: without lifecycle, ordering, ordering_violations
    results.consume_csv.write_text("\n".join(",".join(line.split(",")[:width]) for line in lines) + "\n")
    [row] = read_consume(results.consume_csv)
    assert (row.lifecycle, row.ordering, row.ordering_violations) == (False, "observed", 0)
    assert row == OK
