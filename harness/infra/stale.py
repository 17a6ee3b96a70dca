"""Recognising what a killed harness left behind: a pid file whose process is gone."""

from __future__ import annotations

from pathlib import Path

import psutil


def names_dead_process(pid_file: Path) -> bool:
    """True when the first line of ``pid_file`` names a process that no longer runs (or a zombie).

    False when the file is unreadable or names a live process, so a sweep never removes the
    directory of something still running. PostgreSQL writes a negative pid for a single-user
    backend; its absolute value is the process."""
    try:
        pid = abs(int(pid_file.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]))
    except (OSError, ValueError):
        return False
    if pid == 0:
        return False
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False
