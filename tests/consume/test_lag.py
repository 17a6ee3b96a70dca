"""End-to-end lag from the database's own timestamps, into an HdrHistogram and an interval log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from hdrh.log import HistogramLogReader
from psycopg.rows import TupleRow

from harness.consume import lag
from harness.load.recording import new_histogram

T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def test_lag_is_first_creation_to_processing(conn: psycopg.Connection[TupleRow], tmp_path: Path) -> None:
    lags_ms = [5, 10, 20, 40, 1500]
    for index, ms in enumerate(lags_ms):
        event_id = uuid.uuid4()
        created = T0 + timedelta(milliseconds=index * 100)
        # A duplicate row created later must not shorten the lag: the first creation counts.
        for offset in (0, 50):
            conn.execute("INSERT INTO outbox (event_id, event_type, aggregate_id, payload, created_at) "
                         "VALUES (%s, 'OrderCreated', 1, '{}', %s)",
                         (event_id, created + timedelta(milliseconds=offset)))
        conn.execute("INSERT INTO inbox (event_id, broker, processed_at) VALUES (%s, 'kafka', %s)",
                     (event_id, created + timedelta(milliseconds=ms)))
    lags = lag.read_lags(conn)
    assert sorted(us for us, _ in lags) == [ms * 1000 for ms in lags_ms]
    _, summary = lag.summarise(lags)
    assert summary.events == 5
    assert abs(summary.p50_ms - 20) < 0.1
    assert abs(summary.max_ms - 1500) < 1.5

    path = tmp_path / "lag.hlog"
    lag.write_hlog(path, lags, T0.timestamp(), "webflux@jdk25-kafka-r1")
    reader = HistogramLogReader(str(path), new_histogram())
    total, tags = 0, set()
    while (interval := reader.get_next_interval_histogram()) is not None:
        total += interval.get_total_count()
        tags.add(interval.get_tag())
    assert total == 5
    assert tags == {"webflux@jdk25-kafka-r1"}


def test_nothing_processed_gives_zeros(conn: psycopg.Connection[TupleRow]) -> None:
    _, summary = lag.summarise(lag.read_lags(conn))
    assert summary == lag.LagSummary(0, 0.0, 0.0, 0.0, 0.0, 0.0)
