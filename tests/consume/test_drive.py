"""The drive source: POST /orders at a rate against a stand-in server, and the outbox faults added as it goes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import psycopg
import pytest
from psycopg.rows import TupleRow

from harness.consume.drive import DuplicateInjector, OrderDriver, add_poison
from harness.consume.wire import POISON_PREFIX
from harness.scenario import DataSettings


class _Orders(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the apps answer
    bodies: ClassVar[list[dict[str, int]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:  # the http.server API's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with _Orders.lock:
            _Orders.bodies.append(body)
            status = 201 if len(_Orders.bodies) % 10 else 503  # every tenth fails
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the driver opens many connections at once
    daemon_threads = True


@pytest.fixture
def server() -> Iterator[str]:
    _Orders.bodies = []
    httpd = _Server(("127.0.0.1", 0), _Orders)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_the_driver_sends_every_order_and_counts_failures(server: str) -> None:
    data = DataSettings(orders=10, customers=30, products=7, seed=1)
    driver = OrderDriver(server, events=40, rate=400, data=data)
    driver.start()
    deadline = time.monotonic() + 30
    while not driver.done and time.monotonic() < deadline:
        time.sleep(0.05)
    driver.stop()
    assert (driver.stats.sent, driver.stats.created, driver.stats.failed) == (40, 36, 4), driver.stats
    assert driver.stats.failure_kinds == {"http_503": 4}
    assert all(1 <= b["customerId"] <= 30 and 1 <= b["productId"] <= 7 and 1 <= b["quantity"] <= 5
               for b in _Orders.bodies)


def _outbox_rows(conn: psycopg.Connection[TupleRow], count: int) -> None:
    conn.execute("INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
                 "SELECT gen_random_uuid(), 'OrderCreated', n, '{\"eventId\":\"x\"}' FROM generate_series(1, %s) n",
                 (count,))


def test_duplicates_are_copies_of_new_rows_only(conn: psycopg.Connection[TupleRow]) -> None:
    injector = DuplicateInjector(0.1, seed=3)
    _outbox_rows(conn, 100)
    add_poison(conn, 4)
    assert injector.add_duplicates(conn) == 10
    assert injector.add_duplicates(conn) == 0  # nothing new: the copies are never copied again
    _outbox_rows(conn, 55)
    assert injector.add_duplicates(conn) == 5
    _outbox_rows(conn, 5)
    assert injector.add_duplicates(conn) == 1  # 5.5 owed in total, carried over
    stats = conn.execute(
        "SELECT count(*), count(DISTINCT event_id), count(*) FILTER (WHERE starts_with(payload, %s)) FROM outbox",
        (POISON_PREFIX,)).fetchone()
    assert stats == (160 + 4 + 16, 160 + 4, 4)
    poisoned_twice = conn.execute(
        "SELECT count(*) FROM outbox WHERE starts_with(payload, %s) GROUP BY event_id HAVING count(*) > 1",
        (POISON_PREFIX,)).fetchall()
    assert poisoned_twice == []
