"""consume_timeseries rows: counts beside the app's RSS and CPU, faults in the interval they started."""

from __future__ import annotations

from harness.consume.database import Progress
from harness.consume.faults import FiredFault
from harness.consume.sampler import EventSample
from harness.consume.timeseries import segment_rows
from harness.results.consume_tables import CONSUME_TIMESERIES
from harness.sampling import ProcessSample

MIB = 1024 * 1024


def test_rows_join_counts_resources_and_faults() -> None:
    events = [
        EventSample(100.0, Progress(0, 0, 0, 0, 0), 0),
        EventSample(101.0, Progress(100, 50, 50, 10, 1), 40),
        EventSample(102.0, None, None),
        EventSample(103.0, Progress(100, 100, 0, 100, 1), 0),
    ]
    app = [ProcessSample(t, "app", 200 * MIB, cpu) for t, cpu in ((100.0, 5.0), (101.0, 5.5), (102.0, 6.5))]
    app.append(ProcessSample(103.0, "app", 150 * MIB, 2.0))  # killed and restarted: the counter starts over
    samples = segment_rows((25, "webflux", "kafka", 1), 100.5, events, app,
                           [FiredFault("restart-broker", 101.5, 3.0, 60)])
    rows = [list(CONSUME_TIMESERIES.flat(sample).values()) for sample in samples]
    assert rows[0] == [25, "webflux", "kafka", 1, -0.5, 0, 0, 0, 0, 0, 0, 0, 200.0, None, ""]
    assert rows[1] == [25, "webflux", "kafka", 1, 0.5, 100, 50, 10, 1, 50, 90, 40, 200.0, 50.0, ""]
    assert rows[2][5:12] == [None] * 7 and rows[2][13:] == [100.0, "restart-broker"]
    assert rows[3][12:] == [150.0, None, ""]  # CPU across the restart is not a rate
