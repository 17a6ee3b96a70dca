"""``harness infra exec -- CMD``: the services the Java tests run against, for exactly as long as CMD.

The Maven tests use the same PostgreSQL set-up (binaries, schema files, auth) and the same
downstream jar as a benchmark run, so what they prove holds for what is measured.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from harness import apps
from harness.build import ensure_jars
from harness.infra.postgres import apply_schema, local_postgres
from harness.jdks import build_jdk
from harness.processes import Supervisor, free_port, sigterm_as_interrupt


def exec_with_infra(command: list[str], repo_root: Path, console: Console, downstream: bool = True) -> int:
    """Run ``command`` with ORDERS_DB_* (and ORDERS_DOWNSTREAM_URL) exported; return its exit code."""
    java_apps = repo_root / "java-apps"
    schema_dir = java_apps / "order-domain" / "src" / "main" / "resources" / "db" / "schema"
    with (
        tempfile.TemporaryDirectory(prefix="harness-infra-") as tmp,
        sigterm_as_interrupt(),
        Supervisor() as supervisor,
    ):
        workdir = Path(tmp)
        logs = workdir / "logs"
        env = dict(os.environ)
        with local_postgres(supervisor, workdir, logs / "postgres.log") as postgres:
            apply_schema(postgres, schema_dir)
            env |= postgres.env()
            console.print(f"[bold]infra[/] PostgreSQL {postgres.version} on 127.0.0.1:{postgres.port}")
            if downstream:
                jars, _ = ensure_jars(java_apps, logs / "build.log")
                jdk = build_jdk()
                port = free_port()
                launch = apps.AppLaunch(
                    "downstream",
                    jdk,
                    jars.downstream,
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
