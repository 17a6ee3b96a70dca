"""Faults fire once, at their thresholds, lowest first."""

from __future__ import annotations

from harness.consume.faults import KILL_CONSUMER, RESTART_BROKER, Faults
from harness.scenario import FaultSettings


def test_each_fault_fires_once_at_its_threshold() -> None:
    calls: list[str] = []
    faults = Faults(FaultSettings(kill_consumer_at=0.7, restart_broker_at=0.3), 1000, {
        KILL_CONSUMER: lambda: calls.append(KILL_CONSUMER),
        RESTART_BROKER: lambda: calls.append(RESTART_BROKER),
    })
    assert faults.thresholds() == {KILL_CONSUMER: 700, RESTART_BROKER: 300}
    assert faults.fire_due(299) == []
    assert [f.name for f in faults.fire_due(300)] == [RESTART_BROKER]
    assert faults.fire_due(650) == []
    assert faults.pending() == [KILL_CONSUMER]
    assert [f.name for f in faults.fire_due(1000)] == [KILL_CONSUMER]
    assert faults.fire_due(1000) == []
    assert calls == [RESTART_BROKER, KILL_CONSUMER]
    assert faults.fired[1].processed == 1000
    assert faults.seconds(KILL_CONSUMER) is not None


def test_a_jump_past_both_thresholds_fires_both_in_order() -> None:
    calls: list[str] = []
    faults = Faults(FaultSettings(kill_consumer_at=0.2, restart_broker_at=0.5), 10, {
        KILL_CONSUMER: lambda: calls.append(KILL_CONSUMER),
        RESTART_BROKER: lambda: calls.append(RESTART_BROKER),
    })
    faults.fire_due(10)
    assert calls == [KILL_CONSUMER, RESTART_BROKER]


def test_no_faults_configured() -> None:
    faults = Faults(FaultSettings(), 100, {})
    assert faults.fire_due(100) == []
    assert faults.seconds(KILL_CONSUMER) is None
