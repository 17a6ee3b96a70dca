from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import apps, settings
from harness.scenario import VariantName, parse_scenario

SCENARIO = parse_scenario({
    "name": "t",
    "app": {"heap": "384m", "gc": "ZGC", "db_pool": 12, "jvm_args": ["-XX:+PrintFlagsFinal"],
            "tomcat": {"max_threads": 7, "max_connections": 99, "accept_count": 11},
            "netty": {"io_workers": 3}, "http_client": {"max_connections": 77}},
    "workload": {"downstream_delay_ms": 15},
    "load": {"levels": [1]},
})
DB_ENV = {"ORDERS_DB_HOST": "127.0.0.1", "ORDERS_DB_PORT": "5"}


def test_jvm_flags_are_identical_across_variants_but_for_netty() -> None:
    gc_log = Path("/tmp/gc.log")
    platform = apps.jvm_flags(SCENARIO, "mvc-platform", gc_log)
    virtual = apps.jvm_flags(SCENARIO, "mvc-virtual", gc_log)
    webflux = apps.jvm_flags(SCENARIO, "webflux", gc_log)
    assert platform == virtual
    assert set(webflux) - set(platform) == {"-Dreactor.netty.ioWorkerCount=3"}
    assert platform[:3] == ("-Xms384m", "-Xmx384m", "-XX:+UseZGC")
    assert platform[-1] == "-XX:+PrintFlagsFinal"


def test_variant_env_maps_every_pool_and_limit() -> None:
    env = apps.variant_env(SCENARIO, "mvc-platform", 8080, DB_ENV, "http://127.0.0.1:9")
    assert env["ORDERS_VIRTUAL_THREADS"] == "false"
    assert env["ORDERS_TOMCAT_MAX_THREADS"] == "7"
    assert env["ORDERS_TOMCAT_MAX_CONNECTIONS"] == "99"
    assert env["ORDERS_TOMCAT_ACCEPT_COUNT"] == "11"
    assert env["ORDERS_DB_POOL_SIZE"] == "12"
    assert env["ORDERS_HTTP_CLIENT_MAX_CONNECTIONS"] == "77"
    assert env["ORDERS_DOWNSTREAM_DELAY_MS"] == "15"
    assert env["ORDERS_DB_HOST"] == "127.0.0.1"
    assert apps.variant_env(SCENARIO, "mvc-virtual", 1, DB_ENV, "u")["ORDERS_VIRTUAL_THREADS"] == "true"
    webflux = apps.variant_env(SCENARIO, "webflux", 1, DB_ENV, "u")
    assert not any(key.startswith("ORDERS_TOMCAT") for key in webflux)
    assert "ORDERS_VIRTUAL_THREADS" not in webflux


def test_requested_settings_per_variant() -> None:
    def requested(variant: VariantName) -> dict[str, Any]:
        return settings.requested(SCENARIO, variant, with_broker=False)

    assert requested("mvc-platform")["tomcat.maxThreads"] == 7
    assert "tomcat.maxThreads" not in requested("mvc-virtual")
    assert requested("mvc-virtual")["virtualThreads"] is True
    webflux = requested("webflux")
    assert webflux["nettyIoWorkers"] == 3
    assert webflux["server"] == "netty"
    assert webflux["dbPool.maxSize"] == 12


def test_variant_of_reads_back_app_key() -> None:
    assert apps.variant_of(apps.app_key("mvc-virtual", 21)) == "mvc-virtual"
    with pytest.raises(ValueError, match="not an app key"):
        apps.variant_of("tomcat@jdk25")
