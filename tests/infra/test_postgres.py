"""Against a real PostgreSQL, started the way a run starts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import psutil
import psycopg
import pytest
from local_services import requires_postgres, wait_gone

from harness.errors import InfraError
from harness.infra.postgres import (
    PostgresEndpoint,
    apply_schema,
    local_postgres,
    postgres_bindir,
    remove_stale_dirs,
    schema_files,
    server_settings,
)
from harness.processes import ManagedProcess, Supervisor

SCHEMA = {
    # Applied out of lexical order on purpose: V10 needs V2, which needs V1.
    "V1__customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);",
    "V2__orders.sql": (
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));\n"
        "CREATE INDEX orders_customer_idx ON orders (customer_id);"
    ),
    "V10__status.sql": "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'CREATED';",
    "README.md": "not a migration",
}


pytestmark = requires_postgres


def _postgres_child(supervisor: Supervisor) -> ManagedProcess:
    (child,) = [c for c in supervisor.children if c.name == "postgres"]
    return child


def _data_dir(child: ManagedProcess) -> Path:
    args = cast(list[str], child.popen.args)  # Supervisor.start always passes a list of str
    return Path(args[args.index("-D") + 1])


@pytest.fixture
def schema_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "schema"
    directory.mkdir()
    for name, text in SCHEMA.items():
        (directory / name).write_text(text)
    return directory


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Supervisor, PostgresEndpoint]]:
    base = tmp_path_factory.mktemp("pg")
    with (
        Supervisor() as supervisor,
        local_postgres(supervisor, base / "work", base / "postgres.log") as endpoint,
    ):
        yield supervisor, endpoint


def test_schema_files_sort_by_version_not_by_name(schema_dir: Path) -> None:
    assert [p.name for p in schema_files(schema_dir)] == [
        "V1__customers.sql",
        "V2__orders.sql",
        "V10__status.sql",
    ]


def test_orders_logs_in_with_password_over_tcp(running: tuple[Supervisor, PostgresEndpoint]) -> None:
    _, endpoint = running
    with psycopg.connect(endpoint.conninfo()) as conn:
        row = conn.execute("SELECT current_user, current_database(), inet_server_addr()::text").fetchone()
        method = conn.execute("SHOW password_encryption").fetchone()
    assert row == ("orders", "orders", "127.0.0.1/32")
    assert method == ("scram-sha-256",)
    assert endpoint.host == "127.0.0.1"
    assert endpoint.version.startswith(postgres_bindir().parent.name)


def test_a_wrong_password_is_refused(running: tuple[Supervisor, PostgresEndpoint]) -> None:
    _, endpoint = running
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=endpoint.host, port=endpoint.port, dbname=endpoint.database, user="orders", password="wrong"
        )


def test_listens_only_on_loopback(running: tuple[Supervisor, PostgresEndpoint]) -> None:
    supervisor, endpoint = running
    settings = server_settings(endpoint)
    assert settings["max_connections"] == "200"
    assert set(settings) == {
        "server_version",
        "max_connections",
        "shared_buffers",
        "synchronous_commit",
        "fsync",
        "work_mem",
    }
    listening = {
        conn.laddr
        for conn in psutil.net_connections(kind="tcp")
        if conn.pid == _postgres_child(supervisor).pid and conn.status == psutil.CONN_LISTEN
    }
    assert listening == {("127.0.0.1", endpoint.port)}


def test_env_names_the_database_for_the_apps(running: tuple[Supervisor, PostgresEndpoint]) -> None:
    _, endpoint = running
    assert endpoint.env() == {
        "ORDERS_DB_HOST": "127.0.0.1",
        "ORDERS_DB_PORT": str(endpoint.port),
        "ORDERS_DB_NAME": "orders",
        "ORDERS_DB_USER": "orders",
        "ORDERS_DB_PASSWORD": "orders",
    }


def test_schema_is_applied_in_version_order(tmp_path: Path, schema_dir: Path) -> None:
    with (
        Supervisor() as supervisor,
        local_postgres(supervisor, tmp_path / "work", tmp_path / "pg.log") as endpoint,
    ):
        applied = apply_schema(endpoint, schema_dir)
        with psycopg.connect(endpoint.conninfo()) as conn:
            columns = conn.execute(
                "SELECT column_name, table_schema, tableowner FROM information_schema.columns "
                "JOIN pg_tables ON tablename = table_name AND schemaname = table_schema "
                "WHERE table_name = 'orders' ORDER BY ordinal_position"
            ).fetchall()
    assert [p.name for p in applied] == ["V1__customers.sql", "V2__orders.sql", "V10__status.sql"]
    assert columns == [
        ("id", "public", "orders"),
        ("customer_id", "public", "orders"),
        ("status", "public", "orders"),
    ]


def test_a_broken_schema_file_is_named(tmp_path: Path, schema_dir: Path) -> None:
    (schema_dir / "V3__broken.sql").write_text("CREATE TABLE broken (id nonsense_type);")
    with (
        Supervisor() as supervisor,
        local_postgres(supervisor, tmp_path / "work", tmp_path / "pg.log") as endpoint,
        pytest.raises(InfraError, match=r"V3__broken\.sql failed: .*nonsense_type"),
    ):
        apply_schema(endpoint, schema_dir)


def test_stopped_and_deleted_after_the_block(tmp_path: Path) -> None:
    with Supervisor() as supervisor:
        with local_postgres(supervisor, tmp_path / "work", tmp_path / "pg.log"):
            child = _postgres_child(supervisor)
            data_dir = _data_dir(child)
            pids = [child.pid, *(p.pid for p in psutil.Process(child.pid).children(recursive=True))]
            assert (data_dir / "PG_VERSION").is_file()
        assert wait_gone(pids) == []
        assert not data_dir.exists()
        assert supervisor.children == ()
    assert "database system is shut down" in (tmp_path / "pg.log").read_text()


def test_stopped_and_deleted_when_the_block_raises(tmp_path: Path) -> None:
    with Supervisor() as supervisor:
        with (
            pytest.raises(RuntimeError, match="boom"),
            local_postgres(supervisor, tmp_path / "work", tmp_path / "pg.log"),
        ):
            child = _postgres_child(supervisor)
            data_dir = _data_dir(child)
            raise RuntimeError("boom")
        assert wait_gone([child.pid]) == []
        assert not data_dir.exists()


def test_data_dir_lives_in_a_traversable_workdir() -> None:
    # pytest's tmp_path is 0700 root-owned, so the fallback to /tmp is what the tests above use;
    # here the workdir is open to the postgres user and must be used.
    workdir = Path(tempfile.mkdtemp(prefix="harness-test-work-"))
    try:
        workdir.chmod(0o755)
        with Supervisor() as supervisor, local_postgres(supervisor, workdir, workdir / "pg.log"):
            assert _data_dir(_postgres_child(supervisor)).parent.parent == workdir
        assert [p.name for p in workdir.iterdir()] == ["pg.log"]
    finally:
        subprocess.run(["rm", "-rf", str(workdir)], check=True)


def test_a_failed_start_raises_with_the_log_and_leaves_nothing(tmp_path: Path) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="harness-test-work-"))
    try:
        workdir.chmod(0o755)
        with Supervisor() as supervisor:
            with (
                pytest.raises(
                    InfraError,
                    match=r"(?s)exited with code \d+.*invalid value for parameter \"max_connections\"",
                ) as caught,
                local_postgres(supervisor, workdir, tmp_path / "pg.log", settings={"max_connections": "lots"}),
            ):
                pass
            assert supervisor.children == ()
        assert str(tmp_path / "pg.log") in str(caught.value)
        assert list(workdir.iterdir()) == []
    finally:
        subprocess.run(["rm", "-rf", str(workdir)], check=True)


_HARNESS_THAT_GETS_KILLED = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from harness.infra.postgres import local_postgres
    from harness.processes import Supervisor

    with Supervisor() as supervisor, local_postgres(supervisor, Path(sys.argv[1]), Path(sys.argv[2])):
        (child,) = supervisor.children
        args = list(child.popen.args)
        where = {"data": args[args.index("-D") + 1], "sockets": args[args.index("-k") + 1]}
        print(json.dumps({"pid": child.pid, **where}), flush=True)
        time.sleep(600)
    """
)


def test_server_dies_with_a_killed_harness_and_the_next_run_sweeps_its_dirs(tmp_path: Path) -> None:
    harness = subprocess.Popen(
        [sys.executable, "-c", _HARNESS_THAT_GETS_KILLED, str(tmp_path / "work"), str(tmp_path / "pg.log")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    left_behind: list[Path] = []
    try:
        assert harness.stdout is not None
        started = json.loads(harness.stdout.readline())
        left_behind = [Path(started["data"]).parent, Path(started["sockets"])]
        server = psutil.Process(started["pid"])
        pids = [server.pid, *(p.pid for p in server.children(recursive=True))]

        os.kill(harness.pid, signal.SIGKILL)
        harness.wait()

        assert wait_gone(pids) == [], "PDEATHSIG should have taken the server and its backends"
        assert all(path.exists() for path in left_behind)  # nobody could clean up...
        removed = remove_stale_dirs()
        assert set(left_behind) <= set(removed)  # ...until the next run
        assert not any(path.exists() for path in left_behind)
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
        for path in left_behind:
            subprocess.run(["rm", "-rf", str(path)], check=True)
