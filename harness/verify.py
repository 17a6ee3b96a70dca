"""Checking every endpoint's answer before any load is sent.

The expected answers are computed here, from the database and the contract in docs/design.md,
independently of the Java code: a variant that returns the wrong order fast must not win.
Every problem of every variant is collected; the run stops only after all were checked.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from harness.consume.wire import payload_sql, wire_json
from harness.infra.postgres import PostgresEndpoint
from harness.infra.seed import unit_price_cents

TIERS = ("BRONZE", "SILVER", "GOLD")


@dataclass(frozen=True)
class ExpectedOrder:
    id: int
    customer_id: int
    product_id: int
    quantity: int
    total_cents: int
    status: str
    created_at: datetime

    def expected_body(self) -> dict[str, Any]:
        stock = (self.product_id * 7919) % 100
        return {
            "id": self.id,
            "customerId": self.customer_id,
            "productId": self.product_id,
            "quantity": self.quantity,
            "totalCents": self.total_cents,
            "status": self.status,
            "createdAt": self.created_at,
            "customer": {"id": self.customer_id, "name": f"Customer {self.customer_id}",
                         "tier": TIERS[self.customer_id % 3]},
            "inventory": {"productId": self.product_id, "available": stock > 0, "stock": stock},
        }


def sample_orders(endpoint: PostgresEndpoint, order_count: int) -> tuple[list[ExpectedOrder], int]:
    """A few real orders (first, middle, last) and an id that does not exist."""
    ids = sorted({1, max(1, order_count // 2), order_count})
    with psycopg.connect(endpoint.conninfo()) as conn:
        rows = conn.execute(
            "SELECT id, customer_id, product_id, quantity, total_cents, status, created_at "
            "FROM orders WHERE id = ANY(%s) ORDER BY id",
            (ids,),
        ).fetchall()
        unknown = conn.execute("SELECT coalesce(max(id), 0) + 1000 FROM orders").fetchone()
    orders = [ExpectedOrder(*row) for row in rows]
    return orders, int(unknown[0]) if unknown else order_count + 1000


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _compare(expected: Any, actual: Any, path: str) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or 'body'}: expected an object, got {type(actual).__name__}"]
        problems = []
        if list(actual) != list(expected):
            problems.append(f"{path or 'body'}: keys {list(actual)} differ from the contract's {list(expected)}")
        for key, value in expected.items():
            if key in actual:
                problems += _compare(value, actual[key], f"{path}.{key}" if path else key)
        return problems
    if isinstance(expected, datetime):
        parsed = _parse_instant(actual)
        if parsed != expected.astimezone(UTC):
            return [f"{path}: expected instant {expected.isoformat()}, got {actual!r}"]
        return []
    if type(actual) is not type(expected) or actual != expected:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def _get(client: httpx.Client, path: str, where: str, problems: list[str]) -> httpx.Response | None:
    """One request; a transport failure becomes a problem naming the request, not an exception,
    so the remaining checks still run and every problem is reported at once."""
    try:
        return client.get(path)
    except httpx.HTTPError as error:
        problems.append(f"{where}: request failed: {type(error).__name__}: {error}")
        return None


def _check_json(response: httpx.Response, status: int, where: str) -> tuple[list[str], Any]:
    problems = []
    if response.status_code != status:
        problems.append(f"{where}: status {response.status_code}, expected {status}")
    content_type = response.headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        problems.append(f"{where}: content type {content_type!r}, expected application/json")
    try:
        return problems, response.json()
    except ValueError:
        return [*problems, f"{where}: body is not JSON: {response.text[:120]!r}"], None


def _check_body(client: httpx.Client, path: str, expected: dict[str, Any], name: str,
                bodies: dict[str, bytes]) -> list[str]:
    where = f"{name} GET {path}"
    problems: list[str] = []
    response = _get(client, path, where, problems)
    if response is None:
        return problems
    found, body = _check_json(response, 200, where)
    problems += found
    if body is not None and response.status_code == 200:
        problems += [f"{where}: {p}" for p in _compare(expected, body, "")]
    bodies[path] = response.content
    return problems


def _check_error(client: httpx.Client, path: str, status: int, error: str, field: str | None,
                 name: str, bodies: dict[str, bytes]) -> list[str]:
    where = f"{name} GET {path}"
    problems: list[str] = []
    response = _get(client, path, where, problems)
    if response is None:
        return problems
    bodies[path] = response.content
    found, body = _check_json(response, status, where)
    problems += found
    if isinstance(body, dict):
        if body.get("status") != status or body.get("error") != error:
            problems.append(f"{where}: error body {body}, expected status {status} and error {error!r}")
        if field is not None and body.get("field") != field:
            problems.append(f"{where}: error body should name the field {field!r}: {body}")
    elif body is not None:
        problems.append(f"{where}: error body should be a JSON object")
    return problems


def expected_quote(order_id: int, rounds: int) -> dict[str, Any]:
    """The contract's quote, computed here: ``rounds`` chained SHA-256 from the 8-byte big-endian id."""
    digest = order_id.to_bytes(8, "big")
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return {"orderId": order_id, "rounds": rounds, "digest": digest.hex(),
            "priceCents": 100 + int.from_bytes(digest[:4], "big") % 99900}


def expected_customer(customer_id: int) -> dict[str, Any]:
    return {"id": customer_id, "name": f"Customer {customer_id}", "tier": TIERS[customer_id % 3]}


ERROR_CASES: tuple[tuple[str, int, str, str | None], ...] = (
    ("/orders/abc", 400, "bad_request", "id"),
    ("/orders/0", 400, "bad_request", "id"),
    ("/orders/-5", 400, "bad_request", "id"),
    ("/orders/99999999999999999999999", 400, "bad_request", "id"),
)


def verify_app(name: str, base_url: str, orders: Sequence[ExpectedOrder], unknown_id: int,
               endpoints: Iterable[str] = ("orders",), cpu_rounds: int = 1000, timeout_s: float = 30.0
               ) -> tuple[list[str], dict[str, bytes]]:
    """Check one running variant on every endpoint the load will hit (orders always: its error cases
    cover the shared contract); return its problems and the raw bodies (for cross-variant checks).

    Every check runs even when an earlier one failed, so one pass names every problem."""
    problems: list[str] = []
    bodies: dict[str, bytes] = {}
    loaded = set(endpoints)
    with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
        for order in orders:
            problems += _check_body(client, f"/orders/{order.id}", order.expected_body(), name, bodies)
            if "quotes" in loaded:
                problems += _check_body(client, f"/quotes/{order.id}?rounds={cpu_rounds}",
                                        expected_quote(order.id, cpu_rounds), name, bodies)
            if "legacy" in loaded:
                problems += _check_body(client, f"/legacy/customers/{order.customer_id}",
                                        expected_customer(order.customer_id), name, bodies)
        for path, status, error, field in ((f"/orders/{unknown_id}", 404, "not_found", None), *ERROR_CASES):
            problems += _check_error(client, path, status, error, field, name, bodies)
        where = f"{name} GET /actuator/prometheus"
        metrics = _get(client, "/actuator/prometheus", where, problems)
        if metrics is not None and (metrics.status_code != 200 or "jvm_memory_used_bytes" not in metrics.text):
            problems.append(f"{where}: status {metrics.status_code}, expected 200 with JVM metrics")
    return problems, bodies


def verify_settings(name: str, requested: Mapping[str, Any], effective: Mapping[str, Any]) -> list[str]:
    """Every requested setting must be what the live app reports; a setting that did not take
    (or that the app does not report) would silently change what is measured."""
    problems = []
    for key, want in requested.items():
        have = _dig(effective, key)
        if have != want:
            problems.append(f"{name}: setting {key} is {have!r} in the running app, the scenario asks {want!r}")
    return problems


def _dig(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def compare_bodies(bodies: Mapping[str, Mapping[str, bytes]]) -> list[str]:
    """Every variant must answer byte-identical bodies for the same request."""
    problems = []
    names = list(bodies)
    if len(names) < 2:
        return []
    reference = names[0]
    paths: Iterable[str] = bodies[reference].keys()
    for path in paths:
        for other in names[1:]:
            theirs = bodies[other].get(path)
            if theirs is not None and theirs != bodies[reference][path]:
                request = path if path.startswith("POST ") else f"GET {path}"
                problems.append(
                    f"{request}: {other} answers {theirs[:160]!r}, {reference} answers "
                    f"{bodies[reference][path][:160]!r} (bodies must be byte-identical)"
                )
    return problems


# POST /orders bodies every variant must reject with 400 naming the field, writing nothing.
# ``{unknown}`` is a customer id that does not exist: the one case that fails inside the transaction.
BAD_ORDER_BODIES: tuple[tuple[str, str, str], ...] = (
    ("not json", "body", "body must be a JSON object"),
    ("[1, 2]", "body", "body must be a JSON object"),
    ('{"productId": 1, "quantity": 1}', "customerId", "customerId must be a positive integer"),
    ('{"customerId": "7", "productId": 1, "quantity": 1}', "customerId", "customerId must be a positive integer"),
    ('{"customerId": 1, "productId": 0, "quantity": 1}', "productId", "productId must be a positive integer"),
    ('{"customerId": 1, "productId": 1, "quantity": 101}', "quantity", "quantity must be an integer from 1 to 100"),
    ('{"customerId": 1, "productId": 1, "quantity": 1, "coupon": "x"}', "coupon", "unknown field"),
    ('{"customerId": {unknown}, "productId": 1, "quantity": 1}', "customerId", "customer {unknown} does not exist"),
)


def _write_counts(endpoint: PostgresEndpoint) -> tuple[int, int]:
    with psycopg.connect(endpoint.conninfo()) as conn:
        row = conn.execute("SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM outbox)").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def verify_write_path(name: str, base_url: str, database: PostgresEndpoint, customers: int,
                      timeout_s: float = 30.0) -> tuple[list[str], dict[str, bytes]]:
    """``POST /orders``: one valid order (its answer, its row, its one outbox event in the wire form
    of the contract) and every bad body (400 naming the field, nothing written). Returns the problems
    and the error bodies, which must be byte-identical across variants."""
    problems: list[str] = []
    bodies: dict[str, bytes] = {}
    customer_id, product_id, quantity = max(1, customers // 3), 342, 3
    with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
        for template, field, message in BAD_ORDER_BODIES:
            body = template.replace("{unknown}", str(customers + 1000))
            where = f"{name} POST /orders {body}"
            before = _write_counts(database)
            try:
                response = client.post("/orders", content=body, headers={"Content-Type": "application/json"})
            except httpx.HTTPError as error:
                problems.append(f"{where}: request failed: {type(error).__name__}: {error}")
                continue
            bodies[f"POST /orders {template}"] = response.content
            found, answer = _check_json(response, 400, where)
            problems += found
            expected = {"status": 400, "error": "bad_request", "message": message.replace(
                "{unknown}", str(customers + 1000)), "field": field}
            if answer is not None and answer != expected:
                problems.append(f"{where}: error body {answer}, expected {expected}")
            if _write_counts(database) != before:
                problems.append(f"{where}: a rejected order wrote rows (orders, outbox) {before} -> "
                                f"{_write_counts(database)}")
        problems += _check_created(client, name, database, customer_id, product_id, quantity)
    return problems, bodies


def _check_created(client: httpx.Client, name: str, database: PostgresEndpoint, customer_id: int,
                   product_id: int, quantity: int) -> list[str]:
    where = f"{name} POST /orders"
    try:
        response = client.post("/orders", json={"customerId": customer_id, "productId": product_id,
                                                 "quantity": quantity})
    except httpx.HTTPError as error:
        return [f"{where}: request failed: {type(error).__name__}: {error}"]
    problems, answer = _check_json(response, 201, where)
    if not isinstance(answer, dict) or response.status_code != 201:
        return [*problems, f"{where}: expected the created order, got {response.text[:160]!r}"]
    keys = ["id", "customerId", "productId", "quantity", "totalCents", "status", "createdAt", "eventId"]
    if list(answer) != keys:
        problems.append(f"{where}: keys {list(answer)} differ from the contract's {keys}")
    total = quantity * unit_price_cents(product_id)
    for key, want in (("customerId", customer_id), ("productId", product_id), ("quantity", quantity),
                      ("totalCents", total), ("status", "CREATED")):
        if answer.get(key) != want:
            problems.append(f"{where}: {key} is {answer.get(key)!r}, expected {want!r}")
    order_id = answer.get("id")
    if not isinstance(order_id, int):
        return [*problems, f"{where}: id {order_id!r} is not an integer"]
    if response.headers.get("location") != f"/orders/{order_id}":
        problems.append(f"{where}: Location {response.headers.get('location')!r}, expected /orders/{order_id}")
    with psycopg.connect(database.conninfo()) as conn:
        stored = conn.execute("SELECT customer_id, product_id, quantity, total_cents, status FROM orders "
                              "WHERE id = %s", (order_id,)).fetchone()
        # The preload's SQL rendering of the same event rides along: it must equal the wire format too.
        events = conn.execute(f"SELECT x.event_id::text, x.event_type, x.payload, o.created_at, "
                              f"{payload_sql('x.event_id', 'o')} FROM outbox x JOIN orders o ON o.id = x.aggregate_id "
                              "WHERE x.aggregate_id = %s", (order_id,)).fetchall()
    if stored != (customer_id, product_id, quantity, total, "CREATED"):
        problems.append(f"{where}: stored order {stored}, expected {(customer_id, product_id, quantity, total)}")
    if len(events) != 1:
        return [*problems, f"{where}: {len(events)} outbox rows for order {order_id}, expected exactly 1"]
    event_id, event_type, payload, created_at, sql_payload = events[0]
    if event_type != "OrderCreated" or event_id != answer.get("eventId"):
        problems.append(f"{where}: outbox row ({event_id}, {event_type}) does not match eventId "
                        f"{answer.get('eventId')!r} and type OrderCreated")
    # Byte for byte: this is what every consumer reads and what the consume preload imitates in SQL.
    if _parse_instant(answer.get("createdAt")) != created_at:
        problems.append(f"{where}: createdAt {answer.get('createdAt')!r}, stored {created_at.isoformat()}")
    try:
        expected_wire = wire_json(uuid.UUID(event_id), order_id, customer_id, product_id, quantity, total, created_at)
    except ValueError:
        return [*problems, f"{where}: eventId {event_id!r} is not a UUID"]
    if payload != expected_wire:
        problems.append(f"{where}: outbox payload {payload[:200]!r} differs from the wire format {expected_wire!r}")
    if sql_payload != expected_wire:
        problems.append(f"harness: the preload's SQL renders {sql_payload!r}, the wire format is {expected_wire!r}")
    return problems
