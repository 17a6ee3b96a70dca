"""A trimmed Java runtime made with ``jlink`` from a JDK on this machine, for images built without a registry."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from harness.errors import InfraError
from harness.jdks import Jdk


def jlink_runtime(jdk: Jdk, modules: str, target: Path, log_path: Path, purpose: str) -> Path:
    """``target`` holding a runtime of ``jdk`` with ``modules`` (comma separated); made once, reused after.

    ``purpose`` names what the runtime is for in the error (``Kafka's Java runtime``). A failed
    ``jlink`` leaves nothing half-made behind: the next call starts again."""
    if (target / "bin" / "java").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(jdk.home / "bin" / "jlink"), "--add-modules", modules, "--strip-debug", "--no-header-files",
            "--no-man-pages", "--output", str(target)]  # fmt: skip
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(argv)}\n".encode())
        log.flush()
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=False, timeout=300)
    if result.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        raise InfraError(f"jlink could not make {purpose} from {jdk.home} (exit {result.returncode}); "
                         f"see {log_path}")
    return target
