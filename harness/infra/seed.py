"""Deterministic seed data, loaded with COPY.

The same ``DataSettings`` always produce the same rows, byte for byte: customers are a pure
function of their id, and orders come from ``random.Random(seed)`` drawn in a fixed order
(customer, product, quantity, status) for ids 1..N. The load generator and the verification step
may rely on that, e.g. ``total_cents`` and ``created_at`` are derivable from the row itself.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from harness.errors import InfraError
from harness.infra.postgres import PostgresEndpoint
from harness.scenario import DataSettings

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES: tuple[str, ...] = ("CREATED", "PAID", "SHIPPED")
MAX_QUANTITY = 5

CustomerRow = tuple[int, str, str, datetime]
OrderRow = tuple[int, int, int, int, int, str, datetime]


@dataclass(frozen=True)
class SeedSummary:
    """What was loaded and how long it took (COPY and ANALYZE, not connection set-up)."""

    customers: int
    orders: int
    seconds: float


def unit_price_cents(product_id: int) -> int:
    """Price of one unit of a product: 100..9999 cents, a pure function of the id."""
    return 100 + (product_id * 37) % 9900


def created_at(row_id: int) -> datetime:
    """Creation time of customer or order ``row_id``: 2026-01-01T00:00:00Z plus ``row_id`` seconds."""
    return EPOCH + timedelta(seconds=row_id)


def customer_rows(data: DataSettings) -> Iterator[CustomerRow]:
    """Customers 1..C, in id order."""
    for cid in range(1, data.customers + 1):
        yield cid, f"Customer {cid}", f"customer{cid}@example.test", created_at(cid)


def order_rows(data: DataSettings) -> Iterator[OrderRow]:
    """Orders 1..N, in id order, reproducible from ``data.seed``."""
    rng = random.Random(data.seed)
    for oid in range(1, data.orders + 1):
        customer_id = rng.randint(1, data.customers)
        product_id = rng.randint(1, data.products)
        quantity = rng.randint(1, MAX_QUANTITY)
        status = rng.choice(STATUSES)
        total = quantity * unit_price_cents(product_id)
        yield oid, customer_id, product_id, quantity, total, status, created_at(oid)


def seed(endpoint: PostgresEndpoint, data: DataSettings) -> SeedSummary:
    """Replace the contents of ``customers`` and ``orders`` with the seed data, then ANALYZE.

    Runs in one transaction: the tables hold either the old rows or exactly the new ones.
    Serial/identity sequences on ``id`` (if the schema has them) are moved past the seeded ids.
    Raises InfraError naming the table on failure (e.g. the schema was not applied).
    """
    started = time.perf_counter()
    try:
        with psycopg.connect(endpoint.conninfo()) as conn:
            with conn.transaction():
                conn.execute("TRUNCATE orders, customers")
                _copy(conn, "customers", ("id", "name", "email", "created_at"), customer_rows(data))
                _copy(
                    conn,
                    "orders",
                    ("id", "customer_id", "product_id", "quantity", "total_cents", "status", "created_at"),
                    order_rows(data),
                )
                _advance_id_sequence(conn, "customers", data.customers)
                _advance_id_sequence(conn, "orders", data.orders)
            # Fresh statistics, so the first measured queries get the plans later ones get.
            conn.execute("ANALYZE customers, orders")
    except psycopg.Error as error:
        raise InfraError(
            f"seeding {endpoint.database} at {endpoint.host}:{endpoint.port} failed: {error}. "
            "Check that the schema (customers, orders) was applied."
        ) from error
    return SeedSummary(data.customers, data.orders, time.perf_counter() - started)


def _copy(
    conn: psycopg.Connection[TupleRow],
    table: str,
    columns: tuple[str, ...],
    rows: Iterator[tuple[object, ...]],
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _advance_id_sequence(conn: psycopg.Connection[TupleRow], table: str, last_id: int) -> None:
    row = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()
    if row is not None and row[0] is not None:
        conn.execute("SELECT setval(%s, %s)", (row[0], last_id))
