"""The per-window figures of a segment's /actuator/prometheus readings, across a restart of the app."""

from __future__ import annotations

from harness.consume.app_metrics import BROKER_SOURCES, increase, pools_row, segment_sources
from harness.prometheus import MetricSample


def test_a_counter_that_falls_is_a_restarted_app_whose_whole_count_is_added() -> None:
    assert increase([10.0, 15.0, 40.0]) == 30.0
    # Killed at 40 (5 more since the last reading were lost with it), the new JVM counted 7 by the next reading.
    assert increase([10.0, 40.0, 7.0, 12.0]) == 30.0 + 7.0 + 5.0
    assert increase([3.0]) is None and increase([]) is None


def test_pools_row_keeps_the_window_and_reads_each_broker_s_own_meters() -> None:
    readings = [MetricSample(t, column, value) for t, column, value in [
        (0.5, "kafka_commits_total", 100.0),  # before the window
        (1.0, "kafka_commits_total", 110.0), (1.0, "consumer_in_flight", 2.0), (1.0, "scrape_ms", 5.0),
        (2.0, "kafka_commits_total", 160.0), (2.0, "consumer_in_flight", 6.0), (2.0, "scrape_ms", 5.0),
        (3.0, "scrape_error", 1.0),
        (9.0, "kafka_commits_total", 900.0),  # after it
    ]]
    row = pools_row((25, "webflux", "kafka", 1), "measured", readings, 1.0, 3.0)

    assert (row.kafka_commits, row.consumer_in_flight_mean, row.consumer_in_flight_max) == (50, 4.0, 6.0)
    assert (row.scrapes, row.scrape_errors) == (2, 1)
    assert row.rabbit_acknowledged is None and row.db_pool_active_mean is None
    assert "rabbit_acknowledged_total" in segment_sources("rabbitmq")
    assert not set(BROKER_SOURCES["kafka"]) & set(BROKER_SOURCES["rabbitmq"])
