"""consume_timeseries.csv rows of one segment: the event sampler's readings beside the app's RSS and CPU."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.consume.faults import FiredFault
from harness.consume.sampler import EventSample
from harness.results.tables import interpolated_cpu, nearest_rss_mb
from harness.sampling import ProcessSample


def segment_rows(
    key: tuple[int, str, str, int],
    origin: float,
    events: Sequence[EventSample],
    app: Sequence[ProcessSample],
    faults: Sequence[FiredFault],
) -> list[list[Any]]:
    """One row per event sample: ``key`` is (jdk, variant, broker, repetition), ``t`` seconds since
    ``origin`` (the first event injected). CPU % is over the interval since the previous sample (empty
    across a restart of the app); ``fault`` names the faults that started in that interval."""
    app = sorted(app, key=lambda s: s.t)
    rows = []
    previous: float | None = None
    for sample in events:
        cpu_pct = None
        if previous is not None and sample.t > previous:
            before, after = interpolated_cpu(app, previous), interpolated_cpu(app, sample.t)
            if before is not None and after is not None and after >= before:
                cpu_pct = round(100.0 * (after - before) / (sample.t - previous), 1)
        fired = [f.name for f in faults if (previous is None or f.at > previous) and f.at <= sample.t]
        progress = sample.progress
        rows.append([
            *key, round(sample.t - origin, 3),
            *((progress.created, progress.published, progress.processed, progress.dead_lettered,
               progress.unpublished_rows, progress.backlog) if progress is not None else (None,) * 6),
            sample.broker_backlog,
            nearest_rss_mb(app, sample.t, within=1.0), cpu_pct, " ".join(fired),
        ])  # fmt: skip
        previous = sample.t
    return rows
