"""Reconciliation and the drain check, on outbox/inbox/projection/dead-letter rows written as a consumer would."""

from __future__ import annotations

import psycopg
from consume.conftest import DATA
from psycopg.rows import TupleRow

from harness.consume import database
from harness.consume.preload import OutboxPlan, insert_plan, plan_outbox
from harness.consume.reconcile import (
    CREATED_MISMATCH,
    DUPLICATES_UNSEEN,
    FAULT_NOT_FIRED,
    LOST,
    NOTHING_CREATED,
    ORDERS_MISMATCH,
    OUT_OF_ORDER,
    POSTS_FAILED,
    PROCESSED_TWICE,
    STRAYS,
    UNDELIVERED,
    Drive,
    Injected,
    reconcile,
    segment_problems,
)
from harness.consume.wire import stage


def _injected(plan: OutboxPlan, faults_not_fired: tuple[str, ...] = (), ordering_required: bool = False) -> Injected:
    return Injected(plan.events, plan.duplicate_rows, None, faults_not_fired, ordering_required)


# The consumer's projection statement (order-domain's EventSql.PROJECTION_UPSERT), in psycopg's placeholders.
PROJECTION_UPSERT = """
INSERT INTO order_projection (order_id, event_id, customer_id, total_cents, stock, applied, stage, out_of_order,
                              created_applied, paid_applied, shipped_applied)
VALUES (%(order)s, %(event)s, 1, 1, 1, 1, %(stage)s, CASE WHEN %(stage)s = 1 THEN 0 ELSE 1 END,
        CASE WHEN %(stage)s = 1 THEN 1 ELSE 0 END, CASE WHEN %(stage)s = 2 THEN 1 ELSE 0 END,
        CASE WHEN %(stage)s = 3 THEN 1 ELSE 0 END)
ON CONFLICT (order_id) DO UPDATE SET applied = order_projection.applied + 1,
    out_of_order = order_projection.out_of_order
        + CASE WHEN EXCLUDED.stage = order_projection.stage + 1 THEN 0 ELSE 1 END,
    event_id = CASE WHEN EXCLUDED.stage > order_projection.stage THEN EXCLUDED.event_id
               ELSE order_projection.event_id END,
    stage = greatest(order_projection.stage, EXCLUDED.stage),
    created_applied = order_projection.created_applied + EXCLUDED.created_applied,
    paid_applied = order_projection.paid_applied + EXCLUDED.paid_applied,
    shipped_applied = order_projection.shipped_applied + EXCLUDED.shipped_applied
"""


def _consume(conn: psycopg.Connection[TupleRow], plan: OutboxPlan, skip: int = 0, twice: int = 0,
             duplicates_arrive: bool = True, swap: int = 0) -> None:
    """Publish everything; process every event but the last ``skip`` the way the app does (inbox + projection,
    a redelivery bumps duplicates); apply ``twice`` events a second time; dead-letter every poison message.
    With ``duplicates_arrive`` False the consumer sees each event once, as if the copies were never delivered.
    ``swap``: the first ``swap`` orders' first two events are consumed the other way round (Paid overtakes Created)."""
    conn.execute("UPDATE outbox SET published_at = clock_timestamp()")
    seen: set[object] = set()
    events = [(e, o, t) for e, o, p, t in zip(plan.event_ids, plan.order_ids, plan.poison, plan.types, strict=True)
              if not p]
    if not duplicates_arrive:
        events = list(dict.fromkeys(events))
    for order in list(dict.fromkeys(o for _, o, _ in events))[:swap]:
        first, second = (next(i for i, (_, o, t) in enumerate(events) if o == order and t == wanted)
                         for wanted in ("OrderCreated", "OrderPaid"))
        events[first], events[second] = events[second], events[first]
    distinct = list(dict.fromkeys(e for e, _, _ in events))
    skipped = set(distinct[len(distinct) - skip:]) if skip else set()
    for event_id, order_id, event_type in events:
        if event_id in skipped:
            continue
        conn.execute("INSERT INTO inbox (event_id, broker) VALUES (%s, 'kafka') ON CONFLICT (event_id) "
                     "DO UPDATE SET duplicates = inbox.duplicates + 1", (event_id,))
        if event_id not in seen:
            seen.add(event_id)
            conn.execute(PROJECTION_UPSERT, {"order": order_id, "event": event_id, "stage": stage(event_type)})
    # Bypassing the inbox: the projection applies the same event again.
    for event_id, order_id, event_type in events[:twice]:
        conn.execute(PROJECTION_UPSERT, {"order": order_id, "event": event_id, "stage": stage(event_type)})
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
    assert segment_problems(rec, _injected(plan)) == []
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
    assert (rec.lost, rec.processed_twice) == (2, 1)
    assert [str(p) for p in segment_problems(rec, _injected(plan))] == [
        "lost: 2 of 100 events never processed",
        "processed twice: 1 events applied more than once (an order_projection stage count above 1)",
    ]


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
    [problem] = segment_problems(rec, _injected(plan))
    assert problem.reason == LOST and "dead-lettered after every retry" in problem.detail


def test_reset_keeps_the_seed_and_drops_new_orders(postgres: object, conn: psycopg.Connection[TupleRow]) -> None:
    conn.execute("INSERT INTO orders (id, customer_id, product_id, quantity, total_cents, status, created_at) "
                 "VALUES (1000000007, 1, 1, 1, 137, 'CREATED', now())")
    insert_plan(conn, plan_outbox(5, DATA.orders, 0.0, 0, seed=1))
    database.reset_event_tables(postgres)  # type: ignore[arg-type]
    counts = conn.execute("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM outbox)").fetchone()
    assert counts == (DATA.orders, 0)


def _reasons(conn: psycopg.Connection[TupleRow], injected: Injected) -> list[str]:
    return [p.reason for p in segment_problems(reconcile(conn), injected)]


def test_an_empty_outbox_cannot_pass(conn: psycopg.Connection[TupleRow]) -> None:
    # The relay or the driver delivered nothing: every count is 0, nothing is "lost".
    assert database.outstanding(conn).drained
    assert _reasons(conn, Injected(0, 0, None, ())) == [NOTHING_CREATED]
    plan = plan_outbox(50, DATA.orders, 0.0, 0, seed=3)
    assert _reasons(conn, _injected(plan)) == [NOTHING_CREATED, CREATED_MISMATCH]


def test_created_must_equal_the_preload_plan(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(50, DATA.orders, 0.0, 0, seed=3)
    insert_plan(conn, plan)
    conn.execute("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id DESC LIMIT 4)")
    _consume(conn, plan_outbox(50, DATA.orders, 0.0, 0, seed=3))
    problem, strays = segment_problems(reconcile(conn), _injected(plan))
    assert str(problem) == f"{CREATED_MISMATCH}: 46 distinct events in the outbox, 50 events in the preload plan"
    # The 4 events consumed without an outbox row are named too.
    assert strays.reason == STRAYS and strays.detail.startswith("4 inbox rows")


def test_duplicates_that_never_reach_the_consumer_fail(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(100, DATA.orders, 0.1, 0, seed=4)
    insert_plan(conn, plan)
    _consume(conn, plan, duplicates_arrive=False)
    rec = reconcile(conn)
    assert (rec.lost, rec.processed_twice, rec.duplicate_rows, rec.duplicates_suppressed) == (0, 0, 10, 0)
    [problem] = segment_problems(rec, _injected(plan))
    assert str(problem) == f"{DUPLICATES_UNSEEN}: 10 duplicate rows injected, the inbox turned away 0"


def test_a_fault_that_did_not_fire_fails(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(20, DATA.orders, 0.0, 0, seed=6)
    insert_plan(conn, plan)
    _consume(conn, plan)
    [problem] = segment_problems(reconcile(conn), _injected(plan, ("kill-consumer",)))
    assert str(problem) == (f"{FAULT_NOT_FIRED}: kill-consumer was configured but its threshold was never reached "
                            "(20 processed)")


def _post_orders(conn: psycopg.Connection[TupleRow], count: int) -> None:
    """What POST /orders writes, in one transaction each: an order and its outbox event."""
    for _ in range(count):
        conn.execute(
            "WITH o AS (INSERT INTO orders (id, customer_id, product_id, quantity, total_cents, status, created_at) "
            "VALUES (nextval('order_id_seq'), 1, 1, 1, 137, 'CREATED', now()) RETURNING id) "
            "INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
            "SELECT gen_random_uuid(), 'OrderCreated', id, '{}' FROM o")


def _consume_everything(conn: psycopg.Connection[TupleRow]) -> None:
    conn.execute("UPDATE outbox SET published_at = clock_timestamp()")
    conn.execute("INSERT INTO inbox (event_id, broker) SELECT DISTINCT event_id, 'kafka' FROM outbox")


def _drive(accepted: int, failed: int, new_orders: int, planned: int = 10) -> Drive:
    return Drive(planned=planned, accepted=accepted, failed=failed, retries=3,
                 failure_kinds={"ReadError": failed} if failed else {}, new_orders=new_orders)


def test_drive_mode_checks_planned_accepted_failed_and_the_orders_rows(conn: psycopg.Connection[TupleRow]) -> None:
    _post_orders(conn, 10)
    _consume_everything(conn)
    new_orders = database.new_orders(conn)
    assert new_orders == 10
    assert _reasons(conn, Injected(10, 0, _drive(10, 0, new_orders), ())) == []
    # Two POSTs never answered 201 but one of them was written anyway: every check that broke is named.
    problems = segment_problems(reconcile(conn), Injected(8, 0, _drive(8, 2, new_orders), ()))
    assert [str(p) for p in problems] == [
        f"{CREATED_MISMATCH}: 10 distinct events in the outbox, 8 POSTs answered 201",
        f"{UNDELIVERED}: 8 of 10 planned orders answered 201",
        f"{POSTS_FAILED}: 2 POST /orders never accepted (ReadError × 2; 3 retries)",
        f"{ORDERS_MISMATCH}: 10 new orders rows, 8 POSTs answered 201",
    ]


def test_drive_mode_where_every_post_failed_cannot_pass(conn: psycopg.Connection[TupleRow]) -> None:
    assert _reasons(conn, Injected(0, 0, _drive(0, 10, database.new_orders(conn)), ())) == [
        NOTHING_CREATED, UNDELIVERED, POSTS_FAILED]



def test_a_warm_up_batch_removed_before_the_measured_events_leaves_an_exact_reconciliation(
        postgres: object, conn: psycopg.Connection[TupleRow]) -> None:
    warmup = plan_outbox(150, DATA.orders, 0.0, 0, seed=2, stream="warmup")
    measured = plan_outbox(200, DATA.orders, 0.05, 3, seed=2)
    assert not set(warmup.event_ids) & set(measured.event_ids)
    insert_plan(conn, warmup)
    _consume(conn, warmup)
    assert database.processed_and_dead(conn) == (150, 0)
    database.reset_event_tables(postgres)  # type: ignore[arg-type]  # what the segment does after the warm-up
    insert_plan(conn, measured)
    _consume(conn, measured)

    rec = reconcile(conn)
    assert (rec.created, rec.processed, rec.lost, rec.processed_twice, rec.strays) == (200, 200, 0, 0, 0)
    assert segment_problems(rec, _injected(measured)) == []


def test_a_warm_up_event_delivered_again_after_the_reset_is_a_stray_not_a_processed_event(
        postgres: object, conn: psycopg.Connection[TupleRow]) -> None:
    warmup = plan_outbox(20, DATA.orders, 0.0, 0, seed=3, stream="warmup")
    measured = plan_outbox(100, DATA.orders, 0.0, 0, seed=3)
    insert_plan(conn, measured)
    _consume(conn, measured)
    # A redelivered warm-up event reaches the inbox after its outbox row was removed.
    conn.execute("INSERT INTO inbox (event_id, broker) VALUES (%s, 'kafka')", (warmup.event_ids[0],))

    rec = reconcile(conn)
    assert rec.strays == 1 and rec.processed == 101 and rec.lost == 0
    assert [p.reason for p in segment_problems(rec, _injected(measured))] == [STRAYS]


def test_a_lifecycle_in_order_reconciles_with_no_violation_and_duplicates_are_no_violation(
        conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(300, DATA.orders, 0.1, 2, seed=7, lifecycle=True)
    insert_plan(conn, plan)
    _consume(conn, plan)
    rec = reconcile(conn)
    assert (rec.created, rec.processed, rec.lost, rec.processed_twice, rec.ordering_violations) == (300, 300, 0, 0, 0)
    assert rec.duplicates_suppressed == 30
    # Three events per order are no double processing: the check is per stage.
    assert conn.execute("SELECT count(*), min(applied), max(stage) FROM order_projection").fetchone() == (100, 3, 3)
    assert segment_problems(rec, _injected(plan, ordering_required=True)) == []


def test_processed_twice_is_per_stage_with_a_lifecycle(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(30, DATA.orders, 0.0, 0, seed=8, lifecycle=True)
    insert_plan(conn, plan)
    _consume(conn, plan)
    assert reconcile(conn).processed_twice == 0
    # Bypassing the inbox, a Paid and a Shipped event are applied once more: each is an event processed twice.
    for again in ("OrderPaid", "OrderShipped"):
        event_id, order_id = next((e, o) for e, o, t in zip(plan.event_ids, plan.order_ids, plan.types, strict=True)
                                  if t == again)
        conn.execute(PROJECTION_UPSERT, {"order": order_id, "event": event_id, "stage": stage(again)})
    rec = reconcile(conn)
    assert rec.processed_twice == 2
    [problem] = [p for p in segment_problems(rec, _injected(plan)) if p.reason == PROCESSED_TWICE]
    assert problem.detail.startswith("2 events applied more than once")


def test_violations_are_counted_always_and_fail_the_segment_only_when_ordering_is_required(
        conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(60, DATA.orders, 0.0, 0, seed=9, lifecycle=True)
    insert_plan(conn, plan)
    _consume(conn, plan, swap=3)
    rec = reconcile(conn)
    # Each swapped pair: Paid ahead of its predecessor, then Created older than the stage held.
    assert (rec.ordering_violations, rec.lost, rec.processed_twice) == (6, 0, 0)
    assert segment_problems(rec, _injected(plan)) == []
    assert [str(p) for p in segment_problems(rec, _injected(plan, ordering_required=True))] == [
        f"{OUT_OF_ORDER}: 6 events were not the next stage of their order when applied "
        "(order_projection.out_of_order; consume.ordering: required)"]


def test_an_outbox_with_inverted_orders_consumed_in_outbox_order_counts_two_violations_each(
        conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(90, DATA.orders, 0.1, 0, seed=10, lifecycle=True, inverted=2)
    insert_plan(conn, plan)
    _consume(conn, plan)
    rec = reconcile(conn)
    assert (rec.ordering_violations, rec.processed_twice, rec.lost) == (4, 0, 0)
    assert [p.reason for p in segment_problems(rec, _injected(plan, ordering_required=True))] == [OUT_OF_ORDER]
