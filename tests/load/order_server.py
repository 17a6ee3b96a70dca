"""A tiny stand-in for the order service, for load-driver tests: ``python order_server.py PORT [DELAY_MS]``.

``GET /orders/<id>`` answers 200 with a JSON order after a few milliseconds, or 404 when ``id`` is
divisible by 10 (so a uniform draw gives about 10% errors); anything else is 400. Keep-alive
(HTTP/1.1) like the real service, and no per-request logging (it would flood the log).
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY_S = 0.003  # the default; a known answer for the driver tests when given as DELAY_MS
delay_s = DELAY_S


class OrderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def do_GET(self) -> None:
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "orders" or not parts[2].isdigit() or int(parts[2]) < 1:
            message = "order id must be a positive integer"
            self._send(400, {"status": 400, "error": "bad_request", "message": message})
            return
        order_id = int(parts[2])
        time.sleep(delay_s)
        if order_id % 10 == 0:
            self._send(404, {"status": 404, "error": "not_found", "message": f"order {order_id} not found"})
            return
        self._send(200, {"id": order_id, "customerId": order_id % 97, "status": "CREATED"})

    def _send(self, status: int, document: dict[str, object]) -> None:
        body = json.dumps(document, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    global delay_s
    if len(sys.argv) > 2:
        delay_s = float(sys.argv[2]) / 1000.0
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), OrderHandler)
    server.daemon_threads = True
    print(f"serving on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
