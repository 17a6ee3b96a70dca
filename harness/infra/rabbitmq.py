"""A private RabbitMQ node for one run, from the Debian ``rabbitmq-server`` package.

The node never meets a system instance: it has its own node name, its own Erlang cookie, its own
epmd on a free port, its own data and config dirs, and listens only on 127.0.0.1. Everything runs
as a Supervisor child in the foreground:

* ``/usr/sbin/rabbitmq-server`` is bypassed: as root it re-runs itself through ``su rabbitmq``
  (a process that escapes PDEATHSIG) and as ``rabbitmq`` it sends all output to
  ``/var/log/rabbitmq/startup_log``. The script it wraps, ``/usr/lib/rabbitmq/bin/rabbitmq-server``,
  is started directly, as user ``rabbitmq`` when the harness is root.
* epmd is started by us, not by ``erl`` (which would run ``epmd -daemon``: a daemon outside our
  process group that outlives the node). With a private epmd already listening on
  ``ERL_EPMD_PORT`` neither the node nor the CLI tools start another.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.errors import EnvironmentError_, InfraError
from harness.infra.stale import names_dead_process
from harness.processes import ManagedProcess, Supervisor, free_port, wait_for_port

ORDERS_USER = "orders"
ORDERS_PASSWORD = "orders"
RABBIT_SYSTEM_USER = "rabbitmq"
STARTUP_TIMEOUT_SECONDS = 90.0
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
_DIR_PREFIX = "harness-rabbit-"
_LOG_TAIL_LINES = 40
_LOOPBACK_ERL = "{127,0,0,1}"
_ERL_CALL = "/usr/bin/erl_call"
_ERL_CALL_TIMEOUT_S = 2


@dataclass(frozen=True)
class RabbitEndpoint:
    """How the apps and the harness reach the run's broker (AMQP 0-9-1, vhost ``/``)."""

    host: str
    port: int
    user: str
    password: str
    version: str
    startup_s: float

    def env(self) -> dict[str, str]:
        """The ``ORDERS_RABBIT_*`` variables an order app reads."""
        return {
            "ORDERS_RABBIT_HOST": self.host,
            "ORDERS_RABBIT_PORT": str(self.port),
            "ORDERS_RABBIT_USER": self.user,
            "ORDERS_RABBIT_PASSWORD": self.password,
        }


@dataclass(frozen=True)
class _Layout:
    base: Path
    home: Path  # HOME of the node and the CLI: holds the private .erlang.cookie
    mnesia: Path
    logs: Path
    config: Path  # rabbitmq.conf, without its extension (RABBITMQ_CONFIG_FILE)
    pid_file: Path
    run_as: str | None


class RabbitNode:
    """A running private node: ``endpoint`` to reach it, ``restart()`` for fault scenarios."""

    def __init__(self, supervisor: Supervisor, layout: _Layout, log_path: Path) -> None:
        self._supervisor = supervisor
        self._layout = layout
        self._log_path = log_path
        self.nodename = f"rabbit-{secrets.token_hex(4)}@localhost"
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self._epmd: ManagedProcess | None = None
        self._server: ManagedProcess | None = None
        self._endpoint: RabbitEndpoint | None = None

    @property
    def endpoint(self) -> RabbitEndpoint:
        """The endpoint of the last successful (re)start."""
        if self._endpoint is None:
            raise InfraError("the RabbitMQ node has not been started (or failed to start)")
        return self._endpoint

    @property
    def base(self) -> Path:
        """The node's private dir (data, config, cookie); deleted when ``local_rabbitmq`` ends."""
        return self._layout.base

    @property
    def server_pid(self) -> int | None:
        """PID of the start script (the Erlang VM is its child, in the same process group)."""
        return self._server.pid if self._server is not None else None

    @property
    def epmd_pid(self) -> int | None:
        return self._epmd.pid if self._epmd is not None else None

    def start(self) -> RabbitEndpoint:
        """Start epmd (once) and the node; return once it has booted and accepts AMQP connections.

        Raises InfraError with the node log's tail if it exits or does not boot in time.
        """
        if self._epmd is None:
            self._epmd = self._start_epmd()
        began = time.monotonic()
        self._server = self._supervisor.start(
            "rabbitmq",
            [str(RABBITMQ_BIN / "rabbitmq-server")],
            env=self._env(),
            cwd=self._layout.base,
            log_path=self._log_path,
            user=self._layout.run_as,
        )
        self._await_startup(self._server)
        if not wait_for_port("127.0.0.1", self.amqp_port, 10.0, self._server):
            raise InfraError(
                f"RabbitMQ node {self.nodename} booted but 127.0.0.1:{self.amqp_port} accepts no connections; "
                f"{_log_tail(self._log_path)}"
            )
        startup_s = time.monotonic() - began
        self._endpoint = RabbitEndpoint(
            "127.0.0.1", self.amqp_port, ORDERS_USER, ORDERS_PASSWORD, _version_from_log(self._log_path), startup_s
        )
        return self._endpoint

    def stop(self) -> None:
        """Stop the node (SIGTERM: a clean shutdown that flushes durable queues), keep epmd and data."""
        if self._server is not None:
            self._supervisor.stop(self._server)
            self._server = None

    def restart(self) -> RabbitEndpoint:
        """Stop and start the same node: same name, ports, cookie and data dir, so durable queues and
        persistent messages survive. Returns the new endpoint (same host/port, new ``startup_s``)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the node, then its epmd. Safe to call more than once."""
        try:
            self.stop()
        finally:
            if self._epmd is not None:
                self._supervisor.stop(self._epmd)
                self._epmd = None

    def queue_depth(self, queue: str, vhost: str = "/") -> int | None:
        """Messages ready plus unacknowledged in ``queue``, asked of the node itself; None when the
        queue does not exist or the node cannot answer now (stopped, booting, restarting).

        AMQP cannot tell this: ``queue.declare-ok`` counts ready messages only, not those delivered
        and awaiting an ack. ``rabbitmqctl`` boots an Erlang VM per call (1-3 s of CPU); ``erl_call``
        (Debian ``erlang-base``, a dependency of ``rabbitmq-server``) is a small C program that speaks
        Erlang distribution straight to the node's port: a few milliseconds per call, so it can be
        polled every second during a run.
        """
        return queue_depth(self.dist_port, self._layout.home, queue, vhost)

    def rabbitmqctl(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run ``rabbitmqctl -n NODE ARGS`` with the node's environment (cookie, epmd port)."""
        return subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.nodename, *args],
            env=self._env(),
            cwd=self._layout.base,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            user=self._layout.run_as,
            group=self._layout.run_as,
            extra_groups=[] if self._layout.run_as is not None else None,
        )

    def _env(self) -> dict[str, str]:
        layout = self._layout
        return {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            # The Elixir CLI warns and mangles output without a UTF-8 locale.
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(layout.home),
            # An empty env file: /etc/rabbitmq/rabbitmq-env.conf is the system node's, not ours.
            "RABBITMQ_CONF_ENV_FILE": str(layout.base / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_USE_LONGNAME": "false",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(layout.mnesia),
            "RABBITMQ_LOG_BASE": str(layout.logs),
            "RABBITMQ_LOGS": "-",  # to stdout, i.e. the Supervisor's log file
            "RABBITMQ_PID_FILE": str(layout.pid_file),
            "RABBITMQ_CONFIG_FILE": str(layout.config),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(layout.base / "enabled_plugins"),
            "RABBITMQ_ENABLED_PLUGINS": "",  # management and every other plugin off
            # Erlang distribution (node and CLI) on loopback only; by default it listens on all interfaces.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"-kernel inet_dist_use_interface {_LOOPBACK_ERL}",
            "RABBITMQ_CTL_ERL_ARGS": f"-kernel inet_dist_use_interface {_LOOPBACK_ERL}",
            # With NOTIFY_SOCKET set the start script execs the Erlang VM instead of running it as
            # a background job behind a signal-forwarding shell, so the VM itself is the
            # Supervisor's child and PDEATHSIG reaches it if the harness is killed with -9. The
            # socket does not exist: the node's systemd readiness notification just fails (logged).
            "NOTIFY_SOCKET": str(layout.base / "no-systemd.sock"),
        }

    def _start_epmd(self) -> ManagedProcess:
        epmd = shutil.which("epmd") or "/usr/bin/epmd"
        child = self._supervisor.start(
            "epmd",
            [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=self._env(),
            cwd=self._layout.base,
            log_path=self._log_path,
            user=self._layout.run_as,
        )
        if not wait_for_port("127.0.0.1", self.epmd_port, 10.0, child):
            self._supervisor.stop(child)
            raise InfraError(f"epmd did not listen on 127.0.0.1:{self.epmd_port}; {_log_tail(self._log_path)}")
        return child

    def _await_startup(self, server: ManagedProcess) -> None:
        # await_startup fails fast while the node is not yet registered with epmd: retry until
        # the deadline, and give up at once if the node process has exited.
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        # Each rabbitmqctl call boots an Erlang VM (1-3 s): wait until the node's distribution
        # port is open (it registers with epmd then) so the first call usually succeeds.
        wait_for_port("127.0.0.1", self.dist_port, STARTUP_TIMEOUT_SECONDS, server)
        last = ""
        while time.monotonic() < deadline:
            if not server.running():
                raise InfraError(
                    f"RabbitMQ node {self.nodename} exited with code {server.popen.returncode} during start-up; "
                    f"{_log_tail(self._log_path)}"
                )
            remaining = max(5, int(deadline - time.monotonic()))
            try:
                result = self.rabbitmqctl("await_startup", "--timeout", str(remaining), timeout=remaining + 15)
            except subprocess.TimeoutExpired:
                last = "rabbitmqctl await_startup timed out"
                continue
            if result.returncode == 0:
                return
            last = (result.stdout + result.stderr).strip()
            time.sleep(0.5)
        raise InfraError(
            f"RabbitMQ node {self.nodename} did not finish booting within {STARTUP_TIMEOUT_SECONDS:.0f}s "
            f"(last rabbitmqctl output: {last[-500:]!r}); {_log_tail(self._log_path)}"
        )


@contextlib.contextmanager
def local_rabbitmq(supervisor: Supervisor, workdir: Path, log_path: Path) -> Iterator[RabbitNode]:
    """A fresh private RabbitMQ node on 127.0.0.1 with user ``orders``/``orders`` (all rights on ``/``).

    Yields once the node has booted (``rabbitmqctl await_startup``) and its AMQP port accepts
    connections. Whatever happens (an exception in the block, a failed start), the node and its
    epmd are stopped and the node's dirs deleted. Raises EnvironmentError_ if the Debian package is
    missing, InfraError with the log's tail if the node does not start. Dirs left by a harness
    killed with -9 are removed first (``remove_stale_dirs``).
    """
    _check_installed()
    workdir.mkdir(parents=True, exist_ok=True)
    remove_stale_dirs(workdir)
    remove_stale_dirs()
    layout = _make_layout(workdir)
    node = RabbitNode(supervisor, layout, log_path)
    try:
        node.start()
        yield node
    finally:
        try:
            node.close()
        finally:
            shutil.rmtree(layout.base, ignore_errors=True)


def remove_stale_dirs(parent: Path | None = None) -> list[Path]:
    """Delete node dirs in ``parent`` (default: the temp dir) whose harness died without cleaning
    up (-9 leaves no chance): those whose recorded owner pid is gone. Returns what was removed."""
    removed = []
    for directory in (parent or Path(tempfile.gettempdir())).glob(f"{_DIR_PREFIX}*"):
        owner = directory / "owner.pid"
        if owner.exists() and names_dead_process(owner):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _check_installed() -> None:
    missing = [
        p for p in (RABBITMQ_BIN / "rabbitmq-server", RABBITMQ_BIN / "rabbitmqctl", Path(_ERL_CALL)) if not p.exists()
    ]
    if shutil.which("epmd") is None and not Path("/usr/bin/epmd").exists():
        missing.append(Path("epmd"))
    if missing:
        raise EnvironmentError_(
            f"RabbitMQ is not installed (missing {', '.join(map(str, missing))}); "
            "run scripts/install-system-deps.sh (Debian package 'rabbitmq-server')."
        )


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(RABBIT_SYSTEM_USER)
    except KeyError:
        raise EnvironmentError_(
            f"running as root, but there is no '{RABBIT_SYSTEM_USER}' user to run the node as; "
            "install the Debian package 'rabbitmq-server' (scripts/install-system-deps.sh)."
        ) from None
    return RABBIT_SYSTEM_USER


def _make_layout(workdir: Path) -> _Layout:
    run_as = _run_as()
    # Everything lives in /tmp, like the stale-dir sweep expects, unless the node's user can reach workdir
    # (pytest's tmp dirs are 0700 root). Node names are random, so /tmp dirs of parallel runs never clash.
    parent = workdir if run_as is None or _can_traverse(run_as, workdir) else Path(tempfile.gettempdir())
    base = Path(tempfile.mkdtemp(prefix=_DIR_PREFIX, dir=parent))
    (base / "owner.pid").write_text(f"{os.getpid()}\n", encoding="utf-8")
    layout = _Layout(
        base=base,
        home=base / "home",
        mnesia=base / "mnesia",
        logs=base / "logs",
        config=base / "rabbitmq",
        pid_file=base / "rabbitmq.pid",
        run_as=run_as,
    )
    for directory in (layout.home, layout.mnesia, layout.logs):
        directory.mkdir()
    (base / "rabbitmq-env.conf").write_text("# private node: no system settings\n", encoding="utf-8")
    (base / "enabled_plugins").write_text("[].\n", encoding="utf-8")
    layout.config.with_suffix(".conf").write_text(config_text(), encoding="utf-8")
    cookie = layout.home / ".erlang.cookie"
    # A cookie of our own: only this harness's CLI calls can talk to the node.
    cookie.write_text(secrets.token_hex(20).upper(), encoding="utf-8")
    cookie.chmod(0o400)
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        for path in (base, *base.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    return layout


def config_text() -> str:
    # The dedicated user is created by the node at first boot (no CLI round trips); without
    # default_user the node would create 'guest' instead.
    return (
        f"default_user = {ORDERS_USER}\n"
        f"default_pass = {ORDERS_PASSWORD}\n"
        "default_vhost = /\n"
        "default_user_tags.administrator = true\n"
        "default_permissions.configure = .*\n"
        "default_permissions.read = .*\n"
        "default_permissions.write = .*\n"
        # No disk alarm on a nearly full /tmp during a benchmark: the run is throw-away.
        "disk_free_limit.absolute = 50MB\n"
    )


def _can_traverse(user: str, directory: Path) -> bool:
    result = subprocess.run(["test", "-x", str(directory)], user=user, group=user, extra_groups=[], check=False)
    return result.returncode == 0


def _safe_name(name: str) -> bool:
    # The names are spliced into an Erlang binary literal: nothing that could end it.
    return re.fullmatch(r"[A-Za-z0-9._/-]+", name) is not None


def queue_depth(dist_port: int, home: Path, queue: str, vhost: str = "/") -> int | None:
    """``RabbitNode.queue_depth`` of the node whose Erlang distribution listens on
    127.0.0.1:``dist_port``, with the cookie in ``home/.erlang.cookie`` (a local node's or a
    container's)."""
    if not _safe_name(queue) or not _safe_name(vhost):
        raise ValueError(f"queue {queue!r} / vhost {vhost!r}: only letters, digits and . _ - / are supported")
    expression = (
        f'case rabbit_amqqueue:lookup(rabbit_misc:r(<<"{vhost}">>, queue, <<"{queue}">>)) of '
        "{ok, Q} -> [{_, Ready}, {_, Unacked}] = "
        "rabbit_amqqueue:info(Q, [messages_ready, messages_unacknowledged]), Ready + Unacked; "
        "_ -> none end.\n"
    )
    try:
        result = subprocess.run(
            [_ERL_CALL, "-timeout", str(_ERL_CALL_TIMEOUT_S), "-address", f"127.0.0.1:{dist_port}", "-e"],
            input=expression,
            # HOME holds the node's cookie; as root it is readable whoever owns it.
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=_ERL_CALL_TIMEOUT_S + 3,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"\{ok,\s*(\d+)\}", result.stdout.strip())
    return int(match.group(1)) if result.returncode == 0 and match else None


def _version_from_log(log_path: Path) -> str:
    # The node logs "Starting RabbitMQ 3.10.8 on Erlang 25.2.3 [jit]" early in its boot.
    matches = re.findall(r"Starting RabbitMQ (\S+) on Erlang", _read_text(log_path))
    return matches[-1] if matches else "unknown"


def _read_text(log_path: Path) -> str:
    return log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""


def _log_tail(log_path: Path) -> str:
    lines = _read_text(log_path).splitlines()[-_LOG_TAIL_LINES:]
    tail = "\n".join(f"  {line}" for line in lines)
    return f"last lines of {log_path}:\n{tail}"
