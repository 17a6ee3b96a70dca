from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness import apps, settings
from harness.build import jar_paths
from harness.errors import AppError
from harness.jdks import build_jdk
from harness.processes import Supervisor
from harness.scenario import VariantName, parse_scenario

REPO = Path(__file__).resolve().parent.parent

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


def _downstream_launch(work: Path, port: int) -> apps.AppLaunch:
    jars = jar_paths(REPO / "java-apps")
    assert jars.downstream.is_file(), f"{jars.downstream} not built: run scripts/bootstrap.sh"
    # A private copy: a rebuild of java-apps during the test must not change the jar under the JVM.
    jar = Path(shutil.copy(jars.downstream, work))
    return apps.AppLaunch("downstream", build_jdk(), jar, apps.downstream_flags(work / "gc.log"),
                          {"ORDERS_SERVER_PORT": str(port)}, port)


def test_an_app_whose_port_was_taken_meanwhile_starts_on_a_fresh_one(tmp_path: Path) -> None:
    # The port a launch chose minutes ago may be some connection's ephemeral port by now.
    with socket.socket() as squatter, Supervisor() as supervisor:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        running = apps.start_app(supervisor, _downstream_launch(tmp_path, taken), tmp_path / "downstream.log")
        assert running.launch.port != taken
        assert running.launch.env["ORDERS_SERVER_PORT"] == str(running.launch.port)
        assert httpx.get(f"{running.launch.base_url}/actuator/health").json()["status"] == "UP"
        assert f"Port {taken} was already in use" in (tmp_path / "downstream.log").read_text()


def test_a_restart_that_must_keep_its_port_fails_naming_it(tmp_path: Path) -> None:
    with socket.socket() as squatter, Supervisor() as supervisor:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(AppError, match=f"Port {taken} was already in use"):
            apps.start_app(supervisor, _downstream_launch(tmp_path, taken), tmp_path / "downstream.log",
                           port_attempts=1)
        assert not supervisor.children, "the failed JVM must not be left running"
