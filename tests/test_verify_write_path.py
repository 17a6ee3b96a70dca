"""verify_write_path against a real PostgreSQL and a small HTTP app that writes orders the contract's
way, or breaks it the way a careless adapter would (writing before validating, a reordered event)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import psycopg
import pytest
from local_http import serving
from local_services import SCHEMA_DIR, postgres_with_schema

from harness.consume.wire import instant_text
from harness.infra import seed as seeding
from harness.infra.postgres import PostgresEndpoint
from harness.infra.seed import unit_price_cents
from harness.scenario import DataSettings
from harness.verify import verify_write_path

CUSTOMERS = 30


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresEndpoint]:
    with postgres_with_schema(tmp_path_factory.mktemp("verify-write"), SCHEMA_DIR) as postgres:
        seeding.seed(postgres, DataSettings(orders=10, customers=CUSTOMERS))
        yield postgres


def _rejection(body: bytes, customers: int) -> tuple[str, str] | None:
    """The contract's validation, re-stated for the fake app: (field, message) or None."""
    try:
        data = json.loads(body)
    except ValueError:
        return "body", "body must be a JSON object"
    if not isinstance(data, dict):
        return "body", "body must be a JSON object"
    for name in data:
        if name not in ("customerId", "productId", "quantity"):
            return name, "unknown field"
    for name in ("customerId", "productId"):
        if type(data.get(name)) is not int or data[name] < 1:
            return name, f"{name} must be a positive integer"
    if type(data.get("quantity")) is not int or not 1 <= data["quantity"] <= 100:
        return "quantity", "quantity must be an integer from 1 to 100"
    if data["customerId"] > customers:
        return "customerId", f"customer {data['customerId']} does not exist"
    return None


def _serve(database: PostgresEndpoint, broken: bool) -> AbstractContextManager[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: object, location: str | None = None) -> None:
            data = json.dumps(body, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            with psycopg.connect(database.conninfo(), autocommit=False) as conn:
                if broken:  # writes first, validates after: the bug the check exists for
                    conn.execute("INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
                                 "VALUES (gen_random_uuid(), 'OrderCreated', 0, '{}')")
                    conn.commit()
                rejected = _rejection(raw, CUSTOMERS)
                if rejected:
                    field, message = rejected
                    self._send(400, {"status": 400, "error": "bad_request", "message": message, "field": field})
                    return
                data = json.loads(raw)
                row = conn.execute("SELECT nextval('order_id_seq')").fetchone()
                assert row is not None
                order_id, event_id = row[0], str(uuid.uuid4())
                now = datetime.now(UTC)
                total = data["quantity"] * unit_price_cents(data["productId"])
                created = instant_text(now)
                conn.execute("INSERT INTO orders VALUES (%s, %s, %s, %s, %s, 'CREATED', %s)",
                             (order_id, data["customerId"], data["productId"], data["quantity"], total, now))
                event = {"eventId": event_id, "type": "OrderCreated", "orderId": order_id,
                         "customerId": data["customerId"], "productId": data["productId"],
                         "quantity": data["quantity"], "totalCents": total, "createdAt": created}
                if broken:
                    event = dict(reversed(event.items()))
                conn.execute("INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
                             "VALUES (%s, 'OrderCreated', %s, %s)",
                             (event_id, order_id, json.dumps(event, separators=(",", ":"))))
                conn.commit()
            self._send(201, {"id": order_id, "customerId": data["customerId"], "productId": data["productId"],
                             "quantity": data["quantity"], "totalCents": total, "status": "CREATED",
                             "createdAt": created, "eventId": event_id}, f"/orders/{order_id}")

    return serving(Handler)


def test_a_correct_write_path_has_no_problems(database: PostgresEndpoint) -> None:
    with _serve(database, broken=False) as url:
        problems, bodies = verify_write_path("good", url, database, CUSTOMERS)
        assert problems == []
        assert len(bodies) == 8
        assert all(b'"status":400' in body for body in bodies.values())


def test_writes_on_rejected_bodies_and_a_reordered_event_are_named(database: PostgresEndpoint) -> None:
    with _serve(database, broken=True) as url:
        problems, _ = verify_write_path("bad", url, database, CUSTOMERS)
        text = "\n".join(problems)
        assert "bad POST /orders not json: a rejected order wrote rows (orders, outbox)" in text
        assert sum("a rejected order wrote rows" in p for p in problems) == 8
        assert "bad POST /orders: outbox payload" in text
        assert "differs from the wire format" in text
