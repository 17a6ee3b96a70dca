"""verify_app against a real HTTP server on 127.0.0.1 that breaks the contract in known ways."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest
from local_http import serving

from harness.verify import ExpectedOrder, compare_bodies, verify_app, verify_settings

ORDER = ExpectedOrder(7, 5, 11, 2, 2414, "PAID", datetime(2026, 1, 1, 0, 0, 7, tzinfo=UTC))


def _good_body(order: ExpectedOrder) -> dict[str, object]:
    body = order.expected_body()
    body["createdAt"] = "2026-01-01T00:00:07Z"
    return body


class _Handler(BaseHTTPRequestHandler):
    broken = False

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: object, content_type: str = "application/json") -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path
        if path == "/actuator/prometheus":
            self._send(200, "jvm_memory_used_bytes 1", "text/plain")
        elif path == "/orders/7":
            body = _good_body(ORDER)
            if self.broken:
                body["totalCents"] = 1  # wrong value
                body["customer"] = {"id": 5, "name": "Customer 5", "tier": "BRONZE"}  # wrong tier
            self._send(200, body)
        elif path == "/orders/1007":
            self._send(404 if not self.broken else 500, {"status": 404, "error": "not_found", "message": "x"})
        else:
            if self.broken and path == "/orders/abc":
                self._send(400, {"status": 400, "error": "bad_request", "message": "x"}, "text/html")
                return
            self._send(400, {"status": 400, "error": "bad_request", "message": "x", "field": "id"})


@pytest.fixture
def good_server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


@pytest.fixture
def broken_server() -> Iterator[str]:
    with serving(type("BrokenHandler", (_Handler,), {"broken": True})) as url:
        yield url


def test_a_correct_app_has_no_problems(good_server: str) -> None:
    problems, bodies = verify_app("good", good_server, [ORDER], 1007)
    assert problems == []
    assert set(bodies) >= {"/orders/7", "/orders/1007", "/orders/abc"}


def test_every_problem_is_reported_at_once(broken_server: str) -> None:
    problems, _ = verify_app("bad", broken_server, [ORDER], 1007)
    text = "\n".join(problems)
    assert "bad GET /orders/7: totalCents: expected 2414, got 1" in text
    assert "bad GET /orders/7: customer.tier: expected 'GOLD', got 'BRONZE'" in text
    assert "bad GET /orders/1007: status 500, expected 404" in text
    assert "bad GET /orders/abc: content type 'text/html', expected application/json" in text
    assert "bad GET /orders/abc: error body should name the field 'id'" in text


def test_unreachable_app_is_a_problem_not_a_crash() -> None:
    problems, _ = verify_app("gone", "http://127.0.0.1:9", [ORDER], 1007)
    # Every check still runs and names its own request.
    assert len(problems) == 7
    assert all(p.startswith("gone GET /") and "request failed: ConnectError" in p for p in problems)
    assert "gone GET /orders/7: request failed" in problems[0]


def test_bodies_must_be_byte_identical_across_variants() -> None:
    same = {"a": {"/orders/1": b'{"id":1}'}, "b": {"/orders/1": b'{"id":1}'}}
    assert compare_bodies(same) == []
    differ = {"a": {"/orders/1": b'{"id":1}'}, "b": {"/orders/1": b'{"id": 1}'}}
    assert compare_bodies(differ) == [
        "GET /orders/1: b answers b'{\"id\": 1}', a answers b'{\"id\":1}' (bodies must be byte-identical)"
    ]


def test_settings_that_did_not_take_are_problems() -> None:
    effective = {"dbPool": {"maxSize": 10}, "virtualThreads": True}
    assert verify_settings("v", {"dbPool.maxSize": 10, "virtualThreads": True}, effective) == []
    assert verify_settings("v", {"dbPool.maxSize": 32}, effective) == [
        "v: setting dbPool.maxSize is 10 in the running app, the scenario asks 32"
    ]
    assert verify_settings("v", {"tomcat.maxThreads": 8}, effective) == [
        "v: setting tomcat.maxThreads is None in the running app, the scenario asks 8"
    ]
