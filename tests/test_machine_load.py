"""ForeignCpu against real processes: one outside the run's tree, one inside it, one under a container engine's name."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness.machine_load import ForeignCpu, run_tree, steal_cpu

BURN = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass\n"


def test_the_run_tree_is_its_roots_and_every_descendant() -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 20: 1, 21: 20}
    assert run_tree([10], parents) == {10, 11, 12}
    assert run_tree([10, 21], parents) == {10, 11, 12, 21}
    assert run_tree([99], parents) == set()  # a root that is gone


def _orphan(python: str) -> psutil.Process:
    """A CPU-burning process the shell leaves to init: outside this process's tree, as another user's job is."""
    out = subprocess.run(["sh", "-c", f'"{python}" -c "$0" >/dev/null 2>&1 & echo $!', BURN],
                         capture_output=True, text=True, check=True).stdout
    return psutil.Process(int(out))


@pytest.fixture
def burners() -> Iterator[list[psutil.Process]]:
    started: list[psutil.Process] = []
    yield started
    for proc in started:
        proc.kill()


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _all_but(*tested: psutil.Process) -> list[int]:
    """Every process now except ``tested``, as run roots: whatever else this machine runs (a benchmark
    beside the tests) is then the run's, and only the tested processes can be counted."""
    kept_out = {p.pid for p in tested} | {a.pid for p in tested for a in p.parents()}  # init's tree is all
    return [pid for pid in psutil.pids() if pid not in kept_out]


def _counted(reader: ForeignCpu, burner: psutil.Process) -> tuple[float, float]:
    """(what the reader counted, what ``burner`` used) over the same second."""
    first, used_before = reader(), _cpu(burner)
    time.sleep(1.0)
    used_after, second = _cpu(burner), reader()
    return second.cpu_seconds - first.cpu_seconds, used_after - used_before


def test_a_process_outside_the_run_is_counted(burners: list[psutil.Process]) -> None:
    burner = _orphan(sys.executable)
    burners.append(burner)
    counted, used = _counted(ForeignCpu(lambda: []), burner)
    assert used > 0.2  # it ran
    assert counted >= 0.8 * used, (counted, used)


def test_the_runs_own_processes_are_not_counted(burners: list[psutil.Process]) -> None:
    # Watched by the run (a daemonised PostgreSQL is such an orphan), and a child of this process.
    watched = _orphan(sys.executable)
    child = psutil.Process(subprocess.Popen([sys.executable, "-c", BURN]).pid)
    burners += [watched, child]
    others = _all_but(watched, child)
    counted, used = _counted(ForeignCpu(lambda: [*others, watched.pid]), watched)
    assert used > 0.2
    assert counted < 0.2 * used, (counted, used)


def test_a_container_engines_processes_are_not_counted(tmp_path: Path, burners: list[psutil.Process]) -> None:
    # The kernel names a process after its executable: a copy of python named as the engine is one.
    engine = tmp_path / "containerd"
    shutil.copy(sys.executable, engine)
    burner = _orphan(str(engine))
    burners.append(burner)
    assert burner.name() == "containerd"
    others = _all_but(burner)
    counted, used = _counted(ForeignCpu(lambda: others), burner)
    assert used > 0.2
    assert counted < 0.2 * used, (counted, used)


def test_steal_is_a_cumulative_counter() -> None:
    first = steal_cpu()
    second = steal_cpu()
    assert second.cpu_seconds >= first.cpu_seconds >= 0.0
