"""Pure helpers of the segment loop (the loop itself runs against real services in tests/test_e2e_consume.py)."""

from __future__ import annotations

from harness.consume.preload import plan_outbox
from harness.consume.run import _differing_paths, warmup_plan
from harness.scenario import Scenario, parse_scenario


def test_the_replays_effective_settings_are_compared_path_by_path() -> None:
    measured = {"jvm": {"pid": 1, "heap": 256, "flags": ["-Xlog:gc:a.log"]}, "messaging": {"partitions": 2}}
    replay = {"jvm": {"pid": 2, "heap": 256, "flags": ["-Xlog:gc:b.log"]}, "messaging": {"partitions": 2},
              "extra": True}
    assert _differing_paths(measured, replay) == ("extra", "jvm.flags", "jvm.pid")
    assert _differing_paths(measured, measured) == ()


def _scenario(duplicates: float) -> Scenario:
    return parse_scenario({
        "name": "w", "variants": ["mvc-virtual"],
        "data": {"orders": 5000, "customers": 100},
        "consume": {"broker": "kafka", "events": 1000, "warmup_events": 2000, "warmup_batches": "auto"},
        "faults": {"duplicates": duplicates},
    }, "w.yaml")


def test_a_warm_up_batch_has_the_measured_duplicate_rate_and_a_stream_of_its_own() -> None:
    scenario = _scenario(0.05)
    assert scenario.consume is not None
    first, second = (warmup_plan(scenario, scenario.consume, i) for i in (0, 1))
    assert first.events == 2000 and first.duplicate_rows == 100
    assert first.poison == (False,) * first.rows
    assert set(first.event_ids).isdisjoint(second.event_ids)
    measured = plan_outbox(1000, 5000, 0.05, 0, scenario.data.seed)
    assert set(first.event_ids).isdisjoint(measured.event_ids)
    clean = _scenario(0.0)
    assert clean.consume is not None and warmup_plan(clean, clean.consume, 0).duplicate_rows == 0
