"""PostgreSQL in a container for ``infra: docker``, set up exactly like the local server.

The same server options (``postgres.server_options``: 127.0.0.1 only, ``max_connections``), the
same role and database ``orders`` created by the same code (``postgres.create_orders_database``),
then the caller applies the same schema and seed. Only the way the server starts differs: the
official image initialises itself through its entrypoint; the image built from Debian packages
(no registry) runs ``initdb`` and ``postgres`` itself. Either way the superuser has a random
password for this run and connects over TCP, never through a socket the host would share.
"""

from __future__ import annotations

import contextlib
import secrets
import shlex
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path

import docker
import psycopg
from docker.models.containers import Container

from harness.errors import InfraError
from harness.infra.docker_containers import ContainerSpec, service_container, wait_for
from harness.infra.docker_images import ImageChoice, LocalRecipe, ensure_image
from harness.infra.postgres import (
    ORDERS_DATABASE,
    ORDERS_PASSWORD,
    ORDERS_ROLE,
    SUPERUSER,
    PostgresEndpoint,
    create_orders_database,
    server_options,
)
from harness.load.loopback import is_loopback
from harness.processes import free_port
from harness.scenario import DockerImages

DEFAULT_IMAGE = DockerImages().postgres
STARTUP_TIMEOUT_SECONDS = 90.0
_START_ATTEMPTS = 3  # free_port() can race with another process taking the port
_PGDATA = "/tmp/pgdata"
_FAST_SHUTDOWN = "SIGINT"  # as locally: SIGTERM would wait for every client to disconnect

LOCAL_RECIPE = LocalRecipe(
    ref="loom-bench/postgres:15-bookworm",
    packages=("postgresql-15",),
    env=(("PATH", "/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),),
    # The package's default cluster is never used; LLVM (for JIT, 130 MB with z3) is a third of the
    # image and every container copies it on vfs. Without it the server runs with JIT unavailable,
    # which the harness's queries, far below jit_above_cost, never use anyway.
    remove=(
        "/var/lib/postgresql/15/main",
        "/etc/postgresql/15",
        "/usr/lib/postgresql/15/lib/llvmjit*",
        "/usr/lib/*/libLLVM-*",
        "/usr/lib/*/libz3.so*",
        # Perl is needed by the package's scripts at install time only; locales: the server runs in C.
        "/usr/share/perl",
        "/usr/lib/*/perl",
        "/usr/lib/*/libperl.so*",
        "/usr/share/i18n",
    ),
)


@contextlib.contextmanager
def docker_postgres(
    client: docker.DockerClient,
    run_id: str,
    log_path: Path,
    *,
    image: str = DEFAULT_IMAGE,
    settings: Mapping[str, str] | None = None,
    address: str = "127.0.0.1",
) -> Iterator[tuple[PostgresEndpoint, Container, ImageChoice]]:
    """A fresh PostgreSQL container with role and database ``orders`` on ``address`` (127.0.0.1 but on a
    remote engine's host, where it accepts the ``orders`` password from any client that reaches it).

    Yields the endpoint, the container and the image it runs from, once ``orders`` exists. The
    container's output goes to ``log_path``; it is removed with its volumes however the block
    ends. ``image`` is pulled if missing; only the default image falls back to one built from
    Debian packages when no registry answers. Raises InfraError with the container's log tail if
    it does not start.
    """
    fallback = LOCAL_RECIPE if image == DEFAULT_IMAGE else None
    choice = ensure_image(client, image, fallback, log_path.with_name("docker-images.log"))
    password = secrets.token_hex(16)
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = free_port()
        spec = _spec(choice, port, password, settings or {}, address)
        with service_container(client, spec, f"{run_id}-{attempt}", log_path) as container:
            try:
                wait_for(container, partial(_accepts_superuser, address, port, password), STARTUP_TIMEOUT_SECONDS,
                         "PostgreSQL")
            except InfraError as error:
                if "could not bind" in str(error) and attempt < _START_ATTEMPTS:
                    continue
                raise
            version = _create_orders_database(address, port, password)
            endpoint = PostgresEndpoint(address, port, ORDERS_DATABASE, ORDERS_ROLE, ORDERS_PASSWORD, version)
            yield endpoint, container, choice
            return


def _spec(choice: ImageChoice, port: int, password: str, settings: Mapping[str, str],
          address: str = "127.0.0.1") -> ContainerSpec:
    options = ["-p", str(port), *server_options(settings, address)]
    if choice.ref == LOCAL_RECIPE.ref:
        initdb = [
            "initdb", "-D", _PGDATA, "-U", SUPERUSER, "--pwfile=/tmp/pw",
            "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
        ]  # fmt: skip
        server = ["postgres", "-D", _PGDATA, "-k", "/tmp", *options]
        # initdb lets TCP clients in from loopback only; on a remote host the harness connects from elsewhere
        # (the official image's entrypoint opens the same line by itself).
        remote = "" if is_loopback(address) else f"echo 'host all all all scram-sha-256' >> {_PGDATA}/pg_hba.conf && "
        script = (
            'umask 077 && printf %s "$POSTGRES_PASSWORD" > /tmp/pw && '
            f"{shlex.join(initdb)} && rm /tmp/pw && {remote}exec {shlex.join(server)}"
        )
        return ContainerSpec(
            "postgres", choice.ref, ["sh", "-c", script], {"POSTGRES_PASSWORD": password}, "postgres", _FAST_SHUTDOWN
        )
    # The official entrypoint runs initdb (with these arguments), then exec's the command.
    environment = {
        "POSTGRES_PASSWORD": password,
        "POSTGRES_INITDB_ARGS": "--encoding=UTF8 --locale=C --no-sync --auth-host=scram-sha-256",
        "PGPORT": str(port),
    }
    return ContainerSpec("postgres", choice.ref, ["postgres", *options], environment, stop_signal=_FAST_SHUTDOWN)


def _superuser(address: str, port: int, password: str) -> psycopg.Connection[psycopg.rows.TupleRow]:
    return psycopg.connect(
        host=address, port=port, user=SUPERUSER, password=password, dbname="postgres", autocommit=True,
        connect_timeout=2,
    )  # fmt: skip


def _accepts_superuser(address: str, port: int, password: str) -> bool:
    # The official entrypoint first runs a server on a socket only, for its init scripts: TCP
    # answers only once the final server is up.
    try:
        with _superuser(address, port, password):
            return True
    except psycopg.OperationalError:
        return False


def _create_orders_database(address: str, port: int, password: str) -> str:
    try:
        with _superuser(address, port, password) as conn:
            return create_orders_database(conn)
    except psycopg.Error as error:
        raise InfraError(f"could not create the '{ORDERS_ROLE}' role and database: {error}") from error
