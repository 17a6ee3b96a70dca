"""Container lifecycle on a real engine: labels, logs, removal, and the sweep after a kill -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import docker
import pytest
from docker_services import containers_of_run, volume_names

from harness.infra.docker_containers import (
    OWNER_PID_LABEL,
    ContainerSpec,
    new_run_id,
    service_container,
    sweep_stale_containers,
)
from harness.infra.docker_images import ImageChoice

REPO = Path(__file__).resolve().parents[2]


def _sleeper(image: str) -> ContainerSpec:
    # As pid 1, a shell gets SIGTERM only through a trap: without one, every stop would wait for SIGKILL.
    script = 'trap "exit 0" TERM; echo sleeping; sleep 600 & wait'
    return ContainerSpec("sleeper", image, ["sh", "-c", script], {"A": "1"})


def test_a_container_is_labelled_logged_and_removed_with_its_volumes(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice, tmp_path: Path
) -> None:
    run_id = new_run_id()
    volumes_before = volume_names(docker_engine)
    log = tmp_path / "sleeper.log"
    with service_container(docker_engine, _sleeper(postgres_image.ref), run_id, log) as container:
        container.reload()
        assert container.name == f"loom-bench-sleeper-{run_id}"
        assert container.labels[OWNER_PID_LABEL] == str(os.getpid())
        assert container.attrs["HostConfig"]["NetworkMode"] == "host"
        assert "A=1" in container.attrs["Config"]["Env"]
        # A live harness's containers are never swept, not even by another run's sweep.
        assert container.name not in sweep_stale_containers(docker_engine)
        assert container.status == "running"
    assert containers_of_run(docker_engine, run_id) == []
    assert volume_names(docker_engine) == volumes_before
    assert log.read_text() == "sleeping\n"


def test_containers_of_a_harness_killed_with_9_are_swept_by_the_next_start(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice, tmp_path: Path
) -> None:
    run_id = new_run_id()
    starter = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from harness.infra.docker_containers import ContainerSpec, service_container
        from harness.infra.docker_engine import docker_client
        spec = ContainerSpec("sleeper", {postgres_image.ref!r}, ["sleep", "600"], {{}})
        with service_container(docker_client(), spec, {run_id!r}, Path({str(tmp_path / "x.log")!r})) as c:
            print(c.name, flush=True)
            time.sleep(600)
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        name = child.stdout.readline().strip()
        assert name == f"loom-bench-sleeper-{run_id}", "the starter did not start its container"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        (left,) = containers_of_run(docker_engine, run_id)
        assert left.status == "running"  # nothing of the killed process could remove it

        assert sweep_stale_containers(docker_engine) == [name]
        assert containers_of_run(docker_engine, run_id) == []
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for container in containers_of_run(docker_engine, run_id):
            container.remove(force=True, v=True)


@pytest.mark.parametrize("pid_label", ["not-a-pid"])
def test_containers_with_an_unusable_owner_label_count_as_stale(
    docker_engine: docker.DockerClient, postgres_image: ImageChoice, pid_label: str
) -> None:
    run_id = new_run_id()
    spec = _sleeper(postgres_image.ref)
    container = docker_engine.containers.create(
        spec.image, ["sleep", "600"], name=f"loom-bench-sleeper-{run_id}", network_mode="host",
        labels={"loom-bench.run": run_id, OWNER_PID_LABEL: pid_label, "loom-bench.owner-host": socket.gethostname()},
    )  # fmt: skip
    try:
        assert container.name in sweep_stale_containers(docker_engine)
        assert containers_of_run(docker_engine, run_id) == []
    finally:
        for left in containers_of_run(docker_engine, run_id):
            left.remove(force=True, v=True)
