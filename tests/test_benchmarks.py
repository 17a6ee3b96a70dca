"""The two benchmark kinds fill in what differs in the one run skeleton."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from harness.benchmarks import ConsumeBenchmark, RequestBenchmark, benchmark_kind
from harness.consume.env import NO_BROKER
from harness.results.layout import create
from harness.results.tables import LEVEL_COLUMNS
from harness.scenario import parse_scenario

REQUESTS = parse_scenario({"name": "r", "load": {"levels": [4, 32], "warmup": "3s"}})
CONSUME = parse_scenario({"name": "c", "consume": {"broker": "kafka", "events": 10, "listener_concurrency": 6,
                                                    "warmup": "2s"}})


def test_a_request_benchmark_records_flights_and_has_a_levels_table(tmp_path: Path) -> None:
    kind = benchmark_kind(REQUESTS)
    assert isinstance(kind, RequestBenchmark)
    assert kind.records_flight and kind.launch_env() == {}
    assert kind.downstream_warmup() == (3.0, 32)
    results = create(tmp_path, "r", datetime(2026, 11, 30, tzinfo=UTC))
    kind.begin(results)
    assert results.levels_csv.read_text(encoding="utf-8").strip() == ",".join(LEVEL_COLUMNS)


def test_a_consume_benchmark_starts_apps_without_a_broker_or_recording(tmp_path: Path) -> None:
    kind = benchmark_kind(CONSUME)
    assert isinstance(kind, ConsumeBenchmark)
    assert not kind.records_flight and kind.launch_env() == NO_BROKER
    assert kind.downstream_warmup() == (2.0, 6)
    results = create(tmp_path, "c", datetime(2026, 11, 30, tzinfo=UTC))
    kind.begin(results)
    assert not results.levels_csv.exists()  # segments, not levels


def test_workers_in_the_scenario_become_the_levels_distribution() -> None:
    from harness.benchmarks import distribution_of
    from harness.load.workers import Distribution
    from harness.scenario import parse_scenario

    assert distribution_of(parse_scenario({"name": "d", "load": {"levels": [8]}}).require_load()) is None
    load = parse_scenario({"name": "d", "load": {"levels": [8], "workers": 2, "expect_workers": 1,
                                                 "master_port": 5557, "worker_timeout": "30s"}}).require_load()
    assert distribution_of(load) == Distribution(local=2, external=1, bind_host="127.0.0.1", port=5557,
                                                 connect_timeout_s=30, allow_remote=False)


def test_a_paused_attempts_files_are_set_aside_and_none_of_an_earlier_attempt_or_another_level(tmp_path: Path) -> None:
    from harness.benchmarks import set_aside

    slug = "jdk25-webflux-u32-r1"
    for name in (f"{slug}.locust.log", f"{slug}.intervals.json", f"{slug}.hlog", f"{slug}.w1.locust.log",
                 f"{slug}.paused1.locust.log", "jdk25-webflux-u32-r10.locust.log", "jdk25-webflux-u320-r1.hlog"):
        (tmp_path / name).write_text(name, encoding="utf-8")
    moved = set_aside(tmp_path, slug, 2)
    assert sorted(p.name for p in moved) == [f"{slug}.paused2.hlog", f"{slug}.paused2.intervals.json",
                                             f"{slug}.paused2.locust.log", f"{slug}.paused2.w1.locust.log"]
    assert (tmp_path / f"{slug}.paused2.w1.locust.log").read_text(encoding="utf-8") == f"{slug}.w1.locust.log"
    assert sorted(p.name for p in tmp_path.iterdir() if p not in moved) == sorted([
        "jdk25-webflux-u32-r10.locust.log", f"{slug}.paused1.locust.log", "jdk25-webflux-u320-r1.hlog"])


def test_a_paused_level_is_remeasured_twice_unless_the_scenario_says_otherwise() -> None:
    assert REQUESTS.require_load().remeasure_paused == 2
    once = parse_scenario({"name": "r", "load": {"levels": [4], "remeasure_paused": 0}})
    assert once.require_load().remeasure_paused == 0
