"""A cached root file system is reused only for the very recipe it was made from."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.infra.docker_images import LocalRecipe, recipe_tar

BASE = LocalRecipe(ref="loom-bench/x:1", packages=("postgresql-15",), env=(("PATH", "/bin"),))


@pytest.mark.parametrize(
    "change",
    [
        {"ref": "loom-bench/x:2"},
        {"packages": ("postgresql-16",)},
        {"env": (("PATH", "/usr/bin"),)},
        {"remove": ("/usr/share/doc",)},
        {"into": "/srv"},
    ],
)
def test_any_change_to_the_recipe_names_another_tar(change: dict[str, object]) -> None:
    assert recipe_tar(dataclasses.replace(BASE, **change)) != recipe_tar(BASE)


def test_a_changed_file_to_copy_in_names_another_tar(tmp_path: Path) -> None:
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "kafka.jar").write_bytes(b"1")
    recipe = dataclasses.replace(BASE, copy_in=(jars,))
    before = recipe_tar(recipe)
    assert recipe_tar(recipe) == before  # stable while nothing changes
    (jars / "kafka.jar").write_bytes(b"12")
    assert recipe_tar(recipe) != before


def test_the_tar_lives_in_the_cache_named_after_the_image(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tar = recipe_tar(BASE)
    assert tar.parent == tmp_path / "loom-bench" / "docker"
    assert tar.name.startswith("loom-bench_x_1-") and tar.suffix == ".tar"
