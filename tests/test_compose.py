"""docker-compose.yml, run by hand, and ``infra: docker``, run by the harness, name the same images
and the same server settings: a change to one side alone fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.infra.kafka import KAFKA_VERSION
from harness.infra.postgres import server_options
from harness.scenario import DockerImages


def _services(repo_root: Path) -> dict[str, Any]:
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text(encoding="utf-8"))
    services: dict[str, Any] = compose["services"]
    return services


def test_the_compose_images_are_the_scenario_defaults(repo_root: Path) -> None:
    services = _services(repo_root)
    defaults = DockerImages()
    assert {name: service["image"] for name, service in services.items()} == {
        "postgres": defaults.postgres,
        "kafka": defaults.kafka,
        "rabbitmq": defaults.rabbitmq,
    }


def test_kafka_is_the_version_the_local_provider_runs(repo_root: Path) -> None:
    assert _services(repo_root)["kafka"]["image"].rsplit(":", 1)[1] == KAFKA_VERSION


def test_postgres_runs_with_the_harness_server_settings(repo_root: Path) -> None:
    command = _services(repo_root)["postgres"]["command"]
    harness_settings = dict(option.split("=", 1) for option in server_options({}) if "=" in option)
    compose_settings = dict(option.split("=", 1) for option in command if "=" in option)
    # listen_addresses differs on purpose: inside the compose network the port is published by
    # Docker (bound to 127.0.0.1 on the host); with host networking the server binds it itself.
    harness_settings.pop("listen_addresses")
    assert compose_settings == harness_settings


def test_every_published_port_is_on_loopback(repo_root: Path) -> None:
    for name, service in _services(repo_root).items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
