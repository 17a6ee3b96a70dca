"""Kafka in a real container: the local provider's node, reachable on loopback, surviving a
restart with its messages, and gone afterwards."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import docker
import psutil
from confluent_kafka import Consumer, Producer
from docker_services import containers_of_run, volume_names

from harness.infra.brokers import KAFKA_TOPIC, start_broker
from harness.infra.docker_containers import OWNER_PID_LABEL, SERVICE_LABEL, host_pid, new_run_id
from harness.infra.docker_kafka import docker_kafka
from harness.processes import Supervisor


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for value in values:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0, "messages still unacknowledged after 30s"


def _consume(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    received: list[bytes] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        while len(received) < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                received.append(bytes(message.value() or b""))
    finally:
        consumer.close()
    return received


def test_a_node_on_loopback_keeps_its_messages_across_a_restart_and_leaves_nothing(
    docker_engine: docker.DockerClient, tmp_path: Path
) -> None:
    run_id = new_run_id()
    volumes_before = volume_names(docker_engine)
    log = tmp_path / "kafka.log"
    with docker_kafka(docker_engine, run_id, log) as (node, choice):
        bootstrap = node.endpoint.bootstrap
        assert bootstrap.startswith("127.0.0.1:")
        assert node.endpoint.version.startswith("4.")
        pid = host_pid(docker_engine, node.container)
        assert pid is not None
        broker = psutil.Process(pid)
        # A JVM binds IPv4 through an IPv6 socket: 127.0.0.1 shows as ::ffff:127.0.0.1.
        listening = {c.laddr.ip.removeprefix("::ffff:") for p in (broker, *broker.children(recursive=True))
                     for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN}  # fmt: skip
        assert listening == {"127.0.0.1"}, listening

        _produce(bootstrap, "before-restart", [b"a", b"b"])
        endpoint = node.restart()
        assert endpoint.bootstrap == bootstrap
        _produce(bootstrap, "before-restart", [b"c"])
        assert _consume(bootstrap, "before-restart", 3) == [b"a", b"b", b"c"]
    assert containers_of_run(docker_engine, run_id) == []
    assert volume_names(docker_engine) == volumes_before
    assert "Kafka Server started" in log.read_text(), choice


def test_a_consume_run_broker_on_docker_reports_its_backlog_like_the_local_one(
    docker_engine: docker.DockerClient, tmp_path: Path
) -> None:
    with Supervisor() as supervisor, start_broker("kafka", supervisor, tmp_path, tmp_path / "logs",
                                                  infra="docker", kafka_group_id="g") as broker:  # fmt: skip
        bootstrap = broker.env()["ORDERS_KAFKA_BOOTSTRAP"]
        assert broker.env()["ORDERS_BROKER"] == "kafka"
        assert list(supervisor.children) == []  # nothing runs as a local process
        assert len(_my_kafka_containers(docker_engine)) == 1
        _produce(bootstrap, KAFKA_TOPIC, [b"1", b"2", b"3"])
        deadline = time.monotonic() + 30
        while broker.backlog() != 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert broker.backlog() == 3  # nothing committed by group g: all three are lag
    assert _my_kafka_containers(docker_engine) == []
    assert "Kafka Server started" in (tmp_path / "logs" / "kafka.log").read_text()


def _my_kafka_containers(engine: docker.DockerClient) -> list[str]:
    mine = engine.containers.list(
        all=True, filters={"label": [f"{OWNER_PID_LABEL}={os.getpid()}", f"{SERVICE_LABEL}=kafka"]}
    )
    return [str(c.name) for c in mine]
