"""Pure helpers of the segment loop (the loop itself runs against real services in tests/test_e2e_consume.py)."""

from __future__ import annotations

from harness.consume.run import _differing_paths


def test_the_replays_effective_settings_are_compared_path_by_path() -> None:
    measured = {"jvm": {"pid": 1, "heap": 256, "flags": ["-Xlog:gc:a.log"]}, "messaging": {"partitions": 2}}
    replay = {"jvm": {"pid": 2, "heap": 256, "flags": ["-Xlog:gc:b.log"]}, "messaging": {"partitions": 2},
              "extra": True}
    assert _differing_paths(measured, replay) == ("extra", "jvm.flags", "jvm.pid")
    assert _differing_paths(measured, measured) == ()
