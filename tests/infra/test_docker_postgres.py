"""PostgreSQL in a real container on a real engine, set up and seeded like the local server."""

from __future__ import annotations

from pathlib import Path

import docker
import psycopg
import pytest
from docker_services import containers_of_run, volume_names
from local_services import SCHEMA_DIR

from harness.errors import InfraError
from harness.infra import seed as seeding
from harness.infra.docker_containers import new_run_id
from harness.infra.docker_images import ImageChoice
from harness.infra.docker_postgres import docker_postgres
from harness.infra.postgres import apply_schema, server_settings
from harness.scenario import DataSettings


def test_serves_orders_on_loopback_seeded_like_local_and_leaves_nothing(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice, tmp_path: Path
) -> None:
    run_id = new_run_id()
    volumes_before = volume_names(docker_engine)
    log = tmp_path / "postgres.log"
    with docker_postgres(docker_engine, run_id, log) as (endpoint, container, choice):
        assert choice.ref == postgres_image.ref
        assert [c.name for c in containers_of_run(docker_engine, run_id)] == [container.name]
        assert container.attrs["HostConfig"]["NetworkMode"] == "host"
        apply_schema(endpoint, SCHEMA_DIR)
        summary = seeding.seed(endpoint, DataSettings(orders=500, customers=50, products=20, seed=7))
        with psycopg.connect(endpoint.conninfo()) as conn:
            who = conn.execute(
                "SELECT current_user, inet_server_addr()::text, usesuper FROM pg_user WHERE usename = current_user"
            ).fetchone()
            counts = conn.execute("SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders)").fetchone()
            listen = conn.execute("SHOW listen_addresses").fetchone()
        settings = server_settings(endpoint)
    assert endpoint.host == "127.0.0.1"
    assert who == ("orders", "127.0.0.1/32", False)  # the app's role, as locally: not a superuser
    assert listen == ("127.0.0.1",)
    assert settings["max_connections"] == "200"
    assert (summary.customers, summary.orders) == (50, 500)
    assert counts == (50, 500)
    assert containers_of_run(docker_engine, run_id) == []
    assert volume_names(docker_engine) == volumes_before
    assert "database system is ready to accept connections" in log.read_text()


def test_a_failure_in_the_block_still_removes_the_container(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice, tmp_path: Path
) -> None:
    run_id = new_run_id()
    with pytest.raises(RuntimeError, match="boom"), docker_postgres(docker_engine, run_id, tmp_path / "pg.log"):
        assert len(containers_of_run(docker_engine, run_id)) == 1
        raise RuntimeError("boom")
    assert containers_of_run(docker_engine, run_id) == []


def test_an_overridden_image_that_cannot_be_had_fails_naming_it_without_falling_back(
    docker_engine: docker.DockerClient, tmp_path: Path
) -> None:
    run_id = new_run_id()
    with (
        pytest.raises(
            InfraError, match=r"image loom-bench/no-such-postgres:0 is not on the engine and could not be pulled"
        ),
        docker_postgres(docker_engine, run_id, tmp_path / "pg.log", image="loom-bench/no-such-postgres:0"),
    ):
        pass
    assert containers_of_run(docker_engine, run_id) == []
