"""Reading a JFR recording into per-window summaries (one window per load level, say).

``summarise_recording`` is the API. It runs the actual reading in a ``python -m harness.jfr``
subprocess that starts a JVM through JPype, reads the file event by event with
``jdk.jfr.consumer.RecordingFile`` and prints JSON. The subprocess, not the harness process,
holds the JVM because a JVM loaded into the harness changes what the harness's own children
inherit (see ``harness.jfr.jvm``); it costs one JVM start per recording (0.6-1.4 s measured on
the 2-core build machine while it was busy) plus ~0.1 ms per event read.

When to call it: after the app that wrote the recording has exited (the file is written by
``dumponexit``), i.e. at the end of a variant, with one window per level/repetition. Reading
never touches the running measurement: the reader is its own process and starts after the load.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.errors import EnvironmentError_, ResultsError
from harness.jdks import Jdk
from harness.jfr.jvm import ensure_jvm, reader_jdk
from harness.jfr.summary import JfrSummary, Window, WindowAccumulator, check_windows

PINNED = "jdk.VirtualThreadPinned"
SUBMIT_FAILED = "jdk.VirtualThreadSubmitFailed"
GC = "jdk.GarbageCollection"
GC_PAUSE = "jdk.GCPhasePause"
ALLOCATION_SAMPLE = "jdk.ObjectAllocationSample"
HEAP_SUMMARY = "jdk.GCHeapSummary"
ACTIVE_SETTING = "jdk.ActiveSetting"
EXECUTION_SAMPLE = "jdk.ExecutionSample"
COMPILER_STATISTICS = "jdk.CompilerStatistics"
APPLICATION_PACKAGE = "dev.loombench."
SUMMARISED = frozenset({PINNED, SUBMIT_FAILED, GC, GC_PAUSE, ALLOCATION_SAMPLE, HEAP_SUMMARY, EXECUTION_SAMPLE,
                        COMPILER_STATISTICS})
"""The event types a ``JfrSummary`` is made of; only these are counted, timed and folded."""
NO_APPLICATION_FRAME = "(none in stack)"
# The settings a reader of pinning numbers must know: was the event on, from which duration.
REPORTED_SETTINGS = {PINNED: ("enabled", "threshold"), SUBMIT_FAILED: ("enabled",)}

_JDK_PACKAGES = ("java.", "jdk.", "sun.", "com.sun.")
_ACC_SYNCHRONIZED = 0x0020
_READER_TIMEOUT_S = 600.0
_NEXT_STEP = (
    "Was the app killed with SIGKILL before its dumponexit could write the file, or did the disk fill up? "
    "The run's other results stand; rerun the variant to get a recording."
)


@dataclass(frozen=True)
class ReadStats:
    """How the reading went, for logs and for measuring the reader itself."""

    jdk: str
    jvm_start_s: float
    read_s: float
    events: int
    settings: dict[str, str]
    """The recording's own settings for the virtual-thread events, e.g.
    ``{"jdk.VirtualThreadPinned#threshold": "1 ms", ...}``, from its ``jdk.ActiveSetting`` events."""


def summarise_recording(
    path: Path, windows: Sequence[Window], *, timeout_s: float = _READER_TIMEOUT_S
) -> dict[str, JfrSummary]:
    """Summarise the JFR recording at ``path`` once per window, keyed by window label.

    Each window is (label, start, end) in unix seconds, start inclusive, end exclusive; windows may
    overlap and an event counts in each window that contains its start time. A window outside the
    recording gets a summary with zero events and ``covered_s == 0``. Every label is in the result.

    Raises ValueError for duplicate labels or a window ending before it starts,
    ``EnvironmentError_`` when no JDK has a ``lib/server/libjvm.so`` to read with, and
    ``ResultsError`` naming the file and what to do when it is missing, empty, not a JFR
    recording, truncated, or the reader fails or exceeds ``timeout_s``.
    """
    if not windows:
        check_windows(windows)
        _check_file(path.absolute())
        return {}
    summaries, _ = summarise_recording_with_stats(path, windows, timeout_s=timeout_s)
    return summaries


def summarise_recording_with_stats(
    path: Path, windows: Sequence[Window], *, timeout_s: float = _READER_TIMEOUT_S
) -> tuple[dict[str, JfrSummary], ReadStats]:
    """``summarise_recording`` plus how long the reader's JVM start and the reading took."""
    check_windows(windows)
    target = path.absolute()
    _check_file(target)
    jdk = reader_jdk()
    request = json.dumps(
        {
            "path": str(target),
            "windows": [list(window) for window in windows],
            "jdk": {**asdict(jdk), "home": str(jdk.home)},
        }
    )
    try:
        # run() kills the reader if the harness is interrupted while it waits.
        result = subprocess.run(
            [sys.executable, "-m", "harness.jfr"],
            input=request,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        raise ResultsError(
            f"{target}: reading the JFR recording took longer than {timeout_s:.0f} s and was stopped. "
            "Summarise fewer windows at once or raise the timeout."
        ) from timeout
    response = _last_json_line(result.stdout)
    if response is not None and "error" in response:
        if response.get("kind") == "environment":
            raise EnvironmentError_(str(response["error"]))
        raise ResultsError(str(response["error"]))
    if result.returncode != 0 or response is None or "summaries" not in response:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise ResultsError(
            f"{target}: the JFR reader (python -m harness.jfr) failed with exit code {result.returncode}. "
            f"Check that jpype1 is installed in {sys.executable}'s environment and that {jdk.describe()} "
            f"starts; the reader's last output:\n{tail}"
        )
    summaries = {label: JfrSummary.from_json(data) for label, data in response["summaries"].items()}
    return summaries, ReadStats(**response["stats"])


def read_in_process(
    path: Path, windows: Sequence[Window], jdk: Jdk | None = None
) -> tuple[dict[str, JfrSummary], ReadStats]:
    """Read ``path`` in this process's JVM (started on first use, from ``jdk`` or ``reader_jdk()``).

    For ``python -m harness.jfr``.
    Raises ResultsError when the file cannot be parsed. Never call it in the harness process
    itself: see ``harness.jfr.jvm`` for why the JVM lives in a subprocess.
    """
    import jpype  # only the reader process loads JPype

    check_windows(windows)
    _check_file(path)
    started = time.perf_counter()
    started_with = ensure_jvm(jdk)
    jvm_start_s = time.perf_counter() - started
    recording_file = jpype.JClass("jdk.jfr.consumer.RecordingFile")
    java_path = jpype.JClass("java.nio.file.Path")

    accumulators = {label: WindowAccumulator(start, end) for label, start, end in windows}
    every = list(accumulators.values())
    names: dict[int, str] = {}
    first: float | None = None
    last: float | None = None
    settings: dict[str, str] = {}
    count = 0
    started = time.perf_counter()
    try:
        recording = recording_file(java_path.of(str(path)))
        try:
            type_names = {int(t.getId()): str(t.getName()) for t in recording.readEventTypes()}
            # Event by event: readAllEvents() would hold a whole recording's events in the heap.
            while recording.hasMoreEvents():
                event = recording.readEvent()
                count += 1
                event_type = event.getEventType()
                type_id = int(event_type.getId())
                name = names.get(type_id)
                if name is None:
                    name = names[type_id] = str(event_type.getName())
                if name == ACTIVE_SETTING:
                    _note_setting(event, type_names, settings)
                if name not in SUMMARISED:
                    # Most of a recording (socket, park, class-loading events...): each JPype call costs
                    # microseconds, so the events no summary uses are not looked at further.
                    continue
                instant = event.getStartTime()
                at = int(instant.getEpochSecond()) + int(instant.getNano()) * 1e-9
                if name == COMPILER_STATISTICS:
                    # Cumulative: every window needs the reading before it too, not only those inside.
                    total_ms = int(event.getDuration("totalTimeSpent").toNanos()) / 1e6
                    compilations = int(event.getInt("compileCount"))
                    for acc in every:
                        acc.note_compiler(at, total_ms, compilations)
                first = at if first is None or at < first else first
                last = at if last is None or at > last else last
                hits = [acc for acc in every if acc.contains(at)]
                if hits:
                    _fold(event, name, hits)
        finally:
            recording.close()
    except jpype.JException as failure:
        raise ResultsError(
            f"{path}: not a readable JFR recording ({failure.getClass().getName()}: {failure.getMessage()}). "
            + _NEXT_STEP
        ) from failure
    read_s = time.perf_counter() - started
    summaries = {label: acc.summary(first, last) for label, acc in accumulators.items()}
    jdk_text = started_with.describe() if started_with is not None else "JVM started by the caller"
    return summaries, ReadStats(jdk_text, jvm_start_s, read_s, count, settings)


def _note_setting(event: Any, type_names: dict[int, str], settings: dict[str, str]) -> None:
    # jdk.ActiveSetting names the event type by id; a later chunk's value (a changed setting)
    # overwrites an earlier one.
    type_name = type_names.get(int(event.getLong("id")))
    setting = str(event.getString("name"))
    if type_name in REPORTED_SETTINGS and setting in REPORTED_SETTINGS[type_name]:
        settings[f"{type_name}#{setting}"] = str(event.getString("value"))


def _fold(event: Any, name: str, hits: list[WindowAccumulator]) -> None:
    # Converts the Java event to plain values once, then adds them to every window it falls in.
    for acc in hits:
        acc.event_counts[name] += 1
    if name == EXECUTION_SAMPLE:
        top, package, application = _cpu_frames(event)
        for acc in hits:
            acc.cpu_samples += 1
            if top is not None:
                acc.cpu_frames[top] += 1
                acc.cpu_packages[package] += 1
            acc.cpu_app_frames[application] += 1
    elif name == PINNED:
        millis = int(event.getDuration().toNanos()) / 1e6
        frame, synchronized_frame = _pinned_frames(event)
        for acc in hits:
            acc.pinned_ms.append(millis)
            if frame is not None:
                acc.pinned_frames[frame] += 1
            if synchronized_frame is not None:
                acc.pinned_synchronized_frames[synchronized_frame] += 1
    elif name == SUBMIT_FAILED:
        for acc in hits:
            acc.submit_failed += 1
    elif name == GC:
        for acc in hits:
            acc.gc_collections += 1
    elif name == GC_PAUSE:
        millis = int(event.getDuration().toNanos()) / 1e6
        for acc in hits:
            acc.gc_pause_ms.append(millis)
    elif name == ALLOCATION_SAMPLE:
        weight = int(event.getLong("weight"))
        for acc in hits:
            acc.allocated_bytes += weight
    elif name == HEAP_SUMMARY and str(event.getString("when")) == "After GC":
        used = int(event.getLong("heapUsed"))
        for acc in hits:
            acc.heap_after_gc_bytes.append(used)


def _cpu_frames(event: Any) -> tuple[str | None, str, str]:
    """(top frame, its package's first three name parts, first frame of our own code) of a sample."""
    stack = event.getStackTrace()
    if stack is None:
        return None, "", NO_APPLICATION_FRAME
    top: str | None = None
    package = ""
    for frame in stack.getFrames():
        method = frame.getMethod()
        class_name = str(method.getType().getName())
        if top is None:
            top = _frame_text(frame, class_name, str(method.getName()))
            package = ".".join(class_name.split(".")[:3])
        if class_name.startswith(APPLICATION_PACKAGE):
            return top, package, _frame_text(frame, class_name, str(method.getName()))
    return top, package, NO_APPLICATION_FRAME


def _pinned_frames(event: Any) -> tuple[str | None, str | None]:
    """(first frame outside the JDK, or the top frame if all are JDK's; first synchronized method)."""
    stack = event.getStackTrace()
    if stack is None:
        return None, None
    top: str | None = None
    application: str | None = None
    synchronized: str | None = None
    for frame in stack.getFrames():
        method = frame.getMethod()
        class_name = str(method.getType().getName())
        text = _frame_text(frame, class_name, str(method.getName()))
        if top is None:
            top = text
        if application is None and not class_name.startswith(_JDK_PACKAGES):
            application = text
        if synchronized is None and int(method.getModifiers()) & _ACC_SYNCHRONIZED:
            synchronized = text
        if application is not None and synchronized is not None:
            break
    return application or top, synchronized


def _frame_text(frame: Any, class_name: str, method_name: str) -> str:
    if not frame.isJavaFrame():
        return f"{class_name}.{method_name}(native)"
    line = int(frame.getLineNumber())
    return f"{class_name}.{method_name}({line if line >= 0 else '?'})"


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ResultsError(f"{path}: no JFR recording there. " + _NEXT_STEP)
    if path.stat().st_size == 0:
        raise ResultsError(f"{path}: the JFR recording is empty. " + _NEXT_STEP)


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    # The reader prints one JSON line last; anything a JVM might print to stdout comes before it.
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        return value if isinstance(value, dict) else None
    return None
