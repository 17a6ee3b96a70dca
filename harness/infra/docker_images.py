"""The images ``infra: docker`` runs: pulled when a registry answers, else built from Debian packages.

On a machine with an image hub the official images (``postgres``, ``apache/kafka``, ``rabbitmq``)
are pulled. Where none answers, each service gets a small image made from Debian bookworm
packages: ``mmdebstrap --variant=minbase`` writes a root file system with the service's packages
into a tar, ``docker import`` turns it into a one-layer image. One image per service, not one
for all: the vfs storage driver copies an image's whole file system for every container, so each
container should carry only its own service. The tars are cached under
``~/.cache/loom-bench/docker`` and keyed by their recipe, so a new engine (or a CI machine that
keeps its cache) imports in seconds instead of bootstrapping again.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import docker
from docker.errors import APIError, DockerException, ImageNotFound
from docker.models.images import Image

from harness.errors import EnvironmentError_, InfraError
from harness.infra.file_lock import file_locked
from harness.infra.maven_jars import cache_root

SUITE = "bookworm"
BUILD_TIMEOUT_S = 900.0
# What every local image leaves out: documentation, manuals and translations are never read in a
# container, and with vfs every byte is copied for every container.
_DPKG_EXCLUDES = ("/usr/share/man/*", "/usr/share/doc/*", "/usr/share/locale/*", "/usr/share/info/*")

ImageSource = Literal["present", "pulled", "built", "imported"]


@dataclass(frozen=True)
class LocalRecipe:
    """How to make a service's image from Debian packages when the official one cannot be pulled.

    ``copy_in`` puts host directories into the image (e.g. Kafka's jars): each is copied as a
    directory named like its source, inside ``into``. ``remove`` deletes paths a package's
    install created that the service does not need (e.g. the package's default cluster).
    """

    ref: str
    packages: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    copy_in: tuple[Path, ...] = ()
    into: str = "/opt"
    remove: tuple[str, ...] = ()

    def digest(self) -> str:
        """Changes whenever the recipe does, so a cached tar is never reused for another recipe."""
        text = repr((SUITE, self.ref, self.packages, self.env, [str(p) for p in self.copy_in], self.into, self.remove))
        for directory in self.copy_in:
            text += "".join(f"{p.name}:{p.stat().st_size};" for p in sorted(directory.rglob("*")) if p.is_file())
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ImageChoice:
    """The image a service ran from, and how it got onto the engine (for the run's record)."""

    ref: str
    image_id: str
    source: ImageSource
    seconds: float


def ensure_image(client: docker.DockerClient, ref: str, fallback: LocalRecipe | None, log_path: Path) -> ImageChoice:
    """``ref`` if the engine has it or can pull it; else ``fallback``'s image, built if missing.

    Raises InfraError saying why neither worked (the pull's error, and the build's log tail).
    """
    began = time.monotonic()
    image = _present(client, ref)
    if image is not None:
        return ImageChoice(ref, str(image.id), "present", time.monotonic() - began)
    try:
        image = client.images.pull(ref)
        return ImageChoice(ref, str(image.id), "pulled", time.monotonic() - began)
    except DockerException as error:
        pull_error = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if fallback is None:
        raise InfraError(f"image {ref} is not on the engine and could not be pulled: {pull_error}")
    _log(log_path, f"could not pull {ref} ({pull_error}); using {fallback.ref}, built from Debian packages")
    image = _present(client, fallback.ref)
    if image is not None and image.labels.get("loom-bench.recipe") == fallback.digest():
        return ImageChoice(fallback.ref, str(image.id), "present", time.monotonic() - began)
    if image is not None:
        # Built from an older recipe: with vfs every image is a full copy, so keep no stale one.
        with contextlib.suppress(DockerException):
            client.images.remove(str(image.id), force=True)
    source: ImageSource = "imported" if recipe_tar(fallback).exists() else "built"
    image_id = build_local_image(client, fallback, log_path)
    return ImageChoice(fallback.ref, image_id, source, time.monotonic() - began)


def recipe_tar(recipe: LocalRecipe) -> Path:
    """Where the root file system of ``recipe`` is cached."""
    name = recipe.ref.replace("/", "_").replace(":", "_")
    return cache_root() / "docker" / f"{name}-{recipe.digest()}.tar"


def build_local_image(client: docker.DockerClient, recipe: LocalRecipe, log_path: Path) -> str:
    """Import ``recipe``'s image (bootstrapping its tar first unless cached); returns the image id."""
    tar = recipe_tar(recipe)
    tar.parent.mkdir(parents=True, exist_ok=True)
    with file_locked(tar.with_suffix(".lock")):
        if not tar.exists():
            _bootstrap(recipe, tar, log_path)
        changes = [f"ENV {name}={value}" for name, value in recipe.env]
        changes.append(f"LABEL loom-bench.recipe={recipe.digest()}")
        repository, _, tag = recipe.ref.rpartition(":")
        try:
            # A file object is streamed to the engine; a path string would be sent as a URL to fetch.
            with open(tar, "rb") as data:
                client.api.import_image(src=data, repository=repository, tag=tag, changes=changes)
            return str(client.images.get(recipe.ref).id)
        except DockerException as error:
            raise InfraError(f"importing {tar} as {recipe.ref} failed: {error}") from error


def _bootstrap(recipe: LocalRecipe, tar: Path, log_path: Path) -> None:
    mmdebstrap = shutil.which("mmdebstrap")
    if mmdebstrap is None:
        raise EnvironmentError_(
            f"the image {recipe.ref} must be built from Debian packages (no registry answered) and that "
            "needs mmdebstrap; run scripts/install-system-deps.sh (Debian package 'mmdebstrap')."
        )
    partial = tar.with_suffix(".partial")
    argv = [mmdebstrap, "--variant=minbase", "--format=tar"]
    if recipe.packages:
        argv.append(f"--include={','.join(recipe.packages)}")
    argv += [f"--dpkgopt=path-exclude={pattern}" for pattern in _DPKG_EXCLUDES]
    argv += _hooks(recipe)
    argv += [SUITE, str(partial)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        try:
            result = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            raise InfraError(f"mmdebstrap did not finish within {BUILD_TIMEOUT_S:.0f}s; see {log_path}") from None
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise InfraError(
            f"building {recipe.ref} from Debian packages failed (mmdebstrap exit {result.returncode}); "
            f"check access to the Debian mirror; {_log_tail(log_path)}"
        )
    partial.rename(tar)  # last: a cached tar is always a complete one
    for stale in tar.parent.glob(f"{tar.name.rsplit('-', 1)[0]}-*.tar"):
        if stale != tar:  # the same image from an older recipe
            stale.unlink(missing_ok=True)
            stale.with_suffix(".lock").unlink(missing_ok=True)
    _log(log_path, f"bootstrapped {recipe.ref} into {tar} in {time.monotonic() - began:.1f}s")


def _hooks(recipe: LocalRecipe) -> list[str]:
    hooks = []
    if recipe.copy_in:
        hooks.append(f'--customize-hook=mkdir -p "$1{recipe.into}"')
        sources = " ".join(str(path) for path in recipe.copy_in)
        hooks.append(f"--customize-hook=copy-in {sources} {recipe.into}")
    removed = " ".join(f'"$1"{path}' for path in ("/var/lib/apt/lists/*", "/var/cache/apt/*", *recipe.remove))
    hooks.append(f"--customize-hook=rm -rf {removed}")
    return hooks


def _present(client: docker.DockerClient, ref: str) -> Image | None:
    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None
    except APIError as error:
        raise InfraError(f"the Docker engine could not look up image {ref}: {error}") from error


def _log(log_path: Path, message: str) -> None:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"harness: {message}\n")


def _log_tail(log_path: Path, lines: int = 30) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace").splitlines() if log_path.exists() else []
    tail = "\n".join(f"  {line}" for line in text[-lines:])
    return f"last lines of {log_path}:\n{tail}"
