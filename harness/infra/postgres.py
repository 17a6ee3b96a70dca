"""A private PostgreSQL server for one run: initdb, start, use, stop, delete.

The server runs in the foreground as a Supervisor child (not through ``pg_ctl``, whose daemon
would escape the process group and PDEATHSIG), listens only on 127.0.0.1, and keeps its socket
in a private directory, so it never meets a system cluster. PostgreSQL refuses to run as root:
when the harness is root, initdb and the server run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from harness.errors import EnvironmentError_, InfraError
from harness.infra.stale import names_dead_process
from harness.processes import ManagedProcess, Supervisor, free_port

ORDERS_ROLE = "orders"
ORDERS_PASSWORD = "orders"
ORDERS_DATABASE = "orders"
SUPERUSER = "postgres"
STARTUP_TIMEOUT_SECONDS = 60.0
RECORDED_SETTINGS: tuple[str, ...] = (
    "server_version",
    "max_connections",
    "shared_buffers",
    "synchronous_commit",
    "fsync",
    "work_mem",
)
_DATA_PREFIX = "harness-pgdata-"
_SOCKETS_PREFIX = "harness-pgsock-"
_LOG_TAIL_LINES = 30
_START_ATTEMPTS = 3  # free_port() can race with another process taking the port


@dataclass(frozen=True)
class PostgresEndpoint:
    """How the apps and the harness reach the run's database."""

    host: str
    port: int
    database: str
    user: str
    password: str
    version: str

    def env(self) -> dict[str, str]:
        """The ``ORDERS_DB_*`` variables an order app reads (design.md, Environment)."""
        return {
            "ORDERS_DB_HOST": self.host,
            "ORDERS_DB_PORT": str(self.port),
            "ORDERS_DB_NAME": self.database,
            "ORDERS_DB_USER": self.user,
            "ORDERS_DB_PASSWORD": self.password,
        }

    def conninfo(self) -> str:
        """A libpq connection string for psycopg, over TCP with the app's credentials."""
        return make_conninfo(
            host=self.host, port=self.port, dbname=self.database, user=self.user, password=self.password
        )


@dataclass(frozen=True)
class _Layout:
    base: Path  # owned by the server's user; holds data/
    data: Path
    sockets: Path
    run_as: str | None


@contextlib.contextmanager
def local_postgres(
    supervisor: Supervisor,
    workdir: Path,
    log_path: Path,
    settings: Mapping[str, str] | None = None,
) -> Iterator[PostgresEndpoint]:
    """A fresh PostgreSQL with role and database ``orders`` (password ``orders``), on 127.0.0.1.

    Yields once the server accepts connections. Whatever happens (including an exception in the
    block or a failed start), the server is stopped and its data and socket dirs are deleted.
    ``settings`` are passed as ``-c name=value`` and override the defaults here. Raises
    InfraError with the server log's tail if initdb or the start fails. Temp dirs left behind by
    an earlier harness killed with -9 are removed first (``remove_stale_dirs``).
    """
    bindir = postgres_bindir()
    remove_stale_dirs()
    layout = _make_layout(workdir)
    child: ManagedProcess | None = None
    try:
        _initdb(bindir, layout, log_path)
        child, port = _start_server(supervisor, bindir, layout, log_path, settings or {})
        version = _create_orders_database(layout, port)
        yield PostgresEndpoint("127.0.0.1", port, ORDERS_DATABASE, ORDERS_ROLE, ORDERS_PASSWORD, version)
    finally:
        if child is not None:
            supervisor.stop(child)
        shutil.rmtree(layout.base, ignore_errors=True)
        shutil.rmtree(layout.sockets, ignore_errors=True)


def postgres_bindir() -> Path:
    """The directory with ``initdb`` and ``postgres``: ``pg_config --bindir``, else the newest
    ``/usr/lib/postgresql/*/bin``. Raises EnvironmentError_ if neither has them."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    raise EnvironmentError_(
        "PostgreSQL server binaries (initdb, postgres) not found via pg_config or in "
        "/usr/lib/postgresql/*/bin; run scripts/install-system-deps.sh (Debian package 'postgresql')."
    )


def apply_schema(endpoint: PostgresEndpoint, schema_dir: Path) -> list[Path]:
    """Execute every ``V*.sql`` in ``schema_dir`` in version order (V2 before V10), each in its own
    transaction, as the database owner. Returns the files applied; raises InfraError naming the
    file that failed, or if there is none to apply."""
    files = schema_files(schema_dir)
    if not files:
        raise InfraError(
            f"no V*.sql schema files in {schema_dir}; the schema belongs to the order-domain module "
            "(java-apps/order-domain/src/main/resources/db/schema/)."
        )
    with psycopg.connect(endpoint.conninfo()) as conn:
        for path in files:
            try:
                with conn.transaction():
                    # Bytes: the file may hold several statements, sent as one simple query.
                    conn.execute(path.read_bytes())
            except psycopg.Error as error:
                raise InfraError(f"schema file {path} failed: {error}") from error
    return files


def schema_files(schema_dir: Path) -> list[Path]:
    """``V*.sql`` files sorted by their numeric version (``V1_1__x.sql`` = 1.1, before ``V10``)."""
    return sorted(schema_dir.glob("V*.sql"), key=_schema_version)


def server_settings(endpoint: PostgresEndpoint) -> dict[str, str]:
    """The settings worth recording in a manifest, as the server reports them (with units)."""
    query = "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name"
    with psycopg.connect(endpoint.conninfo()) as conn:
        rows = conn.execute(query, (list(RECORDED_SETTINGS),)).fetchall()
    return {str(name): str(value) for name, value in rows}


def remove_stale_dirs() -> list[Path]:
    """Delete the temp dirs of servers whose harness was killed (-9 leaves no chance to clean up).

    Only dirs whose lock file names a dead postmaster are removed; a dir still being set up by a
    concurrent run has no lock file yet and is left alone. Returns what was removed.
    """
    temp = Path(tempfile.gettempdir())
    candidates = [
        *((d, d / "data" / "postmaster.pid") for d in temp.glob(f"{_DATA_PREFIX}*")),
        *((d, next(d.glob(".s.PGSQL.*.lock"), None)) for d in temp.glob(f"{_SOCKETS_PREFIX}*")),
    ]
    removed = []
    for directory, lock in candidates:
        if lock is not None and names_dead_process(lock):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def _schema_version(path: Path) -> tuple[int, ...]:
    match = re.match(r"^V([\d._]+?)__", path.name)
    version = match.group(1) if match else path.stem[1:]
    return tuple(int(part) for part in re.split(r"[._]", version) if part.isdigit())


def _server_user() -> str | None:
    """The account the server runs under: ``postgres`` for root, else the caller (None)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise EnvironmentError_(
            "running as root, but there is no 'postgres' user to run PostgreSQL as (it refuses root); "
            "install the Debian package 'postgresql' (scripts/install-system-deps.sh) or run as non-root."
        ) from None
    return SUPERUSER


def _make_layout(workdir: Path) -> _Layout:
    run_as = _server_user()
    workdir.mkdir(parents=True, exist_ok=True)
    parent = workdir if run_as is None or _can_traverse(run_as, workdir) else Path(tempfile.gettempdir())
    base = Path(tempfile.mkdtemp(prefix=_DATA_PREFIX, dir=parent))
    # Socket paths are limited to ~107 bytes; a deep workdir would overflow, /tmp never does.
    sockets = Path(tempfile.mkdtemp(prefix=_SOCKETS_PREFIX))
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        for path in (base, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    return _Layout(base=base, data=base / "data", sockets=sockets, run_as=run_as)


def _can_traverse(user: str, directory: Path) -> bool:
    # Asking the kernel as that user covers every ancestor, ACLs included.
    result = subprocess.run(["test", "-x", str(directory)], user=user, group=user, extra_groups=[], check=False)
    return result.returncode == 0


def _initdb(bindir: Path, layout: _Layout, log_path: Path) -> None:
    argv = [
        str(bindir / "initdb"),
        "-D", str(layout.data),
        "-U", SUPERUSER,
        "--auth-host=scram-sha-256",
        "--auth-local=trust",
        "--encoding=UTF8",
        "--locale=C",  # minimal machines often lack generated locales; C also sorts predictably
        "--no-sync",  # the cluster is thrown away after the run
    ]  # fmt: skip
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        result = subprocess.run(
            argv,
            cwd=layout.base,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
            user=layout.run_as,
            group=layout.run_as,
            extra_groups=[] if layout.run_as is not None else None,
        )
    if result.returncode != 0:
        raise InfraError(f"initdb failed (exit {result.returncode}); {_log_tail(log_path)}")


def _start_server(
    supervisor: Supervisor,
    bindir: Path,
    layout: _Layout,
    log_path: Path,
    settings: Mapping[str, str],
) -> tuple[ManagedProcess, int]:
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = free_port()
        child = supervisor.start(
            "postgres",
            _server_argv(bindir, layout, port, settings),
            cwd=layout.base,
            log_path=log_path,
            user=layout.run_as,
            stop_signal=signal.SIGINT,  # "fast shutdown": rolls back sessions, exits at once
        )
        if _wait_until_ready(child, layout.sockets, port):
            return child, port
        exit_code = child.popen.poll()
        supervisor.stop(child)
        port_taken = "could not bind" in _read_tail(log_path)
        if exit_code is None or not port_taken or attempt == _START_ATTEMPTS:
            break
    if exit_code is None:
        problem = f"did not accept connections within {STARTUP_TIMEOUT_SECONDS:.0f}s"
    else:
        problem = f"exited with code {exit_code} during start-up"
    raise InfraError(f"PostgreSQL {problem}; {_log_tail(log_path)}")


def _server_argv(bindir: Path, layout: _Layout, port: int, settings: Mapping[str, str]) -> list[str]:
    argv = [str(bindir / "postgres"), "-D", str(layout.data), "-p", str(port), "-k", str(layout.sockets)]
    return argv + server_options(settings)


def server_options(settings: Mapping[str, str], address: str = "127.0.0.1") -> list[str]:
    """The ``-c name=value`` options every server of the harness runs with, local or in a container:
    the defaults here, overridden by ``settings``, and listening on ``address`` only (127.0.0.1 but on a
    remote engine's host, ``containers.remote``)."""
    merged = {"listen_addresses": address, "max_connections": "200", **settings}
    merged["listen_addresses"] = address  # never anything else, whatever the caller passes
    options: list[str] = []
    for name, value in merged.items():
        options += ["-c", f"{name}={value}"]
    return options


def _wait_until_ready(child: ManagedProcess, sockets: Path, port: int) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not child.running():
            return False
        try:
            with _superuser_connection(sockets, port, timeout=2):
                return True
        except psycopg.OperationalError:
            time.sleep(0.1)  # socket not there yet, or "the database system is starting up"
    return False


def _superuser_connection(sockets: Path, port: int, timeout: int = 10) -> psycopg.Connection[TupleRow]:
    # Over the private Unix socket, where initdb's --auth-local=trust lets the superuser in.
    return psycopg.connect(
        host=str(sockets), port=port, user=SUPERUSER, dbname="postgres", autocommit=True,
        connect_timeout=timeout,
    )  # fmt: skip


def _create_orders_database(layout: _Layout, port: int) -> str:
    """Create role and database ``orders``; return the server's version string."""
    try:
        with _superuser_connection(layout.sockets, port) as conn:
            return create_orders_database(conn)
    except psycopg.Error as error:
        raise InfraError(f"could not create the '{ORDERS_ROLE}' role and database: {error}") from error


def create_orders_database(superuser: psycopg.Connection[TupleRow]) -> str:
    """Create role and database ``orders`` through an autocommit superuser connection; return the
    server's version string. Every server of the harness, local or in a container, is set up here."""
    superuser.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(ORDERS_ROLE), sql.Literal(ORDERS_PASSWORD))
    )
    superuser.execute(
        sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(ORDERS_DATABASE), sql.Identifier(ORDERS_ROLE))
    )
    row = superuser.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def _read_tail(log_path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    if not log_path.exists():
        return ""
    text = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _log_tail(log_path: Path) -> str:
    tail = "\n".join(f"  {line}" for line in _read_tail(log_path).splitlines())
    return f"last lines of {log_path}:\n{tail}"
