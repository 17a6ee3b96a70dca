"""A background thread that does one small job on a fixed schedule until it is stopped."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Self


class PeriodicWorker:
    """Calls ``tick()`` at once, then every ``interval_s`` on a daemon thread.

    The schedule is fixed: a slow tick does not shift the later ones, and ticks missed while one
    ran long are skipped rather than run in a burst (a burst would sample one instant many times).
    Subclasses implement ``tick`` (which must not raise: a dead thread would lose data silently)
    and may override ``run_context`` to hold a resource, such as an HTTP client, for the thread's
    life. Use as a context manager, or ``start()``/``stop()``.
    """

    def __init__(self, interval_s: float, name: str, join_timeout_s: float) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self.interval_s = interval_s
        self._name = name
        self._join_timeout_s = join_timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (at most one tick); what it collected stays readable."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._join_timeout_s)
            self._thread = None

    def tick(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.tick()
            next_at += self.interval_s
            now = time.monotonic()
            if next_at < now:
                next_at = now + self.interval_s - (now - next_at) % self.interval_s
            if self._stop.wait(next_at - now):
                return
