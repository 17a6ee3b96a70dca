"""Containerised apps, without an engine: the ``docker run`` each start gets, what the JVM must report under a
quota, and the scenario as one app sees it. (tests/test_e2e_containers.py runs them on a real engine.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from harness import apps, settings
from harness.app_containers import AppContainer
from harness.errors import EnvironmentError_, ScenarioError
from harness.infra.docker_app_images import APP_JAR, AppImage
from harness.infra.docker_engine import refuse_remote_engine
from harness.infra.docker_images import ImageChoice
from harness.jdks import Jdk
from harness.placement import quota_refusal, resolve
from harness.runner import Paths, Run
from harness.scenario import parse_scenario

IMAGE = AppImage("loom-bench/order-mvc:jdk25-0123456789ab",
                 ImageChoice("loom-bench/jre:25-bookworm", "sha256:abc", "present", 0.0), built_now=False)
LABELS = {"loom-bench.run": "r1", "loom-bench.owner-pid": "42"}
RESULTS = Path("/results/20261130T000000Z-x")
JDK = Jdk(Path("/usr/lib/jvm/temurin-25"), 25, "25.0.3", "Eclipse Adoptium", True, "system")
SCENARIO = {"name": "c", "containers": {"cpus": [1, 2.5], "memory": "1g"}, "app": {"heap": "512m"},
            "load": {"levels": [4]}}


def _option_values(argv: tuple[str, ...], option: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == option]


def test_a_limited_app_runs_under_its_quota_and_memory_with_the_results_folder_at_the_same_path() -> None:
    container = AppContainer(IMAGE, LABELS, (RESULTS,), "unix:///run/x.sock", cpus=1.5, memory="768m")
    argv = container.argv("mvc-virtual@jdk25@cpus1.5", ("-Xmx256m", f"-Xlog:gc*:file={RESULTS}/logs/gc.log"),
                          {"ORDERS_SERVER_PORT": "8080", "ORDERS_DB_PASSWORD": "p w"}, start="s1")
    assert argv[:3] == ("docker", "run", "--rm")
    assert _option_values(argv, "--network") == ["host"]
    assert _option_values(argv, "--cpus") == ["1.5"]
    assert _option_values(argv, "--memory") == ["768m"] and _option_values(argv, "--memory-swap") == ["768m"]
    assert _option_values(argv, "--volume") == [f"{RESULTS}:{RESULTS}"]
    # Exactly the launch's environment, each value one argument (no shell in between).
    assert _option_values(argv, "--env") == ["ORDERS_SERVER_PORT=8080", "ORDERS_DB_PASSWORD=p w"]
    labels = _option_values(argv, "--label")
    assert {"loom-bench.run=r1", "loom-bench.owner-pid=42", "loom-bench.service=app",
            "loom-bench.app=mvc-virtual@jdk25@cpus1.5"} <= set(labels)
    image_at = argv.index(IMAGE.ref)
    assert argv[image_at + 1:] == ("java", "-Xmx256m", f"-Xlog:gc*:file={RESULTS}/logs/gc.log", "-jar", APP_JAR)


def test_each_start_has_its_own_container_name_and_the_downstream_no_limit() -> None:
    container = AppContainer(IMAGE, LABELS, (RESULTS,), "unix:///run/x.sock")
    first, second = (container.argv("downstream", (), {}, start=s) for s in ("a1", "b2"))
    assert _option_values(first, "--name") == ["loom-bench-app-downstream-a1"]
    assert _option_values(second, "--name") == ["loom-bench-app-downstream-b2"]
    assert "--cpus" not in first and "--memory" not in first


def test_the_launch_records_the_docker_run_with_a_placeholder_for_each_start() -> None:
    container = AppContainer(IMAGE, LABELS, (RESULTS,), "unix:///run/x.sock", cpus=2.0, memory="1g")
    launch = apps.AppLaunch("webflux@jdk25@cpus2", JDK, Path("/jars/order-webflux.jar"), ("-Xmx512m",), {}, 9000,
                            container)
    assert launch.cpus == 2.0
    assert _option_values(launch.argv, "--name") == ["loom-bench-app-webflux-jdk25-cpus2-{start}"]
    assert launch.record()["container"] == {"image": IMAGE.describe(), "cpus": 2.0, "memory": "1g",
                                            "memory_bytes": 1024**3, "cpuset": None, "remote": False}
    local = apps.AppLaunch("webflux@jdk25", JDK, Path("/jars/order-webflux.jar"), ("-Xmx512m",), {}, 9000)
    assert local.cpus is None and local.argv[0] == str(JDK.java) and "container" not in local.record()


def test_placement_reaches_the_jvm_in_a_container_as_its_cpu_set() -> None:
    # The Supervisor pins only the docker client it forks; the engine starts the JVM, so the set goes in the run.
    placed = AppContainer(IMAGE, LABELS, (RESULTS,), "unix:///run/x.sock", cpus=1.0, memory="1g",
                          cpuset=frozenset({1}))
    argv = placed.argv("mvc-virtual@jdk25@cpus1", (), {}, start="s1")
    assert _option_values(argv, "--cpuset-cpus") == ["1"] and _option_values(argv, "--cpus") == ["1"]
    assert argv.index("--cpuset-cpus") < argv.index(IMAGE.ref)  # a docker option, not the JVM's
    assert placed.record()["cpuset"] == "1"
    downstream = AppContainer(IMAGE, LABELS, (RESULTS,), "unix:///run/x.sock", cpuset=frozenset({0, 2, 3}))
    assert _option_values(downstream.argv("downstream", (), {}, start="s2"), "--cpuset-cpus") == ["0,2-3"]
    unplaced = AppContainer(IMAGE, LABELS, (RESULTS,), "unix:///run/x.sock", cpus=1.0)
    assert "--cpuset-cpus" not in unplaced.argv("webflux@jdk25@cpus1", (), {}, start="s3")


def test_a_quota_the_apps_cpu_set_cannot_hold_is_refused() -> None:
    two = frozenset({0, 1})
    refusal = quota_refusal(resolve("auto", two), (1.0, 2.0))  # auto on 2 CPUs: the app gets cpu 1
    assert refusal is not None and refusal.startswith("containers.cpus: 2 is more than the 1 CPU(s) placement gives "
                                                      "the app (cpu 1, placement auto)")
    assert "placement: none" in refusal
    assert quota_refusal(resolve("auto", two), (0.5, 1.0)) is None  # fits the one CPU
    assert quota_refusal(resolve("none", two), (1.0, 2.0)) is None  # the quota alone limits the app
    assert quota_refusal(resolve("auto", frozenset(range(4))), (2.0,)) is None
    # An explicit placement does not depend on the machine: the scenario itself is refused.
    cpu = str(min(os.sched_getaffinity(0)))
    explicit = {**SCENARIO, "placement": {"app": cpu, "generator": cpu, "infra": cpu}}
    assert _problems(explicit) == [
        f"containers.cpus: 2.5 is more than the 1 CPU(s) placement gives the app (cpu {cpu}, placement explicit). "
        "A container runs on the app's CPUs, so its quota could not be used. Set placement: none (the quota alone "
        "limits the app) or give the app as many CPUs as the largest quota"]
    assert _problems({**explicit, "containers": {"cpus": [1], "memory": "1g"}}) == []


def test_keys_carry_the_cpu_limit_and_still_name_their_variant() -> None:
    assert apps.app_key("mvc-virtual", 25) == "mvc-virtual@jdk25"
    assert apps.app_key("mvc-virtual", 25, 1.5) == "mvc-virtual@jdk25@cpus1.5"
    assert apps.variant_of("mvc-virtual@jdk25@cpus1.5") == "mvc-virtual"


def test_under_a_quota_the_jvm_must_report_the_quota_rounded_up_and_the_memory_limit() -> None:
    scenario = parse_scenario(SCENARIO)
    wanted = settings.requested(apps.launch_scenario(scenario, 2.5), "webflux", with_broker=False, cpus=2.5)
    assert wanted["jvm.availableProcessors"] == wanted["jvm.virtualThreadCarriers"] == 3
    assert wanted["jvm.memoryLimitBytes"] == 1024**3
    # "processors" means the container's, not this machine's: Netty gets as many event loops as carriers.
    assert wanted["nettyIoWorkers"] == 3
    flags = apps.jvm_flags(apps.launch_scenario(scenario, 2.5), "webflux", Path("/logs/gc.log"))
    assert "-Dreactor.netty.ioWorkerCount=3" in flags
    local = settings.requested(scenario, "webflux", with_broker=False)
    # As a process, "processors" is what the JVM sees: the CPUs placement gives the app, else this machine's.
    placed = resolve(scenario.placement.sets()).cpus("app")
    seen = len(placed) if placed is not None else settings.available_processors()
    assert "jvm.availableProcessors" not in local and local["nettyIoWorkers"] == seen


def test_a_fixed_netty_worker_count_is_kept_under_a_quota() -> None:
    scenario = parse_scenario({**SCENARIO, "app": {"heap": "512m", "netty": {"io_workers": 5}}})
    assert apps.launch_scenario(scenario, 1.0).app.netty.io_workers == 5


def test_container_settings_are_validated_with_every_problem_named() -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario({**SCENARIO, "containers": {"cpus": [0, 1], "memory": "512m", "image": "x"}})
    assert raised.value.problems == [
        "containers.cpus[0]: Input should be greater than 0",
        "containers.image: unknown key (check the spelling; see docs in README 'Writing a scenario')",
    ]
    assert _problems({**SCENARIO, "containers": {"cpus": [2, 2]}}) == ["containers.cpus: entries must be distinct"]
    assert _problems({**SCENARIO, "containers": {"cpus": [1], "memory": "512m"}}) == [
        "containers.memory: 512m leaves no room above app.heap 512m (the JVM needs metaspace, thread stacks and "
        "direct buffers besides its heap)"]


def test_one_cpu_value_is_a_dimension_of_one() -> None:
    assert parse_scenario({**SCENARIO, "containers": {"cpus": 1.5}}).containers.cpus == (1.5,)  # type: ignore[union-attr]


def test_containers_are_refused_for_a_consume_scenario() -> None:
    consume = {"name": "c", "containers": {"cpus": [1]}, "consume": {"broker": "kafka"}, "data": {"orders": 20000}}
    assert _problems(consume) == ["containers: not supported for a consume scenario yet (its faults kill and restart "
                                  "the app process), run consume scenarios with the apps as processes"]


def _problems(data: dict[str, object]) -> list[str]:
    try:
        parse_scenario(data)
    except ScenarioError as error:
        return list(error.problems)
    return []


@pytest.mark.parametrize("host", ["unix:///run/loom-bench-docker/docker.sock", "tcp://127.0.0.1:2375",
                                  "tcp://localhost:2376"])
def test_an_engine_on_this_machine_is_accepted(host: str) -> None:
    refuse_remote_engine(host)


def test_an_engine_on_another_host_is_refused_by_name() -> None:
    with pytest.raises(EnvironmentError_, match=r"tcp://10\.0\.0\.7:2376 \(DOCKER_HOST\) is not on this machine"):
        refuse_remote_engine("tcp://10.0.0.7:2376")


def test_an_engine_reached_over_the_network_is_accepted_only_when_the_scenario_says_remote() -> None:
    for host in ("tcp://10.0.0.7:2375", "tcp://127.0.0.1:23750"):
        refuse_remote_engine(host, remote=True)
    # A unix socket is this machine's engine: its host's address would be a guess.
    with pytest.raises(EnvironmentError_, match=r"containers\.remote: .*unix:///run/x\.sock is not reached over"):
        refuse_remote_engine("unix:///run/x.sock", remote=True)


def test_on_a_remote_engine_the_results_folder_is_a_volume_and_the_container_outlives_its_jvm() -> None:
    container = AppContainer(IMAGE, LABELS, (RESULTS,), "tcp://10.0.0.7:2376", cpus=1.0, memory="1g", remote=True)
    argv = container.argv("mvc-virtual@jdk25@cpus1", ("-Xmx256m",), {"ORDERS_SERVER_ADDRESS": "10.0.0.7"}, "s1")
    # No --rm: the harness copies the GC log and the recording out of it before removing it.
    assert argv[:3] == ("docker", "run", "--name")
    assert _option_values(argv, "--mount") == [f"type=volume,dst={RESULTS}"]
    assert "--volume" not in argv  # nothing of this machine's file system is shared
    assert container.record()["remote"] is True


def test_a_remote_launch_is_reached_at_the_engine_hosts_address() -> None:
    env = apps.variant_env(parse_scenario(SCENARIO), "webflux", 9000, {}, "http://10.0.0.7:9001", "10.0.0.7")
    assert env["ORDERS_SERVER_ADDRESS"] == "10.0.0.7"
    launch = apps.AppLaunch("webflux@jdk25", JDK, Path("/jars/order-webflux.jar"), (), env, 9000)
    assert launch.base_url == "http://10.0.0.7:9000"
    local = apps.variant_env(parse_scenario(SCENARIO), "webflux", 9000, {}, "http://127.0.0.1:9001")
    assert local["ORDERS_SERVER_ADDRESS"] == "127.0.0.1"  # always explicit, recorded in the manifest


REMOTE = {**SCENARIO, "infra": "docker", "containers": {"cpus": [1], "remote": {"address": "10.0.0.7"}}}


def test_a_remote_system_under_test_needs_docker_infra_and_permission_for_a_non_loopback_address() -> None:
    assert _problems(REMOTE) == ["containers.remote.address: '10.0.0.7' is not loopback: set load.allow_remote: "
                                 "true to send load to another host"]
    allowed = {**REMOTE, "load": {"levels": [4], "allow_remote": True}}
    assert _problems(allowed) == []
    assert _problems({**allowed, "infra": "local"}) == [
        "containers.remote: needs infra: docker (PostgreSQL runs on the remote engine, next to the apps)"]
    assert _problems({**REMOTE, "containers": {"cpus": [1], "remote": {"address": "127.0.0.1"}}}) == []
    assert any(p.startswith("containers.remote.port: unknown key") for p in _problems(
        {**allowed, "containers": {"cpus": [1], "remote": {"address": "10.0.0.7", "port": 1}}}))


def test_a_run_whose_auto_placement_cannot_hold_a_quota_fails_before_starting_anything(tmp_path: Path) -> None:
    scenario = parse_scenario(SCENARIO)  # placement auto (the default), quotas 1 and 2.5
    run = Run(scenario, tmp_path / "c.yaml", Paths(Path(__file__).resolve().parent.parent, tmp_path / "results"),
              Console(quiet=True), ["harness", "run"])
    run.placement = resolve("auto", frozenset({0, 1}))  # what auto is on a 2-CPU machine: the app on cpu 1
    with pytest.raises(ScenarioError, match=r"containers\.cpus: 2\.5 is more than the 1 CPU\(s\)"):
        run.execute()
    manifest = json.loads((run.results.root / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "placement: none" in manifest["error"]
    assert not (run.results.logs / "build.log").exists()  # nothing was built or started
