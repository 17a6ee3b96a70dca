"""Probes: what watches one app while the request benchmark measures it, behind one small protocol.

A probe is told about one app's life in this order (like the documented hooks of locust's
``event.py``); every hook is called exactly once per app except ``window``:

``start(base_url)``
    The app is healthy and about to be warmed up. Start sampling (a Prometheus scraper starts here:
    the first scrape of a cold JVM is slow).

``window(level, start, end) -> figures``
    A level was measured in ``[start, end]`` (unix seconds). Return the level's figures this probe
    knows now, ``LevelResult`` field → value (None: not measured); write any rows of the probe's own
    table for this level. Called once per measured level, in order.

``stop(completed)``
    Always called once the app's JVM was stopped, also after a failure or Ctrl-C. ``completed`` says
    that every level was measured; a probe that can only read its data after the JVM exited (a
    flight recording) reads it then and writes its rows, and skips that work otherwise (a Ctrl-C
    must not wait for it). Must not raise for a missing or unreadable data source: it returns
    warnings instead, which the run records in the manifest.

The process sampler (RSS and CPU of every process of the run) is the run's, not an app's: it watches
the app under the name ``app`` and feeds ``metrics.summarise_level`` directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harness.errors import HarnessError
from harness.jfr.reader import summarise_recording
from harness.level_id import LevelId
from harness.prometheus import AGGREGATE_COLUMNS, PrometheusSampler, aggregate
from harness.results.jfr_table import append_jfr_rows, jfr_level
from harness.results.tables import append_jvm_readings

Figures = Mapping[str, float | None]


class Probe(Protocol):
    """See the module docstring for when each hook is called and what it may do."""

    name: str

    def start(self, base_url: str) -> None: ...

    def window(self, level: LevelId, start: float, end: float) -> Figures: ...

    def stop(self, completed: bool) -> list[str]: ...


class PrometheusProbe:
    """The app's ``/actuator/prometheus`` every ``interval_s``: pools, threads, heap, GC, pinning per level;
    every reading into jvm_timeseries.csv."""

    name = "prometheus"

    def __init__(self, variant: str, interval_s: float, table: Path, fields: Sequence[str]) -> None:
        self._variant = variant
        self._interval_s = interval_s
        self._table = table
        # Only the aggregates a LevelResult has a column for are returned.
        self._fields = tuple(f for f in fields if f in AGGREGATE_COLUMNS)
        self._sampler: PrometheusSampler | None = None

    def start(self, base_url: str) -> None:
        self._sampler = PrometheusSampler(base_url, self._variant, interval_s=self._interval_s)
        self._sampler.start()

    def window(self, level: LevelId, start: float, end: float) -> Figures:
        if self._sampler is None:
            raise RuntimeError("PrometheusProbe.window before start")
        readings = self._sampler.samples(start, end)
        append_jvm_readings(self._table, level, readings)
        figures = aggregate(readings, start, end)
        return {name: figures.get(name) for name in self._fields}

    def stop(self, completed: bool) -> list[str]:
        if self._sampler is not None:
            self._sampler.stop()
        return []


@dataclass
class JfrProbe:
    """The app's flight recording (started with the JVM), read once the JVM has exited: one jfr.csv row
    per measured level. It has no figures for levels.csv."""

    recording: Path
    table: Path
    name: str = "jfr"
    _windows: list[tuple[LevelId, float, float]] = field(default_factory=list)

    def start(self, base_url: str) -> None:
        self._windows.clear()

    def window(self, level: LevelId, start: float, end: float) -> Figures:
        self._windows.append((level, start, end))
        return {}

    def stop(self, completed: bool) -> list[str]:
        if not self._windows or not completed:
            return []
        # The reader runs in its own process: windows travel there labelled by each level's slug.
        levels = {level.slug: level for level, _, _ in self._windows}
        try:
            summaries = summarise_recording(self.recording, [(lv.slug, s, e) for lv, s, e in self._windows])
        except HarnessError as error:
            # The load figures stand without JFR; say loudly that the explanation is missing.
            return [f"{self.recording.stem}: JFR recording not read: {error}"]
        append_jfr_rows(self.table, [jfr_level(levels[slug], summary) for slug, summary in summaries.items()])
        return []
