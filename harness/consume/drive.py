"""Source ``drive``: POST /orders at a fixed rate (an open model), and the faults that go with it.

Each order is sent at its scheduled instant whether or not earlier ones answered, so a slow or
restarting app does not slow the arrival of new orders. Duplicates and poison cannot be part of
the orders the app writes; the harness adds them to the outbox as it goes (``add_duplicates``,
``add_poison``), like the preload does in one go.

The driver must deliver every order it planned, even across a kill -9 of the app (design.md,
"Reconciliation"), the way a client with retries does: a POST that certainly wrote nothing — the
connection was refused or timed out before it was made, or the app answered 503 (its transaction
rolled back) — is sent again, with a backoff doubling from ``RETRY_BACKOFF_S`` to
``RETRY_BACKOFF_MAX_S``, until it is accepted or ``RETRY_FOR_S`` has passed, and every repeat is
counted. A POST that may have been written (the connection dropped after the request was sent, no
answer within the read timeout) is never repeated: without an idempotency key a retry could create
the order twice. So that a kill never lands on a POST in flight, the harness ``hold``s the driver
(no new attempt starts, those in flight answer) before the kill and ``release``s it right after:
orders due while the app is down are refused and retried until it is back.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field

import httpx
import psycopg
from psycopg.rows import TupleRow

from harness.consume.wire import POISON_PREFIX, WELL_FORMED_SQL
from harness.metrics import ACHIEVED_RATE_MIN
from harness.scenario import DataSettings

MAX_IN_FLIGHT = 512  # requests open at once; beyond it the app is not keeping up at all
REQUEST_TIMEOUT_S = 30.0  # a cold app on a busy 2-core machine took over 10 s for some POSTs right after a restart
CONNECT_TIMEOUT_S = 2.0
MAX_QUANTITY = 5
RETRY_BACKOFF_S = 0.2  # doubled after each refusal up to RETRY_BACKOFF_MAX_S, like a client's backoff
RETRY_BACKOFF_MAX_S = 2.0  # a fixed 0.2 s made ~5,000 refused connects per kill, competing with the restart
RETRY_FOR_S = 120.0  # kill -9 to healthy took up to 46 s on a busy 2-core machine; two minutes is a failure
HOLD_POLL_S = 0.005


@dataclass
class DriveStats:
    sent: int = 0  # orders sent at least once
    created: int = 0  # answered 201
    failed: int = 0  # never accepted
    retries: int = 0  # attempts repeated after a refused connection or a 503
    failure_kinds: dict[str, int] = field(default_factory=dict)
    first_sent_at: float | None = None  # monotonic, when the first order was due (the schedule's start)
    last_sent_at: float | None = None  # monotonic, when the last order left

    @property
    def sent_per_s(self) -> float | None:
        """The rate the orders actually left at: what the lag was measured under. The schedule never sends early,
        so this is at most the rate asked for; below it, the driver (or the app's answers) could not keep up."""
        if self.first_sent_at is None or self.last_sent_at is None or self.sent < 2:
            return None
        spent = self.last_sent_at - self.first_sent_at
        return (self.sent - 1) / spent if spent > 0 else None


def drive_rate_warning(label: str, sent_per_s: float | None, rate: int) -> str | None:
    """A sentence when the orders left below ``ACHIEVED_RATE_MIN`` of ``rate`` (the open model's bar): the
    segment's lag is at the rate they did leave at, not the one the scenario names."""
    if sent_per_s is None or sent_per_s >= ACHIEVED_RATE_MIN * rate:
        return None
    return (f"{label}: the orders left at {sent_per_s:.1f}/s, below {ACHIEVED_RATE_MIN:.0%} of consume.rate {rate}/s: "
            "its lag and drain are of that rate, not of the one asked for (the harness's driver or the app's POST "
            "/orders could not keep up)")


def _not_written(kind: str) -> bool:
    """Whether a failed attempt certainly wrote nothing, so repeating it cannot create an order twice."""
    return kind in ("ConnectError", "ConnectTimeout", "http_503")


class OrderDriver:
    """Sends ``events`` POST /orders to ``base_url`` at ``rate`` per second on a background thread."""

    def __init__(self, base_url: str, events: int, rate: int, data: DataSettings) -> None:
        self.base_url = base_url
        self.events = events
        self.rate = rate
        self._rng = random.Random(f"consume-drive-{data.seed}")
        self._data = data
        self.stats = DriveStats()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._held = threading.Event()
        self._on_the_wire = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._drive()), name="order-driver", daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def stop(self) -> None:
        """Stop sending (what is in flight finishes or times out) and wait for the thread."""
        self._stop.set()
        self._held.clear()
        if self._thread is not None:
            self._thread.join(timeout=REQUEST_TIMEOUT_S + 5)

    def hold(self, timeout: float = REQUEST_TIMEOUT_S) -> bool:
        """Start no new attempt and wait until none is on the wire; False if some still were at ``timeout``."""
        self._held.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._on_the_wire == 0:
                    return True
            time.sleep(HOLD_POLL_S)
        return False

    def release(self) -> None:
        self._held.clear()

    def _body(self) -> dict[str, int]:
        return {
            "customerId": self._rng.randint(1, self._data.customers),
            "productId": self._rng.randint(1, self._data.products),
            "quantity": self._rng.randint(1, MAX_QUANTITY),
        }

    async def _drive(self) -> None:
        limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
        timeout = httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=timeout, limits=limits) as client:
            # The schedule starts once the client exists: started before, the client's set-up (~0.1 s) put the
            # first orders behind it, and they left in a burst to catch up.
            start = time.monotonic()
            with self._lock:
                self.stats.first_sent_at = start
            tasks = []
            for index in range(self.events):
                if self._stop.is_set():
                    break
                delay = start + index / self.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await gate.acquire()
                with self._lock:
                    self.stats.last_sent_at = time.monotonic()
                tasks.append(asyncio.create_task(self._post(client, gate, self._body())))
            await asyncio.gather(*tasks)

    async def _attempt(self, client: httpx.AsyncClient, body: dict[str, int]) -> str | None:
        """One POST; None when answered 201, else the kind of failure."""
        while True:
            # Checked and counted under one lock: ``hold`` sets the flag, then waits for the count to be 0.
            with self._lock:
                if not self._held.is_set() or self._stop.is_set():
                    self._on_the_wire += 1
                    break
            await asyncio.sleep(HOLD_POLL_S)
        try:
            response = await client.post("/orders", json=body)
            return None if response.status_code == 201 else f"http_{response.status_code}"
        except httpx.HTTPError as error:
            return type(error).__name__
        finally:
            with self._lock:
                self._on_the_wire -= 1

    async def _post(self, client: httpx.AsyncClient, gate: asyncio.Semaphore, body: dict[str, int]) -> None:
        give_up = time.monotonic() + RETRY_FOR_S
        retries = 0
        try:
            kind = await self._attempt(client, body)
            while kind is not None and _not_written(kind) and time.monotonic() < give_up and not self._stop.is_set():
                await asyncio.sleep(min(RETRY_BACKOFF_MAX_S, RETRY_BACKOFF_S * 2**retries))
                retries += 1
                kind = await self._attempt(client, body)
        finally:
            gate.release()
        with self._lock:
            self.stats.sent += 1
            self.stats.retries += retries
            if kind is None:
                self.stats.created += 1
            else:
                self.stats.failed += 1
                self.stats.failure_kinds[kind] = self.stats.failure_kinds.get(kind, 0) + 1


class DuplicateInjector:
    """Re-publishes a share of the well-formed outbox rows written since its last call, chosen at random."""

    def __init__(self, share: float, seed: int) -> None:
        self.share = share
        self.after_id = 0
        self.copied = 0
        self._owed = 0.0
        self._rng = random.Random(f"consume-duplicates-{seed}")

    def add_duplicates(self, conn: psycopg.Connection[TupleRow]) -> int:
        if self.share <= 0:
            return 0
        # First occurrences only: a copy made earlier is never copied again.
        ids = [int(r[0]) for r in conn.execute(
            f"SELECT id FROM outbox o WHERE id > %s AND {WELL_FORMED_SQL} AND NOT EXISTS "
            "(SELECT 1 FROM outbox e WHERE e.event_id = o.event_id AND e.id < o.id) ORDER BY id",
            (self.after_id,)).fetchall()]
        if not ids:
            return 0
        self.after_id = ids[-1]
        # Carry the fractions over, so many small batches still add up to share × events.
        self._owed += len(ids) * self.share
        count = min(len(ids), int(self._owed))
        self._owed -= count
        chosen = sorted(self._rng.sample(ids, count))
        if chosen:
            conn.execute(
                "INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
                "SELECT event_id, event_type, aggregate_id, payload FROM outbox WHERE id = ANY(%s) ORDER BY id",
                (chosen,),
            )
        self.copied += count
        return count


def add_poison(conn: psycopg.Connection[TupleRow], count: int) -> None:
    """``count`` poison rows (payload not JSON, fresh event ids), as the preload writes them."""
    if count > 0:
        conn.execute(
            "INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
            f"SELECT gen_random_uuid(), 'OrderCreated', 1, '{POISON_PREFIX}' || n || ': not an OrderCreated event' "
            "FROM generate_series(1, %s) AS n",
            (count,),
        )
