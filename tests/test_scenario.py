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
    assert resolved["app"]["netty"]["io_workers"] == "processors"
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
    assert caught.value.problems == ["load: required (or consume: for a consumer benchmark)"]


CONSUME = {"name": "c", "data": {"orders": 5000}, "consume": {"broker": "kafka", "events": 1000}}


def test_a_consume_scenario_resolves_every_knob() -> None:
    scenario = parse_scenario({**CONSUME, "faults": {"duplicates": 0.05, "restart_broker_at": 0.5}})
    assert scenario.kind == "consume"
    assert scenario.load is None
    resolved = scenario.model_dump(mode="json")
    assert resolved["consume"] == {
        "broker": "kafka", "source": "preload", "events": 1000, "lifecycle": False, "ordering": "observed",
        "rate": None, "repetitions": 1, "timeout": "300s",
        "sample_interval": "1s", "warmup": "5s", "warmup_events": 0, "warmup_batches": 1, "warmup_max": "120s",
        "scrape_interval": "2s",
        "partitions": 8, "listener_concurrency": 8, "prefetch": 50,
        "max_in_flight": 256, "downstream_delay_ms": 20,
        "relay": {"batch_size": 200, "poll_interval_ms": 50, "db_pool": 2},
        "retries": {"max_attempts": 3, "backoff_ms": 100}, "replay": False, "sweep": None,
    }
    assert resolved["faults"] == {"duplicates": 0.05, "poison": 0, "kill_consumer_at": None,
                                  "restart_broker_at": 0.5, "inverted_orders": 0}


def test_the_relay_pool_is_a_size_or_zero_for_the_shared_pool() -> None:
    shared = parse_scenario({**CONSUME, "consume": {**CONSUME["consume"], "relay": {"db_pool": 0}}})  # type: ignore[dict-item]
    assert shared.consume is not None and shared.consume.relay.db_pool == 0
    for bad, problem in ((-1, "Input should be greater than or equal to 0"),
                         ("two", "Input should be a valid integer")):
        with pytest.raises(ScenarioError) as caught:
            parse_scenario({**CONSUME, "consume": {**CONSUME["consume"], "relay": {"db_pool": bad}}})  # type: ignore[dict-item]
        assert caught.value.problems[0].startswith(f"consume.relay.db_pool: {problem}")


def test_warm_up_batches_are_a_count_or_auto_and_need_a_batch_size() -> None:
    auto = parse_scenario({**CONSUME, "consume": {**CONSUME["consume"], "warmup_events": 100,  # type: ignore[dict-item]
                                                  "warmup_batches": "auto"}})
    assert auto.consume is not None and auto.consume.warmup_batches == "auto"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({**CONSUME, "consume": {**CONSUME["consume"], "warmup_batches": 3}})  # type: ignore[dict-item]
    assert caught.value.problems == ["consume.warmup_batches: needs warmup_events (the size of a batch)"]
    # The default written out, as a manifest records a scenario (every default resolved), stays valid.
    parse_scenario({**CONSUME, "consume": {**CONSUME["consume"], "warmup_batches": 1,  # type: ignore[dict-item]
                                           "warmup_max": "120s"}})
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({**CONSUME, "consume": {**CONSUME["consume"], "warmup_events": 10,  # type: ignore[dict-item]
                                               "warmup_batches": "forever"}})
    assert len(caught.value.problems) == 2  # neither a count nor auto: both alternatives named
    assert all(p.startswith("consume.warmup_batches") for p in caught.value.problems), caught.value.problems


def test_load_and_consume_are_exclusive() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({**CONSUME, "load": {"levels": [4]}})
    assert caught.value.problems == [
        "consume: a scenario has load: (requests) or consume: (events), not both"]


def test_faults_only_with_consume() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "x", "load": {"levels": [4]}, "faults": {"duplicates": 0.1}})
    assert caught.value.problems == ["faults: only for a consume scenario"]


def test_every_consume_problem_names_its_path() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({
            "name": "c",
            "consume": {"broker": "kafka", "events": 0, "timeout": "soon", "relay": {"batch": 5},
                        "retries": {"max_attempts": 0}, "sample_interval": "10ms", "prefetch": 10},
            "faults": {"duplicates": 1.5, "kill_consumer_at": 1, "poison": -1, "restart_broker": 0.5},
        })
    problems = caught.value.problems
    assert "consume.events: Input should be greater than 0" in problems
    assert any(p.startswith("consume.timeout: must be a duration") for p in problems)
    assert any(p.startswith("consume.relay.batch: unknown key") for p in problems)
    assert "consume.retries.max_attempts: Input should be greater than or equal to 1" in problems
    assert "consume.sample_interval: must be from 100ms to 60s" in problems
    assert "faults.duplicates: Input should be less than or equal to 1" in problems
    assert "faults.kill_consumer_at: Input should be less than 1" in problems
    assert "faults.poison: Input should be greater than or equal to 0" in problems
    assert any(p.startswith("faults.restart_broker: unknown key") for p in problems)
    assert len(problems) == 9, problems


def test_knobs_that_the_broker_or_source_would_ignore_are_rejected() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "kafka", "prefetch": 10, "rate": 100}})
    assert caught.value.problems == [
        "consume.rate: only for source drive (preload inserts every event at once)",
        "consume.prefetch: only for broker rabbitmq (Kafka consumers fetch by partition)",
    ]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "rabbitmq", "source": "drive", "partitions": 4}})
    assert caught.value.problems == [
        "consume.rate: required when source is drive",
        "consume.partitions: only for broker kafka (RabbitMQ has no partitions, see prefetch)",
    ]


def test_replay_is_refused_on_rabbitmq_naming_the_field() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "rabbitmq", "replay": True}})
    assert caught.value.problems == [
        "consume.replay: only for broker kafka (RabbitMQ has no replay: a consumed message is gone)"]
    # A sweep whose brokers are all RabbitMQ would replay nothing: refused too.
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "kafka", "replay": True,
                                                 "sweep": {"broker": ["rabbitmq"]}}})
    assert caught.value.problems == [
        "consume.replay: only for broker kafka (RabbitMQ has no replay: a consumed message is gone)"]
    assert parse_scenario({"name": "c", "consume": {"broker": "kafka", "replay": True}}).consume.replay  # type: ignore[union-attr]
    assert not parse_scenario({"name": "c", "consume": {"broker": "rabbitmq"}}).consume.replay  # type: ignore[union-attr]


def test_a_lifecycle_is_preload_only_in_whole_orders_and_ordering_is_required_or_observed() -> None:
    lifecycle = parse_scenario({"name": "c", "data": {"orders": 500},
                                "consume": {"broker": "kafka", "events": 1500, "lifecycle": True,
                                            "ordering": "required"}})
    assert lifecycle.consume is not None and lifecycle.consume.lifecycle
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "kafka", "source": "drive", "rate": 10, "events": 30,
                                                 "lifecycle": True}})
    assert caught.value.problems == [
        "consume.lifecycle: only for source preload (drive makes only OrderCreated, through POST /orders)"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "kafka", "events": 1000, "lifecycle": True}})
    assert caught.value.problems == [
        "consume.events: must be a multiple of 3 with lifecycle (three events per order), was 1000"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "data": {"orders": 400},
                        "consume": {"broker": "kafka", "events": 1500, "lifecycle": True}})
    assert caught.value.problems == [
        "consume.events: a lifecycle of 1500 events needs 500 seeded orders, but data.orders is 400"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "kafka", "events": 30, "ordering": "strict"}})
    assert [p.split(":")[0] for p in caught.value.problems] == ["consume.ordering"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "kafka", "events": 30}, "faults": {"inverted_orders": 1}})
    assert caught.value.problems == [
        "faults.inverted_orders: only with consume.lifecycle (one event per order has no order to invert)"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "consume": {"broker": "kafka", "events": 30, "lifecycle": True},
                        "faults": {"inverted_orders": 11}})
    assert caught.value.problems == ["faults.inverted_orders: 11 orders to invert, the lifecycle has 10"]


def test_preloading_more_events_than_seeded_orders_is_rejected() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "c", "data": {"orders": 500}, "consume": {"broker": "rabbitmq", "events": 1000}})
    assert caught.value.problems == [
        "consume.events: preloading 1000 events needs as many seeded orders, but data.orders is 500"]
    # Driven orders are new rows: the seed does not bound them.
    parse_scenario({"name": "c", "data": {"orders": 500},
                    "consume": {"broker": "rabbitmq", "events": 1000, "source": "drive", "rate": 100}})


def test_a_cross_field_problem_of_the_workload_names_its_field() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "x", "workload": {"profile": "mixed"}, "load": {"levels": [4]}})
    assert caught.value.problems == ["workload.mix: required with a positive weight when profile is mixed"]


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


def test_a_master_beyond_loopback_needs_allow_remote_and_external_workers_a_port() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "d", "load": {"levels": [8], "expect_workers": 2, "master_bind": "0.0.0.0"}})
    assert caught.value.problems == [
        "load.master_port: required with expect_workers (external workers must know where to connect)",
        "load.master_bind: '0.0.0.0' is not loopback: set allow_remote: true if workers on other machines are "
        "intended and permitted",
    ]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "d", "load": {"levels": [8], "master_port": 5557}})
    assert caught.value.problems == ["load.master_bind: only with workers or expect_workers (there is no master "
                                     "otherwise)"]
    allowed = parse_scenario({"name": "d", "load": {"levels": [8], "expect_workers": 2, "master_port": 5557,
                                                    "master_bind": "0.0.0.0", "allow_remote": True}})
    load = allowed.require_load()
    # Recorded: the manifest stores the resolved scenario, flag included.
    assert allowed.model_dump(mode="json")["load"]["allow_remote"] is True
    assert (load.workers, load.expect_workers, load.worker_timeout) == (0, 2, 60.0)


def test_one_locust_process_stays_the_default() -> None:
    load = parse_scenario({"name": "d", "load": {"levels": [8]}}).require_load()
    assert (load.workers, load.expect_workers, load.master_bind, load.allow_remote) == (0, 0, "127.0.0.1", False)


def test_the_run_order_defaults_to_round_robin_and_a_seed_needs_a_shuffle() -> None:
    load = parse_scenario({"name": "r", "load": {"levels": [4]}}).require_load()
    assert (load.order, load.order_seed) == ("round-robin", None)
    shuffled = parse_scenario({"name": "r", "load": {"levels": [4], "order": "shuffled", "order_seed": 3}})
    assert shuffled.require_load().order_seed == 3
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "r", "load": {"levels": [4], "order": "random", "order_seed": 3}})
    assert any(p.startswith("load.order: Input should be 'round-robin' or 'shuffled'") for p in caught.value.problems)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "r", "load": {"levels": [4], "order_seed": 3}})
    assert caught.value.problems == ["load.order_seed: only with order: shuffled (round-robin draws nothing)"]


def _problems(load: dict[str, object]) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "open", "load": load})
    return caught.value.problems


def test_the_open_model_takes_rates_and_defaults_to_the_compiled_driver() -> None:
    load = parse_scenario({"name": "open", "load": {"model": "open", "rates": [100, 400]}}).require_load()
    assert (load.driver, load.levels, load.rates, load.load_points()) == ("vegeta", None, (100, 400), (100, 400))
    closed = parse_scenario({"name": "closed", "load": {"levels": [4]}}).require_load()
    assert (closed.model, closed.driver, closed.rates) == ("closed", "locust", None)


def test_a_search_resolves_its_slo_in_seconds_and_fractions() -> None:
    load = parse_scenario({"name": "cap", "load": {
        "model": "open", "search": {"start": 100, "max": 3200, "resolution": 25},
        "slo": {"p99": "200ms", "error_rate": "0.1%"}}}).require_load()
    assert load.search is not None and load.slo is not None
    assert (load.search.factor, load.slo.p99, load.slo.error_rate) == (2.0, 0.2, 0.001)
    assert load.warmup_point == 100


def test_open_model_fields_in_the_closed_model_are_named() -> None:
    problems = _problems({"levels": [4], "rates": [100], "search": {"start": 1, "max": 2, "resolution": 1},
                          "slo": {"p99": "1s"}, "connections": 5})
    assert "load.rates: only with model: open (the closed model has users, not rates)" in problems
    assert "load.search: only with model: open (the closed model has users, not rates)" in problems
    assert "load.slo: only with model: open (the closed model has users, not rates)" in problems
    assert any(p.startswith("load.connections: only with model: open") for p in problems)


def test_closed_model_fields_in_the_open_model_are_named() -> None:
    problems = _problems({"model": "open", "levels": [4], "driver": "locust", "workers": 2})
    assert any(p.startswith("load.levels: only with model: closed") for p in problems)
    assert any(p.startswith("load.rates: required with model: open") for p in problems)
    assert any(p.startswith("load.driver: the open model needs a driver that keeps a fixed timeline") for p in problems)
    assert any(p.startswith("load.workers: Locust workers are for the closed model") for p in problems)


def test_slo_and_search_need_each_other_and_exclude_rates() -> None:
    assert "load.slo: only with search (it is what each search step must hold)" in _problems(
        {"model": "open", "rates": [100], "slo": {"p99": "200ms"}})
    assert any(p.startswith("load.slo: required with search") for p in _problems(
        {"model": "open", "search": {"start": 100, "max": 200, "resolution": 10}}))
    assert any(p.startswith("load.search: either rates") for p in _problems(
        {"model": "open", "rates": [100], "search": {"start": 100, "max": 200, "resolution": 10},
         "slo": {"p99": "200ms"}}))
    assert _problems({"model": "closed", "driver": "vegeta", "levels": [1]}) == [
        "load.driver: vegeta drives the open model, the closed model uses locust"]


def test_bad_search_and_slo_values_name_their_field() -> None:
    problems = _problems({"model": "open", "search": {"start": 0, "max": 100, "resolution": 10, "factr": 2},
                          "slo": {"p99": "0ms", "error_rate": 5}})
    assert "load.search.start: Input should be greater than 0" in problems
    assert any(p.startswith("load.search.factr: unknown key") for p in problems)
    assert "load.slo.p99: must be above 0, e.g. 200ms" in problems
    assert any(p.startswith("load.slo.error_rate: must be a percentage") for p in problems)
    assert _problems({"model": "open", "search": {"start": 500, "max": 100, "resolution": 10},
                      "slo": {"p99": "1s"}}) == ["load.search.max: must be at least start (500)"]
    assert _problems({"model": "open", "rates": [100, 100]}) == ["load.rates: rates must be distinct"]


def test_the_open_model_warms_up_for_a_fixed_time_and_refuses_auto_naming_the_field() -> None:
    load = parse_scenario({"name": "open", "load": {"model": "open", "rates": [100]}}).require_load()
    assert (load.warmup.mode, load.warmup.seconds) == ("fixed", 10.0)
    fixed = parse_scenario({"name": "open", "load": {"model": "open", "rates": [100], "warmup": "3s"}})
    assert fixed.require_load().warmup.seconds == 3.0
    for auto in ("auto", {"mode": "auto", "max": "30s"}):
        [problem] = _problems({"model": "open", "rates": [100], "warmup": auto})
        assert problem.startswith("load.warmup: auto (until steady) is for the closed model")
    assert parse_scenario({"name": "closed", "load": {"levels": [4]}}).require_load().warmup.mode == "auto"


LOAD = {"load": {"levels": [4]}}


def test_downstream_warmup_auto_written_out_is_the_default_and_a_mapping_overrides_only_what_it_names() -> None:
    default = parse_scenario({"name": "d", **LOAD}).workload.downstream_warmup
    assert (default.mode, default.max, default.tolerance) == ("auto", 90.0, 0.10)
    written = parse_scenario({"name": "d", **LOAD, "workload": {"downstream_warmup": "auto"}})
    assert written.workload.downstream_warmup == default
    capped = parse_scenario({"name": "d", **LOAD, "workload": {"downstream_warmup": {"mode": "auto", "max": "30s"}}})
    assert (capped.workload.downstream_warmup.max, capped.workload.downstream_warmup.tolerance) == (30.0, 0.10)
    fixed = parse_scenario({"name": "d", **LOAD, "workload": {"downstream_warmup": "2s"}}).workload.downstream_warmup
    assert (fixed.mode, fixed.seconds) == ("fixed", 2.0)
    # The app's own warm-up keeps its stricter defaults.
    app = parse_scenario({"name": "d", "load": {"levels": [4], "warmup": "auto"}}).require_load().warmup
    assert (app.max, app.tolerance) == (60.0, 0.03)
