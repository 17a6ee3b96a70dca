"""Injecting a segment's events into the outbox as one SQL statement (source ``preload``).

The plan is a pure function of the scenario: the same orders, event ids and row order for every
variant and repetition, so every segment consumes exactly the same stream. Rows are inserted in
plan order, so outbox ids (the relay's order) follow it:

* one well-formed OrderCreated per event, built from a distinct seeded order (``wire.payload_sql``);
* duplicates: a second row with the same event id and payload, placed at a random position after
  its original (what a relay that died between publishing and marking leaves behind);
* poison: rows whose payload is not JSON (``wire.POISON_PREFIX``), anywhere in the stream.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from harness.consume.wire import POISON_PREFIX, payload_sql


@dataclass(frozen=True)
class OutboxPlan:
    """The rows of one preload, in insertion order (parallel tuples)."""

    event_ids: tuple[uuid.UUID, ...]
    order_ids: tuple[int, ...]
    poison: tuple[bool, ...]

    @property
    def rows(self) -> int:
        return len(self.event_ids)

    @property
    def events(self) -> int:
        """Distinct well-formed events."""
        return len({e for e, p in zip(self.event_ids, self.poison, strict=True) if not p})

    @property
    def duplicate_rows(self) -> int:
        return self.rows - len(set(self.event_ids))

    @property
    def poison_rows(self) -> int:
        return sum(self.poison)


def _event_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def plan_outbox(events: int, orders: int, duplicates: float, poison: int, seed: int,
                stream: str = "preload") -> OutboxPlan:
    """``events`` distinct events from distinct orders of 1..``orders``, ``round(events × duplicates)``
    duplicate rows and ``poison`` poison rows, deterministically from ``seed``."""
    if events > orders:
        raise ValueError(f"{events} events need as many seeded orders, there are {orders}")
    rng = random.Random(f"consume-{stream}-{seed}")
    order_ids = rng.sample(range(1, orders + 1), events)
    event_ids = [_event_id(rng) for _ in range(events)]
    # Sort keys: originals at their index; a duplicate somewhere after its original; poison anywhere.
    keyed: list[tuple[float, uuid.UUID, int, bool]] = [
        (float(i), event_ids[i], order_ids[i], False) for i in range(events)
    ]
    for index in rng.sample(range(events), min(events, round(events * duplicates))):
        keyed.append((rng.uniform(index + 0.5, events), event_ids[index], order_ids[index], False))
    for _ in range(poison):
        keyed.append((rng.uniform(0, events), _event_id(rng), rng.randint(1, orders), True))
    keyed.sort(key=lambda row: row[0])
    return OutboxPlan(
        event_ids=tuple(row[1] for row in keyed),
        order_ids=tuple(row[2] for row in keyed),
        poison=tuple(row[3] for row in keyed),
    )


INSERT_PLAN = f"""
INSERT INTO outbox (event_id, event_type, aggregate_id, payload)
SELECT r.event_id, 'OrderCreated', r.order_id,
       CASE WHEN r.poison THEN '{POISON_PREFIX}' || r.n || ': not an OrderCreated event'
            ELSE {payload_sql("r.event_id", "o")} END
FROM unnest(%(event_ids)s::uuid[], %(order_ids)s::bigint[], %(poison)s::boolean[])
     WITH ORDINALITY AS r(event_id, order_id, poison, n)
LEFT JOIN orders o ON o.id = r.order_id
ORDER BY r.n
"""


def insert_plan(conn: psycopg.Connection[TupleRow], plan: OutboxPlan) -> int:
    """Insert every row of ``plan`` in one statement (one transaction); return the rows inserted."""
    with conn.transaction():
        cursor = conn.execute(INSERT_PLAN, {
            "event_ids": list(plan.event_ids), "order_ids": list(plan.order_ids), "poison": list(plan.poison),
        })
    return cursor.rowcount
