"""Kafka in a container for ``infra: docker``: the same single KRaft node as the local provider.

The same ``server.properties`` (``kafka.server_properties``: both listeners on 127.0.0.1, one
broker's replication factors, the fast first consumer group), on free ports. The official
``apache/kafka`` image reads them from ``KAFKA_*`` variables and formats its storage itself. The
image built where no registry answers holds the very jars the local provider runs (from Maven
Central, ``kafka.kafka_distribution``) and a Java runtime cut by ``jlink`` from the same JDK
(about 100 MB instead of a 300 MB JDK; vfs copies the image for every container).
A restart restarts the container: same ports, same data, like a local restart.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import docker
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from docker.errors import DockerException
from docker.models.containers import Container

from harness.errors import InfraError
from harness.infra.docker_containers import ContainerSpec, service_container, wait_for
from harness.infra.docker_images import ImageChoice, LocalRecipe, ensure_image
from harness.infra.jlink import jlink_runtime
from harness.infra.kafka import (
    KAFKA_HEAP,
    KAFKA_VERSION,
    KafkaEndpoint,
    java_argv,
    kafka_cluster_id,
    kafka_distribution,
    server_properties,
)
from harness.infra.maven_jars import cache_root
from harness.jdks import Jdk
from harness.processes import free_port
from harness.scenario import DockerImages

DEFAULT_IMAGE = DockerImages().kafka
STARTUP_TIMEOUT_SECONDS = 120.0
_NODE_ID = 1
_HOME = "/opt/kafka"
_DATA = "/tmp/kafka/data"
# What Kafka's broker, its storage tool and the admin clients load; java.se covers JMX, JNDI, SASL.
_RUNTIME_MODULES = "java.se,jdk.unsupported,jdk.management,jdk.zipfs,jdk.naming.dns"


def local_recipe(jdk: Jdk, jars: Path, log_path: Path) -> LocalRecipe:
    """The image holding ``jars`` and a jlink'd runtime of ``jdk`` under /opt/kafka."""
    return LocalRecipe(
        ref=f"loom-bench/kafka:{KAFKA_VERSION}-bookworm",
        packages=(),
        env=(("PATH", f"{_HOME}/jre/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),),
        copy_in=(java_runtime(jdk, log_path), jars),
        into=_HOME,
    )


def java_runtime(jdk: Jdk, log_path: Path) -> Path:
    """A Java runtime with only the modules Kafka needs, made once per JDK into the cache."""
    target = cache_root() / "docker" / f"jre-{jdk.feature}-{jdk.home.name}" / "jre"
    return jlink_runtime(jdk, _RUNTIME_MODULES, target, log_path, "Kafka's Java runtime")


class DockerKafkaNode:
    """A running Kafka container: ``endpoint`` to reach it, ``restart()`` for the broker fault."""

    def __init__(self, container: Container, bootstrap: str, version: str, startup_s: float) -> None:
        self.container = container
        self.endpoint = KafkaEndpoint(bootstrap, version, startup_s)

    def restart(self) -> KafkaEndpoint:
        """Stop the broker (SIGTERM: a controlled shutdown) and start the same container again:
        same ports, same data. Raises InfraError with the output's tail if it does not come back."""
        began = time.monotonic()
        try:
            self.container.restart(timeout=30)
        except DockerException as error:
            raise InfraError(f"restarting the Kafka container failed: {error}") from error
        _wait_until_ready(self.container, self.endpoint.bootstrap)
        self.endpoint = KafkaEndpoint(self.endpoint.bootstrap, self.endpoint.version, time.monotonic() - began)
        return self.endpoint


@contextlib.contextmanager
def docker_kafka(
    client: docker.DockerClient,
    run_id: str,
    log_path: Path,
    *,
    image: str = DEFAULT_IMAGE,
    partitions_default: int = 1,
) -> Iterator[tuple[DockerKafkaNode, ImageChoice]]:
    """A fresh single-node Kafka container on 127.0.0.1, yielded once a metadata request lists it.

    The container's output goes to ``log_path``; it is removed with its volumes however the block
    ends. Only the default image falls back to one built here when no registry answers.
    """
    images_log = log_path.with_name("docker-images.log")
    fallback, feature = None, 0
    if image == DEFAULT_IMAGE:
        distribution = kafka_distribution(log_path.with_name("kafka-resolve.log"))
        jars = Path(distribution.classpath.split(os.pathsep, 1)[0]).parent
        fallback, feature = local_recipe(distribution.jdk, jars, images_log), distribution.jdk.feature
    choice = ensure_image(client, image, fallback, images_log)
    broker_port, controller_port = free_port(), free_port()
    properties = server_properties(broker_port, controller_port, _DATA, {"num.partitions": str(partitions_default)})
    local = fallback is not None and choice.ref == fallback.ref
    spec = _spec(choice, properties, runtime_feature=feature if local else None)
    began = time.monotonic()
    with service_container(client, spec, run_id, log_path) as container:
        bootstrap = f"127.0.0.1:{broker_port}"
        _wait_until_ready(container, bootstrap)
        version = KAFKA_VERSION if spec.image.startswith("loom-bench/") else spec.image.rpartition(":")[2]
        yield DockerKafkaNode(container, bootstrap, version, time.monotonic() - began), choice


def _spec(choice: ImageChoice, properties: Mapping[str, str], *, runtime_feature: int | None) -> ContainerSpec:
    """The official image's variables, or (``runtime_feature``: the image built here, with a runtime
    of that JDK) the same commands the local provider runs."""
    cluster_id = kafka_cluster_id()
    if runtime_feature is None:
        # apache/kafka turns KAFKA_A_B into a.b (no property here has '_' or '-', which it escapes).
        environment = {f"KAFKA_{key.upper().replace('.', '_')}": value for key, value in properties.items()}
        environment |= {"CLUSTER_ID": cluster_id, "KAFKA_HEAP_OPTS": f"-Xms{KAFKA_HEAP} -Xmx{KAFKA_HEAP}"}
        return ContainerSpec("kafka", choice.ref, None, environment)
    classpath = f"{_HOME}/jars/*"
    feature = runtime_feature
    config = "/tmp/kafka/server.properties"
    fmt = java_argv("java", feature, classpath, "kafka.tools.StorageTool", "format", "--cluster-id", cluster_id,
                    "--config", config, "--standalone", heap="256m")  # fmt: skip
    broker = java_argv("java", feature, classpath, "kafka.Kafka", config, heap=KAFKA_HEAP)
    text = "".join(f"{key}={value}\n" for key, value in properties.items())
    # Formatted once: a restarted container keeps its data and must not format again.
    script = (
        f"mkdir -p /tmp/kafka && printf %s {shlex.quote(text)} > {config} && "
        f"{{ [ -f {_DATA}/meta.properties ] || {shlex.join(fmt)}; }} && exec {shlex.join(broker)}"
    )
    return ContainerSpec("kafka", choice.ref, ["sh", "-c", script], {})


def _wait_until_ready(container: Container, bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, "reconnect.backoff.max.ms": 500})

    def lists_this_node() -> bool:
        # An open port is not a ready broker: ready means a metadata round trip lists this node.
        try:
            return _NODE_ID in admin.list_topics(timeout=2).brokers
        except KafkaException:
            return False

    wait_for(container, lists_this_node, STARTUP_TIMEOUT_SECONDS, "Kafka")
