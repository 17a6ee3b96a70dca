"""RabbitMQ in a real container: the local provider's private node, on loopback only, with user
``orders``, a backlog read the same way, durable messages surviving a restart, nothing left."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import docker
import pika
import psutil
from docker_services import containers_of_run, volume_names

from harness.infra.brokers import RABBIT_QUEUE, start_broker
from harness.infra.docker_containers import host_pid, new_run_id
from harness.infra.docker_rabbitmq import docker_rabbitmq
from harness.infra.rabbitmq import RabbitEndpoint
from harness.processes import Supervisor


def _publish(endpoint: RabbitEndpoint, queue: str, count: int) -> None:
    credentials = pika.PlainCredentials(endpoint.user, endpoint.password)
    with pika.BlockingConnection(pika.ConnectionParameters(endpoint.host, endpoint.port, "/", credentials)) as conn:
        channel = conn.channel()
        # Confirmed: each publish returns once the broker has enqueued it. Unconfirmed, a queue depth read right
        # after could miss messages still in flight (seen on a loaded machine: 1 of 4).
        channel.confirm_delivery()
        channel.queue_declare(queue, durable=True)
        for i in range(count):
            channel.basic_publish("", queue, f"order-{i}".encode(), pika.BasicProperties(delivery_mode=2))


def test_a_private_node_on_loopback_keeps_durable_messages_across_a_restart_and_leaves_nothing(
    docker_engine: docker.DockerClient, tmp_path: Path
) -> None:
    run_id = new_run_id()
    volumes_before = volume_names(docker_engine)
    log = tmp_path / "rabbitmq.log"
    with docker_rabbitmq(docker_engine, run_id, log) as (node, _):
        endpoint = node.endpoint
        assert (endpoint.host, endpoint.user) == ("127.0.0.1", "orders")
        assert endpoint.version.startswith("3.")
        pid = host_pid(docker_engine, node.container)
        assert pid is not None
        processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        listening = {(c.laddr.ip, c.laddr.port) for p in processes for c in p.net_connections("tcp")
                     if c.status == psutil.CONN_LISTEN}  # fmt: skip
        # AMQP, distribution and epmd; epmd always adds ::1 to the address it is given.
        assert all(ipaddress.ip_address(ip).is_loopback for ip, _ in listening), listening
        assert len({port for _, port in listening}) == 3, listening
        assert (endpoint.host, endpoint.port) in listening

        _publish(endpoint, "durable-q", 3)
        assert node.queue_depth("durable-q") == 3
        restarted = node.restart()
        assert restarted.port == endpoint.port
        assert node.queue_depth("durable-q") == 3
    assert containers_of_run(docker_engine, run_id) == []
    assert volume_names(docker_engine) == volumes_before
    assert log.read_text().count("Server startup complete") == 2


def test_a_consume_run_broker_on_docker_reports_its_backlog(docker_engine: docker.DockerClient, tmp_path: Path) -> None:
    with Supervisor() as supervisor, start_broker("rabbitmq", supervisor, tmp_path, tmp_path / "logs",
                                                  infra="docker") as broker:  # fmt: skip
        assert list(supervisor.children) == []  # nothing runs as a local process
        env = broker.env()
        assert env["ORDERS_BROKER"] == "rabbitmq"
        assert broker.backlog() is None  # the queue does not exist yet
        endpoint = RabbitEndpoint("127.0.0.1", int(env["ORDERS_RABBIT_PORT"]), env["ORDERS_RABBIT_USER"],
                                  env["ORDERS_RABBIT_PASSWORD"], "", 0.0)  # fmt: skip
        _publish(endpoint, RABBIT_QUEUE, 4)
        assert broker.backlog() == 4
