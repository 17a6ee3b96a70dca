"""Against a real private RabbitMQ node, started the way a run starts it."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import psutil
import pytest
from local_services import requires_rabbitmq, wait_gone
from pika.exceptions import ProbableAuthenticationError

from harness.infra.rabbitmq import RabbitEndpoint, RabbitNode, local_rabbitmq, remove_stale_dirs
from harness.processes import Supervisor

LOOPBACK = {"127.0.0.1", "::1"}

pytestmark = requires_rabbitmq


def _node_pids(node: RabbitNode) -> list[int]:
    """The start script, the Erlang VM and its helpers, and the private epmd."""
    assert node.server_pid is not None and node.epmd_pid is not None
    script = psutil.Process(node.server_pid)
    return [node.server_pid, node.epmd_pid, *(p.pid for p in script.children(recursive=True))]


def _beam_pid(node: RabbitNode) -> int:
    """The Erlang VM, which must be the Supervisor's own child: only then does PDEATHSIG reach it."""
    assert node.server_pid is not None
    assert psutil.Process(node.server_pid).name().startswith("beam")
    return node.server_pid


def _assert_cleaned_up(pids: list[int], base: Path) -> None:
    assert wait_gone(pids) == [], "RabbitMQ processes outlived their block"
    names = {p.info["name"] for p in psutil.process_iter(["pid", "name"]) if p.info["pid"] in pids}
    assert not names & {"beam.smp", "epmd"}
    assert not base.exists(), "the node's dir was not deleted"


def _connect(endpoint: RabbitEndpoint, user: str | None = None, password: str | None = None) -> pika.BlockingConnection:
    credentials = pika.PlainCredentials(user or endpoint.user, password or endpoint.password)
    return pika.BlockingConnection(pika.ConnectionParameters(endpoint.host, endpoint.port, "/", credentials))


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitNode]:
    base = tmp_path_factory.mktemp("rabbit")
    with Supervisor() as supervisor:
        with local_rabbitmq(supervisor, base / "work", base / "rabbit.log") as node:
            yield node
            pids, node_dir = _node_pids(node), node.base
        # Teardown after a normal exit is checked here, so the module's one node covers it.
        _assert_cleaned_up(pids, node_dir)


def test_endpoint_describes_the_node(rabbit: RabbitNode) -> None:
    endpoint = rabbit.endpoint
    assert endpoint.host == "127.0.0.1"
    assert endpoint.port == rabbit.amqp_port
    assert endpoint.version.startswith("3.")
    assert endpoint.env() == {
        "ORDERS_RABBIT_HOST": "127.0.0.1",
        "ORDERS_RABBIT_PORT": str(rabbit.amqp_port),
        "ORDERS_RABBIT_USER": "orders",
        "ORDERS_RABBIT_PASSWORD": "orders",
    }


def test_durable_queue_round_trip(rabbit: RabbitNode) -> None:
    queue = f"orders-{uuid.uuid4().hex[:8]}"
    with _connect(rabbit.endpoint) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(queue, durable=True)
        for i in range(5):
            channel.basic_publish("", queue, f"order-{i}".encode(), pika.BasicProperties(delivery_mode=2))
        bodies = []
        for _ in range(5):
            _method, _props, body = channel.basic_get(queue, auto_ack=True)
            bodies.append(body)
    assert bodies == [f"order-{i}".encode() for i in range(5)]


def test_only_the_orders_user_exists(rabbit: RabbitNode) -> None:
    with pytest.raises(ProbableAuthenticationError):
        _connect(rabbit.endpoint, "guest", "guest")
    users = rabbit.rabbitmqctl("list_users", "--formatter", "json")
    assert users.returncode == 0, users.stderr
    assert [user["user"] for user in json.loads(users.stdout)] == ["orders"]
    permissions = rabbit.rabbitmqctl("list_user_permissions", "orders", "--formatter", "json")
    assert json.loads(permissions.stdout) == [{"vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}]


def test_listens_only_on_loopback(rabbit: RabbitNode) -> None:
    assert rabbit.epmd_pid is not None
    listening = [
        c
        for pid in (_beam_pid(rabbit), rabbit.epmd_pid)
        for c in psutil.Process(pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    ports = {c.laddr.port for c in listening}
    assert {rabbit.amqp_port, rabbit.dist_port, rabbit.epmd_port} <= ports
    # epmd always adds ::1 next to the address it is given: still loopback only.
    assert {c.laddr.ip for c in listening} <= LOOPBACK


def test_restart_keeps_a_durable_message(rabbit: RabbitNode) -> None:
    queue = f"durable-{uuid.uuid4().hex[:8]}"
    with _connect(rabbit.endpoint) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(queue, durable=True)
        channel.basic_publish("", queue, b"survives", pika.BasicProperties(delivery_mode=2))
    old_beam, epmd = _beam_pid(rabbit), rabbit.epmd_pid

    endpoint = rabbit.restart()

    assert wait_gone([old_beam]) == []
    assert rabbit.epmd_pid == epmd, "epmd is kept across a restart"
    assert endpoint.port == rabbit.amqp_port
    with _connect(endpoint) as connection:
        _method, _props, body = connection.channel().basic_get(queue, auto_ack=True)
    assert body == b"survives"


def test_everything_is_removed_when_the_block_raises(tmp_path: Path) -> None:
    seen: dict[str, object] = {}
    with Supervisor() as supervisor:
        with (
            pytest.raises(RuntimeError, match="scenario failed"),
            local_rabbitmq(supervisor, tmp_path / "work", tmp_path / "rabbit.log") as node,
        ):
            seen["pids"], seen["base"] = _node_pids(node), node.base
            raise RuntimeError("scenario failed")
        # Stopped by local_rabbitmq itself, not only by the Supervisor's own exit.
        assert supervisor.children == ()
    pids, base = seen["pids"], seen["base"]
    assert isinstance(pids, list) and isinstance(base, Path)
    _assert_cleaned_up(pids, base)


def test_stale_dirs_of_a_dead_harness_are_swept(tmp_path: Path) -> None:
    stale, live = tmp_path / "harness-rabbit-stale", tmp_path / "harness-rabbit-live"
    for directory in (stale, live):
        directory.mkdir()
    child = subprocess.Popen(["true"])
    child.wait()  # its pid now names no process
    (stale / "owner.pid").write_text(f"{child.pid}\n")
    (live / "owner.pid").write_text(f"{os.getpid()}\n")

    assert remove_stale_dirs(tmp_path) == [stale]
    assert live.exists()
