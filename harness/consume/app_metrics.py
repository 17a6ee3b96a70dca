"""What a consume segment reads from the app's ``/actuator/prometheus``, and its figures per window.

The request benchmark's columns (``harness.prometheus.COLUMN_SOURCES``: JVM, DB pool, HTTP client) plus the
consumer's, the relay's (its own DB pool when ``consume.relay.db_pool`` > 0: the ``db_pool_*`` columns are the app's
pool only) and the broker client's own meters (names checked against the running apps,
Spring Boot 4, spring-kafka 4 and Spring AMQP 4). A kill -9 restarts the app inside a window, so counters
are summed over their increases (``increase``), never taken as last minus first.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from harness.prometheus import RELAY_POOL_NAME, MetricSample, Source
from harness.results.consume_explain_tables import ConsumePools

CONSUMER_SOURCES: dict[str, Source] = {
    "consumer_in_flight": Source("orders_consumer_in_flight"),
    "consumer_attempts_total": Source("orders_consumer_events_seconds_count", absent_is_zero=True),
    "relay_published_total": Source("orders_relay_published_total", absent_is_zero=True),
}

_RELAY_HIKARI = (("pool", RELAY_POOL_NAME),)
_RELAY_R2DBC = (("name", RELAY_POOL_NAME),)
_RELAY_MVC = {
    "relay_db_pool_active": Source("hikaricp_connections_active", _RELAY_HIKARI),
    "relay_db_pool_pending": Source("hikaricp_connections_pending", _RELAY_HIKARI),
}
RELAY_POOL_SOURCES: dict[str, dict[str, Source]] = {
    # Absent (None) when the relay shares the app's pool: there is no pool of that name.
    "mvc-platform": _RELAY_MVC,
    "mvc-virtual": _RELAY_MVC,
    "webflux": {
        "relay_db_pool_active": Source("r2dbc_pool_acquired_connections", _RELAY_R2DBC),
        "relay_db_pool_pending": Source("r2dbc_pool_pending_connections", _RELAY_R2DBC),
    },
}

BROKER_SOURCES: dict[str, dict[str, Source]] = {
    "kafka": {
        # One series per consumer client: the order-events group's and the dead-letter listener's.
        "kafka_commits_total": Source("kafka_consumer_coordinator_commit_total", absent_is_zero=True),
        "kafka_fetches_total": Source("kafka_consumer_fetch_manager_fetch_total", absent_is_zero=True),
        # The client's own average over its sample window (30 s): a gauge, its mean is indicative only.
        "kafka_commit_latency_ms": Source("kafka_consumer_coordinator_commit_latency_avg", reduce="max",
                                          scale=1000.0),
    },
    "rabbitmq": {
        "rabbit_channels": Source("rabbitmq_channels"),
        "rabbit_consumed_total": Source("rabbitmq_consumed_total", absent_is_zero=True),
        "rabbit_acknowledged_total": Source("rabbitmq_acknowledged_total", absent_is_zero=True),
    },
}


def segment_sources(broker: str, variant: str) -> dict[str, Source]:
    """The columns a segment of ``variant`` on ``broker`` reads on top of the variant's."""
    return {**CONSUMER_SOURCES, **RELAY_POOL_SOURCES[variant], **BROKER_SOURCES[broker]}


def _series(samples: Sequence[MetricSample], column: str, start: float, end: float) -> list[float]:
    return [s.value for s in sorted(samples, key=lambda s: s.t) if s.column == column and start <= s.t <= end]


def increase(values: Sequence[float]) -> float | None:
    """The increase of a counter over consecutive readings; a reading below its predecessor is a
    restarted process, whose whole count is added. None with fewer than two readings."""
    if len(values) < 2:
        return None
    return sum(after - before if after >= before else after for before, after in itertools.pairwise(values))


def pools_row(key: tuple[int, str, str, int], window: str, samples: Sequence[MetricSample], start: float,
              end: float) -> ConsumePools:
    """The ``consume_pools.csv`` row of one window of a segment."""

    def mean(column: str) -> float | None:
        values = _series(samples, column, start, end)
        return round(sum(values) / len(values), 3) if values else None

    def peak(column: str) -> float | None:
        values = _series(samples, column, start, end)
        return round(max(values), 3) if values else None

    def count(column: str) -> int | None:
        change = increase(_series(samples, column, start, end))
        return None if change is None else round(change)

    jdk, variant, broker, repetition = key
    return ConsumePools(
        jdk=jdk, variant=variant, broker=broker, repetition=repetition, window=window,
        scrapes=len(_series(samples, "scrape_ms", start, end)),
        scrape_errors=len(_series(samples, "scrape_error", start, end)),
        db_pool_active_mean=mean("db_pool_active"), db_pool_active_max=peak("db_pool_active"),
        db_pool_pending_max=peak("db_pool_pending"),
        relay_db_pool_active_max=peak("relay_db_pool_active"), relay_db_pool_pending_max=peak("relay_db_pool_pending"),
        http_client_active_max=peak("http_client_active"), http_client_pending_max=peak("http_client_pending"),
        consumer_in_flight_mean=mean("consumer_in_flight"), consumer_in_flight_max=peak("consumer_in_flight"),
        platform_threads_max=peak("platform_threads"),
        consumer_attempts=count("consumer_attempts_total"), relay_published=count("relay_published_total"),
        kafka_commits=count("kafka_commits_total"), kafka_fetches=count("kafka_fetches_total"),
        kafka_commit_latency_ms_mean=mean("kafka_commit_latency_ms"),
        rabbit_channels_max=peak("rabbit_channels"), rabbit_consumed=count("rabbit_consumed_total"),
        rabbit_acknowledged=count("rabbit_acknowledged_total"),
    )  # fmt: skip
