"""``harness worker --master HOST:PORT``: a Locust worker of this checkout for a run on another machine.

A run's master lives for one level and tells its workers to quit at the end of it, so this command
starts a fresh worker for every level: it serves level after level until Ctrl-C (or ``levels``).
Its settings come from the master; the master refuses it when this checkout's harness version or
load code differs from its own. A master that is not on this machine needs ``allow_remote``.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from harness.errors import HarnessError, LoadError
from harness.load.driver import worker_argv, worker_env
from harness.load.loopback import is_loopback
from harness.processes import Supervisor, sigterm_as_interrupt


class MasterAddressError(HarnessError):
    """``--master`` is not HOST:PORT (bad input: exit 2)."""

    exit_code = 2


RETRY_S = 1.0  # pause before connecting again when no master answered (between levels there is none)


def parse_master(address: str, allow_remote: bool) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) → (host, port); LoadError for a malformed or, without
    ``allow_remote``, a non-loopback address."""
    host, sep, port_text = address.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise MasterAddressError(f"--master {address!r}: expected HOST:PORT, e.g. 127.0.0.1:5557")
    if not allow_remote and not is_loopback(host):
        raise LoadError(f"--master {address!r}: {host!r} is not this machine (not loopback); pass --allow-remote "
                        "if serving the load of a master on another machine is intended and permitted")
    return host, int(port_text)


def serve(address: str, console: Console, *, name: str | None = None, allow_remote: bool = False,
          levels: int | None = None, python: str = sys.executable) -> int:
    """Serve levels of the master at ``address``; 0 after ``levels`` levels, 130 on Ctrl-C (raised)."""
    host, port = parse_master(address, allow_remote)
    worker_name = name or socket.gethostname()
    env = {**worker_env(worker_name), "HARNESS_WORKER_EXTERNAL": "1"}
    served = 0
    log = Path(tempfile.mkdtemp(prefix="harness-worker-")) / "locust-worker.log"
    console.print(f"worker {worker_name}: serving the Locust master at {host}:{port} (Ctrl-C to stop); log {log}")
    with sigterm_as_interrupt(), Supervisor(grace_seconds=5.0) as supervisor:
        while levels is None or served < levels:
            child = supervisor.start(f"locust-worker-{worker_name}", worker_argv(python, host, port), env=env,
                                     log_path=log)
            code = child.popen.wait()
            supervisor.stop(child)
            if code == 0:
                served += 1
                console.print(f"worker {worker_name}: level {served} done")
            else:  # no master for a while, or it went away: try again
                console.print(f"worker {worker_name}: the Locust worker exited with code {code}; retrying. Log tail:"
                              f"\n{child.log_tail(5)}")
                time.sleep(RETRY_S)
    return 0
