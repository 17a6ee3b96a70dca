"""The flight recordings of one consume segment: one per JVM the segment starts, each kept and read.

A JVM writes its recording when it exits (``dumponexit``); a kill -9 leaves nothing. So before the
harness kills the consumer it asks the JVM for its recording so far (``jcmd <pid> JFR.dump``), and the
restarted JVM records into a file of its own: ``jfr/<segment>-a1.jfr``, ``-a2.jfr``. Both are read,
per window (warm-up, measured), once the segment's last JVM has exited.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.jdks import Jdk
from harness.jfr.reader import summarise_recording
from harness.jfr.summary import JfrSummary, Window
from harness.results.consume_explain_tables import ConsumeJfr

DUMP_TIMEOUT_S = 60.0


class SegmentRecordings:
    """Paths for each JVM start of a segment, the dump before a kill, and the reading afterwards."""

    def __init__(self, folder: Path, label: str, jdk: Jdk, enabled: bool) -> None:
        self._folder = folder
        self._label = label
        self._jdk = jdk
        self.enabled = enabled
        self.paths: list[Path] = []

    def next_path(self) -> Path | None:
        """The recording of the JVM about to start (None with JFR off)."""
        if not self.enabled:
            return None
        path = self._folder / f"{self._label}-a{len(self.paths) + 1}.jfr"
        self.paths.append(path)
        return path

    def dump(self, pid: int) -> str | None:
        """Write the running JVM's recording so far to its file (before a kill -9); a warning on failure."""
        if not self.paths:
            return None
        jcmd = self._jdk.home / "bin" / "jcmd"
        if not jcmd.is_file():
            return f"{self.paths[-1].name}: no jcmd in {self._jdk.home}: the killed JVM's recording is lost"
        try:
            # No name: every recording of the JVM (there is one, started by the command line).
            done = subprocess.run([str(jcmd), str(pid), "JFR.dump", f"filename={self.paths[-1].absolute()}"],
                                  capture_output=True, text=True, timeout=DUMP_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return f"{self.paths[-1].name}: jcmd JFR.dump did not finish in {DUMP_TIMEOUT_S:.0f}s"
        if done.returncode != 0:
            return f"{self.paths[-1].name}: jcmd JFR.dump failed ({done.returncode}): {done.stdout[-300:]}"
        return None

    def read(self, key: tuple[int, str, str, int], windows: Sequence[Window]) -> tuple[list[ConsumeJfr], list[str]]:
        """consume_jfr.csv rows of every recording × window it covers, and a warning per unreadable recording."""
        rows: list[ConsumeJfr] = []
        warnings: list[str] = []
        for number, path in enumerate(self.paths, start=1):
            try:
                summaries = summarise_recording(path, windows)
            except HarnessError as error:
                # The segment's counts stand without JFR; say loudly that the explanation is missing.
                warnings.append(f"{path.name}: JFR recording not read: {error}")
                continue
            rows += [jfr_row(key, window, number, summary) for window, summary in summaries.items()
                     if summary.covered_s > 0]
        return rows, warnings


def jfr_row(key: tuple[int, str, str, int], window: str, recording: int, s: JfrSummary) -> ConsumeJfr:
    jdk, variant, broker, repetition = key
    return ConsumeJfr(
        jdk=jdk, variant=variant, broker=broker, repetition=repetition, window=window, recording=recording,
        covered_s=round(s.covered_s, 3), cpu_samples=s.cpu_samples, top_cpu_frames=s.top_cpu_frames,
        top_cpu_packages=s.top_cpu_packages, top_cpu_app_frames=s.top_cpu_app_frames,
        jit_compile_ms=round(s.jit_compile_ms, 3), jit_compilations=s.jit_compilations, gc_pauses=s.gc_pauses,
        gc_pause_total_ms=round(s.gc_pause_total_ms, 3), gc_pause_max_ms=round(s.gc_pause_max_ms, 3),
        allocation_rate_mb_s=round(s.allocation_rate_mb_s, 3), allocated_mb=round(s.allocated_mb, 3),
        heap_after_gc_max_mb=None if s.heap_after_gc_max_mb is None else round(s.heap_after_gc_max_mb, 3),
        pinned_events=s.pinned_events, pinned_total_ms=round(s.pinned_total_ms, 3),
        top_pinned_frames=s.top_pinned_frames, submit_failed_events=s.submit_failed_events,
    )  # fmt: skip
