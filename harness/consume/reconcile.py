"""After every segment: what happened to every event (design.md, "Reconciliation").

created = distinct well-formed event ids in the outbox; published = those published at least once;
processed = inbox rows; duplicates suppressed = sum(inbox.duplicates); processed twice = events a
projection row applied more than once (per stage: with a lifecycle an order takes three events, each
once); ordering violations = sum(order_projection.out_of_order), events the projection applied that
were not the next stage of their order (only a lifecycle stream can have any); dead-lettered =
dead_letters rows; lost = well-formed events with no inbox row; strays = inbox rows of events the
outbox does not hold (a warm-up event delivered again after the warm-up batch was removed: it would
inflate processed).

The counts are checked against what the harness injected (``Injected``), so a segment cannot pass
on nothing: ``segment_problems`` gives one ``Problem`` per broken check, each with its own reason.
Any problem fails the run. Ordering violations are a problem only where the scenario requires order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import TupleRow

from harness.consume.wire import POISON_SQL, WELL_FORMED_SQL
from harness.errors import HarnessError

# Events a projection row applied more than once, counted per stage: a lifecycle order legitimately takes
# three events, one per stage. The segment check and the replay's share it, so they cannot disagree again.
APPLIED_TWICE_SQL = ("SELECT coalesce(sum((created_applied > 1)::int + (paid_applied > 1)::int "
                     "+ (shipped_applied > 1)::int), 0) FROM order_projection")

RECONCILE = f"""
WITH well AS (SELECT DISTINCT event_id FROM outbox WHERE {WELL_FORMED_SQL}),
     poison AS (SELECT DISTINCT payload FROM outbox WHERE {POISON_SQL})
SELECT (SELECT count(*) FROM well),
       (SELECT count(DISTINCT event_id) FROM outbox WHERE {WELL_FORMED_SQL} AND published_at IS NOT NULL),
       (SELECT count(*) - count(DISTINCT event_id) FROM outbox),
       (SELECT count(*) FROM inbox),
       (SELECT coalesce(sum(duplicates), 0) FROM inbox),
       ({APPLIED_TWICE_SQL}),
       (SELECT count(*) FROM well w WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.event_id = w.event_id)),
       (SELECT count(*) FROM dead_letters),
       (SELECT count(*) FROM well w WHERE EXISTS (SELECT 1 FROM dead_letters d WHERE d.event_id = w.event_id::text)),
       (SELECT count(*) FROM poison),
       (SELECT count(*) FROM poison p WHERE EXISTS (SELECT 1 FROM dead_letters d WHERE d.payload = p.payload)),
       (SELECT count(*) FROM inbox i WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = i.event_id)),
       (SELECT coalesce(sum(out_of_order), 0) FROM order_projection),
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
    strays: int  # inbox rows whose event the outbox does not hold
    ordering_violations: int  # events applied out of their order's stage order (order_projection.out_of_order)
    first_created_at: datetime | None
    last_done_at: datetime | None  # last inbox row or dead letter


    @property
    def drain_s(self) -> float | None:
        """From the first event's creation to the last event processed or dead-lettered (database clock)."""
        if self.first_created_at is None or self.last_done_at is None:
            return None
        return max(0.0, (self.last_done_at - self.first_created_at).total_seconds())



@dataclass(frozen=True)
class Drive:
    """What the driver of a drive segment did, and what PostgreSQL holds for it."""

    planned: int  # orders it was to deliver (consume.events)
    accepted: int  # POSTs answered 201
    failed: int  # POSTs never accepted, retries included
    retries: int  # attempts repeated after a refused connection or a 503
    failure_kinds: dict[str, int]
    new_orders: int  # orders rows POST /orders created (ids from database.FIRST_NEW_ORDER_ID)
    sent_per_s: float | None = None  # the rate the orders left at (drive.DriveStats.sent_per_s)


@dataclass(frozen=True)
class Injected:
    """What the harness put into one segment: the counts must account for exactly this."""

    events: int  # preload: the plan's events; drive: the POSTs answered 201
    duplicate_rows: int  # outbox copies the harness added
    drive: Drive | None  # None for a preload
    faults_not_fired: tuple[str, ...]  # configured faults whose threshold was never reached
    ordering_required: bool = False  # consume.ordering: required: any ordering violation fails the segment


@dataclass(frozen=True)
class Problem:
    """One reason a segment fails; ``reason`` is a fixed name a reader (or a test) can look for."""

    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


# The named reasons, in the order they are reported.
NOT_DRAINED = "not drained"
NOTHING_CREATED = "nothing created"
CREATED_MISMATCH = "created differs from injected"
UNDELIVERED = "orders not delivered"
POSTS_FAILED = "POST /orders failed"
ORDERS_MISMATCH = "orders rows differ from 201 answers"
LOST = "lost"
PROCESSED_TWICE = "processed twice"
DUPLICATES_UNSEEN = "duplicates not seen by the consumer"
FAULT_NOT_FIRED = "fault did not fire"
STRAYS = "processed events never injected"
WARMUP_NOT_DRAINED = "warm-up not drained"
OUT_OF_ORDER = "events applied out of order"


def segment_problems(rec: Reconciliation, injected: Injected) -> list[Problem]:
    """Every check the segment fails, with its reason; empty when it passes (drain is checked by the caller)."""
    out: list[Problem] = []
    if rec.created == 0:
        out.append(Problem(NOTHING_CREATED, "no well-formed event in the outbox: the segment measured nothing"))
    if rec.created != injected.events:
        source = "POSTs answered 201" if injected.drive is not None else "events in the preload plan"
        out.append(Problem(CREATED_MISMATCH, f"{rec.created} distinct events in the outbox, {injected.events} "
                                             f"{source}"))
    drive = injected.drive
    if drive is not None:
        if drive.accepted != drive.planned:
            out.append(Problem(UNDELIVERED, f"{drive.accepted} of {drive.planned} planned orders answered 201"))
        if drive.failed:
            kinds = ", ".join(f"{kind} × {count}" for kind, count in sorted(drive.failure_kinds.items()))
            out.append(Problem(POSTS_FAILED, f"{drive.failed} POST /orders never accepted ({kinds}; "
                                             f"{drive.retries} retries)"))
        if drive.new_orders != drive.accepted:
            out.append(Problem(ORDERS_MISMATCH, f"{drive.new_orders} new orders rows, {drive.accepted} POSTs "
                                                "answered 201"))
    if rec.lost:
        why = (f" ({rec.well_formed_dead_lettered} of them dead-lettered after every retry: see "
               "dead_letters.reason)" if rec.well_formed_dead_lettered else "")
        out.append(Problem(LOST, f"{rec.lost} of {rec.created} events never processed{why}"))
    if rec.processed_twice:
        out.append(Problem(PROCESSED_TWICE, f"{rec.processed_twice} events applied more than once (an "
                                            "order_projection stage count above 1)"))
    if injected.ordering_required and rec.ordering_violations:
        out.append(Problem(OUT_OF_ORDER, f"{rec.ordering_violations} events were not the next stage of their order "
                                         "when applied (order_projection.out_of_order; consume.ordering: required)"))
    if injected.duplicate_rows and rec.duplicates_suppressed < injected.duplicate_rows:
        # "Processed twice = 0" proves idempotence only if the duplicates reached the inbox.
        out.append(Problem(DUPLICATES_UNSEEN, f"{injected.duplicate_rows} duplicate rows injected, the inbox "
                                              f"turned away {rec.duplicates_suppressed}"))
    if rec.strays:
        out.append(Problem(STRAYS, f"{rec.strays} inbox rows of events this segment's outbox does not hold (a warm-up "
                                   "event delivered again after the warm-up batch was removed?)"))
    for name in injected.faults_not_fired:
        out.append(Problem(FAULT_NOT_FIRED, f"{name} was configured but its threshold was never reached "
                                            f"({rec.processed} processed)"))
    return out


def reconcile(conn: psycopg.Connection[TupleRow]) -> Reconciliation:
    row = conn.execute(RECONCILE).fetchone()
    assert row is not None
    names = [f.name for f in dataclasses.fields(Reconciliation)][:-2]
    counts = {name: int(value) for name, value in zip(names, row[:-2], strict=True)}
    return Reconciliation(**counts, first_created_at=row[-2], last_done_at=row[-1])


class ReconciliationError(HarnessError):
    """At least one segment failed a reconciliation check (``segment_problems``) or did not drain;
    everything was written."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        lines = "\n".join(f"  {f}" for f in self.failures)
        super().__init__(f"{len(self.failures)} consume segment(s) failed reconciliation:\n{lines}")
