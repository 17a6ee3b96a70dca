"""The event's wire form: the Python and SQL renderings agree with each other and with the Java contract."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import TupleRow

from harness.consume.wire import EVENT_TYPES, instant_text, payload_sql, stage, wire_json

CONTRACT = (Path(__file__).resolve().parents[2] / "java-apps" / "order-domain" / "src" / "test" / "resources"
            / "contract" / "order-created-event.json")


@pytest.mark.parametrize(("moment", "text"), [
    (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00Z"),
    (datetime(2026, 11, 27, 1, 2, 3, 456000, tzinfo=UTC), "2026-11-27T01:02:03.456Z"),
    (datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC), "2026-11-27T01:02:03.456789Z"),
    (datetime(2026, 11, 27, 1, 2, 3, 400, tzinfo=UTC), "2026-11-27T01:02:03.000400Z"),
])
def test_instants_print_like_java(moment: datetime, text: str) -> None:
    assert instant_text(moment) == text


def test_python_rendering_is_the_contract_fixture() -> None:
    if not CONTRACT.exists():
        pytest.skip("the order-domain contract fixture is not in this checkout")
    event_id = uuid.UUID("6f1c2c52-6f0e-4a55-9d3e-1b2c3d4e5f60")
    created = datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC)
    expected = (CONTRACT.read_text(encoding="utf-8").strip().replace("{eventId}", str(event_id))
                .replace("{id}", "1000000001").replace("{createdAt}", instant_text(created)))
    assert wire_json(event_id, 1000000001, 900000001, 342, 3, 8562, created) == expected


@pytest.mark.parametrize("created", [
    "2026-03-04 05:06:07+00", "2026-03-04 05:06:07.12+00", "2026-03-04 05:06:07.123456+00",
    "2026-03-04 05:06:07.000001+00", "2026-12-31 23:59:59.999+00",
])
def test_sql_rendering_equals_python_rendering(conn: psycopg.Connection[TupleRow], created: str) -> None:
    event_id = uuid.uuid4()
    with conn.transaction(force_rollback=True):
        conn.execute("INSERT INTO orders (id, customer_id, product_id, quantity, total_cents, status, created_at) "
                     "VALUES (1000000042, 7, 31, 4, 1234, 'CREATED', %s)", (created,))
        row = conn.execute(
            f"SELECT {payload_sql('%(event)s::uuid', 'o')}, o.created_at FROM orders o WHERE o.id = 1000000042",
            {"event": event_id},
        ).fetchone()
    assert row is not None
    sql_payload, stored = row
    assert sql_payload == wire_json(event_id, 1000000042, 7, 31, 4, 1234, stored)


def test_the_lifecycle_types_and_their_stages() -> None:
    assert [stage(t) for t in EVENT_TYPES] == [1, 2, 3]
    assert EVENT_TYPES == ("OrderCreated", "OrderPaid", "OrderShipped")
    # Any other type is poison to the consumer; the harness refuses to write one as a well-formed event.
    for unknown in ("OrderCancelled", "orderPaid", ""):
        with pytest.raises(ValueError, match="type must be one of"):
            stage(unknown)
        with pytest.raises(ValueError):
            wire_json(uuid.uuid4(), 1, 1, 1, 1, 1, datetime(2026, 1, 1, tzinfo=UTC), unknown)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_type_renders_alike_in_sql_and_python_differing_only_in_type(
        conn: psycopg.Connection[TupleRow], event_type: str) -> None:
    event_id = uuid.uuid4()
    row = conn.execute(
        f"SELECT {payload_sql('%(event)s::uuid', 'o', '%(type)s::text')}, o.id, o.customer_id, o.product_id, "
        "o.quantity, o.total_cents, o.created_at FROM orders o WHERE o.id = 1",
        {"event": event_id, "type": event_type},
    ).fetchone()
    assert row is not None
    payload, *order = row
    assert payload == wire_json(event_id, *order, event_type)
    assert payload == wire_json(event_id, *order).replace('"type":"OrderCreated"', f'"type":"{event_type}"')
