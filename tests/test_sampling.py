"""ProcessSampler against real processes; helpers against hand-made samples. No timing assertions."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from harness.processes import Supervisor
from harness.sampling import (
    ProcessSample,
    ProcessSampler,
    SourceGone,
    cpu_percent_series,
    cpu_seconds_between,
    max_rss,
    runqueue_seconds,
)

BURN = "import time\nx = 0\nwhile True:\n    x += 1\n"
# A parent that forks a CPU-burning child, to check that descendants are summed.
BURN_IN_CHILD = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {BURN!r}])\ntime.sleep(600)\n"


def _wait_for_samples(sampler: ProcessSampler, name: str, count: int) -> list[ProcessSample]:
    """Wait (bounded) until ``name`` has ``count`` samples; waiting is not asserted on."""
    done = threading.Event()
    for _ in range(400):
        if len(sampler.samples(name)) >= count:
            break
        done.wait(0.05)
    return sampler.samples(name)


def test_cpu_burning_child_shows_growing_cpu_and_rss() -> None:
    with Supervisor(grace_seconds=2) as sup, ProcessSampler(interval_s=0.1) as sampler:
        child = sup.start("burn", [sys.executable, "-c", BURN])
        sampler.watch("burn", child.pid)
        samples = _wait_for_samples(sampler, "burn", 6)
        assert len(samples) >= 6
        assert all(s.name == "burn" and s.rss_bytes > 0 for s in samples)
        assert samples[-1].cpu_seconds > samples[0].cpu_seconds
        assert cpu_seconds_between(samples, samples[0].t, samples[-1].t) > 0
        assert max_rss(samples) == max(s.rss_bytes for s in samples)
        assert any(pct > 0 for _, pct in cpu_percent_series(samples))
        window = sampler.samples("burn", samples[1].t, samples[-2].t)
        assert window == samples[1:-1]


def test_include_children_sums_descendants() -> None:
    with Supervisor(grace_seconds=2) as sup, ProcessSampler(interval_s=0.1) as sampler:
        parent = sup.start("parent", [sys.executable, "-c", BURN_IN_CHILD])
        sampler.watch("alone", parent.pid)
        sampler.watch("tree", parent.pid, include_children=True)
        tree = _wait_for_samples(sampler, "tree", 8)
        alone = sampler.samples("alone")
        # The parent sleeps; only the child burns, so only the tree's CPU keeps growing.
        assert tree[-1].cpu_seconds - tree[0].cpu_seconds > alone[-1].cpu_seconds - alone[0].cpu_seconds
        assert max_rss(tree) > max_rss(alone)


def test_exited_process_is_dropped_quietly_and_keeps_its_samples() -> None:
    with Supervisor(grace_seconds=2) as sup, ProcessSampler(interval_s=0.1) as sampler:
        child = sup.start("short", [sys.executable, "-c", "import time; time.sleep(600)"])
        sampler.watch("short", child.pid)
        before = _wait_for_samples(sampler, "short", 2)
        sup.stop(child)
        for _ in range(100):  # the thread notices the exit on its next round
            if "short" not in sampler.watching():
                break
            threading.Event().wait(0.05)
        assert "short" not in sampler.watching()
        assert sampler.samples("short")[: len(before)] == before


def test_watching_a_pid_that_has_exited_does_not_raise() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with ProcessSampler(interval_s=0.1) as sampler:
        sampler.watch("gone", proc.pid)
        sampler.sample_now()
        assert sampler.samples("gone") == []
        assert sampler.watching() == []
        sampler.unwatch("gone")
        sampler.unwatch("never-watched")


def test_an_exited_process_not_yet_reaped_gives_no_sample() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # exited, and left unreaped: a zombie
            if psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE:
                break
            threading.Event().wait(0.02)
        with ProcessSampler(interval_s=60) as sampler:
            sampler.watch("zombie", proc.pid)
            sampler.sample_now()
            assert sampler.samples("zombie") == []
            assert sampler.watching() == []
    finally:
        proc.wait()


def _s(t: float, cpu: float, rss: int = 100) -> ProcessSample:
    return ProcessSample(t=t, name="p", rss_bytes=rss, cpu_seconds=cpu)


def test_cpu_seconds_between_uses_samples_closest_to_the_edges() -> None:
    samples = [_s(0.0, 1.0), _s(0.5, 1.2), _s(1.0, 1.7), _s(1.5, 2.0), _s(2.0, 2.1)]
    assert cpu_seconds_between(samples, 0.4, 1.6) == pytest.approx(0.8)
    assert cpu_seconds_between(samples, 0.0, 2.0) == pytest.approx(1.1)
    assert cpu_seconds_between(samples, 1.0, 1.1) == 0.0  # both edges pick the same sample
    assert cpu_seconds_between([], 0.0, 1.0) == 0.0
    assert cpu_seconds_between([_s(0.0, 5.0), _s(1.0, 0.1)], 0.0, 1.0) == 0.0  # a restart


def test_cpu_percent_series_is_percent_of_one_core() -> None:
    samples = [_s(1.0, 1.25), _s(0.0, 1.0), _s(2.0, 3.25), _s(2.0, 3.3), _s(3.0, 0.2)]
    assert [(t, round(pct, 6)) for t, pct in cpu_percent_series(samples)] == [(1.0, 25.0), (2.0, 200.0)]
    assert cpu_percent_series([]) == []


def test_max_rss() -> None:
    assert max_rss([_s(0, 0, 10), _s(1, 0, 30), _s(2, 0, 20)]) == 30
    assert max_rss([]) == 0


BUSY = "while True: pass\n"


def test_run_queue_wait_of_two_busy_processes_sharing_one_cpu(tmp_path: Path) -> None:
    # Two spinning processes pinned to one CPU: while one runs the other is runnable and waits, so their
    # run-queue waits add up to about the whole time (more if anything else wants that CPU too).
    cpu = max(os.sched_getaffinity(0))
    with Supervisor(cpus_for=lambda name: {cpu}) as supervisor:
        busy = [supervisor.start(f"busy-{i}", [sys.executable, "-c", BUSY], log_path=tmp_path / f"{i}.log")
                for i in range(2)]
        time.sleep(0.3)
        before = [runqueue_seconds(p.pid) for p in busy]
        t0 = time.monotonic()
        time.sleep(1.5)
        after = [runqueue_seconds(p.pid) for p in busy]
        elapsed = time.monotonic() - t0
    assert all(value is not None for value in (*before, *after))
    waited = sum(a - b for a, b in zip(after, before, strict=True))  # type: ignore[operator]
    assert waited >= 0.6 * elapsed, f"two spinning processes on one CPU waited {waited:.2f}s of {elapsed:.2f}s"
    assert runqueue_seconds(busy[0].pid) is None  # stopped: nothing to read


def test_the_sampler_records_the_run_queue_wait() -> None:
    with ProcessSampler(0.1) as sampler:
        sampler.watch("me", os.getpid())
        sampler.sample_now()
    [first, *_] = sampler.samples("me")
    assert first.runqueue_seconds is not None and first.runqueue_seconds >= 0


def test_a_reader_is_sampled_like_a_process_until_its_source_is_gone() -> None:
    readings = iter([1.0, 2.0, 3.5])

    def read() -> ProcessSample:
        cpu = next(readings, None)
        if cpu is None:
            raise SourceGone("container")
        return ProcessSample(time.time(), "remote", 1024, cpu)

    with ProcessSampler(interval_s=60) as sampler:  # sampled by hand below, not by the thread
        sampler.watch_reader("remote", read)
        assert sampler.watching() == ["remote"]
        sampler.sample_now()
        sampler.sample_now()
        assert [s.cpu_seconds for s in sampler.samples("remote")] == [1.0, 2.0, 3.5]
        sampler.sample_now()  # gone: the watch ends, the samples stay
        assert sampler.watching() == []
        assert len(sampler.samples("remote")) == 3


def test_a_reader_whose_source_is_already_gone_is_not_watched() -> None:
    def gone() -> ProcessSample:
        raise SourceGone("container")

    with ProcessSampler(interval_s=60) as sampler:
        sampler.watch_reader("remote", gone)
        assert sampler.watching() == [] and sampler.samples("remote") == []
