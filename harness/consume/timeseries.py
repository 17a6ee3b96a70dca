"""consume_timeseries.csv rows of one segment: the event sampler's readings beside the app's RSS and CPU."""

from __future__ import annotations

from collections.abc import Sequence

from harness.consume.faults import FiredFault
from harness.consume.sampler import EventSample
from harness.results.consume_tables import ConsumeSample
from harness.results.tables import interpolated_cpu, nearest_rss_mb
from harness.sampling import ProcessSample


def segment_rows(
    key: tuple[int, str, str, int],
    origin: float,
    events: Sequence[EventSample],
    app: Sequence[ProcessSample],
    faults: Sequence[FiredFault],
) -> list[ConsumeSample]:
    """One row per event sample: ``key`` is (jdk, variant, broker, repetition), ``t`` seconds since
    ``origin`` (the first event injected); see ``ConsumeSample``."""
    jdk, variant, broker, repetition = key
    app = sorted(app, key=lambda s: s.t)
    rows: list[ConsumeSample] = []
    previous: float | None = None
    for sample in events:
        cpu_pct = None
        if previous is not None and sample.t > previous:
            before, after = interpolated_cpu(app, previous), interpolated_cpu(app, sample.t)
            if before is not None and after is not None and after >= before:
                cpu_pct = round(100.0 * (after - before) / (sample.t - previous), 1)
        fired = [f.name for f in faults if (previous is None or f.at > previous) and f.at <= sample.t]
        progress = sample.progress
        rows.append(ConsumeSample(
            jdk=jdk, variant=variant, broker=broker, repetition=repetition, t=round(sample.t - origin, 3),
            created=None if progress is None else progress.created,
            published=None if progress is None else progress.published,
            processed=None if progress is None else progress.processed,
            dead_lettered=None if progress is None else progress.dead_lettered,
            outbox_pending=None if progress is None else progress.unpublished_rows,
            backlog_db=None if progress is None else progress.backlog,
            backlog_broker=sample.broker_backlog, app_rss_mb=nearest_rss_mb(app, sample.t, within=1.0),
            app_cpu_pct=cpu_pct, fault=" ".join(fired),
        ))
        previous = sample.t
    return rows
