"""consume.csv (one row per segment) and consume_timeseries.csv (one row per sample), appended as measured."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.codec import Table


@dataclass(frozen=True)
class ConsumeResult:
    """One segment: jdk × variant × broker × repetition, reconciled.

    ``ok`` is lost = 0 and processed twice = 0 and drained before the timeout (and, with ordering
    required, no ordering violation). Lag is inbox
    processed_at − first outbox created_at (PostgreSQL's clock), in ms at µs resolution. Drain time
    runs from the first event created to the last one processed or dead-lettered; drain rate is
    processed / drain time. Resource figures cover injection to drained; None when not sampled.
    """

    jdk: int
    variant: str
    broker: str
    source: str  # preload | drive
    repetition: int
    started_at: str  # ISO 8601 UTC of the first event injected
    drained: bool
    ok: bool
    events_created: int
    events_published: int
    events_processed: int
    duplicate_rows: int  # outbox rows injected as duplicates
    duplicates_suppressed: int  # redeliveries the inbox turned away
    processed_twice: int
    lost: int
    dead_lettered: int
    poison_injected: int
    poison_dead_lettered: int
    drain_s: float | None
    drain_rate_eps: float | None
    lag_p50_ms: float
    lag_p90_ms: float
    lag_p99_ms: float
    lag_p999_ms: float
    lag_max_ms: float
    peak_backlog_db: int | None  # well-formed events created but not processed
    peak_backlog_broker: int | None  # Kafka consumer-group lag / RabbitMQ ready + unacked
    app_rss_mb_max: float | None
    app_cpu_s: float | None
    broker_version: str
    broker_startup_s: float
    broker_restart_s: float | None
    kill_restart_s: float | None  # kill -9 until the restarted app was healthy
    orders_failed: int | None  # drive: POST /orders that did not answer 201
    # Format 2 (format-1 files read with these defaults, which is what they measured: one OrderCreated per order,
    # nothing to put out of order, no ordering asked of the consumer).
    lifecycle: bool = False  # three events per order (consume.lifecycle)
    ordering: str = "observed"  # consume.ordering: required (ORDERS_CONSUMER_ORDERING=per-key) | observed (none)
    ordering_violations: int = 0  # events applied out of their order's stage order (order_projection.out_of_order)

    def label(self) -> str:
        return f"{self.variant} jdk{self.jdk} {self.broker} rep {self.repetition}"


@dataclass(frozen=True)
class ConsumeSample:
    """One reading of a segment's event sampler (a consume_timeseries.csv row).

    ``t`` is seconds since the first event was injected; the counts are PostgreSQL's at that instant
    (None when it did not answer); CPU % is over the interval since the previous reading (None across
    a restart of the app); ``fault`` names the faults that started in that interval, space-separated.
    """

    jdk: int
    variant: str
    broker: str
    repetition: int
    t: float
    created: int | None
    published: int | None
    processed: int | None
    dead_lettered: int | None
    outbox_pending: int | None
    backlog_db: int | None
    backlog_broker: int | None
    app_rss_mb: float | None
    app_cpu_pct: float | None
    fault: str


CONSUME = Table(ConsumeResult, "consume.csv", 2, added={2: ("lifecycle", "ordering", "ordering_violations")})
CONSUME_TIMESERIES = Table(ConsumeSample, "consume_timeseries.csv", 1)
CONSUME_COLUMNS: tuple[str, ...] = CONSUME.columns
CONSUME_TIMESERIES_COLUMNS: tuple[str, ...] = CONSUME_TIMESERIES.columns


def append_consume_result(path: Path, result: ConsumeResult) -> None:
    CONSUME.append(path, [result])


def append_consume_timeseries(path: Path, rows: Sequence[ConsumeSample]) -> None:
    CONSUME_TIMESERIES.append(path, rows)


def read_consume(path: Path) -> list[ConsumeResult]:
    """Every row of consume.csv with its original types; [] when the file does not exist.

    Raises ResultsError (naming the line) for unknown columns or a malformed cell."""
    return CONSUME.read(path, missing_ok=True)
