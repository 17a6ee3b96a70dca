"""The SQL a segment runs besides the preload: emptying the event tables and counting progress."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from harness.consume.wire import POISON_SQL, WELL_FORMED_SQL
from harness.infra.postgres import PostgresEndpoint

FIRST_NEW_ORDER_ID = 1_000_000_000
"""order_id_seq starts here (V2__events.sql): orders POST /orders created, never seeded ones."""

RESET = (
    "TRUNCATE outbox, inbox, order_projection, dead_letters RESTART IDENTITY",
    f"DELETE FROM orders WHERE id >= {FIRST_NEW_ORDER_ID}",
)


def connect(endpoint: PostgresEndpoint) -> psycopg.Connection[TupleRow]:
    """An autocommit connection: every count sees what is committed now."""
    return psycopg.connect(endpoint.conninfo(), autocommit=True)


def reset_event_tables(endpoint: PostgresEndpoint) -> None:
    """Empty outbox, inbox, projection and dead letters, and drop the orders a previous segment created."""
    with connect(endpoint) as conn, conn.transaction():
        for statement in RESET:
            conn.execute(statement)


@dataclass(frozen=True)
class Progress:
    """How far a segment has come, counted in PostgreSQL at one instant."""

    created: int  # distinct well-formed event ids in the outbox
    published: int  # of those, published at least once
    unpublished_rows: int  # outbox rows the relay has not published yet (duplicates and poison included)
    processed: int  # inbox rows
    dead_lettered: int  # dead_letters rows

    @property
    def backlog(self) -> int:
        """Well-formed events not processed yet (waiting in the outbox, the broker or the consumer)."""
        return max(0, self.created - self.processed)


PROGRESS = f"""
SELECT (SELECT count(DISTINCT event_id) FROM outbox WHERE {WELL_FORMED_SQL}),
       (SELECT count(DISTINCT event_id) FROM outbox WHERE {WELL_FORMED_SQL} AND published_at IS NOT NULL),
       (SELECT count(*) FROM outbox WHERE published_at IS NULL),
       (SELECT count(*) FROM inbox),
       (SELECT count(*) FROM dead_letters)
"""


def progress(conn: psycopg.Connection[TupleRow]) -> Progress:
    row = conn.execute(PROGRESS).fetchone()
    assert row is not None
    return Progress(*(int(value) for value in row))


def processed_and_dead(conn: psycopg.Connection[TupleRow]) -> tuple[int, int]:
    """Inbox rows and dead letters: cheap enough to read several times a second (fault thresholds)."""
    row = conn.execute("SELECT (SELECT count(*) FROM inbox), (SELECT count(*) FROM dead_letters)").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


# Drained: nothing left to publish, every well-formed event processed or dead-lettered, every poison
# message dead-lettered (matched by its raw payload: it has no readable event id).
OUTSTANDING = f"""
SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL),
       (SELECT count(*) FROM (SELECT DISTINCT event_id FROM outbox WHERE {WELL_FORMED_SQL}) w
         WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.event_id = w.event_id)
           AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.event_id = w.event_id::text)),
       (SELECT count(*) FROM (SELECT DISTINCT payload FROM outbox WHERE {POISON_SQL}) p
         WHERE NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.payload = p.payload))
"""


@dataclass(frozen=True)
class Outstanding:
    unpublished_rows: int
    events: int  # well-formed, neither processed nor dead-lettered
    poison: int  # poison not dead-lettered yet

    @property
    def drained(self) -> bool:
        return self.unpublished_rows == 0 and self.events == 0 and self.poison == 0


def outstanding(conn: psycopg.Connection[TupleRow]) -> Outstanding:
    row = conn.execute(OUTSTANDING).fetchone()
    assert row is not None
    return Outstanding(*(int(value) for value in row))


def new_orders(conn: psycopg.Connection[TupleRow]) -> int:
    """Orders rows POST /orders created in this segment (the reset drops those of earlier segments)."""
    row = conn.execute("SELECT count(*) FROM orders WHERE id >= %s", (FIRST_NEW_ORDER_ID,)).fetchone()
    assert row is not None
    return int(row[0])
