"""The images containerised apps run from: the project's jar on a JDK base.

The base is ``containers.base_image`` (``eclipse-temurin:{jdk}-jre`` by default), pulled when a
registry answers. Where none does, the default is replaced by ``loom-bench/jre:<feature>-bookworm``:
Debian's minimal base plus a ``jlink`` runtime cut from the very JDK the run uses on the host
(``harness.jdks``), so a containerised app runs the same JVM build as a local one. On that base each
jar becomes its own small image (``COPY`` of the jar), tagged by the jar's and the base's digests:
the same jar on the same base is built once and found again by every later run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import docker
from docker.errors import DockerException, ImageNotFound

from harness.errors import InfraError
from harness.infra.docker_images import ImageChoice, LocalRecipe, ensure_image
from harness.infra.jlink import jlink_runtime
from harness.infra.maven_jars import cache_root
from harness.jdks import Jdk

APP_JAR = "/app/app.jar"
_JAVA_HOME = "/opt/java/jre"
# Everything the apps load: Spring Boot (java.se), Netty and Reactor (jdk.unsupported), JFR and its
# management beans, HotSpot's diagnostic bean (jdk.management), TLS curves, DNS, zip file systems.
_APP_MODULES = ("java.se,jdk.unsupported,jdk.management,jdk.management.agent,jdk.jfr,jdk.management.jfr,"
                "jdk.crypto.ec,jdk.zipfs,jdk.naming.dns,jdk.charsets,jdk.net,jdk.localedata")  # fmt: skip
DEFAULT_BASE = "eclipse-temurin:{jdk}-jre"
STALE_AFTER_S = 24 * 3600.0


@dataclass(frozen=True)
class AppImage:
    """The image one jar runs from on one JDK, and the base it was built on (for the manifest)."""

    ref: str
    base: ImageChoice
    built_now: bool

    def describe(self) -> str:
        return f"{self.ref} on {self.base.ref} ({self.base.image_id[:19]}, {self.base.source})"


def base_recipe(jdk: Jdk, log_path: Path) -> LocalRecipe:
    """The base built from Debian packages and a jlink'd runtime of ``jdk`` (no registry needed)."""
    return LocalRecipe(
        ref=f"loom-bench/jre:{jdk.feature}-bookworm",
        packages=(),
        env=(("JAVA_HOME", _JAVA_HOME),
             ("PATH", f"{_JAVA_HOME}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")),
        copy_in=(app_runtime(jdk, log_path),),
        into=str(Path(_JAVA_HOME).parent),
    )  # fmt: skip


def app_runtime(jdk: Jdk, log_path: Path) -> Path:
    """A Java runtime of ``jdk`` with the modules the apps need, made once per JDK into the cache."""
    digest = hashlib.sha256(f"{jdk.home}:{jdk.version}:{_APP_MODULES}".encode()).hexdigest()[:8]
    target = cache_root() / "docker" / f"app-jre-{jdk.feature}-{digest}" / "jre"
    return jlink_runtime(jdk, _APP_MODULES, target, log_path, "the apps' Java runtime")


def ensure_app_image(client: docker.DockerClient, jar: Path, jdk: Jdk, base_image: str, log_path: Path) -> AppImage:
    """The image of ``jar`` on the JDK ``jdk.feature`` base, built unless an identical one exists.

    Only the default base falls back to the Debian-built one when it cannot be pulled; an overridden
    base that cannot be pulled is an error. Raises InfraError naming what failed.
    """
    wanted = base_image.format(jdk=jdk.feature)
    fallback = base_recipe(jdk, log_path) if base_image == DEFAULT_BASE else None
    base = ensure_image(client, wanted, fallback, log_path)
    digest = hashlib.sha256()
    with open(jar, "rb") as data:
        for chunk in iter(lambda: data.read(1 << 20), b""):
            digest.update(chunk)
    digest.update(base.image_id.encode())
    repository = f"loom-bench/{jar.stem}"
    ref = f"{repository}:jdk{jdk.feature}-{digest.hexdigest()[:12]}"
    with contextlib.suppress(ImageNotFound):
        client.images.get(ref)
        return AppImage(ref, base, built_now=False)
    _build(client, ref, base.ref, jar, log_path)
    _remove_older(client, repository, keep=ref)
    return AppImage(ref, base, built_now=True)


def _build(client: docker.DockerClient, ref: str, base_ref: str, jar: Path, log_path: Path) -> None:
    dockerfile = f"FROM {base_ref}\nCOPY app.jar {APP_JAR}\n".encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        tar.add(str(jar), arcname="app.jar")
    context.seek(0)
    try:
        _image, output = client.images.build(fileobj=context, custom_context=True, tag=ref, rm=True, forcerm=True,
                                             pull=False, labels={"loom-bench.jar": jar.name})
    except DockerException as error:
        raise InfraError(f"building the image {ref} from {jar} failed: {error}") from error
    with open(log_path, "a", encoding="utf-8") as log:
        for line in output:
            if isinstance(line, dict) and "stream" in line:
                log.write(str(line["stream"]))


def _remove_older(client: docker.DockerClient, repository: str, keep: str) -> None:
    # With vfs every image is a full copy of its file system, so older builds of a jar are removed; only
    # those a day old, though: a run of another checkout on the same engine may be using a recent one.
    cutoff = time.time() - STALE_AFTER_S
    for image in client.images.list(name=repository):
        created = _created(image.attrs.get("Created", ""))
        if keep not in image.tags and created is not None and created < cutoff:
            with contextlib.suppress(DockerException):
                client.images.remove(str(image.id))


def _created(text: str) -> float | None:
    # The engine writes RFC 3339 with nanoseconds ("2026-11-30T08:13:02.123456789Z").
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC).timestamp()
    return None
