from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.infra.file_lock import file_locked

# Another process trying the lock without waiting: exit 0 if it got it, 1 if it is held.
_TRY = """
import fcntl, sys
with open(sys.argv[1], "a") as f:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(1)
"""


def _other_process_gets(lock: Path) -> bool:
    return subprocess.run([sys.executable, "-c", _TRY, str(lock)], check=False).returncode == 0


def test_the_lock_excludes_another_process_until_the_block_ends(tmp_path: Path) -> None:
    lock = tmp_path / "cache.lock"
    with file_locked(lock):
        assert not _other_process_gets(lock)
    assert _other_process_gets(lock)
