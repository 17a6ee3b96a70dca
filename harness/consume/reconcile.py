"""After every segment: what happened to every event (design.md, "Reconciliation").

created = distinct well-formed event ids in the outbox; published = those published at least once;
processed = inbox rows; duplicates suppressed = sum(inbox.duplicates); processed twice = projection
rows applied more than once; dead-lettered = dead_letters rows; lost = well-formed events with no
inbox row. A segment with lost ≠ 0 or processed twice ≠ 0 fails the run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import TupleRow

from harness.consume.wire import POISON_SQL, WELL_FORMED_SQL
from harness.errors import HarnessError

RECONCILE = f"""
WITH well AS (SELECT DISTINCT event_id FROM outbox WHERE {WELL_FORMED_SQL}),
     poison AS (SELECT DISTINCT payload FROM outbox WHERE {POISON_SQL})
SELECT (SELECT count(*) FROM well),
       (SELECT count(DISTINCT event_id) FROM outbox WHERE {WELL_FORMED_SQL} AND published_at IS NOT NULL),
       (SELECT count(*) - count(DISTINCT event_id) FROM outbox),
       (SELECT count(*) FROM inbox),
       (SELECT coalesce(sum(duplicates), 0) FROM inbox),
       (SELECT count(*) FROM order_projection WHERE applied > 1),
       (SELECT count(*) FROM well w WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.event_id = w.event_id)),
       (SELECT count(*) FROM dead_letters),
       (SELECT count(*) FROM well w WHERE EXISTS (SELECT 1 FROM dead_letters d WHERE d.event_id = w.event_id::text)),
       (SELECT count(*) FROM poison),
       (SELECT count(*) FROM poison p WHERE EXISTS (SELECT 1 FROM dead_letters d WHERE d.payload = p.payload)),
       (SELECT min(created_at) FROM outbox),
       (SELECT greatest(max(processed_at), (SELECT max(dead_at) FROM dead_letters)) FROM inbox)
"""


@dataclass(frozen=True)
class Reconciliation:
    """Counts of one segment, read from PostgreSQL after it drained (or timed out)."""

    created: int
    published: int
    duplicate_rows: int  # outbox rows beyond one per event id: the duplicates injected
    processed: int
    duplicates_suppressed: int
    processed_twice: int
    lost: int
    dead_lettered: int
    well_formed_dead_lettered: int  # events that failed every retry (also counted in lost)
    poison_injected: int
    poison_dead_lettered: int
    first_created_at: datetime | None
    last_done_at: datetime | None  # last inbox row or dead letter

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.processed_twice == 0

    @property
    def drain_s(self) -> float | None:
        """From the first event's creation to the last event processed or dead-lettered (database clock)."""
        if self.first_created_at is None or self.last_done_at is None:
            return None
        return max(0.0, (self.last_done_at - self.first_created_at).total_seconds())

    def problems(self) -> list[str]:
        """Why this segment fails, one sentence each; empty when it passes."""
        out = []
        if self.lost:
            reason = (f" ({self.well_formed_dead_lettered} of them dead-lettered after every retry: see "
                      "dead_letters.reason)" if self.well_formed_dead_lettered else "")
            out.append(f"{self.lost} of {self.created} events lost (never processed){reason}")
        if self.processed_twice:
            out.append(f"{self.processed_twice} events processed twice (order_projection.applied > 1)")
        return out


def reconcile(conn: psycopg.Connection[TupleRow]) -> Reconciliation:
    row = conn.execute(RECONCILE).fetchone()
    assert row is not None
    names = [f.name for f in dataclasses.fields(Reconciliation)][:11]
    counts = {name: int(value) for name, value in zip(names, row[:11], strict=True)}
    return Reconciliation(**counts, first_created_at=row[11], last_done_at=row[12])


class ReconciliationError(HarnessError):
    """At least one segment lost an event, processed one twice, or did not drain; everything was written."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        lines = "\n".join(f"  {f}" for f in self.failures)
        super().__init__(f"{len(self.failures)} consume segment(s) failed reconciliation:\n{lines}")
