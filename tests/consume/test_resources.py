"""App CPU and RSS over a segment, across a kill and restart."""

from __future__ import annotations

from harness.consume.resources import cpu_seconds, rss_mb_max
from harness.sampling import ProcessSample

MIB = 1024 * 1024


def _s(t: float, cpu: float, rss_mb: int = 100) -> ProcessSample:
    return ProcessSample(t, "app", rss_mb * MIB, cpu)


def test_cpu_adds_up_across_a_restart() -> None:
    samples = [_s(0, 10.0), _s(1, 11.0), _s(2, 12.5), _s(3, 4.0, 300), _s(4, 5.0)]
    # 1.0 + 1.5 before the kill, the new JVM's 4.0 (its start-up), then 1.0.
    assert cpu_seconds(samples, 0, 4) == 7.5
    assert rss_mb_max(samples, 0, 4) == 300.0
    assert cpu_seconds(samples, 0, 1) == 1.0


def test_too_few_samples() -> None:
    assert cpu_seconds([_s(0, 1.0)], 0, 10) is None
    assert rss_mb_max([], 0, 10) is None
