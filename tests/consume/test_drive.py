"""The drive source: POST /orders at a rate against a stand-in server, and the outbox faults added as it goes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import psycopg
import pytest
from psycopg.rows import TupleRow

from harness.consume import drive
from harness.consume.drive import DuplicateInjector, OrderDriver, add_poison, drive_rate_warning
from harness.consume.wire import POISON_PREFIX
from harness.scenario import DataSettings


class _Orders(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the apps answer
    bodies: ClassVar[list[dict[str, int]]] = []  # answered
    arrived: ClassVar[int] = 0
    statuses: ClassVar[list[int]] = []
    failing: ClassVar[int] = 503  # every tenth request is answered this
    delay_s: ClassVar[float] = 0.0
    lock = threading.Lock()

    def do_POST(self) -> None:  # the http.server API's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with _Orders.lock:
            _Orders.arrived += 1
        time.sleep(_Orders.delay_s)
        with _Orders.lock:
            _Orders.bodies.append(body)
            status = 201 if len(_Orders.bodies) % 10 else _Orders.failing
            _Orders.statuses.append(status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the driver opens many connections at once
    daemon_threads = True


@contextmanager
def _serving(port: int = 0) -> Iterator[str]:
    httpd = _Server(("127.0.0.1", port), _Orders)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[str]:
    _Orders.bodies, _Orders.statuses, _Orders.failing, _Orders.delay_s, _Orders.arrived = [], [], 503, 0.0, 0
    with _serving() as url:
        yield url


DATA = DataSettings(orders=10, customers=30, products=7, seed=1)


def _finish(driver: OrderDriver, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not driver.done and time.monotonic() < deadline:
        time.sleep(0.05)
    driver.stop()


def test_the_driver_retries_a_503_until_it_is_accepted_and_counts_the_retries(server: str) -> None:
    driver = OrderDriver(server, events=40, rate=400, data=DATA)
    driver.start()
    _finish(driver)
    # The app answered 503 to every tenth request (its transaction rolled back): each was sent again.
    assert (driver.stats.sent, driver.stats.created, driver.stats.failed, driver.stats.retries) == (40, 40, 0, 4)
    assert _Orders.statuses.count(503) == 4 and len(_Orders.bodies) == 44
    assert all(1 <= b["customerId"] <= 30 and 1 <= b["productId"] <= 7 and 1 <= b["quantity"] <= 5
               for b in _Orders.bodies)


def test_an_answer_that_may_have_written_is_never_retried(server: str) -> None:
    _Orders.failing = 500
    driver = OrderDriver(server, events=40, rate=400, data=DATA)
    driver.start()
    _finish(driver)
    assert (driver.stats.sent, driver.stats.created, driver.stats.failed, driver.stats.retries) == (40, 36, 4, 0)
    assert driver.stats.failure_kinds == {"http_500": 4}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_orders_due_while_the_app_is_down_are_retried_until_it_is_back() -> None:
    """What a kill -9 of the app does to the write path: connections refused for a while, then accepted."""
    _Orders.bodies, _Orders.statuses, _Orders.failing, _Orders.delay_s = [], [], 201, 0.0
    port = _free_port()
    driver = OrderDriver(f"http://127.0.0.1:{port}", events=30, rate=100, data=DATA)
    driver.start()
    time.sleep(0.8)  # nothing listens: every order so far is refused
    with _serving(port):
        _finish(driver)
    assert (driver.stats.sent, driver.stats.created, driver.stats.failed) == (30, 30, 0), driver.stats
    assert driver.stats.retries > 0
    assert len(_Orders.bodies) == 30  # a refused connection carried no request: nothing was sent twice


def test_a_refused_order_is_given_up_after_the_retry_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drive, "RETRY_FOR_S", 0.5)
    driver = OrderDriver(f"http://127.0.0.1:{_free_port()}", events=5, rate=50, data=DATA)
    driver.start()
    _finish(driver)
    assert (driver.stats.sent, driver.stats.created, driver.stats.failed) == (5, 0, 5)
    assert driver.stats.failure_kinds == {"ConnectError": 5} and driver.stats.retries >= 5


def test_hold_waits_for_the_posts_on_the_wire_and_starts_no_new_one(server: str) -> None:
    _Orders.delay_s, _Orders.failing = 0.3, 201
    driver = OrderDriver(server, events=20, rate=100, data=DATA)
    driver.start()
    deadline = time.monotonic() + 30
    while _Orders.arrived == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert driver.hold()
    with _Orders.lock:
        arrived, answered = _Orders.arrived, len(_Orders.bodies)
    assert arrived > 0 and answered == arrived  # every POST on the wire was answered before hold returned
    time.sleep(0.5)
    assert _Orders.arrived == arrived  # nothing new started while held
    driver.release()
    _finish(driver)
    assert (driver.stats.created, len(_Orders.bodies)) == (20, 20)


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


def test_the_orders_never_leave_faster_than_the_rate_and_a_slower_rate_is_said(server: str) -> None:
    driver = OrderDriver(server, events=30, rate=200, data=DATA)
    driver.start()
    _finish(driver)
    sent = driver.stats.sent_per_s
    # The schedule waits for each order's time: whatever the machine, never above the rate asked for.
    assert sent is not None and 0 < sent <= 200 * 1.001
    assert drive_rate_warning("x", 99.0, 100) is None
    warning = drive_rate_warning("webflux@jdk25-kafka-r1", 58.8, 100)
    assert warning is not None and "the orders left at 58.8/s, below 98% of consume.rate 100/s" in warning
    assert drive_rate_warning("x", None, 100) is None  # fewer than two orders: no rate to judge
