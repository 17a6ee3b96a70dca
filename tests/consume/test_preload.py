"""The preload plan and its one INSERT, against the real schema."""

from __future__ import annotations

import json

import psycopg
import pytest
from consume.conftest import DATA
from psycopg.rows import TupleRow

from harness.consume.preload import insert_plan, plan_outbox
from harness.consume.wire import EVENT_TYPES, POISON_PREFIX, wire_json


def test_the_plan_is_deterministic_and_counts_what_it_promises() -> None:
    plan = plan_outbox(500, DATA.orders, 0.05, 7, seed=3)
    assert plan == plan_outbox(500, DATA.orders, 0.05, 7, seed=3)
    assert plan != plan_outbox(500, DATA.orders, 0.05, 7, seed=4)
    assert (plan.events, plan.duplicate_rows, plan.poison_rows, plan.rows) == (500, 25, 7, 532)
    well_formed = [(e, o) for e, o, p in zip(plan.event_ids, plan.order_ids, plan.poison, strict=True) if not p]
    assert len({o for _, o in well_formed}) == 500  # one event per order: applied > 1 means processed twice
    assert all(1 <= o <= DATA.orders for _, o in well_formed)
    first_seen: dict[object, int] = {}
    for index, (event_id, _) in enumerate(well_formed):
        first_seen.setdefault(event_id, index)
    duplicates = [i for i, (e, _) in enumerate(well_formed) if first_seen[e] != i]
    assert len(duplicates) == 25
    # Interleaved, not appended: duplicates are spread through the stream.
    assert duplicates[0] < len(well_formed) * 0.9


def _outbox(conn: psycopg.Connection[TupleRow]) -> list[tuple]:  # type: ignore[type-arg]
    return conn.execute(
        "SELECT x.event_id, x.event_type, x.aggregate_id, x.payload, o.customer_id, o.product_id, o.quantity, "
        "o.total_cents, o.created_at FROM outbox x JOIN orders o ON o.id = x.aggregate_id ORDER BY x.id"
    ).fetchall()


def test_insert_writes_the_plan_in_order_with_the_wire_payload(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(300, DATA.orders, 0.1, 5, seed=1)
    assert insert_plan(conn, plan) == plan.rows
    rows = _outbox(conn)
    assert [r[0] for r in rows] == list(plan.event_ids)  # outbox ids (the relay's order) follow the plan
    assert all(r[1] == "OrderCreated" for r in rows)
    for (event_id, _, order_id, payload, customer, product, quantity, total, created), poison in zip(
            rows, plan.poison, strict=True):
        if poison:
            assert payload.startswith(POISON_PREFIX)
            continue
        assert payload == wire_json(event_id, order_id, customer, product, quantity, total, created)
        assert json.loads(payload)["orderId"] == order_id
    poison_payloads = [r[3] for r, p in zip(rows, plan.poison, strict=True) if p]
    assert len(set(poison_payloads)) == 5  # each poison message is unique: its dead letter is matched by payload
    assert all(r[0] is None for r in conn.execute("SELECT published_at FROM outbox").fetchall())


def _stages_in_order(plan_types: list[str]) -> bool:
    return plan_types == list(EVENT_TYPES[:len(plan_types)])


def test_a_lifecycle_plan_has_three_events_per_order_each_order_in_stage_order() -> None:
    plan = plan_outbox(900, DATA.orders, 0.05, 4, seed=3, lifecycle=True)
    assert plan == plan_outbox(900, DATA.orders, 0.05, 4, seed=3, lifecycle=True)
    assert (plan.events, plan.orders, plan.duplicate_rows, plan.poison_rows, plan.rows) == (900, 300, 45, 4, 949)
    originals: dict[int, list[str]] = {}
    seen: set[object] = set()
    for event_id, order_id, poison, event_type in zip(plan.event_ids, plan.order_ids, plan.poison, plan.types,
                                                      strict=True):
        if poison or event_id in seen:
            continue
        seen.add(event_id)
        originals.setdefault(order_id, []).append(event_type)
    assert len(originals) == 300
    assert all(types == list(EVENT_TYPES) for types in originals.values())
    # A duplicate carries its original's type and comes after it.
    first: dict[object, int] = {}
    for index, (event_id, event_type) in enumerate(zip(plan.event_ids, plan.types, strict=True)):
        if event_id in first:
            assert plan.types[first[event_id]] == event_type
        first.setdefault(event_id, index)
    # Interleaved: some order's Created comes after another order's Shipped.
    well = [(o, t) for o, p, t in zip(plan.order_ids, plan.poison, plan.types, strict=True) if not p]
    first_shipped = next(i for i, (_, t) in enumerate(well) if t == "OrderShipped")
    assert any(t == "OrderCreated" for _, t in well[first_shipped:])
    # The one-event stream is what it always was.
    assert plan_outbox(300, DATA.orders, 0.05, 4, seed=3).types == ("OrderCreated",) * 319


def test_a_lifecycle_needs_whole_orders() -> None:
    with pytest.raises(ValueError, match="no multiple"):
        plan_outbox(10, DATA.orders, 0.0, 0, seed=1, lifecycle=True)


def test_insert_writes_each_type_into_column_and_payload(conn: psycopg.Connection[TupleRow]) -> None:
    plan = plan_outbox(60, DATA.orders, 0.1, 2, seed=5, lifecycle=True)
    assert insert_plan(conn, plan) == plan.rows
    rows = _outbox(conn)
    assert [r[1] for r in rows] == list(plan.types)
    for (event_id, event_type, order_id, payload, customer, product, quantity, total, created), poison in zip(
            rows, plan.poison, strict=True):
        if not poison:
            assert payload == wire_json(event_id, order_id, customer, product, quantity, total, created, event_type)
            assert json.loads(payload)["type"] == event_type


def test_inverted_orders_have_paid_before_created_and_nothing_else_changes() -> None:
    plain = plan_outbox(300, DATA.orders, 0.05, 2, seed=4, lifecycle=True)
    inverted = plan_outbox(300, DATA.orders, 0.05, 2, seed=4, lifecycle=True, inverted=3)
    assert (inverted.event_ids, inverted.order_ids, inverted.poison) == (plain.event_ids, plain.order_ids,
                                                                         plain.poison)
    changed = {o for o, a, b in zip(plain.order_ids, plain.types, inverted.types, strict=True) if a != b}
    assert len(changed) == 3
    for order in changed:
        seen = list(dict.fromkeys((e, t) for e, o, t in zip(inverted.event_ids, inverted.order_ids, inverted.types,
                                                               strict=True) if o == order))
        assert [t for _, t in seen] == ["OrderPaid", "OrderCreated", "OrderShipped"]
    with pytest.raises(ValueError, match="invert"):
        plan_outbox(30, DATA.orders, 0.0, 0, seed=4, inverted=1)
