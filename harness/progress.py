"""The live display of a long run: one bar for the whole run, one for the phase under way."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RunProgress:
    """Time-based progress: load phases take a known time, so bars advance with the clock."""

    def __init__(self, console: Console, total_seconds: float) -> None:
        self.console = console
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._overall = self._progress.add_task("run", total=max(total_seconds, 1.0))

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def log(self, message: str) -> None:
        self._progress.console.print(message)

    @contextlib.contextmanager
    def phase(self, description: str, seconds: float) -> Iterator[None]:
        """Show ``description`` advancing for ``seconds``; counts toward the run's bar."""
        task = self._progress.add_task(description, total=max(seconds, 0.1))
        stop = threading.Event()
        started = time.monotonic()

        def tick() -> None:
            while not stop.wait(0.5):
                self._progress.update(task, completed=min(time.monotonic() - started, seconds))

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
            self._progress.remove_task(task)
            self._progress.advance(self._overall, seconds)
