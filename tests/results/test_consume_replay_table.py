"""consume_replay.csv through the harness's own writer, into summary.md, report.html and the manifest."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from results.test_consume_results import OK

from harness.errors import ResultsError
from harness.report import write_report
from harness.results.consume_replay_table import (
    CONSUME_REPLAY,
    ConsumeReplay,
    append_consume_replay,
    read_consume_replay,
)
from harness.results.consume_tables import append_consume_result
from harness.results.layout import create
from harness.results.manifest import (
    ConsumeRecord,
    InjectedRecord,
    ManifestWriter,
    ReplayRecord,
    SegmentBroker,
    SegmentProblem,
    SegmentRecord,
    read_manifest,
)
from harness.scenario import parse_scenario

SCENARIO = parse_scenario({"name": "replay-test", "data": {"orders": 1000},
                           "consume": {"broker": "kafka", "events": 1000, "replay": True}})

REPLAY = ConsumeReplay(
    jdk=25, variant="webflux", broker="kafka", repetition=1, group_id="order-consumer-replay-webflux@jdk25-kafka-r1",
    started_at="2026-11-27T01:00:10.000Z", ok=True, events=1000, replayed=1000, lost=0, processed_twice=0, strays=0,
    duplicates_suppressed=50, poison_dead_lettered=3, dead_letters_added=3, projection_rows=1000,
    projection_matches=True, jvm_start_s=5.2, first_to_last_s=2.5, ready_to_last_s=3.1, rebuild_eps=400.0,
    app_cpu_s=3.0, app_cpu_ms_per_event=3.0, load_avg_1m=1.5, problems="",
)  # fmt: skip


def test_rows_read_back_with_their_types_and_a_non_finite_rate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / CONSUME_REPLAY.file
    failed = dataclasses.replace(REPLAY, variant="mvc-virtual", ok=False, lost=1, replayed=999, rebuild_eps=None,
                                 projection_matches=False, problems="lost: 1 of 1000 events not processed")
    append_consume_replay(path, REPLAY)
    append_consume_replay(path, failed)
    assert read_consume_replay(path) == [REPLAY, failed]
    assert read_consume_replay(tmp_path / "absent.csv") == []
    path.write_text(path.read_text().replace(",400.0,", ",inf,"))
    with pytest.raises(ResultsError):
        read_consume_replay(path)


def test_summary_report_and_manifest_show_the_rebuild_per_variant(tmp_path: Path) -> None:
    results = create(tmp_path, SCENARIO.name, datetime(2026, 11, 27, tzinfo=UTC))
    manifest = ManifestWriter(results, SCENARIO, Path("replay-test.yaml"), ["harness", "run"])
    manifest.set_consume(ConsumeRecord(broker="kafka", source="preload"))
    replay = ReplayRecord(group_id=REPLAY.group_id, dead_letter_group_id=f"{REPLAY.group_id}-dlt",
                          start_offsets={"0": 250, "1": 250}, jvm_flags=("-Xms256m", "-Xmx256m"),
                          effective_differs=("jvm.pid",), reconciliation={"replayed": 1000},
                          problems=(SegmentProblem("lost", "1 of 1000 events not processed by the replay"),))
    manifest.set_segment("webflux@jdk25-kafka-r1", SegmentRecord(
        label="webflux jdk25 kafka rep 1", broker=SegmentBroker(kind="kafka", version="4.4.0", startup_s=6.5),
        faults=(), faults_not_fired=(), drive=None, injected=InjectedRecord(events=1000, duplicate_rows=50),
        reconciliation={"created": 1000}, problems=(), replay=replay))
    append_consume_result(results.consume_csv, OK)
    append_consume_replay(results.root / CONSUME_REPLAY.file, REPLAY)
    append_consume_replay(results.root / CONSUME_REPLAY.file, dataclasses.replace(
        REPLAY, variant="mvc-virtual", ok=False, projection_matches=False, problems="projection differs: ..."))
    manifest.finish("complete", None)
    write_report(results.root)
    summary = results.summary_md.read_text()
    assert "## Read-model rebuild (Kafka replay in a fresh consumer group)" in summary
    assert "| webflux | 25 | 1 | 1000/1000 | 400 | 2.50 | 3.10 | 5.2 | 3.000 | equal (1000 rows) | 3 | 1.5 | ok |" \
        in summary
    assert "| mvc-virtual | 25 | 1 |" in summary and "**different**" in summary
    assert "**FAILED**: projection differs" in summary
    assert "**webflux** jdk25 400 events/s (1)" in summary
    # The replay's problems are the segment's: the verdict names them.
    assert ("FAILED in 1 of 1 segment(s): webflux jdk25 kafka rep 1: replay: lost: 1 of 1000 events not processed "
            "by the replay.") in summary
    page = (results.root / "report.html").read_text()
    assert 'id="consume-replay"' in page and "FAILED: projection differs" in page
    recorded = read_manifest(results.manifest).consume
    assert recorded is not None and recorded.segments["webflux@jdk25-kafka-r1"].replay == replay
    assert json.loads(results.manifest.read_text())["consume"]["segments"]["webflux@jdk25-kafka-r1"]["replay"][
        "group_id"] == REPLAY.group_id


def test_a_run_without_replay_has_no_rebuild_section(tmp_path: Path) -> None:
    results = create(tmp_path, SCENARIO.name, datetime(2026, 11, 27, tzinfo=UTC))
    ManifestWriter(results, SCENARIO, Path("replay-test.yaml"), ["harness", "run"]).finish("complete", None)
    write_report(results.root)
    assert "Read-model rebuild" not in results.summary_md.read_text()
