"""CPU placement on real processes: what the Supervisor pins, read back from the kernel."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness import placement
from harness.placement import affinities, format_cpu_list, parse_cpu_list, pin_tree, resolve, role_of
from harness.processes import Supervisor
from harness.scenario import ScenarioError, parse_scenario

# Three threads that sleep, then the main thread: four threads whose affinity the test reads back.
THREADS = ("import threading, time\n"
           "[threading.Thread(target=time.sleep, args=(60,), daemon=True).start() for _ in range(3)]\n"
           "time.sleep(60)\n")
# A parent with a child process: pin_tree must reach both.
TREE = ("import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)\n")


def _wait_threads(pid: int, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(affinities(pid)) < count:
        assert time.monotonic() < deadline, f"pid {pid} never had {count} threads"
        time.sleep(0.05)


def test_cpu_lists_read_and_write_like_taskset() -> None:
    assert parse_cpu_list("0-2,5") == {0, 1, 2, 5}
    assert parse_cpu_list("3") == {3}
    assert format_cpu_list(frozenset({0, 1, 2, 5, 7, 8})) == "0-2,5,7-8"
    for bad in ("a", "2-1", "1-", ""):
        with pytest.raises(ValueError):
            parse_cpu_list(bad)


def test_auto_gives_the_app_the_upper_half_and_everything_else_the_rest() -> None:
    two = resolve("auto", frozenset({0, 1}))
    assert (two.cpus("app"), two.cpus("generator"), two.cpus("infra")) == ({1}, {0}, {0})
    assert two.describe() == "app cpu 1 · generator cpu 0 · infrastructure cpu 0 (auto)"
    assert resolve("auto", frozenset(range(7))).cpus("app") == {3, 4, 5, 6}
    one = resolve("auto", frozenset({0}))
    assert not one.active and "only 1 CPU" in one.note
    assert not resolve("none", frozenset({0, 1})).active
    explicit = resolve({"app": "1", "generator": "0", "infra": "0-1"}, frozenset({0, 1}))
    assert explicit.record()["infra"] == "0-1" and explicit.mode == "explicit"


def test_processes_get_their_role_by_the_name_they_start_under() -> None:
    names = {"mvc-virtual@jdk25": "app", "webflux@jdk21": "app", "locust-jdk25-webflux-u16-r1": "generator",
             "vegeta-x": "generator", "wrk-calibrate": "generator", "postgres": "infra", "downstream": "infra",
             "kafka": "infra", "rabbitmq": "infra"}
    assert {name: role_of(name) for name in names} == names


def test_a_placement_naming_unavailable_cpus_is_refused_naming_the_field() -> None:
    missing = max(os.sched_getaffinity(0)) + 1
    with pytest.raises(ScenarioError) as error:
        parse_scenario({"name": "p", "load": {"levels": [1]},
                        "placement": {"app": str(missing), "generator": "x"}})
    assert error.value.problems == [
        f"placement.app: CPU(s) {missing} not available to this process (available: "
        f"{format_cpu_list(frozenset(os.sched_getaffinity(0)))})",
        "placement.generator: 'x' is not a CPU list such as '1' or '0-2,5'", "placement.infra: required"]
    with pytest.raises(ScenarioError, match="placement: must be auto, none or a mapping"):
        parse_scenario({"name": "p", "load": {"levels": [1]}, "placement": "half"})


def test_the_supervisor_pins_every_thread_of_a_child_before_it_runs(tmp_path: Path) -> None:
    app_cpu = max(os.sched_getaffinity(0))
    placed = resolve({"app": str(app_cpu), "generator": "0", "infra": "0"})
    with Supervisor(cpus_for=placed.cpus_for_process) as supervisor:
        app = supervisor.start("mvc-virtual@jdk25", [sys.executable, "-c", THREADS], log_path=tmp_path / "a.log")
        free = Supervisor()
        other = free.start("not-pinned", [sys.executable, "-c", THREADS], log_path=tmp_path / "b.log")
        try:
            _wait_threads(app.pid, 4)
            _wait_threads(other.pid, 4)
            # Threads created after exec inherit the set: every one of the four is on the app's CPU.
            assert set(affinities(app.pid).values()) == {frozenset({app_cpu})}
            assert set(affinities(other.pid).values()) == {frozenset(os.sched_getaffinity(0))}
        finally:
            free.stop_all()


def test_pin_tree_reaches_every_thread_of_a_process_and_its_children(tmp_path: Path) -> None:
    cpu = min(os.sched_getaffinity(0))
    with Supervisor() as supervisor:
        parent = supervisor.start("tree", [sys.executable, "-c", TREE], log_path=tmp_path / "t.log")
        deadline = time.monotonic() + 30
        while not psutil.Process(parent.pid).children():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        child = psutil.Process(parent.pid).children()[0].pid
        pin_tree(parent.pid, frozenset({cpu}))
        assert set(affinities(parent.pid).values()) == {frozenset({cpu})}
        assert set(affinities(child).values()) == {frozenset({cpu})}


def test_the_harness_keeps_off_the_apps_cpus_and_gets_its_own_back() -> None:
    before = frozenset(os.sched_getaffinity(0))
    placed = resolve("auto", before)
    with placement.harness_pinned(placed):
        inside = frozenset(os.sched_getaffinity(0))
    assert inside == (placed.harness_cpus or before)
    assert frozenset(os.sched_getaffinity(0)) == before
    if len(before) >= 2:
        assert not inside & (placed.cpus("app") or frozenset())
