"""The settings catalogue drives what the apps are told, what is verified and what the summary shows."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from harness import apps, settings
from harness.report.summary import config_mismatches, config_table
from harness.results.manifest import JdkRecord, VariantRecord
from harness.scenario import Scenario, parse_scenario
from harness.settings import CATALOGUE, Setting
from harness.verify import verify_settings

CONSUME = parse_scenario({"name": "c", "consume": {
    "broker": "rabbitmq", "events": 10, "listener_concurrency": 3, "prefetch": 7, "max_in_flight": 64,
    "downstream_delay_ms": 5, "relay": {"batch_size": 50, "poll_interval_ms": 20, "db_pool": 3},
    "retries": {"max_attempts": 4, "backoff_ms": 30},
}})
REQUESTS = parse_scenario({"name": "r", "workload": {"downstream_delay_ms": 15, "legacy_stripes": 9},
                           "load": {"levels": [1]}})


def _messaging(wanted: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in wanted.items() if key.startswith("messaging.")}


def test_every_consume_knob_reaches_the_environment() -> None:
    env = settings.app_env(CONSUME, "mvc-virtual")
    assert {key: value for key, value in env.items() if key.startswith(("ORDERS_KAFKA", "ORDERS_RABBIT",
                                                                        "ORDERS_CONSUMER", "ORDERS_RELAY"))} == {
        "ORDERS_KAFKA_PARTITIONS": "8", "ORDERS_KAFKA_LISTENER_CONCURRENCY": "3",
        "ORDERS_RABBIT_LISTENER_CONCURRENCY": "3", "ORDERS_RABBIT_PREFETCH": "7",
        "ORDERS_CONSUMER_DELAY_MS": "5", "ORDERS_CONSUMER_MAX_IN_FLIGHT": "64",
        "ORDERS_CONSUMER_MAX_ATTEMPTS": "4", "ORDERS_CONSUMER_BACKOFF_MS": "30",
        "ORDERS_CONSUMER_ORDERING": "none",
        "ORDERS_RELAY_BATCH_SIZE": "50", "ORDERS_RELAY_POLL_INTERVAL_MS": "20", "ORDERS_RELAY_DB_POOL": "3",
    }
    assert not any(key.startswith("ORDERS_RELAY") for key in settings.app_env(REQUESTS, "mvc-virtual"))


def test_what_is_verified_depends_on_broker_variant_and_start() -> None:
    # Without a broker (verification) the app reports the relay and consumer settings, not the broker's.
    assert _messaging(settings.requested(CONSUME, "mvc-virtual", with_broker=False)) == {
        "messaging.relayBatchSize": 50, "messaging.relayPollIntervalMs": 20, "messaging.relayDbPool": 3,
        "messaging.consumerDelayMs": 5, "messaging.maxAttempts": 4, "messaging.backoffMs": 30,
        "messaging.ordering": "none",
    }
    assert _messaging(settings.requested(CONSUME, "webflux", with_broker=True)) == {
        "messaging.broker": "rabbitmq", "messaging.listenerConcurrency": 3, "messaging.relayBatchSize": 50,
        "messaging.relayPollIntervalMs": 20, "messaging.relayDbPool": 3, "messaging.consumerDelayMs": 5,
        "messaging.maxAttempts": 4,
        "messaging.backoffMs": 30, "messaging.prefetch": 7, "messaging.maxInFlight": 64,
        "messaging.ordering": "none",
    }
    kafka = parse_scenario({"name": "k", "consume": {"broker": "kafka", "events": 10}})
    wanted = settings.requested(kafka, "mvc-platform", with_broker=True)
    assert wanted["messaging.partitions"] == 8 and "messaging.prefetch" not in wanted
    assert "messaging.maxInFlight" not in wanted


def test_the_relay_pool_is_sent_verified_and_shown_beside_the_app_pool() -> None:
    shared = parse_scenario({"name": "s", "consume": {"broker": "kafka", "events": 10, "relay": {"db_pool": 0}}})
    assert settings.app_env(shared, "webflux")["ORDERS_RELAY_DB_POOL"] == "0"
    for variant in ("mvc-platform", "mvc-virtual", "webflux"):
        for with_broker in (False, True):
            assert settings.requested(shared, variant, with_broker=with_broker)["messaging.relayDbPool"] == 0
    # An app that runs the relay on another pool than asked, or does not say, fails verification before load.
    wanted = {"messaging.relayDbPool": 3}
    assert verify_settings("mvc-virtual@jdk25", wanted, {"messaging": {"relayDbPool": 3}}) == []
    assert verify_settings("mvc-virtual@jdk25", wanted, {"messaging": {"relayDbPool": 0}}) == [
        "mvc-virtual@jdk25: setting messaging.relayDbPool is 0 in the running app, the scenario asks 3"]
    assert verify_settings("mvc-virtual@jdk25", wanted, {"messaging": {"relayBatchSize": 50}}) == [
        "mvc-virtual@jdk25: setting messaging.relayDbPool is None in the running app, the scenario asks 3"]
    # The configuration table: its row follows the app's pool, and names which pool the relay uses.
    own = {"dbPool": {"kind": "hikari 7.0.2", "maxSize": 16},
           "messaging": {"broker": "rabbitmq", "relayDbPool": 3}}
    table = config_table({"mvc-virtual@jdk25": _record(CONSUME, own)})
    labels = [line.split(" | ")[0] for line in table]
    assert labels.index("| relay DB pool") == labels.index("| DB acquire timeout ms") + 1
    assert "| relay DB pool | own hikari 7.0.2 3 |" in table
    asked_own = {**own, "messaging": {"broker": "rabbitmq", "relayDbPool": 0}}
    assert "| relay DB pool | **shares the app's pool (hikari 7.0.2 16)** ⚠ asked own, 3 |" in config_table(
        {"mvc-virtual@jdk25": _record(CONSUME, asked_own)})


def test_ordering_required_asks_every_variant_for_per_key_and_checks_what_it_reports() -> None:
    required = parse_scenario({"name": "k", "consume": {"broker": "kafka", "events": 30, "lifecycle": True,
                                                        "ordering": "required"}})
    for variant in ("mvc-platform", "mvc-virtual", "webflux"):
        assert settings.app_env(required, variant)["ORDERS_CONSUMER_ORDERING"] == "per-key"  # type: ignore[arg-type]
        assert settings.requested(required, variant, with_broker=True)["messaging.ordering"] == "per-key"  # type: ignore[arg-type]
    wanted = {"messaging.ordering": "per-key"}
    assert verify_settings("webflux@jdk25", wanted, {"messaging": {"broker": "kafka", "ordering": "per-key"}}) == []
    assert verify_settings("webflux@jdk25", wanted, {"messaging": {"broker": "kafka", "ordering": "none"}}) == [
        "webflux@jdk25: setting messaging.ordering is 'none' in the running app, the scenario asks 'per-key'"]


def test_the_workload_reaches_the_app_and_is_checked_once_reported() -> None:
    env = apps.variant_env(REQUESTS, "webflux", 1, {}, "u")
    assert (env["ORDERS_DOWNSTREAM_DELAY_MS"], env["ORDERS_LEGACY_STRIPES"]) == ("15", "9")
    wanted = settings.requested(REQUESTS, "webflux", with_broker=False)
    assert (wanted["workload.downstreamDelayMs"], wanted["workload.legacyStripes"]) == (15, 9)
    workload = {k: v for k, v in wanted.items() if k.startswith("workload.")}
    assert verify_settings("webflux@jdk25", workload, {"workload": {"downstreamDelayMs": 15, "legacyStripes": 9}}) == []
    # An app that does not report them, or reports another value, fails verification.
    assert verify_settings("webflux@jdk25", workload, {}) == [
        "webflux@jdk25: setting workload.downstreamDelayMs is None in the running app, the scenario asks 15",
        "webflux@jdk25: setting workload.legacyStripes is None in the running app, the scenario asks 9"]
    assert verify_settings("webflux@jdk25", workload, {"workload": {"downstreamDelayMs": 20, "legacyStripes": 9}}) == [
        "webflux@jdk25: setting workload.downstreamDelayMs is 20 in the running app, the scenario asks 15"]


def test_setting_flags_carry_netty_workers_to_webflux_only() -> None:
    # placement auto (the default): the app runs on the upper half of the CPUs, and sees only those.
    processors = len(os.sched_getaffinity(0)) - len(os.sched_getaffinity(0)) // 2
    assert settings.setting_flags(REQUESTS, "webflux") == (f"-Dreactor.netty.ioWorkerCount={processors}",)
    assert settings.setting_flags(REQUESTS, "mvc-virtual") == ()


def test_netty_workers_default_to_the_processors_like_virtual_thread_carriers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Seven CPUs: neither Reactor Netty's own default (max(processors, 4)) nor the old fixed 4.
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(7)))
    assert REQUESTS.app.netty.io_workers == "processors"
    unplaced = parse_scenario({"name": "r", "placement": "none", "load": {"levels": [1]}})
    assert settings.setting_flags(unplaced, "webflux") == ("-Dreactor.netty.ioWorkerCount=7",)
    assert settings.requested(unplaced, "webflux", with_broker=False)["nettyIoWorkers"] == 7
    # placed (auto): the app's own CPUs, 3-6
    assert settings.setting_flags(REQUESTS, "webflux") == ("-Dreactor.netty.ioWorkerCount=4",)
    fixed = parse_scenario({"name": "r", "app": {"netty": {"io_workers": 3}}, "load": {"levels": [1]}})
    assert settings.setting_flags(fixed, "webflux") == ("-Dreactor.netty.ioWorkerCount=3",)
    # The configuration table states the equality the default is for.
    equal = _record(unplaced, {"nettyIoWorkers": 7, "jvm": {"availableProcessors": 7}})
    assert "| Netty I/O workers | 7 (= available processors, as VT carriers) |" in config_table(
        {"webflux@jdk25": equal})
    fewer = _record(fixed, {"nettyIoWorkers": 3, "jvm": {"availableProcessors": 7}})
    assert "| Netty I/O workers | 3 |" in config_table({"webflux@jdk25": fewer})


def _record(scenario: Scenario, effective: dict[str, object],
            catalogue: tuple[Setting, ...] = CATALOGUE) -> VariantRecord:
    return VariantRecord(variant="webflux", jdk=JdkRecord(25, "25.0.1", "Eclipse Adoptium"), jar="app.jar",
                         jvm_flags=apps.jvm_flags(scenario, "webflux", Path("gc.log")),
                         env=apps.variant_env(scenario, "webflux", 1, {}, "u"), port=1,
                         requested=settings.requested(scenario, "webflux", with_broker=False, catalogue=catalogue),
                         effective=effective)


def test_the_kafka_consumers_poll_and_commit_settings_are_shown_side_by_side_and_not_asked() -> None:
    kafka = parse_scenario({"name": "k", "consume": {"broker": "kafka", "events": 10}})
    mvc = {"messaging": {"broker": "kafka", "kafkaConsumer": {
        "group.id": "order-consumer", "max.poll.records": 500, "enable.auto.commit": False, "ackMode": "BATCH",
        "asyncAcks": False, "pollTimeoutMs": 100}}}
    # The webflux of before the fix: one record per poll, committed per record, a 5 s poll wait.
    webflux = {"messaging": {"broker": "kafka", "kafkaConsumer": {
        "group.id": "order-consumer", "max.poll.records": 1, "enable.auto.commit": None, "ackMode": "MANUAL",
        "asyncAcks": True, "pollTimeoutMs": 5000}}}
    variants = {"mvc-virtual@jdk25": _record(kafka, mvc), "webflux@jdk25": _record(kafka, webflux)}
    table = config_table(variants)
    assert "| Kafka records per poll | 500 | 1 |" in table
    assert "| Kafka commit | ack BATCH | ack MANUAL, async acks |" in table
    assert "| Kafka poll wait ms | 100 | 5000 |" in table
    # Set by each app, not by the scenario: nothing is requested, so a difference is shown, not a mismatch.
    assert not any("messaging.kafkaConsumer" in key for key in settings.requested(kafka, "webflux", with_broker=True))
    assert config_mismatches(variants) == []
    # RabbitMQ and request runs have no Kafka consumer: no rows.
    rabbit = {"messaging": {"broker": "rabbitmq", "prefetch": 7}}
    assert not any("Kafka" in line for line in config_table({"webflux@jdk25": _record(CONSUME, rabbit)}))


def test_one_new_row_reaches_env_verification_and_the_summary() -> None:
    row = Setting("compiler threads", "workload.cpu_rounds", lambda s, v: s.workload.cpu_rounds,
                  env=("ORDERS_COMPILER_THREADS",), reported="jvm.compilerThreads")
    catalogue = (*CATALOGUE, row)
    assert settings.app_env(REQUESTS, "webflux", catalogue)["ORDERS_COMPILER_THREADS"] == "2000"
    wanted = settings.requested(REQUESTS, "webflux", with_broker=False, catalogue=catalogue)
    assert wanted["jvm.compilerThreads"] == 2000
    assert verify_settings("webflux@jdk25", {"jvm.compilerThreads": 2000}, {"jvm": {"compilerThreads": 3}}) == [
        "webflux@jdk25: setting jvm.compilerThreads is 3 in the running app, the scenario asks 2000"]
    variants = {"webflux@jdk25": _record(REQUESTS, {"jvm": {"compilerThreads": 3}}, catalogue)}
    assert "| compiler threads | **3** ⚠ asked 2000 |" in config_table(variants, catalogue)
    assert config_mismatches(variants, catalogue) == [
        "webflux@jdk25: compiler threads is 3 in the running app, but 2000 was requested"]
    assert not any("compiler threads" in line for line in config_table(variants))  # not in the real catalogue


def test_the_summary_shows_the_downstream_delay_once_the_app_reports_it() -> None:
    record = _record(REQUESTS, {"workload": {"downstreamDelayMs": 15, "legacyStripes": 9}})
    table = config_table({"webflux@jdk25": record})
    assert "| downstream delay ms | 15 |" in table and "| legacy stripes | 9 |" in table
    silent = dataclasses.replace(record, effective={})
    assert "| downstream delay ms | 15 (asked; not read back) |" in config_table({"webflux@jdk25": silent})


def test_every_environment_variable_of_the_catalogue_is_in_the_design(repo_root: Path) -> None:
    design = (repo_root / "docs" / "design.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"ORDERS_[A-Z0-9_]+", design))
    assert {name for row in CATALOGUE for name in row.env} <= documented
