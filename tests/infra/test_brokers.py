"""Against real brokers: what a consume run reads of them (env, backlog) and that restarts keep it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pika  # type: ignore[import-untyped]
import psutil
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from local_services import requires_kafka, requires_rabbitmq, wait_gone

from harness.errors import InfraError
from harness.infra.brokers import (
    KAFKA_GROUP_ID,
    KAFKA_TOPIC,
    RABBIT_QUEUE,
    Broker,
    KafkaBroker,
    RabbitBroker,
    local_broker,
)
from harness.infra.kafka import KAFKA_VERSION
from harness.processes import Supervisor


def _process_tree(pid: int | None) -> list[int]:
    assert pid is not None
    return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]


def _assert_cleaned_up(pids: list[int], node_dir: Path) -> None:
    assert wait_gone(pids) == [], "broker processes outlived local_broker"
    assert not node_dir.exists(), "the broker's data dir was not deleted"


def _eventually(read: Callable[[], int | None], expected: int | None, timeout: float = 30.0) -> None:
    """Brokers apply acks and commits asynchronously: wait until ``read()`` equals ``expected``."""
    deadline = time.monotonic() + timeout
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    assert value == expected


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    base = tmp_path_factory.mktemp("kafka-broker")
    with Supervisor() as supervisor:
        with local_broker("kafka", supervisor, base / "work", base / "logs") as broker:
            assert isinstance(broker, KafkaBroker)
            yield broker
            pids, node_dir = _process_tree(broker.node.pid), broker.node.base
            assert broker.backlog() is not None
        assert broker.backlog() is None, "backlog must not be read after close()"
        _assert_cleaned_up(pids, node_dir)
    assert (base / "logs" / "kafka.log").stat().st_size > 0


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitBroker]:
    base = tmp_path_factory.mktemp("rabbit-broker")
    with Supervisor() as supervisor:
        with local_broker("rabbitmq", supervisor, base / "work", base / "logs") as broker:
            assert isinstance(broker, RabbitBroker)
            yield broker
            node = broker.node
            assert node.epmd_pid is not None
            pids, node_dir = [*_process_tree(node.server_pid), node.epmd_pid], node.base
            assert broker.backlog() is not None
        assert broker.backlog() is None, "backlog must not be read after close()"
        _assert_cleaned_up(pids, node_dir)
    assert (base / "logs" / "rabbitmq.log").stat().st_size > 0


@requires_kafka
def test_kafka_env_points_the_apps_at_the_broker_and_the_measured_group(kafka: KafkaBroker) -> None:
    broker: Broker = kafka
    assert broker.kind == "kafka"
    assert broker.version == KAFKA_VERSION
    assert broker.startup_s > 0
    assert broker.env() == {
        "ORDERS_BROKER": "kafka",
        "ORDERS_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka.node.broker_port}",
        "ORDERS_KAFKA_GROUP_ID": KAFKA_GROUP_ID,
    }


@requires_kafka
def test_kafka_backlog_is_the_groups_lag_and_survives_a_restart(kafka: KafkaBroker) -> None:
    bootstrap = kafka.node.endpoint.bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})

    assert kafka.backlog() is None, "no topic yet: nothing to read"
    assert KAFKA_TOPIC not in admin.list_topics(timeout=10).topics, "reading the backlog must not create the topic"

    admin.create_topics([NewTopic(KAFKA_TOPIC, num_partitions=3, replication_factor=1)])[KAFKA_TOPIC].result(30)
    _eventually(kafka.backlog, 0)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "log_level": 0})
    for i in range(10):
        producer.produce(KAFKA_TOPIC, key=str(i).encode(), value=f"event-{i}".encode())
    assert producer.flush(30) == 0
    _eventually(kafka.backlog, 10)

    _consume_and_commit(bootstrap, KAFKA_GROUP_ID, 4)
    _eventually(kafka.backlog, 6)
    _consume_and_commit(bootstrap, f"other-{uuid.uuid4().hex[:6]}", 10)
    _eventually(kafka.backlog, 6)  # another group's progress is not ours

    env_before, startup_before = kafka.env(), kafka.startup_s
    kafka.restart()

    assert kafka.env() == env_before, "same ports after a restart"
    assert kafka.startup_s != startup_before
    _eventually(kafka.backlog, 6)  # messages and committed offsets are on disk


def _consume_and_commit(bootstrap: str, group_id: str, count: int) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group_id,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "log_level": 0,
        }
    )
    try:
        consumer.subscribe([KAFKA_TOPIC])
        received = 0
        deadline = time.monotonic() + 60
        while received < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None:
                assert message.error() is None, message.error()
                received += 1
        assert received == count
        # Commits each assigned partition's position: exactly the messages handed out above.
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()


@requires_rabbitmq
def test_rabbitmq_env_points_the_apps_at_the_node(rabbit: RabbitBroker) -> None:
    broker: Broker = rabbit
    assert broker.kind == "rabbitmq"
    assert broker.version.startswith("3.")
    assert broker.startup_s > 0
    assert broker.env() == {
        "ORDERS_BROKER": "rabbitmq",
        "ORDERS_RABBIT_HOST": "127.0.0.1",
        "ORDERS_RABBIT_PORT": str(rabbit.node.amqp_port),
        "ORDERS_RABBIT_USER": "orders",
        "ORDERS_RABBIT_PASSWORD": "orders",
    }


@requires_rabbitmq
def test_rabbitmq_backlog_counts_ready_and_unacked_and_survives_a_restart(rabbit: RabbitBroker) -> None:
    endpoint = rabbit.node.endpoint
    parameters = pika.ConnectionParameters(
        endpoint.host, endpoint.port, "/", pika.PlainCredentials(endpoint.user, endpoint.password)
    )

    assert rabbit.backlog() is None, "no queue yet: nothing to read"

    with pika.BlockingConnection(parameters) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(RABBIT_QUEUE, durable=True)
        _eventually(rabbit.backlog, 0)
        for i in range(5):
            channel.basic_publish("", RABBIT_QUEUE, f"event-{i}".encode(), pika.BasicProperties(delivery_mode=2))
        _eventually(rabbit.backlog, 5)

        # Delivered but not acknowledged is still backlog: a consumer crash would requeue it.
        first, _props, _body = channel.basic_get(RABBIT_QUEUE, auto_ack=False)
        second, _props, _body = channel.basic_get(RABBIT_QUEUE, auto_ack=False)
        assert first is not None and second is not None
        _eventually(rabbit.backlog, 5)
        channel.basic_ack(first.delivery_tag)
        _eventually(rabbit.backlog, 4)
    # The connection closed with one message unacked: it went back to the queue.
    _eventually(rabbit.backlog, 4)

    env_before, startup_before = rabbit.env(), rabbit.startup_s
    rabbit.restart()

    assert rabbit.env() == env_before, "same ports after a restart"
    assert rabbit.startup_s != startup_before
    _eventually(rabbit.backlog, 4)  # durable queue, persistent messages


def test_an_unknown_broker_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with Supervisor() as supervisor:
        with (
            pytest.raises(InfraError, match="unknown broker 'nats'; expected one of kafka, rabbitmq"),
            local_broker(cast(Any, "nats"), supervisor, tmp_path / "work", tmp_path / "logs"),
        ):
            pytest.fail("must not start")
        assert supervisor.children == ()
