"""Launching the Java applications with exactly the flags and environment the scenario asks for.

Everything an app receives is built here and nowhere else, so that what the manifest records is
what the JVM got: the command line (JVM flags) and the ``ORDERS_*`` environment of design.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from harness import settings
from harness.app_containers import (
    START_PLACEHOLDER,
    AppContainer,
    client_env,
    container_pid,
    new_start,
    remove_by_name,
)
from harness.errors import AppError
from harness.infra.docker_remote import copy_out, engine_client, stats_reader
from harness.jdks import Jdk
from harness.jfr.flags import jfr_flags
from harness.processes import ManagedProcess, Supervisor, free_port
from harness.sampling import ProcessSampler
from harness.scenario import ALL_VARIANTS, Scenario, VariantName

# Variables the JVM reads by itself: inherited silently they would change what we measure.
_JVM_ENV_OVERRIDES = ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS")
DOWNSTREAM_HEAP = "256m"
GC_FLAGS = {"G1": "-XX:+UseG1GC", "ZGC": "-XX:+UseZGC", "Parallel": "-XX:+UseParallelGC", "Serial": "-XX:+UseSerialGC"}


@dataclass(frozen=True)
class AppLaunch:
    """Everything needed to start one app, and everything the manifest records about it."""

    name: str  # "mvc-virtual@jdk25", "downstream"
    jdk: Jdk
    jar: Path
    jvm_flags: tuple[str, ...]
    env: Mapping[str, str]
    port: int
    container: AppContainer | None = None  # None: a process of this machine

    @property
    def base_url(self) -> str:
        # Where it listens, as its environment tells it: a remote engine's host, else loopback.
        return f"http://{self.env.get('ORDERS_SERVER_ADDRESS', '127.0.0.1')}:{self.port}"

    def on_port(self, port: int) -> AppLaunch:
        """The same launch listening on ``port`` (the port is both ``port`` and ``ORDERS_SERVER_PORT``)."""
        return replace(self, port=port, env={**self.env, "ORDERS_SERVER_PORT": str(port)})

    @property
    def argv(self) -> tuple[str, ...]:
        """The command line; in a container, the ``docker run`` with ``{start}`` where each start names its own."""
        return self.start_argv(START_PLACEHOLDER)

    def start_argv(self, start: str) -> tuple[str, ...]:
        if self.container is not None:
            return self.container.argv(self.name, self.jvm_flags, self.env, start)
        return (str(self.jdk.java), *self.jvm_flags, "-jar", str(self.jar))

    @property
    def cpus(self) -> float | None:
        """The CPU quota the app runs under (a level dimension); None without one."""
        return None if self.container is None else self.container.cpus

    def record(self) -> dict[str, Any]:
        record = {
            "jdk": {"feature": self.jdk.feature, "version": self.jdk.version, "vendor": self.jdk.vendor},
            "jar": str(self.jar),
            "argv": list(self.argv),
            "jvm_flags": list(self.jvm_flags),
            "env": dict(self.env),
            "port": self.port,
        }
        if self.container is not None:
            record["container"] = self.container.record()
        return record


@dataclass
class RunningApp:
    launch: AppLaunch
    process: ManagedProcess
    info: dict[str, Any] = field(default_factory=dict)  # /actuator/info "runtime": effective settings
    container_name: str | None = None
    jvm_pid: int | None = None  # in a container: the JVM's pid on this host (None if the engine is elsewhere)

    @property
    def pid(self) -> int | None:
        """The JVM's pid on this host, for sampling: the process itself, or the container's main process."""
        return self.process.pid if self.container_name is None else self.jvm_pid


def app_key(variant: str, jdk_feature: int, cpus: float | None = None) -> str:
    """``mvc-virtual@jdk25``; ``mvc-virtual@jdk25@cpus1.5`` under a container's CPU quota."""
    return f"{variant}@jdk{jdk_feature}" + ("" if cpus is None else f"@cpus{cpus:g}")


def variant_of(key: str) -> VariantName:
    """The variant of an ``app_key``."""
    variant = key.split("@", 1)[0]
    if variant not in ALL_VARIANTS:
        raise ValueError(f"{key!r} is not an app key (variant@jdkN)")
    return variant


def launch_scenario(scenario: Scenario, cpus: float | None) -> Scenario:
    """The scenario as one app sees it: under a CPU quota, ``netty.io_workers: processors`` means the processors
    the JVM in that container sees (the quota rounded up), not this machine's."""
    if cpus is None or scenario.app.netty.io_workers != "processors":
        return scenario
    netty = scenario.app.netty.model_copy(update={"io_workers": settings.quota_processors(cpus)})
    return scenario.model_copy(update={"app": scenario.app.model_copy(update={"netty": netty})})


def jvm_flags(
    scenario: Scenario, variant: VariantName, gc_log: Path, jfr_recording: Path | None = None
) -> tuple[str, ...]:
    """The JVM flags of an order app: fixed heap, the chosen GC, a GC log; the same for every variant
    except the catalogue's setting flags (the one only Netty reads)."""
    app = scenario.app
    flags = [
        f"-Xms{app.heap}",
        f"-Xmx{app.heap}",
        GC_FLAGS[app.gc],
        "-XX:+ExitOnOutOfMemoryError",
        f"-Xlog:gc*:file={gc_log}:time,uptime,level,tags",
        "-Dfile.encoding=UTF-8",
    ]
    flags.extend(settings.setting_flags(scenario, variant))
    if jfr_recording is not None and app.jfr.enabled:
        flags.extend(jfr_flags(jfr_recording, app.jfr.pinned_threshold_ms))
    flags.extend(app.jvm_args)
    return tuple(flags)


def variant_env(
    scenario: Scenario, variant: VariantName, port: int, db_env: Mapping[str, str], downstream_url: str,
    address: str = "127.0.0.1",
) -> dict[str, str]:
    """The ``ORDERS_*`` environment of design.md for one variant: where the app listens and finds its
    database and downstream, then every setting of ``harness.settings.CATALOGUE`` that reaches it (a
    consume scenario's knobs included; the broker's own variables come per segment)."""
    return {
        "ORDERS_SERVER_ADDRESS": address,
        "ORDERS_SERVER_PORT": str(port),
        **db_env,
        "ORDERS_DOWNSTREAM_URL": downstream_url,
        **settings.app_env(scenario, variant),
    }


def downstream_flags(gc_log: Path) -> tuple[str, ...]:
    return (
        f"-Xms{DOWNSTREAM_HEAP}",
        f"-Xmx{DOWNSTREAM_HEAP}",
        "-XX:+UseG1GC",
        f"-Xlog:gc*:file={gc_log}:time,uptime,level,tags",
        "-Dfile.encoding=UTF-8",
    )


# Spring Boot's PortInUseException, logged when the JVM exits because its port was taken.
_PORT_TAKEN = "Port {port} was already in use"
PORT_ATTEMPTS = 3


def start_app(supervisor: Supervisor, launch: AppLaunch, log_path: Path, timeout_s: float = 120.0,
              port_attempts: int = PORT_ATTEMPTS) -> RunningApp:
    """Start the app and return once ``/actuator/health`` says UP and its effective settings are read.

    A launch's port was free when it was chosen, possibly minutes earlier (every repetition starts
    a fresh JVM on it); by now a client connection may use it as its ephemeral source port. A JVM
    that exits because its port is taken is started again on a fresh port, up to PORT_ATTEMPTS
    times: read the port of the answer (``RunningApp.launch``), not of the request. A restart whose
    clients already hold the URL (``port_attempts=1``) must keep its port or fail.

    Raises AppError with the log's tail if the JVM exits for any other reason or never becomes healthy."""
    for attempt in range(1, port_attempts + 1):
        try:
            return _start_once(supervisor, launch, log_path, timeout_s)
        except AppError as error:
            if _PORT_TAKEN.format(port=launch.port) not in str(error) or attempt == port_attempts:
                raise
            launch = launch.on_port(free_port())
    raise AssertionError("unreachable")


def _start_once(supervisor: Supervisor, launch: AppLaunch, log_path: Path, timeout_s: float) -> RunningApp:
    container = launch.container
    if container is not None:
        # The container gets exactly launch.env (in its argv); the docker client only needs its engine.
        start = new_start()
        process = supervisor.start(launch.name, launch.start_argv(start), env=client_env(container.docker_host),
                                   log_path=log_path)
        app = RunningApp(launch, process, container_name=container.name(launch.name, start))
    else:
        env = {k: v for k, v in os.environ.items() if k not in _JVM_ENV_OVERRIDES}
        env.update(launch.env)
        env["JAVA_HOME"] = str(launch.jdk.home)
        app = RunningApp(launch, supervisor.start(launch.name, launch.argv, env=env, log_path=log_path))
    try:
        _wait_healthy(app, timeout_s)
        app.info = _read_runtime_info(launch.base_url)
        if container is not None and app.container_name is not None:
            app.jvm_pid = container_pid(app.container_name, container.docker_host)
    except BaseException:
        stop_app(supervisor, app)
        raise
    return app


def stop_app(supervisor: Supervisor, app: RunningApp) -> int | None:
    """Stop the app; a container whose client did not outlive the stop is removed too, and one on a remote engine
    first hands over the files its JVM wrote (GC log, flight recording). Returns the exit code."""
    container = app.launch.container
    try:
        return supervisor.stop(app.process)
    finally:
        if container is not None and app.container_name is not None:
            try:
                if container.remote:
                    client = engine_client(container.docker_host)
                    for folder in container.mounts:
                        copy_out(client, app.container_name, folder)
            finally:
                remove_by_name(app.container_name, container.docker_host)


def watch(sampler: ProcessSampler, name: str, app: RunningApp, *, cgroup: bool) -> None:
    """Sample ``app`` under ``name``: by its pid on this machine (``cgroup``: its container's cgroup too), or, on a
    remote engine, through the engine's stats of its container."""
    container = app.launch.container
    if container is not None and container.remote and app.container_name is not None:
        sampler.watch_reader(name, stats_reader(engine_client(container.docker_host), app.container_name, name))
    elif app.pid is not None:
        sampler.watch(name, app.pid, include_children=False, cgroup=cgroup)


def _wait_healthy(app: RunningApp, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not app.process.running():
                raise AppError(
                    f"{app.launch.name} exited with code {app.process.popen.returncode} before it became "
                    f"healthy. Its log ({app.process.log_path}) ends with:\n{app.process.log_tail()}"
                )
            try:
                response = client.get(f"{app.launch.base_url}/actuator/health")
                if response.status_code == 200 and response.json().get("status") == "UP":
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except (httpx.HTTPError, ValueError) as error:
                last = type(error).__name__
            time.sleep(0.25)
    raise AppError(
        f"{app.launch.name} did not report UP at {app.launch.base_url}/actuator/health within {timeout_s:.0f}s "
        f"(last: {last}). Its log ({app.process.log_path}) ends with:\n{app.process.log_tail()}"
    )


def _read_runtime_info(base_url: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/actuator/info", timeout=5.0)
    response.raise_for_status()
    runtime = response.json().get("runtime", {})
    return runtime if isinstance(runtime, dict) else {}


