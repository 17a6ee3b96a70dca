"""The ``infra`` and ``docker`` keys of a scenario."""

from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.scenario import parse_scenario

LOAD = {"levels": [4]}


def test_docker_infra_defaults_to_the_official_images() -> None:
    scenario = parse_scenario({"name": "d", "infra": "docker", "load": LOAD})
    assert scenario.model_dump(mode="json")["docker"] == {
        "postgres": "postgres:15",
        "kafka": "apache/kafka:4.4.0",
        "rabbitmq": "rabbitmq:3.13",
    }


def test_each_image_can_be_overridden_alone() -> None:
    scenario = parse_scenario({"name": "d", "infra": "docker", "docker": {"postgres": "my/pg:15.8"}, "load": LOAD})
    assert (scenario.docker.postgres, scenario.docker.kafka) == ("my/pg:15.8", "apache/kafka:4.4.0")


def test_every_problem_of_the_docker_keys_is_reported_with_its_path() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "d", "infra": "podman", "docker": {"postgres": "", "mysql": "m"}, "load": LOAD})
    problems = caught.value.problems
    assert any(p.startswith("infra: Input should be 'local' or 'docker'") for p in problems), problems
    assert "docker.postgres: String should have at least 1 character" in problems
    assert any(p.startswith("docker.mysql: unknown key") for p in problems), problems


def test_images_without_docker_infra_are_an_error_not_ignored() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": "d", "docker": {"postgres": "my/pg:15"}, "load": LOAD})
    assert caught.value.problems == ["docker: only with infra: docker (the images are not used otherwise)"]

