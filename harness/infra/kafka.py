"""A private single-node Kafka (KRaft, broker and controller in one JVM) for one run.

Kafka comes from Maven Central jars (``org.apache.kafka:kafka_2.13`` plus an SLF4J binding),
resolved once into the cache (``harness.infra.maven_jars``). The broker runs in its own JVM, a
Supervisor child, never inside an app's JVM (that would pollute its JFR recording, heap and
threads). Both listeners bind 127.0.0.1 on free ports; the data dir is private to the run and
deleted afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from harness.errors import EnvironmentError_, InfraError
from harness.infra.maven_jars import resolve_jars
from harness.infra.stale import names_dead_process
from harness.jdks import Jdk, build_jdk, find_jdk
from harness.processes import ManagedProcess, Supervisor, free_port, wait_for_port

KAFKA_VERSION = "4.4.0"
# Kafka 4.4's own pom asks for slf4j-api 1.7.36; a 1.7 binding, not a 2.x provider, must match it.
SLF4J_BINDING = "org.slf4j:slf4j-simple:1.7.36"
KAFKA_HEAP = "512m"
STARTUP_TIMEOUT_SECONDS = 120.0
_DIR_PREFIX = "harness-kafka-"
_LOG_TAIL_LINES = 40
_START_ATTEMPTS = 3  # free_port() can race with another process taking the port
_NODE_ID = 1


@dataclass(frozen=True)
class KafkaEndpoint:
    """How the apps and the harness reach the run's Kafka."""

    bootstrap: str
    version: str
    startup_s: float

    def env(self) -> dict[str, str]:
        """The ``ORDERS_KAFKA_*`` variables an order app reads."""
        return {"ORDERS_KAFKA_BOOTSTRAP": self.bootstrap}


@dataclass(frozen=True)
class KafkaDistribution:
    """The jars of one Kafka version and the JDK to run them with."""

    version: str
    classpath: str
    jdk: Jdk


def kafka_distribution(log_path: Path, version: str = KAFKA_VERSION) -> KafkaDistribution:
    """Kafka ``version``'s jars (resolved from Maven Central on first use, then from the cache) and a
    JDK to run them (JDK 25 if present, else the build JDK). Raises EnvironmentError_/InfraError
    saying what is missing."""
    jars = resolve_jars(f"kafka-{version}", [f"org.apache.kafka:kafka_2.13:{version}", SLF4J_BINDING], log_path)
    return KafkaDistribution(version, os.pathsep.join(str(j) for j in jars), _kafka_jdk())


def _kafka_jdk() -> Jdk:
    try:
        return find_jdk(25)
    except EnvironmentError_:
        return build_jdk()  # any JDK >= 21 runs Kafka 4 (it needs 17)


class KafkaNode:
    """A running combined broker/controller: ``endpoint`` to reach it, ``restart()`` for faults.

    A restart keeps the node id, cluster id, ports and data dir, so topics and their messages
    survive it.
    """

    def __init__(
        self,
        supervisor: Supervisor,
        distribution: KafkaDistribution,
        base: Path,
        log_path: Path,
        settings: Mapping[str, str],
    ) -> None:
        self._supervisor = supervisor
        self._distribution = distribution
        self.base = base
        self._log_path = log_path
        self._settings = dict(settings)
        self.data_dir = base / "data"
        self.properties_path = base / "server.properties"
        self.broker_port = 0
        self.controller_port = 0
        self._child: ManagedProcess | None = None
        self._endpoint: KafkaEndpoint | None = None

    @property
    def endpoint(self) -> KafkaEndpoint:
        """The endpoint of the last successful (re)start."""
        if self._endpoint is None:
            raise InfraError("the Kafka node has not been started (or failed to start)")
        return self._endpoint

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    @property
    def pid(self) -> int | None:
        """PID of the broker JVM while it runs."""
        return self._child.pid if self._child is not None else None

    def create(self) -> KafkaEndpoint:
        """Pick ports, format a fresh data dir and start. Retries with new ports if one was taken
        between ``free_port()`` and the bind. Raises InfraError with the log's tail on failure."""
        for attempt in range(1, _START_ATTEMPTS + 1):
            self.broker_port, self.controller_port = free_port(), free_port()
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.properties_path.write_text(self._properties(), encoding="utf-8")
            began = time.monotonic()
            self._format()
            try:
                return self._start(began)
            except InfraError:
                port_taken = "Address already in use" in _read_text(self._log_path)
                if not port_taken or attempt == _START_ATTEMPTS:
                    raise
                self.stop()
        raise AssertionError("unreachable")

    def restart(self) -> KafkaEndpoint:
        """Stop the JVM (SIGTERM: a controlled shutdown), start it again on the same ports and data.
        Returns the new endpoint (same bootstrap, new ``startup_s``)."""
        self.stop()
        return self._start(time.monotonic())

    def stop(self) -> None:
        """Stop the JVM if it runs; the data dir stays. Safe to call more than once."""
        if self._child is not None:
            self._supervisor.stop(self._child)
            self._child = None

    def _properties(self) -> str:
        props = server_properties(self.broker_port, self.controller_port, str(self.data_dir), self._settings)
        return "".join(f"{key}={value}\n" for key, value in props.items())

    def _java(self, main: str, *args: str, heap: str) -> list[str]:
        jdk = self._distribution.jdk
        return java_argv(str(jdk.java), jdk.feature, self._distribution.classpath, main, *args, heap=heap)

    def _format(self) -> None:
        # Kafka's UUIDs are 16 random bytes, URL-safe base64 without padding (22 characters).
        cluster_id = kafka_cluster_id()
        argv = self._java(
            "kafka.tools.StorageTool", "format", "--cluster-id", cluster_id,
            "--config", str(self.properties_path), "--standalone",
            heap="256m",
        )  # fmt: skip
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._log_path, "ab") as log:
            log.write(f"$ kafka.tools.StorageTool format --cluster-id {cluster_id} --standalone\n".encode())
            log.flush()
            result = subprocess.run(
                argv, cwd=self.base, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                timeout=120, check=False,
            )  # fmt: skip
        if result.returncode != 0:
            raise InfraError(
                f"formatting Kafka's storage failed (exit {result.returncode}); {_log_tail(self._log_path)}"
            )

    def _start(self, began: float) -> KafkaEndpoint:
        self._child = self._supervisor.start(
            "kafka",
            self._java("kafka.Kafka", str(self.properties_path), heap=KAFKA_HEAP),
            cwd=self.base,
            log_path=self._log_path,
        )
        self._wait_until_ready(self._child)
        self._endpoint = KafkaEndpoint(self.bootstrap, self._distribution.version, time.monotonic() - began)
        return self._endpoint

    def _wait_until_ready(self, child: ManagedProcess) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        if not wait_for_port("127.0.0.1", self.broker_port, STARTUP_TIMEOUT_SECONDS, child):
            raise self._start_failure(child)
        # An open port is not a ready broker: ready means a metadata round trip lists this node.
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        while time.monotonic() < deadline and child.running():
            with contextlib.suppress(KafkaException):
                metadata = admin.list_topics(timeout=5)
                if _NODE_ID in metadata.brokers:
                    return
            time.sleep(0.2)
        raise self._start_failure(child)

    def _start_failure(self, child: ManagedProcess) -> InfraError:
        code = child.popen.poll()
        if code is None:
            problem = f"did not answer a metadata request on {self.bootstrap} within {STARTUP_TIMEOUT_SECONDS:.0f}s"
        else:
            problem = f"exited with code {code} during start-up"
        return InfraError(f"Kafka {problem}; {_log_tail(self._log_path)}")


def server_properties(
    broker_port: int, controller_port: int, log_dirs: str, settings: Mapping[str, str]
) -> dict[str, str]:
    """server.properties of a single combined node on 127.0.0.1, local or in a container: one
    broker's replication factors, fast first consumer group; ``settings`` override all but the
    listeners, the quorum and the log dirs."""
    loopback = {
        "listeners": f"PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker_port}",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "log.dirs": log_dirs,
    }
    return {
        "process.roles": "broker,controller",
        "node.id": str(_NODE_ID),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        # One broker: every internal topic must make do with one replica.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",  # the first consumer group is ready much sooner
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        **settings,
        **loopback,  # last: never anything but loopback and the private dir, whatever the caller passes
    }


def java_argv(java: str, feature: int, classpath: str, main: str, *args: str, heap: str) -> list[str]:
    """The command line of a Kafka tool or broker JVM, local or in a container."""
    # JDK 24+ warns on every start that Kafka's buffer unmapper uses sun.misc.Unsafe (JEP 498);
    # allowing it explicitly keeps the broker log free of that noise. Older JDKs reject the flag.
    unsafe = ["--sun-misc-unsafe-memory-access=allow"] if feature >= 24 else []
    return [
        java,
        *unsafe,
        f"-Xms{heap}", f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
        "-cp", classpath,
        main, *args,
    ]  # fmt: skip


@contextlib.contextmanager
def local_kafka(
    supervisor: Supervisor,
    workdir: Path,
    log_path: Path,
    *,
    partitions_default: int = 1,
    settings: Mapping[str, str] | None = None,
) -> Iterator[KafkaNode]:
    """A fresh single-node Kafka on 127.0.0.1, yielded once a client's metadata request succeeds.

    ``partitions_default`` is ``num.partitions`` for auto-created topics; ``settings`` are extra
    server.properties entries (listeners, quorum and log dirs cannot be overridden). Whatever
    happens (an exception in the block, a failed start), the JVM is stopped and the node's dir
    deleted. Raises InfraError with the log's tail if formatting or the start fails. Dirs left by a
    harness killed with -9 are removed first (``remove_stale_dirs``).
    """
    distribution = kafka_distribution(log_path.with_name("kafka-resolve.log"))
    workdir.mkdir(parents=True, exist_ok=True)
    remove_stale_dirs(workdir)
    remove_stale_dirs()
    base = Path(tempfile.mkdtemp(prefix=_DIR_PREFIX, dir=workdir))
    (base / "owner.pid").write_text(f"{os.getpid()}\n", encoding="utf-8")
    node = KafkaNode(
        supervisor, distribution, base, log_path, {"num.partitions": str(partitions_default), **(settings or {})}
    )
    try:
        node.create()
        yield node
    finally:
        try:
            node.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)


def kafka_cluster_id() -> str:
    """A fresh cluster id: 16 random bytes in URL-safe base64, as Kafka makes them, but never starting
    with '-': the storage tool's argument parser would read such an id as an option (seen: one format
    in 64 failed with "argument --cluster-id/-t: expected one argument")."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def remove_stale_dirs(parent: Path | None = None) -> list[Path]:
    """Delete Kafka node dirs in ``parent`` (default: the temp dir) whose creating harness process
    is gone (-9 leaves no chance to clean up). Returns what was removed."""
    removed = []
    for directory in (parent or Path(tempfile.gettempdir())).glob(f"{_DIR_PREFIX}*"):
        owner = directory / "owner.pid"
        if owner.exists() and names_dead_process(owner):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _read_text(log_path: Path) -> str:
    return log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""


def _log_tail(log_path: Path) -> str:
    lines = _read_text(log_path).splitlines()[-_LOG_TAIL_LINES:]
    tail = "\n".join(f"  {line}" for line in lines)
    return f"last lines of {log_path}:\n{tail}"


__all__ = ["KAFKA_VERSION", "KafkaEndpoint", "KafkaNode", "kafka_distribution", "local_kafka", "remove_stale_dirs"]
