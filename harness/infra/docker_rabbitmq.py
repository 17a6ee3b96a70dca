"""RabbitMQ in a container for ``infra: docker``: the local provider's private node, in a container.

The same node settings as ``rabbitmq.RabbitNode`` (random node name, AMQP, Erlang distribution
and epmd on free 127.0.0.1 ports, no plugins, user ``orders`` from the same ``rabbitmq.conf``),
passed as the same environment variables, with a fresh Erlang cookie. The harness keeps a copy
of the cookie in a private temp dir, so it reads the queue depth with the same ``erl_call`` as
locally (``rabbitmq.queue_depth``). The official image and the one built from Debian packages
differ only in where the start script lives.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shlex
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
from docker.errors import DockerException
from docker.models.containers import Container

from harness.errors import InfraError
from harness.infra.docker_containers import ContainerSpec, service_container, wait_for
from harness.infra.docker_images import ImageChoice, LocalRecipe, ensure_image
from harness.infra.rabbitmq import ORDERS_PASSWORD, ORDERS_USER, RabbitEndpoint, config_text, queue_depth
from harness.processes import free_port
from harness.scenario import DockerImages

DEFAULT_IMAGE = DockerImages().rabbitmq
STARTUP_TIMEOUT_SECONDS = 120.0
_BASE = "/tmp/rabbit"
_LOOPBACK_ERL = "{127,0,0,1}"

LOCAL_RECIPE = LocalRecipe(
    ref="loom-bench/rabbitmq:3.10-bookworm",
    packages=("rabbitmq-server",),
    env=(("PATH", "/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),),
    remove=("/var/lib/rabbitmq/mnesia",),
)


class DockerRabbitNode:
    """A running RabbitMQ container: ``endpoint``, ``restart()`` and ``queue_depth()`` as locally."""

    def __init__(self, container: Container, endpoint: RabbitEndpoint, dist_port: int, home: Path) -> None:
        self.container = container
        self.endpoint = endpoint
        self.dist_port = dist_port
        self._home = home  # holds the harness's copy of the node's cookie

    def restart(self) -> RabbitEndpoint:
        """SIGTERM (a clean shutdown that flushes durable queues) and start the same container:
        same node name, ports, cookie and data."""
        began = time.monotonic()
        boots = _completed_boots(self.container)
        try:
            self.container.restart(timeout=30)
        except DockerException as error:
            raise InfraError(f"restarting the RabbitMQ container failed: {error}") from error
        _wait_until_ready(self.container, self.endpoint.port, boots)
        version = _version(self.container)
        self.endpoint = RabbitEndpoint("127.0.0.1", self.endpoint.port, ORDERS_USER, ORDERS_PASSWORD, version,
                                       time.monotonic() - began)  # fmt: skip
        return self.endpoint

    def queue_depth(self, queue: str, vhost: str = "/") -> int | None:
        return queue_depth(self.dist_port, self._home, queue, vhost)


@contextlib.contextmanager
def docker_rabbitmq(
    client: docker.DockerClient, run_id: str, log_path: Path, *, image: str = DEFAULT_IMAGE
) -> Iterator[tuple[DockerRabbitNode, ImageChoice]]:
    """A fresh RabbitMQ container on 127.0.0.1 with user ``orders``, yielded once it has booted.

    Its output goes to ``log_path``; it is removed with its volumes however the block ends. Only
    the default image falls back to one built from Debian packages when no registry answers.
    """
    fallback = LOCAL_RECIPE if image == DEFAULT_IMAGE else None
    choice = ensure_image(client, image, fallback, log_path.with_name("docker-images.log"))
    amqp_port, dist_port, epmd_port = free_port(), free_port(), free_port()
    cookie = secrets.token_hex(20).upper()
    spec = _spec(choice, amqp_port, dist_port, epmd_port, cookie)
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="harness-rabbit-cookie-") as home,
        service_container(client, spec, run_id, log_path) as container,
    ):
        cookie_file = Path(home) / ".erlang.cookie"
        cookie_file.write_text(cookie, encoding="utf-8")
        cookie_file.chmod(0o400)  # Erlang refuses a cookie others can read
        _wait_until_ready(container, amqp_port, 0)
        endpoint = RabbitEndpoint("127.0.0.1", amqp_port, ORDERS_USER, ORDERS_PASSWORD, _version(container),
                                  time.monotonic() - began)  # fmt: skip
        yield DockerRabbitNode(container, endpoint, dist_port, Path(home)), choice


def _spec(choice: ImageChoice, amqp_port: int, dist_port: int, epmd_port: int, cookie: str) -> ContainerSpec:
    environment = {
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": _BASE,
        "RABBITMQ_NODENAME": f"rabbit-{secrets.token_hex(4)}@localhost",
        "RABBITMQ_USE_LONGNAME": "false",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(amqp_port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": f"{_BASE}/mnesia",
        "RABBITMQ_LOG_BASE": f"{_BASE}/log",
        "RABBITMQ_LOGS": "-",  # to stdout: the container's output, saved into the run's logs
        "RABBITMQ_CONFIG_FILE": f"{_BASE}/rabbitmq",
        "RABBITMQ_ENABLED_PLUGINS_FILE": f"{_BASE}/enabled_plugins",
        "RABBITMQ_ENABLED_PLUGINS": "",  # management, prometheus and every other plugin off
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"-kernel inet_dist_use_interface {_LOOPBACK_ERL}",
        "RABBITMQ_CTL_ERL_ARGS": f"-kernel inet_dist_use_interface {_LOOPBACK_ERL}",
        # As locally: the start script then execs the VM, which receives the container's SIGTERM.
        "NOTIFY_SOCKET": f"{_BASE}/no-systemd",
        "RABBIT_COOKIE": cookie,
    }
    # The official image's start script is on PATH as rabbitmq-server; Debian's /usr/sbin wrapper
    # would re-run itself through su, so the image built here calls the script it wraps.
    server = "/usr/lib/rabbitmq/bin/rabbitmq-server" if choice.ref == LOCAL_RECIPE.ref else "rabbitmq-server"
    # Run again by a restart: the cookie is rewritten (umask 077 keeps it private), the data kept.
    script = (
        f"umask 077 && mkdir -p {_BASE}/mnesia {_BASE}/log && "
        f'rm -f {_BASE}/.erlang.cookie && printf %s "$RABBIT_COOKIE" > {_BASE}/.erlang.cookie && '
        f"printf %s {shlex.quote(config_text())} > {_BASE}/rabbitmq.conf && "
        f"echo '[].' > {_BASE}/enabled_plugins && unset RABBIT_COOKIE && exec {server}"
    )
    return ContainerSpec("rabbitmq", choice.ref, ["sh", "-c", script], environment, user="rabbitmq")


def _wait_until_ready(container: Container, amqp_port: int, boots_before: int) -> None:
    """Until the node logs its ``boots_before + 1``-th completed boot and AMQP accepts connections."""

    def booted() -> bool:
        if _completed_boots(container) <= boots_before:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", amqp_port), timeout=1):
            return True
        return False

    wait_for(container, booted, STARTUP_TIMEOUT_SECONDS, "RabbitMQ")


def _completed_boots(container: Container) -> int:
    # Logged once the user, the vhost and the listeners exist; a restart logs it again.
    with contextlib.suppress(DockerException):
        return container.logs(stdout=True, stderr=True).count(b"Server startup complete")
    return 0


def _version(container: Container) -> str:
    # The node logs "Starting RabbitMQ 3.10.8 on Erlang 25.2.3 [jit]" early in its boot.
    with contextlib.suppress(DockerException):
        text = container.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
        matches = re.findall(r"Starting RabbitMQ (\S+) on Erlang", text)
        if matches:
            return str(matches[-1])
    return "unknown"
