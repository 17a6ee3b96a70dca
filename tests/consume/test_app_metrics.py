"""The per-window figures of a segment's /actuator/prometheus readings, across a restart of the app."""

from __future__ import annotations

from harness.consume.app_metrics import BROKER_SOURCES, increase, pools_row, segment_sources
from harness.prometheus import COLUMN_SOURCES, MetricSample, extract_columns, parse_exposition

# Both pools of an app whose relay has its own (consume.relay.db_pool > 0), as each app exposes them.
_MVC_POOLS = """\
hikaricp_connections_active{pool="orders"} 15.0
hikaricp_connections_pending{pool="orders"} 40.0
hikaricp_connections_idle{pool="orders"} 1.0
hikaricp_connections_active{pool="orders-relay"} 1.0
hikaricp_connections_pending{pool="orders-relay"} 0.0
hikaricp_connections_idle{pool="orders-relay"} 1.0
"""
_WEBFLUX_POOLS = """\
r2dbc_pool_acquired_connections{name="connectionFactory"} 16.0
r2dbc_pool_pending_connections{name="connectionFactory"} 240.0
r2dbc_pool_idle_connections{name="connectionFactory"} 0.0
r2dbc_pool_acquired_connections{name="orders-relay"} 1.0
r2dbc_pool_pending_connections{name="orders-relay"} 0.0
r2dbc_pool_idle_connections{name="orders-relay"} 1.0
"""


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
    assert "rabbit_acknowledged_total" in segment_sources("rabbitmq", "webflux")
    assert not set(BROKER_SOURCES["kafka"]) & set(BROKER_SOURCES["rabbitmq"])


def test_the_app_pool_and_the_relay_pool_are_read_apart() -> None:
    for variant, text in (("mvc-platform", _MVC_POOLS), ("mvc-virtual", _MVC_POOLS), ("webflux", _WEBFLUX_POOLS)):
        sources = {**COLUMN_SOURCES[variant], **segment_sources("kafka", variant)}
        columns = extract_columns(parse_exposition(text), sources)
        assert (columns["db_pool_active"], columns["db_pool_pending"], columns["db_pool_idle"]) == (
            (15.0, 40.0, 1.0) if variant != "webflux" else (16.0, 240.0, 0.0)), variant
        assert (columns["relay_db_pool_active"], columns["relay_db_pool_pending"]) == (1.0, 0.0), variant
        # A relay on the app's pool (db_pool 0) has no pool of its own: its columns stay unknown, never 0.
        main_only = "".join(line + "\n" for line in text.splitlines() if "orders-relay" not in line)
        shared = extract_columns(parse_exposition(main_only), sources)
        assert "relay_db_pool_active" not in shared and shared["db_pool_active"] == columns["db_pool_active"]


def test_pools_row_keeps_the_relay_pool_beside_the_app_pool() -> None:
    readings = [MetricSample(t, column, value) for t, column, value in [
        (1.0, "db_pool_active", 16.0), (1.0, "db_pool_pending", 200.0), (1.0, "relay_db_pool_active", 1.0),
        (2.0, "db_pool_active", 16.0), (2.0, "db_pool_pending", 240.0), (2.0, "relay_db_pool_active", 2.0),
        (2.0, "relay_db_pool_pending", 0.0),
    ]]
    row = pools_row((25, "webflux", "kafka", 1), "measured", readings, 1.0, 3.0)
    assert (row.db_pool_active_max, row.db_pool_pending_max) == (16.0, 240.0)
    assert (row.relay_db_pool_active_max, row.relay_db_pool_pending_max) == (2.0, 0.0)
    shared = pools_row((25, "webflux", "kafka", 1), "measured", readings[:2] + readings[3:5], 1.0, 3.0)
    assert shared.relay_db_pool_active_max is None
