"""Against a real Kafka broker, started the way a run starts it (jars from the cache, own JVM)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from local_services import alive, requires_kafka, wait_gone

from harness.errors import InfraError
from harness.infra.kafka import KAFKA_VERSION, KafkaNode, kafka_cluster_id, local_kafka, remove_stale_dirs
from harness.processes import Supervisor

LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1"}


pytestmark = requires_kafka


def _jvms_using(path: Path) -> list[int]:
    """JVMs whose command line mentions ``path`` (the node's server.properties or dir)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any(str(path) in arg for arg in cmdline) and alive(proc.info["pid"]):
            found.append(proc.info["pid"])
    return found


def _assert_cleaned_up(pid: int, base: Path) -> None:
    assert wait_gone([pid]) == [], "the Kafka JVM outlived its block"
    assert _jvms_using(base) == []
    assert not base.exists(), "the node's dir was not deleted"


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaNode]:
    base = tmp_path_factory.mktemp("kafka")
    with Supervisor() as supervisor:
        with local_kafka(supervisor, base / "work", base / "kafka.log") as node:
            yield node
            pid, node_dir = node.pid, node.base
        # Teardown after a normal exit is checked here, so the module's one broker covers it.
        assert pid is not None
        _assert_cleaned_up(pid, node_dir)


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    for value in values:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0, "messages still unacknowledged after 30s"


def _consume(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    received: list[bytes] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        while len(received) < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            assert message.error() is None, message.error()
            value = message.value()
            assert isinstance(value, bytes)
            received.append(value)
    finally:
        consumer.close()
    return received


def _create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    futures[topic].result(timeout=30)


def test_endpoint_describes_the_broker(kafka: KafkaNode) -> None:
    endpoint = kafka.endpoint
    assert endpoint.bootstrap == f"127.0.0.1:{kafka.broker_port}"
    assert endpoint.version == KAFKA_VERSION
    assert endpoint.startup_s > 0
    assert endpoint.env() == {"ORDERS_KAFKA_BOOTSTRAP": endpoint.bootstrap}


def test_produce_consume_round_trip(kafka: KafkaNode) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    _create_topic(kafka.endpoint.bootstrap, topic, partitions=3)
    values = [f"order-{i}".encode() for i in range(20)]
    _produce(kafka.endpoint.bootstrap, topic, values)
    assert sorted(_consume(kafka.endpoint.bootstrap, topic, len(values))) == sorted(values)


def test_listens_only_on_loopback(kafka: KafkaNode) -> None:
    assert kafka.pid is not None
    listening = [c for c in psutil.Process(kafka.pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    ports = {c.laddr.port for c in listening}
    assert {kafka.broker_port, kafka.controller_port} <= ports
    # Includes the JVM's own extra listeners, if any (there should be none besides the two).
    assert {c.laddr.ip for c in listening} <= LOOPBACK


def test_server_properties_keep_the_single_node_settings(kafka: KafkaNode) -> None:
    props = dict(line.split("=", 1) for line in kafka.properties_path.read_text().splitlines() if "=" in line)
    assert props["process.roles"] == "broker,controller"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.min.isr"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["num.partitions"] == "1"
    assert Path(props["log.dirs"]).is_relative_to(kafka.base)


def test_restart_keeps_a_topics_messages(kafka: KafkaNode) -> None:
    topic = f"durable-{uuid.uuid4().hex[:8]}"
    _create_topic(kafka.endpoint.bootstrap, topic)
    values = [f"before-restart-{i}".encode() for i in range(10)]
    _produce(kafka.endpoint.bootstrap, topic, values)
    old_pid = kafka.pid
    assert old_pid is not None

    endpoint = kafka.restart()

    assert wait_gone([old_pid]) == []
    assert kafka.pid != old_pid
    assert endpoint.bootstrap == f"127.0.0.1:{kafka.broker_port}"
    assert _consume(endpoint.bootstrap, topic, len(values)) == values


def test_everything_is_removed_when_the_block_raises(tmp_path: Path) -> None:
    seen: dict[str, object] = {}
    with Supervisor() as supervisor:
        with (
            pytest.raises(RuntimeError, match="scenario failed"),
            local_kafka(supervisor, tmp_path / "work", tmp_path / "kafka.log") as node,
        ):
            seen["pid"], seen["base"] = node.pid, node.base
            raise RuntimeError("scenario failed")
        # Stopped by local_kafka itself, not only by the Supervisor's own exit.
        assert supervisor.children == ()
    pid, base = seen["pid"], seen["base"]
    assert isinstance(pid, int) and isinstance(base, Path)
    _assert_cleaned_up(pid, base)


def test_a_failed_start_reports_the_log_and_leaves_nothing(tmp_path: Path) -> None:
    with Supervisor() as supervisor:
        with (
            pytest.raises(InfraError, match=r"(?s)exit.*last lines of"),
            local_kafka(supervisor, tmp_path / "work", tmp_path / "kafka.log", settings={"process.roles": "nonsense"}),
        ):
            pytest.fail("must not start")
        assert supervisor.children == ()
    assert list((tmp_path / "work").glob("harness-kafka-*")) == []


def test_stale_dirs_of_a_dead_harness_are_swept(tmp_path: Path) -> None:
    stale, live = tmp_path / "harness-kafka-stale", tmp_path / "harness-kafka-live"
    for directory in (stale, live):
        directory.mkdir()
    (stale / "owner.pid").write_text(f"{_dead_pid()}\n")
    (live / "owner.pid").write_text(f"{os.getpid()}\n")

    assert remove_stale_dirs(tmp_path) == [stale]
    assert live.exists()


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_cluster_ids_never_look_like_an_option() -> None:
    # 22 URL-safe base64 characters; a leading '-' made the storage tool reject its own argument.
    ids = {kafka_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
