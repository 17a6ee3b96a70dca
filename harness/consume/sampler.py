"""Progress of a segment over time: event counts from PostgreSQL and the broker's own backlog."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from harness.consume import database
from harness.infra.postgres import PostgresEndpoint
from harness.periodic import PeriodicWorker


@dataclass(frozen=True)
class EventSample:
    t: float  # unix time
    progress: database.Progress | None  # None: the database did not answer
    broker_backlog: int | None  # Kafka consumer-group lag / RabbitMQ ready + unacked; None: not available


class EventSampler(PeriodicWorker):
    """Every ``interval_s`` on a daemon thread: one progress query and one broker backlog read.

    ``backlog`` is called on the sampler's thread; whatever it raises (a broker restarting) counts
    as "not available", never as an error. Use as a context manager.
    """

    def __init__(self, endpoint: PostgresEndpoint, backlog: Callable[[], int | None], interval_s: float) -> None:
        super().__init__(interval_s, "event-sampler", max(10.0, 4 * interval_s))
        self._endpoint = endpoint
        self._backlog = backlog
        self._lock = threading.Lock()
        self._samples: list[EventSample] = []
        self._conn: psycopg.Connection[TupleRow] | None = None

    def stop(self) -> None:
        super().stop()
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def samples(self) -> list[EventSample]:
        with self._lock:
            return list(self._samples)

    def tick(self) -> None:
        t = time.time()
        progress = self._progress()
        try:
            backlog = self._backlog()
        except Exception:  # a broker down or restarting has no backlog to report
            backlog = None
        with self._lock:
            self._samples.append(EventSample(t, progress, backlog))

    def _progress(self) -> database.Progress | None:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = database.connect(self._endpoint)
            return database.progress(self._conn)
        except psycopg.Error:
            self._conn = None
            return None
