"""``harness infra exec -- CMD``: the services the Java tests run against, for exactly as long as CMD.

The Maven tests use the same PostgreSQL set-up (binaries, schema files, auth), the same downstream
jar and the same Kafka and RabbitMQ nodes as a benchmark run, so what they prove holds for what is
measured.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from harness import apps
from harness.build import ensure_downstream_jar
from harness.infra.kafka import local_kafka
from harness.infra.postgres import apply_schema, local_postgres
from harness.infra.rabbitmq import local_rabbitmq
from harness.jdks import build_jdk
from harness.processes import Supervisor, free_port, sigterm_as_interrupt


def exec_with_infra(
    command: list[str],
    repo_root: Path,
    console: Console,
    downstream: bool = True,
    *,
    kafka: bool = False,
    rabbitmq: bool = False,
) -> int:
    """Run ``command`` with ORDERS_DB_* (and ORDERS_DOWNSTREAM_URL, ORDERS_KAFKA_BOOTSTRAP,
    ORDERS_RABBIT_*) exported; return its exit code. Every service is stopped when the command
    ends, when a service fails to start, and on Ctrl-C or SIGTERM.

    ORDERS_BROKER is not set: which broker a test uses is the test's choice.
    """
    java_apps = repo_root / "java-apps"
    schema_dir = java_apps / "order-domain" / "src" / "main" / "resources" / "db" / "schema"
    with (
        tempfile.TemporaryDirectory(prefix="harness-infra-") as tmp,
        sigterm_as_interrupt(),
        Supervisor() as supervisor,
        contextlib.ExitStack() as services,
    ):
        workdir = Path(tmp)
        logs = workdir / "logs"
        env = dict(os.environ)
        # One after the other: each start is mostly CPU on a small machine, so starting them in
        # parallel would gain little, and forking from several threads is unsafe with preexec_fn.
        postgres = services.enter_context(local_postgres(supervisor, workdir, logs / "postgres.log"))
        apply_schema(postgres, schema_dir)
        env |= postgres.env()
        console.print(f"[bold]infra[/] PostgreSQL {postgres.version} on 127.0.0.1:{postgres.port}")
        if kafka:
            node = services.enter_context(local_kafka(supervisor, workdir, logs / "kafka.log"))
            env |= node.endpoint.env()
            console.print(f"[bold]infra[/] Kafka {node.endpoint.version} on {node.endpoint.bootstrap} "
                          f"(started in {node.endpoint.startup_s:.1f}s)")
        if rabbitmq:
            rabbit = services.enter_context(local_rabbitmq(supervisor, workdir, logs / "rabbitmq.log"))
            env |= rabbit.endpoint.env()
            console.print(f"[bold]infra[/] RabbitMQ {rabbit.endpoint.version} on 127.0.0.1:{rabbit.endpoint.port} "
                          f"(started in {rabbit.endpoint.startup_s:.1f}s)")
        if downstream:
            downstream_jar = ensure_downstream_jar(java_apps, logs / "build.log")
            jdk = build_jdk()
            port = free_port()
            launch = apps.AppLaunch(
                "downstream",
                jdk,
                downstream_jar,
                apps.downstream_flags(logs / "downstream-gc.log"),
                {"ORDERS_SERVER_PORT": str(port)},
                port,
            )
            apps.start_app(supervisor, launch, logs / "downstream.log")
            env["ORDERS_DOWNSTREAM_URL"] = launch.base_url
            console.print(f"[bold]infra[/] downstream on {launch.base_url}")
        console.print(f"[bold]infra[/] running: {' '.join(command)}")
        # Not through the Supervisor: the command is in the foreground, Ctrl-C must reach it too.
        return subprocess.call(command, env=env)
