"""What the JVM says about itself during a level, read from ``/actuator/prometheus``.

Three parts:

* ``parse_exposition``: a small, strict parser of the Prometheus text format 0.0.4 (what
  Micrometer serves); malformed input raises ``ExpositionError`` naming the line, never guesses.
* ``COLUMN_SOURCES``: the documented mapping from our tidy column names to Micrometer meter
  names, per variant. A concept a variant does not have (Tomcat threads in WebFlux, a connection
  acquire timer in r2dbc-pool) has no entry, so its columns stay ``None`` instead of being faked.
* ``PrometheusSampler``: a daemon thread that scrapes one app every ``interval_s`` and keeps a
  time series of those columns; ``aggregate`` reduces the series to one level's figures.

Why not ``prometheus_client``'s parser: it is lenient (it accepts what it cannot parse in several
places and yields families rather than flat samples) and would be one more dependency for ~100
lines; here a scrape we cannot read is counted as a scrape error rather than half-read.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

from harness.periodic import PeriodicWorker

# -- the text format -------------------------------------------------------------------------------

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Go's ParseFloat forms that exporters emit, and nothing else: Python's float() would also take
# "1_000", "infinity" or " 1 ", which no exporter writes and which would hide a broken scrape.
_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Nn]a[Nn]|[Ii]nf(?:inity)?)")
_TIMESTAMP = re.compile(r"-?\d+")
_TYPES = frozenset({"counter", "gauge", "histogram", "summary", "untyped"})
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}

Labels = tuple[tuple[str, str], ...]


class ExpositionError(ValueError):
    """The text is not valid Prometheus exposition format; the message names the line."""


@dataclass(frozen=True)
class Sample:
    """One line of an exposition: a series (name + labels, in the order written) and its value."""

    name: str
    labels: Labels
    value: float
    timestamp_ms: int | None = None

    def label(self, name: str) -> str | None:
        return next((v for k, v in self.labels if k == name), None)


@dataclass(frozen=True)
class Exposition:
    """A parsed scrape: every sample in order, and the ``# TYPE`` of each family that declared one."""

    samples: tuple[Sample, ...]
    types: Mapping[str, str]

    def names(self) -> set[str]:
        return {s.name for s in self.samples}

    def select(self, name: str, labels: Mapping[str, str] | None = None) -> list[Sample]:
        """Samples named ``name`` whose labels include every ``labels`` pair."""
        wanted = labels or {}
        return [s for s in self.samples if s.name == name and all(s.label(k) == v for k, v in wanted.items())]


def parse_exposition(text: str) -> Exposition:
    """Parse Prometheus text format 0.0.4.

    Guarantees: returns every sample line in order with label values unescaped (``\\\\``, ``\\"``,
    ``\\n``) and values as floats (``NaN``, ``+Inf``, ``-Inf`` included); ``# HELP``/other comments
    and blank lines are skipped; ``# TYPE`` lines are checked and recorded. Raises
    ``ExpositionError`` (with the 1-based line number) for any malformed line, a repeated label
    name, an unknown escape, an unknown type, or a second ``# TYPE`` for the same family.
    """
    samples: list[Sample] = []
    types: dict[str, str] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        try:
            if line.startswith("#"):
                _comment(line, types)
            else:
                samples.append(_sample(line))
        except ExpositionError as error:
            raise ExpositionError(f"line {number}: {error}: {line[:200]!r}") from None
    return Exposition(tuple(samples), types)


def _comment(line: str, types: dict[str, str]) -> None:
    parts = line[1:].lstrip(" \t").split(None, 2)
    if not parts or parts[0] != "TYPE":
        return  # HELP and free comments carry nothing we use
    if len(parts) != 3:
        raise ExpositionError("TYPE needs a metric name and a type")
    name, kind = parts[1], parts[2].strip()
    if not _METRIC_NAME.fullmatch(name):
        raise ExpositionError(f"invalid metric name {name!r} in TYPE")
    if kind not in _TYPES:
        raise ExpositionError(f"unknown type {kind!r}")
    if name in types:
        raise ExpositionError(f"second TYPE for {name}")
    types[name] = kind


def _sample(line: str) -> Sample:
    match = _METRIC_NAME.match(line)
    if match is None:
        raise ExpositionError("no metric name")
    name, pos = match.group(), match.end()
    labels: Labels = ()
    if pos < len(line) and line[pos] == "{":
        labels, pos = _labels(line, pos + 1)
    rest = line[pos:]
    if not rest or rest[0] not in " \t":
        raise ExpositionError("expected a space before the value")
    fields = rest.split()
    if not 1 <= len(fields) <= 2:
        raise ExpositionError("expected a value and an optional timestamp")
    if not _FLOAT.fullmatch(fields[0]):
        raise ExpositionError(f"invalid value {fields[0]!r}")
    timestamp: int | None = None
    if len(fields) == 2:
        if not _TIMESTAMP.fullmatch(fields[1]):
            raise ExpositionError(f"invalid timestamp {fields[1]!r}")
        timestamp = int(fields[1])
    return Sample(name, labels, float(fields[0]), timestamp)


def _labels(line: str, pos: int) -> tuple[Labels, int]:
    """Parse ``name="value",...}`` from ``pos`` (just after ``{``); return labels and the index after ``}``."""
    labels: list[tuple[str, str]] = []
    seen: set[str] = set()
    while True:
        pos = _skip_blanks(line, pos)
        if pos < len(line) and line[pos] == "}":
            return tuple(labels), pos + 1  # also after a trailing comma, which the format allows
        match = _LABEL_NAME.match(line, pos)
        if match is None:
            raise ExpositionError(f"invalid label name at column {pos + 1}")
        label = match.group()
        if label in seen:
            raise ExpositionError(f"label {label!r} repeated")
        seen.add(label)
        pos = _skip_blanks(line, match.end())
        if line[pos : pos + 2] != '="':
            raise ExpositionError(f'expected ="  after label {label!r}')
        value, pos = _label_value(line, pos + 2)
        labels.append((label, value))
        pos = _skip_blanks(line, pos)
        if pos < len(line) and line[pos] == ",":
            pos += 1
        elif pos >= len(line) or line[pos] != "}":
            raise ExpositionError(f"expected , or }} after label {label!r}")


def _label_value(line: str, pos: int) -> tuple[str, int]:
    """Read a quoted value from ``pos`` (just after the opening quote) up to its closing quote."""
    out: list[str] = []
    while pos < len(line):
        char = line[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\":
            escaped = line[pos + 1 : pos + 2]
            if escaped not in _ESCAPES:
                raise ExpositionError(f"unknown escape \\{escaped} in a label value")
            out.append(_ESCAPES[escaped])
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise ExpositionError("unterminated label value")


def _skip_blanks(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] in " \t":
        pos += 1
    return pos


# -- from meters to tidy columns --------------------------------------------------------------------

ColumnKind = Literal["gauge", "rolling_max", "cumulative"]

_MIB = 1024.0 * 1024.0


@dataclass(frozen=True)
class Source:
    """Where one tidy column comes from: every series of ``metric`` whose labels include ``labels``,
    combined with ``reduce`` and multiplied by ``scale``.

    ``absent_is_zero``: Micrometer registers some meters only at their first event (a GC pause
    timer per cause, a Reactor Netty pool per remote address): a successful scrape without them
    means "none yet", i.e. 0, not "unknown".
    """

    metric: str
    labels: tuple[tuple[str, str], ...] = ()
    reduce: Literal["sum", "max"] = "sum"
    scale: float = 1.0
    absent_is_zero: bool = False


COLUMN_KINDS: dict[str, ColumnKind] = {
    # Gauges: a level keeps their mean and max over the scrapes inside it.
    "platform_threads": "gauge",  # JVM ThreadMXBean: platform threads only, never virtual ones
    "heap_used_mb": "gauge",
    "db_pool_active": "gauge",  # connections lent out
    "db_pool_idle": "gauge",
    "db_pool_pending": "gauge",  # callers waiting for a connection
    "tomcat_busy_threads": "gauge",
    "tomcat_current_threads": "gauge",
    "tomcat_connections": "gauge",  # open client connections, the server-side concurrency
    "http_client_active": "gauge",  # downstream connections in use
    "http_client_pending": "gauge",  # callers waiting for a downstream connection
    "vt_live": "gauge",  # unfinished virtual threads (mounted + queued), approximate
    # Micrometer's own max over a decaying window (about the last 1-3 minutes), not a per-scrape
    # value: a level keeps the largest reading, which may include events shortly before the level.
    "db_acquire_ms_max": "rolling_max",
    "gc_pause_ms_max": "rolling_max",
    # Cumulative counters and timer sums/counts: a level keeps the increase.
    "db_acquires_total": "cumulative",
    "db_acquire_ms_total": "cumulative",
    "db_acquire_timeouts_total": "cumulative",
    "gc_pauses_total": "cumulative",
    "gc_pause_ms_total": "cumulative",
    "vt_pinned_total": "cumulative",
    "vt_pinned_ms_total": "cumulative",
    "vt_submit_failed_total": "cumulative",
}

_JVM: dict[str, Source] = {
    "platform_threads": Source("jvm_threads_live_threads"),
    "heap_used_mb": Source("jvm_memory_used_bytes", (("area", "heap"),), scale=1 / _MIB),
    # One series per GC x action x cause, each created at its first pause.
    "gc_pauses_total": Source("jvm_gc_pause_seconds_count", absent_is_zero=True),
    "gc_pause_ms_total": Source("jvm_gc_pause_seconds_sum", scale=1000.0, absent_is_zero=True),
    "gc_pause_ms_max": Source("jvm_gc_pause_seconds_max", reduce="max", scale=1000.0, absent_is_zero=True),
    # micrometer-java21 (JFR events); present in every variant, meaningful where virtual threads run.
    "vt_live": Source("jvm_threads_virtual_live_threads"),
    "vt_pinned_total": Source("jvm_threads_virtual_pinned_seconds_count"),
    "vt_pinned_ms_total": Source("jvm_threads_virtual_pinned_seconds_sum", scale=1000.0),
    "vt_submit_failed_total": Source("jvm_threads_virtual_submit_failed_total"),
}

# The label that tells the app's database pool from the outbox relay's own (``consume.relay.db_pool``,
# ``harness.consume.app_metrics.RELAY_POOL_SOURCES``): Hikari's pool name, r2dbc-pool's bean name.
MVC_MAIN_POOL: tuple[tuple[str, str], ...] = (("pool", "orders"),)
WEBFLUX_MAIN_POOL: tuple[tuple[str, str], ...] = (("name", "connectionFactory"),)
RELAY_POOL_NAME = "orders-relay"

_MVC: dict[str, Source] = {
    **_JVM,
    # The app's pool only: with a broker the outbox relay has a pool of its own (pool="orders-relay").
    "db_pool_active": Source("hikaricp_connections_active", MVC_MAIN_POOL),
    "db_pool_idle": Source("hikaricp_connections_idle", MVC_MAIN_POOL),
    "db_pool_pending": Source("hikaricp_connections_pending", MVC_MAIN_POOL),
    "db_acquires_total": Source("hikaricp_connections_acquire_seconds_count", MVC_MAIN_POOL),
    "db_acquire_ms_total": Source("hikaricp_connections_acquire_seconds_sum", MVC_MAIN_POOL, scale=1000.0),
    "db_acquire_ms_max": Source("hikaricp_connections_acquire_seconds_max", MVC_MAIN_POOL, reduce="max",
                                scale=1000.0),
    "db_acquire_timeouts_total": Source("hikaricp_connections_timeout_total", MVC_MAIN_POOL),
    # With virtual threads Tomcat's executor has no pool and reports -1: those readings are dropped.
    "tomcat_busy_threads": Source("tomcat_threads_busy_threads"),
    "tomcat_current_threads": Source("tomcat_threads_current_threads"),
    "tomcat_connections": Source("tomcat_connections_current_connections"),
    # Apache HttpClient 5's pool publishes no meters in these apps: http_client_* stay None.
}

_WEBFLUX: dict[str, Source] = {
    **_JVM,
    # r2dbc-pool publishes gauges only: no acquire timer, no timeout counter.
    # The app's pool only (Boot names it after its bean): the relay's own is name="orders-relay".
    "db_pool_active": Source("r2dbc_pool_acquired_connections", WEBFLUX_MAIN_POOL),
    "db_pool_idle": Source("r2dbc_pool_idle_connections", WEBFLUX_MAIN_POOL),
    "db_pool_pending": Source("r2dbc_pool_pending_connections", WEBFLUX_MAIN_POOL),
    # One series per remote address, created at the first downstream call.
    "http_client_active": Source("reactor_netty_connection_provider_active_connections", absent_is_zero=True),
    "http_client_pending": Source("reactor_netty_connection_provider_pending_connections", absent_is_zero=True),
}

COLUMN_SOURCES: dict[str, dict[str, Source]] = {
    "mvc-platform": _MVC,
    "mvc-virtual": _MVC,
    "webflux": _WEBFLUX,
}
"""Tidy column → Micrometer meter, per variant (checked against the running apps, Spring Boot 4)."""

SCRAPE_MS = "scrape_ms"  # how long one scrape took: a slow one means its readings are smeared in time
SCRAPE_ERROR = "scrape_error"  # value 1.0 at the time of each failed scrape

GAUGE_COLUMNS = tuple(c for c, k in COLUMN_KINDS.items() if k == "gauge")

AGGREGATE_COLUMNS: tuple[str, ...] = (
    *(f"{c}_{stat}" for c in GAUGE_COLUMNS for stat in ("mean", "max")),
    "db_acquire_ms_max",
    "gc_pause_ms_max",
    "db_acquires",
    "db_acquire_ms_mean",
    "db_acquire_timeouts",
    "gc_pauses",
    "gc_pause_ms_total",
    "vt_pinned",
    "vt_pinned_ms_total",
    "vt_submit_failed",
    "scrapes",
    "scrape_errors",
)
"""Every key ``aggregate`` returns, in a stable order: the extra levels.csv columns."""


def extract_columns(exposition: Exposition, sources: Mapping[str, Source]) -> dict[str, float]:
    """The tidy columns one scrape yields.

    Guarantees: a column is left out (not guessed) when its meter is missing (unless
    ``absent_is_zero``), or when any reading is NaN or negative; Micrometer reports NaN for a
    gauge whose object is gone and -1 for "not known" (Tomcat threads under virtual threads), and
    none of these columns can truly be negative.
    """
    out: dict[str, float] = {}
    for column, source in sources.items():
        values = [s.value for s in exposition.select(source.metric, dict(source.labels))]
        if not values:
            if source.absent_is_zero:
                out[column] = 0.0
            continue
        if any(math.isnan(v) or v < 0 for v in values):
            continue
        combined = sum(values) if source.reduce == "sum" else max(values)
        out[column] = combined * source.scale
    return out


# -- sampling ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSample:
    """One tidy reading: at unix time ``t``, ``column`` had ``value``."""

    t: float
    column: str
    value: float


class PrometheusSampler(PeriodicWorker):
    """Scrapes ``{base_url}/actuator/prometheus`` every ``interval_s`` on a daemon thread.

    Use as a context manager (or ``start()``/``stop()``): the first scrape happens at once, then
    one per interval on a fixed schedule (a slow scrape does not shift the later ones). Each
    successful scrape adds one ``MetricSample`` per column the variant has (see
    ``COLUMN_SOURCES``) plus ``scrape_ms``, all stamped with the middle of the request. A failed
    scrape (connection error, timeout, non-200, unparsable text) adds one ``scrape_error`` sample
    and is otherwise ignored: the thread never raises. All methods are thread-safe.
    """

    def __init__(
        self,
        base_url: str,
        variant: str,
        interval_s: float = 1.0,
        timeout_s: float | None = None,
        path: str = "/actuator/prometheus",
        extra_sources: Mapping[str, Source] | None = None,
    ) -> None:
        if variant not in COLUMN_SOURCES:
            raise ValueError(f"unknown variant {variant!r}; known: {', '.join(COLUMN_SOURCES)}")
        self.url = base_url.rstrip("/") + path
        self.variant = variant
        # Scrapes never pile up (one at a time, missed ticks are skipped), so the timeout only
        # decides when a slow answer counts as an error: a saturated JVM, or a cold one whose
        # first scrape is still being JIT-compiled, can take well over a second on a small machine.
        self.timeout_s = timeout_s if timeout_s is not None else max(5.0, 2 * interval_s)
        # A consume segment adds its broker's and the consumer's meters (harness.consume.app_metrics).
        self._sources = {**COLUMN_SOURCES[variant], **(extra_sources or {})}
        self._lock = threading.Lock()
        self._samples: list[MetricSample] = []
        self._errors: list[str] = []
        self._client: httpx.Client | None = None
        super().__init__(interval_s, "prometheus-sampler", self.timeout_s + max(5.0, 2 * interval_s))

    def samples(self, start: float | None = None, end: float | None = None) -> list[MetricSample]:
        """Samples in time order, those with ``start <= t <= end`` when given (a copy)."""
        with self._lock:
            rows = list(self._samples)
        return [s for s in rows if (start is None or s.t >= start) and (end is None or s.t <= end)]

    @property
    def scrape_errors(self) -> int:
        """Failed scrapes since the sampler was created."""
        with self._lock:
            return len(self._errors)

    def errors(self) -> list[str]:
        """One short description per failed scrape, oldest first (for a log or the manifest)."""
        with self._lock:
            return list(self._errors)

    def scrape_once(self, client: httpx.Client | None = None) -> bool:
        """Scrape now, record the result, and return whether it succeeded. Never raises."""
        began = time.time()
        try:
            if client is None:
                with httpx.Client(timeout=self.timeout_s) as own:
                    columns = self._fetch(own)
            else:
                columns = self._fetch(client)
        except Exception as error:  # anything: a dead sampling thread would lose the level silently
            ended = time.time()
            with self._lock:
                self._errors.append(f"{type(error).__name__}: {str(error)[:200]}")
                self._samples.append(MetricSample((began + ended) / 2, SCRAPE_ERROR, 1.0))
            return False
        ended = time.time()
        t = (began + ended) / 2
        rows = [MetricSample(t, column, value) for column, value in columns.items()]
        rows.append(MetricSample(t, SCRAPE_MS, (ended - began) * 1000.0))
        with self._lock:
            self._samples.extend(rows)
        return True

    def _fetch(self, client: httpx.Client) -> dict[str, float]:
        # Ask for 0.0.4 explicitly: Micrometer would otherwise negotiate OpenMetrics for some clients.
        response = client.get(self.url, headers={"Accept": "text/plain;version=0.0.4"})
        if response.status_code != 200:
            raise httpx.HTTPStatusError(f"HTTP {response.status_code}", request=response.request, response=response)
        return extract_columns(parse_exposition(response.text), self._sources)

    def tick(self) -> None:
        self.scrape_once(self._client)

    def _run(self) -> None:
        # One keep-alive connection for the sampler's life: a new one per scrape would add a
        # TCP handshake (and Tomcat/Netty connection churn) to what is measured.
        with httpx.Client(timeout=self.timeout_s) as client:
            self._client = client
            try:
                super()._run()
            finally:
                self._client = None


# -- per-level figures ------------------------------------------------------------------------------


def aggregate(samples: Iterable[MetricSample], start: float, end: float) -> dict[str, float | None]:
    """One level's figures from the samples with ``start <= t <= end``.

    Guarantees: the keys are exactly ``AGGREGATE_COLUMNS``, always. Gauges give ``<col>_mean``
    and ``<col>_max`` over the scrapes inside the window (``None`` without any). Cumulative
    columns give the increase over the whole window: the increase between the first and last
    scrape inside it, scaled to the window's length as CPU time is (``metrics._cpu_seconds``), so
    that a 5 s level scraped every 2 s does not report the 2-4 s between its scrapes as if they
    were the level; counts are rounded to whole events after scaling. ``None`` with fewer than two
    scrapes or when a counter went backwards (a restarted JVM). ``db_acquire_ms_mean`` is the
    acquire-time increase over the acquire-count increase (``None`` when nothing was acquired).
    ``scrapes`` and ``scrape_errors`` count successful and failed scrapes in the window. Counts
    are ints, times in milliseconds and sizes in MiB are rounded to 3 decimals.
    """
    series: dict[str, list[tuple[float, float]]] = {}
    for sample in samples:
        if start <= sample.t <= end:
            series.setdefault(sample.column, []).append((sample.t, sample.value))
    for rows in series.values():
        rows.sort()
    out: dict[str, float | None] = dict.fromkeys(AGGREGATE_COLUMNS)
    for column in GAUGE_COLUMNS:
        values = [v for _, v in series.get(column, ())]
        if values:
            out[f"{column}_mean"] = round(sum(values) / len(values), 3)
            out[f"{column}_max"] = round(max(values), 3)
    for column in ("db_acquire_ms_max", "gc_pause_ms_max"):
        values = [v for _, v in series.get(column, ())]
        out[column] = round(max(values), 3) if values else None

    def delta(column: str) -> float | None:
        rows = series.get(column, ())
        if len(rows) < 2:
            return None
        change, observed = rows[-1][1] - rows[0][1], rows[-1][0] - rows[0][0]
        if change < 0 or observed <= 0:
            return None
        return change * (end - start) / observed

    def count(column: str) -> int | None:
        change = delta(column)
        return None if change is None else round(change)

    acquires, acquire_ms = count("db_acquires_total"), delta("db_acquire_ms_total")
    out["db_acquires"] = acquires
    out["db_acquire_ms_mean"] = round(acquire_ms / acquires, 3) if acquires and acquire_ms is not None else None
    out["db_acquire_timeouts"] = count("db_acquire_timeouts_total")
    out["gc_pauses"] = count("gc_pauses_total")
    out["gc_pause_ms_total"] = _round(delta("gc_pause_ms_total"))
    out["vt_pinned"] = count("vt_pinned_total")
    out["vt_pinned_ms_total"] = _round(delta("vt_pinned_ms_total"))
    out["vt_submit_failed"] = count("vt_submit_failed_total")
    out["scrapes"] = len(series.get(SCRAPE_MS, ()))
    out["scrape_errors"] = len(series.get(SCRAPE_ERROR, ()))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
