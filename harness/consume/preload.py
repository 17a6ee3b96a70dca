"""Injecting a segment's events into the outbox as one SQL statement (source ``preload``).

The plan is a pure function of the scenario: the same orders, event ids and row order for every
variant and repetition, so every segment consumes exactly the same stream. Rows are inserted in
plan order, so outbox ids (the relay's order) follow it:

* one well-formed OrderCreated per event, built from a distinct seeded order (``wire.payload_sql``);
  or, with ``lifecycle``, three events per order (OrderCreated, OrderPaid, OrderShipped, in that
  order in the outbox), the orders interleaved at random;
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

from harness.consume.wire import CREATED, EVENT_TYPES, POISON_PREFIX, payload_sql


@dataclass(frozen=True)
class OutboxPlan:
    """The rows of one preload, in insertion order (parallel tuples)."""

    event_ids: tuple[uuid.UUID, ...]
    order_ids: tuple[int, ...]
    poison: tuple[bool, ...]
    types: tuple[str, ...]  # wire.EVENT_TYPES; a poison row's is OrderCreated (its payload is no event at all)

    @property
    def rows(self) -> int:
        return len(self.event_ids)

    @property
    def events(self) -> int:
        """Distinct well-formed events."""
        return len({e for e, p in zip(self.event_ids, self.poison, strict=True) if not p})

    @property
    def orders(self) -> int:
        """Distinct orders the well-formed events belong to."""
        return len({o for o, p in zip(self.order_ids, self.poison, strict=True) if not p})

    @property
    def duplicate_rows(self) -> int:
        return self.rows - len(set(self.event_ids))

    @property
    def poison_rows(self) -> int:
        return sum(self.poison)


def _event_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def plan_outbox(events: int, orders: int, duplicates: float, poison: int, seed: int,
                stream: str = "preload", lifecycle: bool = False, inverted: int = 0) -> OutboxPlan:
    """``events`` distinct events, ``round(events × duplicates)`` duplicate rows and ``poison`` poison
    rows, deterministically from ``seed``. One OrderCreated per distinct order of 1..``orders``; with
    ``lifecycle``, ``events / 3`` distinct orders with their three events each, every order's in stage
    order while the orders interleave, except for the first ``inverted`` orders chosen, whose OrderPaid
    comes before their OrderCreated (faults.inverted_orders)."""
    if lifecycle and events % len(EVENT_TYPES):
        raise ValueError(f"a lifecycle has {len(EVENT_TYPES)} events per order, {events} events is no multiple")
    distinct = events // len(EVENT_TYPES) if lifecycle else events
    if inverted and (not lifecycle or inverted > distinct):
        raise ValueError(f"{inverted} orders to invert need a lifecycle of at least as many orders")
    if distinct > orders:
        raise ValueError(f"{events} events need {distinct} seeded orders, there are {orders}")
    rng = random.Random(f"consume-{stream}-{seed}")
    chosen = rng.sample(range(1, orders + 1), distinct)
    if lifecycle:
        # Shuffle the slots, then hand each order's stages out in slot order: the outbox keeps every
        # order's Created → Paid → Shipped while the orders themselves interleave.
        slots = [order for order in chosen for _ in EVENT_TYPES]
        rng.shuffle(slots)
        next_stage: dict[int, int] = {}
        order_ids, types = [], []
        stages = {order: list(EVENT_TYPES) for order in chosen}
        for order in chosen[:inverted]:
            stages[order][0], stages[order][1] = stages[order][1], stages[order][0]
        for order in slots:
            stage = next_stage.get(order, 0)
            next_stage[order] = stage + 1
            order_ids.append(order)
            types.append(stages[order][stage])
    else:
        order_ids, types = chosen, [CREATED] * events
    event_ids = [_event_id(rng) for _ in range(events)]
    # Sort keys: originals at their index; a duplicate somewhere after its original; poison anywhere.
    keyed: list[tuple[float, uuid.UUID, int, bool, str]] = [
        (float(i), event_ids[i], order_ids[i], False, types[i]) for i in range(events)
    ]
    for index in rng.sample(range(events), min(events, round(events * duplicates))):
        keyed.append((rng.uniform(index + 0.5, events), event_ids[index], order_ids[index], False, types[index]))
    for _ in range(poison):
        keyed.append((rng.uniform(0, events), _event_id(rng), rng.randint(1, orders), True, CREATED))
    keyed.sort(key=lambda row: row[0])
    return OutboxPlan(
        event_ids=tuple(row[1] for row in keyed),
        order_ids=tuple(row[2] for row in keyed),
        poison=tuple(row[3] for row in keyed),
        types=tuple(row[4] for row in keyed),
    )


INSERT_PLAN = f"""
INSERT INTO outbox (event_id, event_type, aggregate_id, payload)
SELECT r.event_id, r.event_type, r.order_id,
       CASE WHEN r.poison THEN '{POISON_PREFIX}' || r.n || ': not an OrderCreated event'
            ELSE {payload_sql("r.event_id", "o", "r.event_type")} END
FROM unnest(%(event_ids)s::uuid[], %(order_ids)s::bigint[], %(poison)s::boolean[], %(types)s::text[])
     WITH ORDINALITY AS r(event_id, order_id, poison, event_type, n)
LEFT JOIN orders o ON o.id = r.order_id
ORDER BY r.n
"""


def insert_plan(conn: psycopg.Connection[TupleRow], plan: OutboxPlan) -> int:
    """Insert every row of ``plan`` in one statement (one transaction); return the rows inserted."""
    with conn.transaction():
        cursor = conn.execute(INSERT_PLAN, {
            "event_ids": list(plan.event_ids), "order_ids": list(plan.order_ids), "poison": list(plan.poison),
            "types": list(plan.types),
        })
    return cursor.rowcount
