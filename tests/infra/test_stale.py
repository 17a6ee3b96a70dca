from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.infra.stale import names_dead_process


def test_live_dead_negative_and_unreadable_pid_files(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    pid_file.write_text(f"{os.getpid()}\n")
    assert not names_dead_process(pid_file)
    pid_file.write_text(f"-{os.getpid()}\n")  # PostgreSQL's single-user form
    assert not names_dead_process(pid_file)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    pid_file.write_text(f"{gone.pid}\n")
    assert names_dead_process(pid_file)
    pid_file.write_text("not a pid\n")
    assert not names_dead_process(pid_file)
    assert not names_dead_process(tmp_path / "missing")
