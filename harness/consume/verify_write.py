"""Checking the write path of a variant before any consume segment: POST /orders and its outbox row.

The outbox payload is what every consumer reads and what the preload imitates, so it is compared
byte for byte with the wire JSON the harness builds from the stored order (``wire.wire_json`` and
the preload's SQL rendering, which must agree too).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from harness.consume.wire import payload_sql, wire_json
from harness.infra.postgres import PostgresEndpoint
from harness.infra.seed import unit_price_cents

CREATED_KEYS = ["id", "customerId", "productId", "quantity", "totalCents", "status", "createdAt", "eventId"]
VALID_BODY = {"customerId": 1, "productId": 7, "quantity": 2}
UNKNOWN_FIELD_BODY = {"customerId": 1, "productId": 7, "quantity": 2, "price": 5}
UNKNOWN_FIELD_ERROR = {"status": 400, "error": "bad_request", "message": "unknown field", "field": "price"}

_WRITTEN = "SELECT (SELECT count(*) FROM orders WHERE id >= 1000000000), (SELECT count(*) FROM outbox)"
_STORED = f"""
SELECT o.id, o.customer_id, o.product_id, o.quantity, o.total_cents, o.status, o.created_at,
       x.event_type, x.aggregate_id, x.payload, {payload_sql("x.event_id", "o")}
FROM orders o JOIN outbox x ON x.aggregate_id = o.id
WHERE o.id = %s AND x.event_id = %s
"""


def _written(endpoint: PostgresEndpoint) -> tuple[int, int]:
    with psycopg.connect(endpoint.conninfo()) as conn:
        row = conn.execute(_WRITTEN).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _post(client: httpx.Client, body: dict[str, Any], where: str, problems: list[str]) -> httpx.Response | None:
    try:
        return client.post("/orders", json=body)
    except httpx.HTTPError as error:
        problems.append(f"{where}: request failed: {type(error).__name__}: {error}")
        return None


def verify_write_path(name: str, base_url: str, endpoint: PostgresEndpoint) -> list[str]:
    """Every problem of ``name``'s POST /orders: status, Location, body, the stored order, its outbox
    row, and a rejected body writing nothing. Empty when the write path is as the contract says."""
    problems: list[str] = []
    where = f"{name} POST /orders"
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        before = _written(endpoint)
        rejected = _post(client, UNKNOWN_FIELD_BODY, f"{where} (unknown field)", problems)
        if rejected is not None:
            body = _json(rejected)
            if rejected.status_code != 400 or body != UNKNOWN_FIELD_ERROR:
                problems.append(f"{where} with an unknown field: status {rejected.status_code}, body "
                                f"{rejected.text[:200]!r}; expected 400 {UNKNOWN_FIELD_ERROR}")
            if _written(endpoint) != before:
                problems.append(f"{where} with an unknown field wrote an order or an outbox row")
        created = _post(client, VALID_BODY, where, problems)
    if created is None:
        return problems
    body = _json(created)
    if created.status_code != 201 or not isinstance(body, dict):
        return [*problems, f"{where}: status {created.status_code}, body {created.text[:200]!r}; expected 201 "
                           "with the created order"]
    if list(body) != CREATED_KEYS:
        problems.append(f"{where}: body keys {list(body)}, expected {CREATED_KEYS}")
    order_id, event_id = body.get("id"), body.get("eventId")
    if created.headers.get("location") != f"/orders/{order_id}":
        problems.append(f"{where}: Location {created.headers.get('location')!r}, expected '/orders/{order_id}'")
    try:
        parsed_event = uuid.UUID(str(event_id))
    except ValueError:
        return [*problems, f"{where}: eventId {event_id!r} is not a UUID"]
    with psycopg.connect(endpoint.conninfo()) as conn:
        row = conn.execute(_STORED, (order_id, parsed_event)).fetchone()
    if row is None:
        return [*problems, f"{where}: no order {order_id} with an outbox row for event {event_id} in the database"]
    oid, customer, product, quantity, total, status, created_at, event_type, aggregate, payload, sql_payload = row
    expected_total = VALID_BODY["quantity"] * unit_price_cents(VALID_BODY["productId"])
    stored = (customer, product, quantity, total, status)
    if stored != (VALID_BODY["customerId"], VALID_BODY["productId"], VALID_BODY["quantity"], expected_total, "CREATED"):
        problems.append(f"{where}: stored order {stored}, expected customer/product/quantity of the body, total "
                        f"{expected_total}, status CREATED")
    answered = (body.get("customerId"), body.get("productId"), body.get("quantity"), body.get("totalCents"),
                body.get("status"))
    if answered != stored:
        problems.append(f"{where}: answered {answered}, but stored {stored}")
    if _parse_instant(body.get("createdAt")) != created_at:
        problems.append(f"{where}: createdAt {body.get('createdAt')!r}, stored {created_at.isoformat()}")
    if event_type != "OrderCreated" or aggregate != oid:
        problems.append(f"{where}: outbox row type {event_type!r} aggregate {aggregate}, expected OrderCreated {oid}")
    expected = wire_json(parsed_event, oid, customer, product, quantity, total, created_at)
    if payload != expected:
        problems.append(f"{where}: outbox payload {payload!r} differs from the wire format {expected!r}")
    if sql_payload != expected:
        problems.append(f"harness: the preload's SQL renders {sql_payload!r}, the wire format is {expected!r}")
    return problems


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
