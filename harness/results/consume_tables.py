"""consume.csv (one row per segment) and consume_timeseries.csv (one row per sample), appended as measured."""

from __future__ import annotations

import csv
import dataclasses
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ResultsError
from harness.results.tables import append_rows, parse_cell


@dataclass(frozen=True)
class ConsumeResult:
    """One segment: jdk × variant × broker × repetition, reconciled.

    ``ok`` is lost = 0 and processed twice = 0 and drained before the timeout. Lag is inbox
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

    def label(self) -> str:
        return f"{self.variant} jdk{self.jdk} {self.broker} rep {self.repetition}"


CONSUME_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ConsumeResult))
CONSUME_TIMESERIES_COLUMNS: tuple[str, ...] = (
    "jdk", "variant", "broker", "repetition", "t", "created", "published", "processed", "dead_lettered",
    "outbox_pending", "backlog_db", "backlog_broker", "app_rss_mb", "app_cpu_pct", "fault",
)  # fmt: skip
_TYPES: dict[str, Any] = typing.get_type_hints(ConsumeResult)


def append_consume_result(path: Path, result: ConsumeResult) -> None:
    append_rows(path, CONSUME_COLUMNS, [[getattr(result, name) for name in CONSUME_COLUMNS]])


def append_consume_timeseries(path: Path, rows: list[list[Any]]) -> None:
    append_rows(path, CONSUME_TIMESERIES_COLUMNS, rows)


def read_consume(path: Path) -> list[ConsumeResult]:
    """Every row of consume.csv with its original types; [] when the file does not exist.

    Raises ResultsError (naming the line) for unknown columns or a malformed cell."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != CONSUME_COLUMNS:
            raise ResultsError(f"{path}: columns {reader.fieldnames} are not those of this harness version")
        results = []
        for row in reader:
            try:
                values = {name: parse_cell(row[name], _TYPES[name]) for name in CONSUME_COLUMNS}
            except (ValueError, TypeError) as error:
                raise ResultsError(f"{path}:{reader.line_num}: {error}") from None
            results.append(ConsumeResult(**values))
    return results
