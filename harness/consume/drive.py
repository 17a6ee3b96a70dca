"""Source ``drive``: POST /orders at a fixed rate (an open model), and the faults that go with it.

Each order is sent at its scheduled instant whether or not earlier ones answered, so a slow or
restarting app does not slow the arrival of new orders. Duplicates and poison cannot be part of
the orders the app writes; the harness adds them to the outbox as it goes (``add_duplicates``,
``add_poison``), like the preload does in one go.
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
from harness.scenario import DataSettings

MAX_IN_FLIGHT = 512  # requests open at once; beyond it the app is not keeping up at all
REQUEST_TIMEOUT_S = 10.0
MAX_QUANTITY = 5


@dataclass
class DriveStats:
    sent: int = 0
    created: int = 0  # answered 201
    failed: int = 0
    failure_kinds: dict[str, int] = field(default_factory=dict)


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

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._drive()), name="order-driver", daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def stop(self) -> None:
        """Stop sending (what is in flight finishes or times out) and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=REQUEST_TIMEOUT_S + 5)

    def _body(self) -> dict[str, int]:
        return {
            "customerId": self._rng.randint(1, self._data.customers),
            "productId": self._rng.randint(1, self._data.products),
            "quantity": self._rng.randint(1, MAX_QUANTITY),
        }

    async def _drive(self) -> None:
        limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        start = time.monotonic()
        async with httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
            tasks = []
            for index in range(self.events):
                if self._stop.is_set():
                    break
                delay = start + index / self.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await gate.acquire()
                tasks.append(asyncio.create_task(self._post(client, gate)))
            await asyncio.gather(*tasks)

    async def _post(self, client: httpx.AsyncClient, gate: asyncio.Semaphore) -> None:
        kind = None
        try:
            response = await client.post("/orders", json=self._body())
            if response.status_code != 201:
                kind = f"http_{response.status_code}"
        except httpx.HTTPError as error:
            kind = type(error).__name__
        finally:
            gate.release()
        with self._lock:
            self.stats.sent += 1
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
