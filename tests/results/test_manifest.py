from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

import harness
from harness.errors import ResultsError
from harness.level_id import LevelId
from harness.results.layout import ResultsDir, create
from harness.results.manifest import (
    FORMAT_VERSION,
    AppRunRecord,
    ConsumeRecord,
    DriveRecord,
    FiredFaultRecord,
    InjectedRecord,
    JdkRecord,
    ManifestWriter,
    PreloadRecord,
    RunOrderRecord,
    SegmentBroker,
    SegmentProblem,
    SegmentRecord,
    VariantRecord,
    Verification,
    WorkerRecord,
    collect_machine,
    git_info,
    read_manifest,
)
from harness.scenario import Scenario, parse_scenario

NOW = datetime(2026, 11, 26, 22, 43, 5, tzinfo=UTC)
RECORD = VariantRecord(variant="webflux", jdk=JdkRecord(25, "25.0.1", "Eclipse"), jar="order-webflux.jar",
                       jvm_flags=("-Xmx512m",), env={"ORDERS_VARIANT": "webflux"}, port=8080,
                       requested={"dbPool.maxSize": 32}, effective={"dbPool": {"maxSize": 32}})


@pytest.fixture
def scenario() -> Scenario:
    return parse_scenario({"name": "quick", "description": "d", "load": {"levels": [16, 64]}})


@pytest.fixture
def results(tmp_path: Path) -> ResultsDir:
    return create(tmp_path / "results", "quick", NOW)


def writer(results: ResultsDir, scenario: Scenario) -> ManifestWriter:
    return ManifestWriter(results, scenario, Path("scenarios/quick.yaml"), ["harness", "run", "quick.yaml"])


def test_layout_names_and_uniqueness(tmp_path: Path) -> None:
    first = create(tmp_path, "quick", NOW)
    second = create(tmp_path, "quick", NOW)
    assert first.root.name == "20261126T224305Z-quick"
    assert second.root.name == "20261126T224305Z-quick-2"
    assert first.histograms.is_dir() and first.logs.is_dir()
    assert first.hlog_path(LevelId(25, "webflux", 64, 2)).name == "jdk25-webflux-u64-r2.hlog"


def test_written_at_once_as_running(results: ResultsDir, scenario: Scenario) -> None:
    writer(results, scenario)
    manifest = read_manifest(results.manifest)
    assert manifest.status == "running"
    assert manifest.finished_at is None
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.harness_version == harness.__version__
    assert manifest.scenario == scenario
    assert manifest.argv == ("harness", "run", "quick.yaml")
    doc = json.loads(results.manifest.read_text(encoding="utf-8"))
    assert doc["scenario"] == scenario.model_dump(mode="json")
    assert doc["scenario"]["load"]["duration"] == "20s"  # resolved defaults are stored
    assert {"machine", "git", "jdks", "variants", "infrastructure", "warnings"} <= doc.keys()


@pytest.mark.parametrize("status", ["complete", "failed", "interrupted"])
def test_finish_records_the_end(results: ResultsDir, scenario: Scenario, status: str) -> None:
    manifest = writer(results, scenario)
    manifest.finish(status, None if status == "complete" else "boom")  # type: ignore[arg-type]
    manifest = read_manifest(results.manifest)
    assert manifest.status == status
    assert manifest.finished_at is not None
    assert manifest.error == (None if status == "complete" else "boom")


def test_unfinished_run_never_reads_complete(results: ResultsDir, scenario: Scenario) -> None:
    manifest = writer(results, scenario)
    manifest.set("jdks", {"25": {"home": "/jdk", "version": "25.0.1", "vendor": "Eclipse", "source": "path"}})
    manifest.set_variant("webflux@jdk25", RECORD)
    manifest.add_warning("something odd")
    del manifest  # the process dies here: no finish()
    doc = read_manifest(results.manifest)
    assert doc.status == "running"
    assert doc.jdks["25"]["version"] == "25.0.1"
    assert doc.variants["webflux@jdk25"] == RECORD
    assert doc.variants["webflux@jdk25"].jvm_flags == ("-Xmx512m",)
    assert doc.warnings == ("something odd",)


def test_first_finish_wins(results: ResultsDir, scenario: Scenario) -> None:
    manifest = writer(results, scenario)
    manifest.finish("interrupted", "Ctrl-C")
    manifest.finish("complete")
    assert read_manifest(results.manifest).status == "interrupted"


def test_context_manager_records_failures(results: ResultsDir, scenario: Scenario) -> None:
    with pytest.raises(KeyboardInterrupt), writer(results, scenario):
        raise KeyboardInterrupt
    assert read_manifest(results.manifest).status == "interrupted"


def test_reserved_keys_cannot_be_forged(results: ResultsDir, scenario: Scenario) -> None:
    manifest = writer(results, scenario)
    with pytest.raises(KeyError):
        manifest.set("status", "complete")
    assert read_manifest(results.manifest).status == "running"


def test_rewrite_is_atomic(results: ResultsDir, scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = writer(results, scenario)
    before = results.manifest.read_text(encoding="utf-8")

    def crash(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        manifest.set("build", {"built_now": True})
    # The old document survives intact and no temporary file is left behind.
    assert results.manifest.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in results.root.iterdir() if p.is_file()) == ["manifest.json"]


def test_unknown_format_version_is_refused(results: ResultsDir, scenario: Scenario) -> None:
    writer(results, scenario)
    doc = json.loads(results.manifest.read_text(encoding="utf-8"))
    doc["format_version"] = FORMAT_VERSION + 1
    results.manifest.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError, match="format version"):
        read_manifest(results.root)


def test_missing_or_garbled_manifest(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not a results folder"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(ResultsError, match="cannot read"):
        read_manifest(tmp_path)


def test_machine_and_git_metadata(tmp_path: Path, repo_root: Path) -> None:
    machine = collect_machine()
    assert machine.logical_cores and machine.memory_total_bytes > 0 and machine.python
    assert git_info(tmp_path).commit is None  # not a repository: tolerated
    info = git_info(repo_root)
    assert info.error is None and info.commit is not None and len(info.commit) == 40
    assert isinstance(info.dirty, bool)


def test_the_json_form_round_trips_and_a_bad_field_is_named(results: ResultsDir, scenario: Scenario) -> None:
    manifest = writer(results, scenario)
    manifest.set_variant("webflux@jdk25", RECORD)
    manifest.set_verification(Verification(("one problem",), (1, 2)))
    manifest.finish("complete")
    on_disk = read_manifest(results.root)
    assert on_disk == manifest.manifest
    assert on_disk.verification == Verification(("one problem",), (1, 2))
    doc = json.loads(results.manifest.read_text(encoding="utf-8"))
    doc["variants"]["webflux@jdk25"]["port"] = "eighty"
    results.manifest.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError, match="'variants': port: 'eighty' is not an integer"):
        read_manifest(results.root)


@pytest.mark.parametrize("docker", [None, {}, {"postgres": "my/pg:15.8"}])
def test_a_docker_scenario_reads_back_as_written(results: ResultsDir, docker: dict[str, str] | None) -> None:
    # The loader drops every default before validating again, so ``docker:`` (allowed only with
    # ``infra: docker``) must come back whether the images were the defaults or overridden.
    spec = {"name": "quick", "infra": "docker", "load": {"levels": [16]}}
    scenario = parse_scenario(spec if docker is None else {**spec, "docker": docker})
    writer(results, scenario).set("infrastructure", {"kind": "docker", "images": {"postgres": "postgres:15 (x)"}})
    on_disk = read_manifest(results.root)
    assert on_disk.scenario == scenario
    assert on_disk.infrastructure["images"] == {"postgres": "postgres:15 (x)"}


def test_a_scenario_this_harness_no_longer_accepts_is_refused_with_rerun(results: ResultsDir,
                                                                         scenario: Scenario) -> None:
    writer(results, scenario)
    doc = json.loads(results.manifest.read_text(encoding="utf-8"))
    doc["scenario"]["load"]["ramp"] = "linear"
    results.manifest.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError, match=r"scenario does not validate .*load\.ramp.*rerun the scenario"):
        read_manifest(results.root)


def test_only_free_form_sections_can_be_set(results: ResultsDir, scenario: Scenario) -> None:
    manifest = writer(results, scenario)
    for key in ("verification", "variants", "warnings", "scenario"):
        with pytest.raises(KeyError):
            manifest.set(key, {})  # type: ignore[arg-type]


def test_workers_are_recorded_once_each_and_read_back(results: ResultsDir, scenario: Scenario) -> None:
    manifest = writer(results, scenario)
    local = WorkerRecord(name="w1", host="gen-a", external=False, harness_version="0.1.0", code_sha256="ab")
    remote = WorkerRecord(name="gen-b", host="gen-b", external=True, harness_version="0.1.0", code_sha256="ab")
    manifest.add_workers((local, remote))
    manifest.add_workers((remote, local))  # the next level: the same two workers
    assert read_manifest(results.manifest).workers == (local, remote)


CONSUMING = {"name": "c", "data": {"orders": 5000}, "consume": {"broker": "rabbitmq", "events": 1000,
                                                                "source": "drive", "rate": 100}}
SEGMENT = SegmentRecord(
    label="webflux jdk25 rabbitmq rep 1", broker=SegmentBroker(kind="rabbitmq", version="4.0.5", startup_s=3.2),
    faults=(FiredFaultRecord(name="kill-consumer", at_processed=600, seconds=9.5),),
    faults_not_fired=("restart-broker",),
    drive=DriveRecord(planned=1000, accepted=998, failed=2, retries=41, failure_kinds={"ReadError": 2},
                      new_orders=998, sent_per_s=9.8),
    injected=InjectedRecord(events=998, duplicate_rows=50),
    reconciliation={"created": 998, "lost": 0},
    problems=(SegmentProblem("POST /orders failed", "2 POST /orders never accepted"),
              SegmentProblem("fault did not fire", "restart-broker was configured but never fired")),
)


def test_the_consume_section_is_typed_and_round_trips(results: ResultsDir) -> None:
    manifest = writer(results, parse_scenario(CONSUMING))
    with pytest.raises(KeyError):
        manifest.set("consume", {"segments": {}})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="set_consume"):
        manifest.set_segment("webflux@jdk25-rabbitmq-r1", SEGMENT)
    manifest.set_consume(ConsumeRecord(broker="rabbitmq", source="drive"))
    manifest.set_segment("webflux@jdk25-rabbitmq-r1", SEGMENT)
    on_disk = read_manifest(results.root)
    assert on_disk == manifest.manifest
    assert on_disk.consume is not None and on_disk.consume.problems() == {SEGMENT.label: SEGMENT.problems}
    doc = json.loads(results.manifest.read_text(encoding="utf-8"))
    segment = doc["consume"]["segments"]["webflux@jdk25-rabbitmq-r1"]
    assert segment["problems"][0] == {"reason": "POST /orders failed", "detail": "2 POST /orders never accepted"}
    assert segment["drive"] == {"planned": 1000, "accepted": 998, "failed": 2, "retries": 41,
                                "failure_kinds": {"ReadError": 2}, "new_orders": 998, "sent_per_s": 9.8}
    assert segment["injected"] == {"events": 998, "duplicate_rows": 50} and "preload" not in doc["consume"]
    segment["drive"]["retries"] = "many"
    results.manifest.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ResultsError, match="'consume': drive: retries: 'many' is not an integer"):
        read_manifest(results.root)


def test_a_consume_section_recorded_before_named_problems_still_reads(results: ResultsDir) -> None:
    manifest = writer(results, parse_scenario(CONSUMING))
    manifest.set_consume(ConsumeRecord(broker="rabbitmq", source="drive",
                                       preload=PreloadRecord(rows=1057, events=1000, duplicate_rows=50, poison_rows=7)))
    doc = json.loads(results.manifest.read_text(encoding="utf-8"))
    doc["consume"]["segments"]["webflux@jdk25-rabbitmq-r1"] = {  # the shape of the harness before issue 10
        "broker": {"kind": "rabbitmq", "version": "4.0.5", "startup_s": 3.2}, "faults": [],
        "faults_not_fired": ["kill-consumer"],
        "drive": {"sent": 1200, "created": 926, "failed": 274, "failure_kinds": {"ReadError": 274}},
        "reconciliation": {"created": 926, "lost": 0, "first_created_at": None},
        "problems": ["lost 3 events"],
    }
    results.manifest.write_text(json.dumps(doc), encoding="utf-8")
    consume = read_manifest(results.root).consume
    assert consume is not None and consume.preload == PreloadRecord(1057, 1000, 50, 7)
    [segment] = consume.segments.values()
    assert segment.label is None and segment.injected is None
    assert segment.drive == DriveRecord(planned=1200, accepted=926, failed=274, retries=0,
                                        failure_kinds={"ReadError": 274}, new_orders=None)
    assert segment.problems == (SegmentProblem("lost 3 events", ""),)
    assert consume.problems() == {}  # no label to match a consume.csv row: the summary judges that row itself


def test_the_run_order_is_recorded_as_the_jvms_run(results: ResultsDir, scenario: Scenario) -> None:
    manifest = writer(results, scenario)
    manifest.set_run_order("shuffled", 1234)
    first = AppRunRecord(position=1, app="webflux@jdk25", repetition=1, pid=41, started_at="t0", finished_at=None,
                         gc_log="logs/webflux@jdk25-r1-gc.log", jfr_recording="jfr/webflux@jdk25-r1.jfr")
    second = AppRunRecord(position=2, app="mvc-virtual@jdk25", repetition=1, pid=42, started_at="t2",
                          finished_at=None, gc_log="logs/mvc-virtual@jdk25-r1-gc.log", jfr_recording=None)
    manifest.record_app_run(first)
    manifest.record_app_run(second)
    manifest.record_app_run(replace(first, finished_at="t1"))  # stopped: replaces its own entry only
    read = read_manifest(results.root)
    assert read.run_order == RunOrderRecord("shuffled", 1234, (replace(first, finished_at="t1"), second))
    assert read.independent_repetitions


def test_a_format1_request_run_is_read_and_says_its_repetitions_shared_a_jvm(repo_root: Path) -> None:
    manifest = read_manifest(repo_root / "tests" / "fixtures" / "results-format1" / "requests")
    assert manifest.format_version == 1
    assert manifest.run_order is None
    assert not manifest.independent_repetitions
    consume = read_manifest(repo_root / "tests" / "fixtures" / "results-format1" / "consume")
    assert consume.independent_repetitions  # every consume segment always started its own JVM


EXPLICIT = {"app": "0", "generator": "0", "infra": "0"}


@pytest.mark.parametrize(("warmup", "placement"), [
    ("auto", "auto"), ("10s", "none"), ({"mode": "auto", "max": "30s", "tolerance": "5%"}, EXPLICIT)])
def test_warm_up_placement_and_calibration_read_back_as_written(results: ResultsDir, warmup: object,
                                                                placement: object) -> None:
    scenario = parse_scenario({"name": "quick", "placement": placement, "load": {"levels": [16], "warmup": warmup}})
    manifest = writer(results, scenario)
    manifest.set("placement", {"mode": "auto", "app": "1", "generator": "0", "infra": "0"})
    manifest.set("calibration", {"format": 1, "trust": ["Latency: ..."]})
    on_disk = read_manifest(results.root)
    assert on_disk.scenario == scenario
    assert on_disk.placement == {"mode": "auto", "app": "1", "generator": "0", "infra": "0"}
    assert on_disk.calibration == {"format": 1, "trust": ["Latency: ..."]}


def test_a_stored_scenario_drops_every_default_duration_included(scenario: Scenario) -> None:
    # A dump spells every default; a Duration default ("20s" for load.duration) must be recognised as one too,
    # or a rule that rejects a duration knob only when it is set would refuse a valid recorded scenario.
    from harness.results.manifest import _without_defaults

    stored = _without_defaults(Scenario, scenario.model_dump(mode="json"))
    assert "duration" not in stored["load"] and "settle" not in stored["load"]
    set_by_user = parse_scenario({"name": "quick", "load": {"levels": [16], "duration": "7s"}})
    assert _without_defaults(Scenario, set_by_user.model_dump(mode="json"))["load"]["duration"] == "7s"
