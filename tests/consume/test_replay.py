"""The replay's reconciliation on a real PostgreSQL: rows written as the app writes them, once by the measured
segment and once more by the replay after the read side was emptied."""

from __future__ import annotations

import psycopg
from consume.conftest import DATA
from psycopg.rows import TupleRow

from harness.consume import replay
from harness.consume.preload import OutboxPlan, insert_plan, plan_outbox
from harness.consume.reconcile import LOST, NOT_DRAINED, PROCESSED_TWICE, STRAYS
from harness.consume.replay import (
    DEAD_LETTERED_IN_REPLAY,
    POISON_NOT_REPLAYED,
    PROJECTION_DIFFERS,
    RELAY_NOT_IDLE,
    before_replay,
    reconcile_replay,
    replay_problems,
    reset_read_side,
)

POISON = 3


def _publish(conn: psycopg.Connection[TupleRow]) -> None:
    conn.execute("UPDATE outbox SET published_at = clock_timestamp() WHERE published_at IS NULL")


def _consume(conn: psycopg.Connection[TupleRow], plan: OutboxPlan, skip: int = 0) -> None:
    """What the app does with every delivered row (duplicates included): inbox (a redelivery bumps duplicates),
    projection from the order (total and a stock the downstream derives from the product), and a dead letter
    per poison message; the last ``skip`` distinct events are never delivered."""
    events = [(e, o) for e, o, p in zip(plan.event_ids, plan.order_ids, plan.poison, strict=True) if not p]
    distinct = list(dict.fromkeys(e for e, _ in events))
    skipped = set(distinct[len(distinct) - skip:]) if skip else set()
    for event_id, order_id in events:
        if event_id in skipped:
            continue
        inserted = conn.execute(
            "INSERT INTO inbox (event_id, broker) VALUES (%s, 'kafka') ON CONFLICT (event_id) "
            "DO UPDATE SET duplicates = inbox.duplicates + 1 RETURNING duplicates = 0", (event_id,)).fetchone()
        if inserted is not None and inserted[0]:
            conn.execute("INSERT INTO order_projection (order_id, event_id, customer_id, total_cents, stock, applied) "
                         "SELECT id, %s, customer_id, total_cents, (product_id * 7919) %% 100, 1 FROM orders "
                         "WHERE id = %s", (event_id, order_id))
    conn.execute("INSERT INTO dead_letters (broker, event_id, reason, payload) "
                 "SELECT 'kafka', NULL, 'payload is not JSON', payload FROM outbox "
                 "WHERE starts_with(payload, 'POISON ')")


def _measured(conn: psycopg.Connection[TupleRow]) -> tuple[OutboxPlan, replay.Before]:
    """A measured segment that reconciled, then the read side emptied for the replay."""
    plan = plan_outbox(150, DATA.orders, 0.1, POISON, seed=3)
    insert_plan(conn, plan)
    _publish(conn)
    _consume(conn, plan)
    before = before_replay(conn)
    reset_read_side(conn)
    return plan, before


def _reasons(conn: psycopg.Connection[TupleRow], before: replay.Before, drained: bool = True) -> list[str]:
    return [p.reason for p in replay_problems(reconcile_replay(conn, before), before, drained, 60.0)]


def test_a_replay_that_rebuilds_the_same_read_model_reconciles(conn: psycopg.Connection[TupleRow]) -> None:
    plan, before = _measured(conn)
    assert (before.projection_rows, before.unpublished_rows) == (150, 0) and before.projection_checksum
    assert before.dead_letter_mark == POISON
    assert conn.execute("SELECT count(*) FROM inbox").fetchone() == (0,)
    assert replay.outstanding(conn, before) == (150, POISON)
    _consume(conn, plan)
    assert replay.outstanding(conn, before) == (0, 0)
    rec = reconcile_replay(conn, before)
    assert replay_problems(rec, before, True, 60.0) == []
    assert (rec.created, rec.replayed, rec.lost, rec.processed_twice, rec.strays) == (150, 150, 0, 0, 0)
    assert rec.duplicates_suppressed == plan.duplicate_rows
    # The measured segment's dead letters stay; the replay's are the poison messages failing again.
    assert (rec.poison, rec.poison_dead_lettered, rec.dead_letters_added) == (POISON, POISON, POISON)
    assert (rec.projection_rows, rec.projection_checksum) == (before.projection_rows, before.projection_checksum)
    assert rec.first_to_last_s is not None and rec.first_to_last_s >= 0


def test_a_replay_missing_one_event_fails_as_lost(conn: psycopg.Connection[TupleRow]) -> None:
    plan, before = _measured(conn)
    _consume(conn, plan)
    conn.execute("DELETE FROM inbox WHERE event_id = %s", (plan.event_ids[0],))
    assert replay.outstanding(conn, before) == (1, 0)
    assert _reasons(conn, before, drained=False) == [NOT_DRAINED, LOST]


def test_a_replay_that_never_got_the_last_events_fails_lost_and_its_projection_differs(
        conn: psycopg.Connection[TupleRow]) -> None:
    plan, before = _measured(conn)
    _consume(conn, plan, skip=2)
    assert _reasons(conn, before) == [LOST, PROJECTION_DIFFERS]


def test_a_different_projection_row_or_a_second_application_fails(conn: psycopg.Connection[TupleRow]) -> None:
    plan, before = _measured(conn)
    _consume(conn, plan)
    conn.execute("UPDATE order_projection SET total_cents = total_cents + 1 WHERE order_id = %s", (plan.order_ids[0],))
    assert _reasons(conn, before) == [PROJECTION_DIFFERS]
    conn.execute("UPDATE order_projection SET total_cents = total_cents - 1, applied = 2, created_applied = 2 "
                 "WHERE order_id = %s",
                 (plan.order_ids[0],))
    # applied is not part of the checksum: a second application is its own reason.
    assert _reasons(conn, before) == [PROCESSED_TWICE]


def test_strays_unreplayed_poison_new_dead_letters_and_a_busy_relay_are_named(
        conn: psycopg.Connection[TupleRow]) -> None:
    plan, before = _measured(conn)
    _consume(conn, plan)
    conn.execute("DELETE FROM dead_letters WHERE id > %s AND payload = (SELECT payload FROM dead_letters "
                 "WHERE id > %s ORDER BY id LIMIT 1)", (before.dead_letter_mark, before.dead_letter_mark))
    assert replay.outstanding(conn, before) == (0, 1)
    conn.execute("INSERT INTO inbox (event_id, broker) VALUES (gen_random_uuid(), 'kafka')")
    conn.execute("INSERT INTO dead_letters (broker, event_id, reason, payload) VALUES ('kafka', %s, 'downstream', "
                 "'{}')", (str(plan.event_ids[1]),))
    conn.execute("UPDATE outbox SET published_at = clock_timestamp() WHERE id = 1")
    assert _reasons(conn, before) == [STRAYS, POISON_NOT_REPLAYED, DEAD_LETTERED_IN_REPLAY, RELAY_NOT_IDLE]


def test_a_lifecycle_order_applied_once_per_stage_is_not_processed_twice(conn: psycopg.Connection[TupleRow]) -> None:
    # A lifecycle order legitimately takes three events (Created, Paid, Shipped), each applied once: the
    # replay counted applied > 1 per order and failed every lifecycle replay as processed twice.
    plan, before = _measured(conn)
    _consume(conn, plan)
    conn.execute("UPDATE order_projection SET applied = 3, created_applied = 1, paid_applied = 1, shipped_applied = 1 "
                 "WHERE order_id = %s", (plan.order_ids[0],))
    assert _reasons(conn, before) == []
