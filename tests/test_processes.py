"""The Supervisor against real processes: what it starts, it stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from harness.processes import Supervisor, free_port, wait_for_port

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_children_are_stopped_when_the_block_ends(tmp_path: Path) -> None:
    with Supervisor() as supervisor:
        child = supervisor.start("sleeper", SLEEPER, log_path=tmp_path / "sleeper.log")
        assert child.running()
    assert _gone(child.pid)
    assert supervisor.children == ()


def test_children_are_stopped_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), Supervisor() as supervisor:
        child = supervisor.start("sleeper", SLEEPER)
        raise RuntimeError("boom")
    assert _gone(child.pid)


def test_grandchildren_in_the_group_are_stopped_too(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = textwrap.dedent(f"""
        import subprocess, sys, time
        p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pid_file)!r}, "w").write(str(p.pid))
        time.sleep(600)
    """)
    with Supervisor() as supervisor:
        supervisor.start("parent", [sys.executable, "-c", script])
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        grandchild = int(pid_file.read_text())
    assert _gone(grandchild)


def test_a_child_that_ignores_sigterm_is_killed() -> None:
    stubborn = [sys.executable, "-c",
                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"]
    supervisor = Supervisor(grace_seconds=1.0)
    child = supervisor.start("stubborn", stubborn)
    time.sleep(0.5)  # let it install the handler
    assert supervisor.stop(child) == -signal.SIGKILL


def test_children_die_with_a_killed_harness(tmp_path: Path) -> None:
    """kill -9 of the harness leaves no orphan: the kernel delivers PR_SET_PDEATHSIG."""
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import sys, time
        from harness.processes import Supervisor
        s = Supervisor()
        c = s.start("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pid_file)!r}, "w").write(str(c.pid))
        time.sleep(600)
    """)
    harness = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 20
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pid_file.read_text())
    os.kill(harness.pid, signal.SIGKILL)
    harness.wait()
    assert _gone(child)


def test_output_goes_to_the_log(tmp_path: Path) -> None:
    log = tmp_path / "echo.log"
    with Supervisor() as supervisor:
        child = supervisor.start("echo", [sys.executable, "-c", "print('hello from the child')"], log_path=log)
        child.popen.wait(timeout=30)
    assert "hello from the child" in child.log_tail()


def test_free_port_and_wait_for_port() -> None:
    port = free_port()
    assert wait_for_port("127.0.0.1", port, timeout=0.3) is False
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with Supervisor() as supervisor:
        child = supervisor.start("http", server)
        assert wait_for_port("127.0.0.1", port, timeout=30, child=child)
