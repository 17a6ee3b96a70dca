"""The message broker of a consume run, Kafka or RabbitMQ, behind one interface.

A run needs three things of its broker besides starting and stopping it: the environment the apps
read (``env``), a graceful restart for the broker fault (``restart``), and the consumer backlog
as the broker itself sees it (``backlog``), polled every second while events are consumed.

Backlog is the broker's own count, not the harness's: for Kafka the consumer group's lag on
``order-events`` (log end offset minus committed offset, summed over partitions); for RabbitMQ the
messages ready plus unacknowledged in ``order.created``. Both count an event the app has received
but not yet acknowledged, so the two brokers' figures mean the same.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from harness.errors import InfraError
from harness.infra.kafka import KafkaEndpoint, local_kafka
from harness.infra.rabbitmq import RabbitEndpoint, local_rabbitmq
from harness.processes import Supervisor
from harness.scenario import DockerImages

BrokerKind = Literal["kafka", "rabbitmq"]
BROKER_KINDS: tuple[BrokerKind, ...] = ("kafka", "rabbitmq")

# Names fixed by the contract in docs/design.md ("The event-driven half").
KAFKA_TOPIC = "order-events"
KAFKA_GROUP_ID = "order-consumer"
RABBIT_QUEUE = "order.created"

# A backlog poll must never hold up the once-a-second sampler for long: a broker that does not
# answer within this is reported as unreadable (None) for that second.
BACKLOG_TIMEOUT_S = 2.0


class Broker(Protocol):
    """A running broker of a run (see the module doc)."""

    kind: BrokerKind
    version: str
    startup_s: float  # seconds the last start or restart took

    def env(self) -> dict[str, str]:
        """``ORDERS_BROKER=<kind>`` and the ``ORDERS_KAFKA_*`` or ``ORDERS_RABBIT_*`` an app needs."""
        ...

    def restart(self) -> None:
        """Graceful stop, then start on the same ports with the same data: durable messages
        survive. Raises InfraError (with the log's tail) if the broker does not come back."""
        ...

    def backlog(self) -> int | None:
        """Events the consumers have not acknowledged yet; None when it cannot be read now (topic or
        queue not created yet, broker restarting or down). Cheap enough to poll every second: no
        JVM or Erlang VM is booted per call, and it waits at most a few seconds."""
        ...

    def close(self) -> None:
        """Release the harness's client connections; ``backlog`` returns None afterwards."""
        ...

    @property
    def pid(self) -> int | None:
        """The broker's process on this machine (its CPU and RSS are sampled with its children); None in a
        container. Changes with a restart."""
        ...


class KafkaNodeLike(Protocol):
    """A running Kafka node, a local process (``KafkaNode``) or a container (``DockerKafkaNode``)."""

    @property
    def endpoint(self) -> KafkaEndpoint: ...

    def restart(self) -> KafkaEndpoint: ...


class RabbitNodeLike(Protocol):
    """A running RabbitMQ node, a local process (``RabbitNode``) or a container (``DockerRabbitNode``)."""

    @property
    def endpoint(self) -> RabbitEndpoint: ...

    def restart(self) -> RabbitEndpoint: ...

    def queue_depth(self, queue: str, vhost: str = "/") -> int | None: ...


class KafkaBroker:
    """Kafka behind ``Broker``; backlog from the topic's watermarks and the group's committed offsets
    (see ``_kafka_lag``)."""

    def __init__(self, node: KafkaNodeLike, log_path: Path, group_id: str = KAFKA_GROUP_ID) -> None:
        self.kind: BrokerKind = "kafka"
        self.node = node
        self.group_id = group_id
        self.version = node.endpoint.version
        self.startup_s = node.endpoint.startup_s
        self._log_path = log_path
        self._lock = threading.Lock()  # guards _admin: polls, restarts and close() come from different threads
        self._admin: AdminClient | None = self._new_admin()
        self._restarting = threading.Event()

    def env(self) -> dict[str, str]:
        # The group id is exported too, so the group the apps join is the group whose lag is read.
        return {"ORDERS_BROKER": self.kind, **self.node.endpoint.env(), "ORDERS_KAFKA_GROUP_ID": self.group_id}

    def restart(self) -> None:
        self._restarting.set()
        _note_restart(self._log_path)
        endpoint = self.node.restart()
        self.version, self.startup_s = endpoint.version, endpoint.startup_s
        # Measured with librdkafka 2.16 and Kafka 4.4: an admin client that lived through a broker
        # restart gets no answer to group-offset requests any more (topic and offset requests still
        # work). A new client starts clean.
        self._renew_admin(self._admin)
        self._restarting.clear()

    @property
    def pid(self) -> int | None:
        return getattr(self.node, "pid", None)  # a container node has none

    def backlog(self) -> int | None:
        admin = self._admin
        if admin is None or self._restarting.is_set():
            return None
        try:
            return _kafka_lag(admin, self.node.endpoint.bootstrap, self.group_id)
        except KafkaException:
            return None  # e.g. the group coordinator still loading: answers again shortly
        except TimeoutError:
            self._renew_admin(admin)  # the same hang as after a restart, whatever caused it
            return None

    def backlog_of(self, group_id: str) -> int | None:
        """``backlog`` of another consumer group on order-events (a replay's)."""
        admin = self._admin
        if admin is None or self._restarting.is_set():
            return None
        try:
            return _kafka_lag(admin, self.node.endpoint.bootstrap, group_id)
        except (KafkaException, TimeoutError):
            return None

    def close(self) -> None:
        # librdkafka's handle has no close(): it is destroyed with the last reference.
        with self._lock:
            self._admin = None

    def _new_admin(self) -> AdminClient:
        # Reconnect soon after a restart: librdkafka backs off up to 10 s by default.
        return AdminClient(
            {"bootstrap.servers": self.node.endpoint.bootstrap, "log_level": 0, "reconnect.backoff.max.ms": 500}
        )

    def _renew_admin(self, stale: AdminClient | None) -> None:
        with self._lock:
            if self._admin is stale and stale is not None:
                self._admin = self._new_admin()


def _kafka_lag(admin: AdminClient, bootstrap: str, group_id: str) -> int | None:
    # Listing every topic, not asking for this one: a metadata request naming a missing topic may
    # auto-create it (with the broker's default partition count, before the app creates it).
    topic = admin.list_topics(timeout=BACKLOG_TIMEOUT_S).topics.get(KAFKA_TOPIC)
    if topic is None or topic.error is not None or not topic.partitions:
        return None
    partitions = [TopicPartition(KAFKA_TOPIC, p) for p in sorted(topic.partitions)]
    # Offsets through a consumer that names the group but never joins it: librdkafka 2.16's admin
    # ListConsumerGroupOffsets segfaulted the whole process now and then right after a broker
    # (re)start (seen here 1 run in 5; librdkafka#5040).
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group_id, "enable.auto.commit": False,
                         "log_level": 0, "reconnect.backoff.max.ms": 500})
    try:
        committed = consumer.committed(partitions, timeout=BACKLOG_TIMEOUT_S)
        lag = 0
        for tp in committed:
            if tp.error is not None:
                return None
            marks = consumer.get_watermark_offsets(TopicPartition(KAFKA_TOPIC, tp.partition),
                                                   timeout=BACKLOG_TIMEOUT_S)
            if marks is None:
                return None
            lag += max(marks[1] - max(tp.offset, 0), 0)  # a negative offset: nothing committed yet
        return lag
    finally:
        consumer.close()


class RabbitBroker:
    """RabbitMQ behind ``Broker``; backlog asked of the node through ``erl_call`` (see
    ``RabbitNode.queue_depth`` for why not over AMQP)."""

    def __init__(self, node: RabbitNodeLike, log_path: Path) -> None:
        self.kind: BrokerKind = "rabbitmq"
        self.node = node
        self.version = node.endpoint.version
        self.startup_s = node.endpoint.startup_s
        self._log_path = log_path
        self._restarting = threading.Event()
        self._closed = False

    def env(self) -> dict[str, str]:
        return {"ORDERS_BROKER": self.kind, **self.node.endpoint.env()}

    def restart(self) -> None:
        self._restarting.set()
        _note_restart(self._log_path)
        endpoint = self.node.restart()
        self.version, self.startup_s = endpoint.version, endpoint.startup_s
        self._restarting.clear()

    @property
    def pid(self) -> int | None:
        # The start script; the Erlang VM is its child.
        return getattr(self.node, "server_pid", None)

    def backlog(self) -> int | None:
        if self._closed or self._restarting.is_set():
            return None
        return self.node.queue_depth(RABBIT_QUEUE)

    def close(self) -> None:
        # No connection is held between polls; only later polls are refused.
        self._closed = True


def _note_restart(log_path: Path) -> None:
    """A marker in the broker's log, so its shutdown and second start-up can be told apart."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n===== harness: broker restart requested at {datetime.now(UTC).isoformat()} =====\n\n")


@contextlib.contextmanager
def local_broker(
    kind: BrokerKind,
    supervisor: Supervisor,
    workdir: Path,
    logs_dir: Path,
    *,
    kafka_group_id: str = KAFKA_GROUP_ID,
) -> Iterator[Broker]:
    """A fresh private broker of ``kind`` on 127.0.0.1 for the length of the block.

    Its output goes to ``logs_dir/kafka.log`` or ``logs_dir/rabbitmq.log``. Whatever happens, the
    harness's clients are closed first, then the broker is stopped and its data deleted. Raises
    InfraError if it does not start, EnvironmentError_ if the machine lacks it.
    """
    if kind == "kafka":
        log_path = logs_dir / "kafka.log"
        with local_kafka(supervisor, workdir, log_path) as kafka_node:
            kafka = KafkaBroker(kafka_node, log_path, kafka_group_id)
            try:
                yield kafka
            finally:
                kafka.close()
    elif kind == "rabbitmq":
        log_path = logs_dir / "rabbitmq.log"
        with local_rabbitmq(supervisor, workdir, log_path) as rabbit_node:
            rabbit = RabbitBroker(rabbit_node, log_path)
            try:
                yield rabbit
            finally:
                rabbit.close()
    else:
        raise InfraError(f"unknown broker {kind!r}; expected one of {', '.join(BROKER_KINDS)}")


@contextlib.contextmanager
def start_broker(
    kind: BrokerKind,
    supervisor: Supervisor,
    workdir: Path,
    logs_dir: Path,
    *,
    infra: Literal["local", "docker"] = "local",
    images: DockerImages | None = None,
    kafka_group_id: str = KAFKA_GROUP_ID,
) -> Iterator[Broker]:
    """``local_broker``, or with ``infra`` docker the broker in a container (``images.kafka`` or
    ``images.rabbitmq``), its output in ``logs_dir/kafka.log`` or ``logs_dir/rabbitmq.log``."""
    if infra == "local":
        with local_broker(kind, supervisor, workdir, logs_dir, kafka_group_id=kafka_group_id) as local:
            yield local
        return
    # Imported here: a local run must not need the Docker SDK to be importable.
    from harness.infra.docker_containers import new_run_id
    from harness.infra.docker_engine import docker_client
    from harness.infra.docker_kafka import docker_kafka
    from harness.infra.docker_rabbitmq import docker_rabbitmq

    images = images or DockerImages()
    broker: KafkaBroker | RabbitBroker
    if kind == "kafka":
        log_path = logs_dir / "kafka.log"
        with docker_kafka(docker_client(), new_run_id(), log_path, image=images.kafka) as (kafka_node, _):
            broker = KafkaBroker(kafka_node, log_path, kafka_group_id)
            try:
                yield broker
            finally:
                broker.close()
    elif kind == "rabbitmq":
        log_path = logs_dir / "rabbitmq.log"
        with docker_rabbitmq(docker_client(), new_run_id(), log_path, image=images.rabbitmq) as (rabbit_node, _):
            broker = RabbitBroker(rabbit_node, log_path)
            try:
                yield broker
            finally:
                broker.close()
    else:
        raise InfraError(f"unknown broker {kind!r}; expected one of {', '.join(BROKER_KINDS)}")


__all__ = [
    "BROKER_KINDS",
    "KAFKA_GROUP_ID",
    "KAFKA_TOPIC",
    "RABBIT_QUEUE",
    "Broker",
    "BrokerKind",
    "KafkaBroker",
    "RabbitBroker",
    "local_broker",
    "start_broker",
]
