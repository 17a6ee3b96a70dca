"""Reconciliation and the drain check, on outbox/inbox/projection/dead-letter rows written as a consumer would."""

from __future__ import annotations

import psycopg
from consume.conftest import DATA
from psycopg.rows import TupleRow

from harness.consume import database
from harness.consume.preload import OutboxPlan, insert_plan, plan_outbox
from harness.consume.reconcile import reconcile


def _consume(conn: psycopg.Connection[TupleRow], plan: OutboxPlan, skip: int = 0, twice: int = 0) -> None:
    """Publish everything; process every event but the last ``skip`` the way the app does (inbox + projection,
    a redelivery bumps duplicates); apply ``twice`` events a second time; dead-letter every poison message."""
    conn.execute("UPDATE outbox SET published_at = clock_timestamp()")
    seen: set[object] = set()
    events = [(e, o) for e, o, p in zip(plan.event_ids, plan.order_ids, plan.poison, strict=True) if not p]
    distinct = list(dict.fromkeys(e for e, _ in events))
    skipped = set(distinct[len(distinct) - skip:]) if skip else set()
    for event_id, order_id in events:
        if event_id in skipped:
            continue
        conn.execute("INSERT INTO inbox (event_id, broker) VALUES (%s, 'kafka') ON CONFLICT (event_id) "
                     "DO UPDATE SET duplicates = inbox.duplicates + 1", (event_id,))
        if event_id not in seen:
            seen.add(event_id)
            conn.execute("INSERT INTO order_projection (order_id, event_id, customer_id, total_cents, stock, applied) "
                         "VALUES (%s, %s, 1, 1, 1, 1)", (order_id, event_id))
    for _, order_id in events[:twice]:
        conn.execute("UPDATE order_projection SET applied = applied + 1 WHERE order_id = %s", (order_id,))
    conn.execute("INSERT INTO dead_letters (broker, event_id, reason, payload) "
                 "SELECT 'kafka', NULL, 'payload is not JSON', payload FROM outbox "
                 "WHERE starts_with(payload, 'POISON ')")


def test_a_clean_run_reconciles_to_zero_lost_and_zero_twice(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(200, DATA.orders, 0.05, 3, seed=2)
    insert_plan(conn, plan)
    assert not database.outstanding(conn).drained
    _consume(conn, plan)
    assert database.outstanding(conn).drained
    rec = reconcile(conn)
    assert (rec.created, rec.published, rec.processed, rec.lost, rec.processed_twice) == (200, 200, 200, 0, 0)
    assert rec.duplicate_rows == 10
    assert rec.duplicates_suppressed == 10
    assert (rec.dead_lettered, rec.poison_injected, rec.poison_dead_lettered) == (3, 3, 3)
    assert rec.ok and rec.problems() == []
    assert rec.drain_s is not None and rec.drain_s >= 0
    progress = database.progress(conn)
    assert (progress.created, progress.published, progress.processed, progress.backlog) == (200, 200, 200, 0)


def test_lost_and_doubly_processed_events_fail_loudly(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(100, DATA.orders, 0.0, 0, seed=2)
    insert_plan(conn, plan)
    _consume(conn, plan, skip=2, twice=1)
    outstanding = database.outstanding(conn)
    assert (outstanding.events, outstanding.drained) == (2, False)
    rec = reconcile(conn)
    assert (rec.lost, rec.processed_twice, rec.ok) == (2, 1, False)
    assert rec.problems() == ["2 of 100 events lost (never processed)",
                              "1 events processed twice (order_projection.applied > 1)"]


def test_a_dead_lettered_event_is_drained_but_lost(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(20, DATA.orders, 0.0, 0, seed=5)
    insert_plan(conn, plan)
    _consume(conn, plan, skip=1)
    last = plan.event_ids[-1]
    conn.execute("INSERT INTO dead_letters (broker, event_id, reason, payload) VALUES "
                 "('rabbitmq', %s, 'downstream failed 3 times', '{}')", (str(last),))
    assert database.outstanding(conn).drained
    rec = reconcile(conn)
    assert (rec.lost, rec.well_formed_dead_lettered) == (1, 1)
    assert "dead-lettered after every retry" in rec.problems()[0]


def test_reset_keeps_the_seed_and_drops_new_orders(postgres: object, conn: psycopg.Connection[TupleRow]) -> None:
    conn.execute("INSERT INTO orders (id, customer_id, product_id, quantity, total_cents, status, created_at) "
                 "VALUES (1000000007, 1, 1, 1, 137, 'CREATED', now())")
    insert_plan(conn, plan_outbox(5, DATA.orders, 0.0, 0, seed=1))
    database.reset_event_tables(postgres)  # type: ignore[arg-type]
    counts = conn.execute("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM outbox)").fetchone()
    assert counts == (DATA.orders, 0)
