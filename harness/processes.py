"""Starting and, above all, stopping the processes a run needs.

Every child is started by a ``Supervisor`` and stopped by it, newest first, when its ``with``
block ends for any reason (success, exception, Ctrl-C). Three layers make orphans unlikely:

* each child leads its own session, so a terminal's Ctrl-C reaches only the harness, which then
  stops the children in order (apps before the database they use);
* ``PR_SET_PDEATHSIG=SIGKILL``: if the harness itself is killed with -9, the kernel kills its
  direct children too;
* stopping signals the child's whole process group, SIGTERM then SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

_PR_SET_PDEATHSIG = 1


def thread_ids(pid: int) -> list[int]:
    """Every thread of ``pid`` now (empty once it has exited)."""
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except FileNotFoundError:
        return []


def _die_with_parent() -> None:
    # Runs in the child between fork and exec, after any uid change (which would clear it).
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _child_setup(cpus: AbstractSet[int] | None) -> Callable[[], None]:
    def setup() -> None:
        _die_with_parent()
        if cpus:  # before exec: every thread the program creates inherits the set (taskset semantics)
            os.sched_setaffinity(0, cpus)
    return setup


@dataclass
class ManagedProcess:
    """A child process and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path | None
    stop_signal: int = signal.SIGTERM
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Supervisor:
    """Owns child processes; use as a context manager."""

    def __init__(self, grace_seconds: float = 10.0,
                 cpus_for: Callable[[str], AbstractSet[int] | None] | None = None) -> None:
        """``cpus_for(name)``: the CPUs a child started under ``name`` is pinned to (None: not pinned),
        see ``harness.placement``."""
        self.grace_seconds = grace_seconds
        self.cpus_for = cpus_for
        self._children: list[ManagedProcess] = []

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_path: Path | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> ManagedProcess:
        """Start ``argv``; its stdout and stderr go to ``log_path`` (or are discarded)."""
        log: IO[bytes] | None = None
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        popen = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log if log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
            preexec_fn=_child_setup(self.cpus_for(name) if self.cpus_for is not None else None),
        )
        child = ManagedProcess(name, popen, log_path, stop_signal, log)
        self._children.append(child)
        return child

    def stop(self, child: ManagedProcess) -> int | None:
        """Stop one child and its process group; return its exit code."""
        try:
            if child.running():
                _signal_group(child.pid, child.stop_signal)
                try:
                    child.popen.wait(timeout=self.grace_seconds)
                except subprocess.TimeoutExpired:
                    _signal_group(child.pid, signal.SIGKILL)
                    child.popen.wait(timeout=self.grace_seconds)
            # Grandchildren that outlived their parent keep the group alive: end them too.
            _signal_group(child.pid, signal.SIGKILL)
        finally:
            # Only a child known to be dead is forgotten: a stop cut short by Ctrl-C is retried
            # by stop_all().
            if child.popen.poll() is not None:
                if child._log is not None:
                    child._log.close()
                    child._log = None
                if child in self._children:
                    self._children.remove(child)
        return child.popen.returncode

    def stop_all(self) -> None:
        """Stop every child, newest first; keeps going if one stop fails."""
        with _signals_deferred():
            for child in reversed(list(self._children)):
                with contextlib.suppress(Exception):
                    self.stop(child)

    @property
    def children(self) -> tuple[ManagedProcess, ...]:
        return tuple(self._children)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """A second Ctrl-C while cleaning up must not abandon the remaining children."""
    pending: list[int] = []

    def remember(signum: int, _frame: FrameType | None) -> None:
        pending.append(signum)

    try:
        previous = {s: signal.signal(s, remember) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals cannot be handled here anyway
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if pending:
            raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (a CI timeout, ``kill``) like Ctrl-C so the same cleanup runs."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float, child: ManagedProcess | None = None) -> bool:
    """True once ``host:port`` accepts a connection; False on timeout or if ``child`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and not child.running():
            return False
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.1)
    return False
