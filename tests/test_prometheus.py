"""harness.prometheus: the parser on real captures, the mapping per variant, the aggregates, the
sampler thread against a stand-in server, and one real run against the real apps.

The fixtures under fixtures/prometheus/ are verbatim ``/actuator/prometheus`` answers of the three
variants (JDK 25, Spring Boot 4): ``*-fresh`` right after start-up (no GC yet, no downstream call
yet), ``*-after-requests`` after ~60 order requests.
"""

from __future__ import annotations

import csv
import http.server
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from harness import apps
from harness.build import jar_paths
from harness.infra import seed as seeding
from harness.infra.postgres import apply_schema, local_postgres
from harness.jdks import build_jdk
from harness.level_id import LevelId
from harness.processes import Supervisor, free_port
from harness.prometheus import (
    AGGREGATE_COLUMNS,
    COLUMN_KINDS,
    COLUMN_SOURCES,
    SCRAPE_ERROR,
    SCRAPE_MS,
    ExpositionError,
    MetricSample,
    PrometheusSampler,
    aggregate,
    extract_columns,
    parse_exposition,
)
from harness.results.tables import append_jvm_readings
from harness.scenario import DataSettings, parse_scenario

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "prometheus"


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")


# -- parser on real captures ------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.txt")), ids=lambda p: p.stem)
def test_every_real_capture_parses_to_one_sample_per_sample_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    exposition = parse_exposition(text)
    sample_lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert len(exposition.samples) == len(sample_lines)
    assert exposition.types["jvm_threads_live_threads"] == "gauge"
    assert exposition.types["jvm_threads_virtual_submit_failed_total"] == "counter"


def test_real_capture_values_labels_and_types() -> None:
    exposition = parse_exposition(fixture("mvc-virtual-after-requests"))
    (count,) = exposition.select("hikaricp_connections_acquire_seconds_count", {"pool": "orders"})
    assert count.value == 62
    (acquire_max,) = exposition.select("hikaricp_connections_acquire_seconds_max")
    assert acquire_max.value == pytest.approx(7.45358e-4)  # Java's "7.45358E-4"
    assert exposition.types["hikaricp_connections_acquire_seconds"] == "summary"
    # Label values with braces, '?', spaces and quotes inside must not end the label set early.
    uris = {s.label("uri") for s in exposition.select("http_client_requests_seconds_count")}
    assert "/customers/{id}?delayMs={delayMs}" in uris
    ids = {s.label("id") for s in exposition.select("jvm_memory_used_bytes", {"area": "nonheap"})}
    assert "CodeHeap 'profiled nmethods'" in ids
    heap = exposition.select("jvm_memory_used_bytes", {"area": "heap"})
    assert {s.label("id") for s in heap} == {"G1 Eden Space", "G1 Old Gen", "G1 Survivor Space"}
    # A -1 is a value like any other for the parser: Tomcat's "not known" under virtual threads.
    (busy,) = exposition.select("tomcat_threads_busy_threads")
    assert busy.value == -1.0


# -- parser edge cases (the format's corners, which Micrometer happens not to use) --------------------


def test_escapes_special_values_timestamps_and_trailing_comma() -> None:
    text = (
        "# HELP odd A help text with \\\\ and \\n that is not parsed\n"
        "# TYPE odd gauge\n"
        '\n'
        'odd{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",} NaN\n'
        "odd_inf +Inf 1700000000000\n"
        "odd_ninf -Inf\n"
        "odd_exp{a=\"1\"} -1.5e-3\n"
        "# EOF\n"
    )
    exposition = parse_exposition(text)
    first, inf, ninf, exp = exposition.samples
    assert first.labels == (("path", "C:\\dir"), ("quote", 'say "hi"'), ("nl", "a\nb"))
    assert first.value != first.value  # NaN
    assert inf.value == float("inf") and inf.timestamp_ms == 1700000000000
    assert ninf.value == float("-inf")
    assert exp.value == -0.0015
    assert exposition.types == {"odd": "gauge"}


@pytest.mark.parametrize(
    "line",
    [
        "9bad 1",  # name starts with a digit
        "name",  # no value
        "name 1 2 3",  # too many fields
        "name{a=\"1\"}1",  # no space before the value
        "name abc",  # not a number
        "name 1_000",  # Python would take it, Prometheus does not
        "name 1 1.5",  # timestamp must be an integer
        'name{a="1" 1',  # label set never closed
        'name{a="1} 1',  # label value never closed
        'name{a="\\t"} 1',  # unknown escape
        'name{a="1",a="2"} 1',  # repeated label
        "name{a=1} 1",  # unquoted value
        'name{1a="x"} 1',  # invalid label name
        "# TYPE name kind",  # unknown type
        "# TYPE name",  # incomplete TYPE
    ],
)
def test_malformed_lines_are_rejected_with_their_line_number(line: str) -> None:
    with pytest.raises(ExpositionError, match=r"^line 2: "):
        parse_exposition(f"ok 1\n{line}\n")


def test_a_second_type_for_one_family_is_rejected() -> None:
    with pytest.raises(ExpositionError, match="second TYPE"):
        parse_exposition("# TYPE a gauge\na 1\n# TYPE a counter\n")


# -- mapping per variant ----------------------------------------------------------------------------


def test_mapping_only_names_known_columns() -> None:
    for sources in COLUMN_SOURCES.values():
        assert set(sources) <= set(COLUMN_KINDS)


def test_mvc_platform_fills_hikari_and_tomcat_columns_but_no_http_client() -> None:
    exposition = parse_exposition(fixture("mvc-platform-after-requests"))
    columns = extract_columns(exposition, COLUMN_SOURCES["mvc-platform"])
    assert columns["platform_threads"] == 36
    heap_bytes = sum(s.value for s in exposition.select("jvm_memory_used_bytes", {"area": "heap"}))
    assert len(exposition.select("jvm_memory_used_bytes")) > 3  # non-heap pools exist and are not counted
    assert columns["heap_used_mb"] == pytest.approx(heap_bytes / 2**20)
    assert columns["db_acquires_total"] == 64
    assert columns["db_acquire_ms_total"] == pytest.approx(9.404204)
    assert columns["tomcat_busy_threads"] == 1
    assert columns["tomcat_current_threads"] == 16
    assert columns["gc_pauses_total"] == 1
    assert not any(c.startswith("http_client") for c in columns)  # Apache HttpClient 5 has no pool meters


def test_mvc_virtual_drops_tomcats_minus_one_thread_counts() -> None:
    columns = extract_columns(parse_exposition(fixture("mvc-virtual-after-requests")), COLUMN_SOURCES["mvc-virtual"])
    assert "tomcat_busy_threads" not in columns
    assert "tomcat_current_threads" not in columns
    assert columns["tomcat_connections"] >= 0
    assert columns["db_acquires_total"] == 62
    assert columns["vt_pinned_total"] == 0
    assert columns["vt_submit_failed_total"] == 0


def test_webflux_fills_r2dbc_and_reactor_netty_columns_and_nothing_tomcat_or_hikari() -> None:
    columns = extract_columns(parse_exposition(fixture("webflux-after-requests")), COLUMN_SOURCES["webflux"])
    assert columns["db_pool_idle"] == 4
    assert columns["db_pool_active"] == 0
    assert columns["db_pool_pending"] == 0
    assert columns["http_client_pending"] == 0
    assert not any(c.startswith("tomcat") for c in columns)
    assert not any(c.startswith("db_acquire") for c in columns)  # r2dbc-pool has no acquire timer


def test_meters_created_at_their_first_event_read_as_zero_before_it() -> None:
    # Right after start-up: no GC pause yet, no downstream connection pool yet.
    exposition = parse_exposition(fixture("webflux-fresh"))
    assert not exposition.select("jvm_gc_pause_seconds_count")
    assert not exposition.select("reactor_netty_connection_provider_pending_connections")
    columns = extract_columns(exposition, COLUMN_SOURCES["webflux"])
    assert columns["gc_pauses_total"] == 0
    assert columns["http_client_pending"] == 0


def test_nan_readings_leave_the_column_out() -> None:
    columns = extract_columns(parse_exposition("jvm_threads_live_threads NaN\n"), COLUMN_SOURCES["webflux"])
    assert "platform_threads" not in columns


# -- aggregates ------------------------------------------------------------------------------------


def _series(column: str, *points: tuple[float, float]) -> list[MetricSample]:
    return [MetricSample(t, column, v) for t, v in points]


def test_aggregate_gauges_deltas_and_edges() -> None:
    samples = [
        *_series("db_pool_pending", (9, 100), (10, 2), (11, 4), (12, 0), (21, 100)),
        *_series("db_acquires_total", (9, 0), (10, 100), (11, 150), (12, 300)),
        *_series("db_acquire_ms_total", (10, 1000.0), (11, 1500.0), (12, 1800.0)),
        *_series("gc_pauses_total", (10, 3), (12, 5)),
        *_series("gc_pause_ms_max", (10, 7.0), (12, 4.0)),
        *_series(SCRAPE_MS, (10, 3.0), (11, 3.0), (12, 3.0)),
        *_series(SCRAPE_ERROR, (11.5, 1.0), (30, 1.0)),
    ]
    out = aggregate(samples, 10, 12)
    assert list(out) == list(AGGREGATE_COLUMNS)
    assert out["db_pool_pending_mean"] == 2
    assert out["db_pool_pending_max"] == 4
    assert out["db_acquires"] == 200
    assert out["db_acquire_ms_mean"] == 4.0  # 800 ms over 200 acquires
    assert out["gc_pauses"] == 2
    assert out["gc_pause_ms_max"] == 7.0
    assert out["scrapes"] == 3
    assert out["scrape_errors"] == 1
    assert out["tomcat_busy_threads_max"] is None  # never sampled
    assert out["vt_pinned"] is None


def test_counters_are_extrapolated_to_the_whole_window_as_cpu_is() -> None:
    # A 5 s level scraped every 2 s: scrapes at 1 s and 3 s inside it saw 40 acquires in 2 s, so
    # the level had 100; the mean acquire time is a ratio and does not change by scaling.
    samples = [
        *_series("db_acquires_total", (99.5, 0), (101, 10), (103, 50), (105.5, 500)),
        *_series("db_acquire_ms_total", (101, 100.0), (103, 180.0)),
        *_series("gc_pauses_total", (101, 7), (103, 9)),
        *_series("vt_pinned_ms_total", (101, 1.0), (103, 1.5)),
    ]
    out = aggregate(samples, 100, 105)
    assert out["db_acquires"] == 100
    assert out["db_acquire_ms_mean"] == 2.0
    assert out["gc_pauses"] == 5
    assert out["vt_pinned_ms_total"] == 1.25


def test_aggregate_refuses_a_counter_that_went_backwards_and_single_scrapes() -> None:
    samples = [*_series("gc_pauses_total", (1, 10), (2, 3)), *_series("vt_pinned_total", (1, 4)),
               *_series("vt_submit_failed_total", (2, 0), (2, 1))]
    out = aggregate(samples, 0, 5)
    assert out["gc_pauses"] is None
    assert out["vt_pinned"] is None
    assert out["vt_submit_failed"] is None  # two scrapes at one instant observe no time to scale from


def test_aggregate_of_nothing_is_all_none_but_the_counts() -> None:
    out = aggregate([], 0, 1)
    assert out["scrapes"] == 0 and out["scrape_errors"] == 0
    assert all(v is None for k, v in out.items() if k not in ("scrapes", "scrape_errors"))


def test_no_acquires_gives_no_mean_rather_than_zero() -> None:
    samples = [*_series("db_acquires_total", (1, 5), (2, 5)), *_series("db_acquire_ms_total", (1, 9.0), (2, 9.0))]
    out = aggregate(samples, 0, 3)
    assert out["db_acquires"] == 0
    assert out["db_acquire_ms_mean"] is None


# -- the sampler thread, against a stand-in server -------------------------------------------------


class _Exporter(http.server.BaseHTTPRequestHandler):
    answer: Callable[[], tuple[int, str]] = staticmethod(lambda: (200, ""))

    def do_GET(self) -> None:
        status, body = type(self).answer()
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain;version=0.0.4;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def exporter() -> Iterator[tuple[str, type[_Exporter]]]:
    handler = type("Handler", (_Exporter,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_sampler_records_columns_and_counts_failed_scrapes_without_dying(
    exporter: tuple[str, type[_Exporter]],
) -> None:
    url, handler = exporter
    answers = iter([(200, fixture("webflux-after-requests")), (500, "boom"), (200, "not { valid"), (404, "")])
    good = (200, fixture("webflux-after-requests"))
    handler.answer = staticmethod(lambda: next(answers, good))
    with PrometheusSampler(url, "webflux", interval_s=0.05) as sampler:
        _wait_for(lambda: len({s.t for s in sampler.samples() if s.column == SCRAPE_MS}) >= 3)
    assert sampler.scrape_errors == 3
    assert [e.split(":")[0] for e in sampler.errors()] == ["HTTPStatusError", "ExpositionError", "HTTPStatusError"]
    columns = {s.column for s in sampler.samples()}
    assert {"platform_threads", "db_pool_pending", "http_client_pending", SCRAPE_ERROR} <= columns
    assert not any(c.startswith("tomcat") for c in columns)
    out = aggregate(sampler.samples(), 0, time.time() + 1)
    assert out["scrape_errors"] == 3
    assert out["platform_threads_max"] == 25


def test_sampler_against_nothing_only_counts_errors() -> None:
    with PrometheusSampler(f"http://127.0.0.1:{free_port()}", "mvc-virtual", interval_s=0.05) as sampler:
        _wait_for(lambda: sampler.scrape_errors >= 2)
    assert {s.column for s in sampler.samples()} == {SCRAPE_ERROR}
    assert sampler._thread is None  # stopped and joined


def test_sampler_rejects_unknown_variants_and_bad_intervals() -> None:
    with pytest.raises(ValueError, match="variant"):
        PrometheusSampler("http://x", "quarkus")
    with pytest.raises(ValueError, match="interval"):
        PrometheusSampler("http://x", "webflux", interval_s=0)


# -- the real thing -------------------------------------------------------------------------------

SCENARIO = parse_scenario({
    "name": "prometheus-it",
    "app": {"heap": "256m", "gc": "G1", "db_pool": 2,
            "tomcat": {"max_threads": 8, "max_connections": 1000, "accept_count": 100},
            "netty": {"io_workers": 2}, "http_client": {"max_connections": 4}},
    "workload": {"downstream_delay_ms": 5},
    "load": {"levels": [1]},
})  # fmt: skip
SCHEMA_DIR = REPO / "java-apps" / "order-domain" / "src" / "main" / "resources" / "db" / "schema"
VARIANTS = ("mvc-platform", "mvc-virtual", "webflux")
REQUESTS_PER_APP = 100
ORDERS = 200


def _tree(pid: int) -> set[int]:
    try:
        root = psutil.Process(pid)
        return {pid, *(child.pid for child in root.children(recursive=True))}
    except psutil.NoSuchProcess:
        return set()


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _load(base_url: str) -> int:
    """~100 order requests, 8 at a time (more than the pool of 2, so callers queue)."""
    with httpx.Client(base_url=base_url, timeout=10.0) as client, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: client.get(f"/orders/{i % ORDERS + 1}").status_code,
                                 range(REQUESTS_PER_APP)))
    return sum(status == 200 for status in statuses)


@pytest.mark.e2e
def test_real_apps_fill_their_columns_and_nothing_is_left_running() -> None:
    jars = jar_paths(REPO / "java-apps")
    missing = [jar for jar in jars.all() if not jar.is_file()]
    if missing:
        pytest.skip(f"jars not built: {missing} (mvn -f java-apps/pom.xml -DskipTests package)")
    jdk = build_jdk()
    started: set[int] = set()
    results: dict[str, dict[str, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="prometheus-it-") as tmp:
        work = Path(tmp)
        # Private copies: a rebuild of java-apps during the test must not change a jar under a JVM.
        mvc_jar, webflux_jar, downstream_jar = (Path(shutil.copy(jar, work)) for jar in jars.all())
        with Supervisor() as supervisor, local_postgres(supervisor, work, work / "logs" / "postgres.log") as postgres:
            apply_schema(postgres, SCHEMA_DIR)
            seeding.seed(postgres, DataSettings(orders=ORDERS, customers=50))
            port = free_port()
            downstream = apps.AppLaunch("downstream", jdk, downstream_jar,
                                        apps.downstream_flags(work / "downstream-gc.log"),
                                        {"ORDERS_SERVER_PORT": str(port)}, port)
            apps.start_app(supervisor, downstream, work / "logs" / "downstream.log")
            launches = []
            for variant in VARIANTS:
                port = free_port()
                launches.append(apps.AppLaunch(
                    variant, jdk, webflux_jar if variant == "webflux" else mvc_jar,
                    apps.jvm_flags(SCENARIO, variant, work / f"{variant}-gc.log"),
                    apps.variant_env(SCENARIO, variant, port, postgres.env(), downstream.base_url), port))
            # One after another, from this thread: PR_SET_PDEATHSIG fires when the *thread* that
            # started a child ends, so a JVM started from a pool worker is killed with the worker.
            running = [apps.start_app(supervisor, launch, work / "logs" / f"{launch.name}.log") for launch in launches]
            for child in supervisor.children:
                started |= _tree(child.pid)
            for app in running:
                variant = app.launch.name
                with PrometheusSampler(app.launch.base_url, variant, interval_s=0.2) as sampler:
                    begin = time.time()
                    try:
                        ok = _load(app.launch.base_url)
                    except httpx.HTTPError as error:
                        log = app.process.log_tail(60)
                        pytest.fail(f"{variant} (running: {app.process.running()}): {error!r}\n{log}")
                    sampler.scrape_once()  # one reading after the last request, inside the window
                    end = time.time()
                assert ok == REQUESTS_PER_APP, f"{variant}: only {ok} requests answered 200"
                results[variant] = aggregate(sampler.samples(), begin - 0.5, end)
                assert sampler.errors() == [], variant
                append_jvm_readings(work / "jvm.csv", LevelId(jdk.feature, variant, 8, 1), sampler.samples())
            for child in supervisor.children:
                started |= _tree(child.pid)
            rows = list(csv.DictReader((work / "jvm.csv").open(encoding="utf-8")))
        assert {row["variant"] for row in rows} == set(VARIANTS)

    left = [pid for pid in started if _alive(pid)]
    assert not left, f"left running: {[psutil.Process(p).cmdline() for p in left]}"

    for variant, out in results.items():
        assert out["scrape_errors"] == 0, variant
        assert (out["scrapes"] or 0) >= 2, variant
        assert (out["platform_threads_max"] or 0) > 0, variant
        assert (out["heap_used_mb_max"] or 0) > 0, variant
        for column in ("db_pool_active_max", "db_pool_idle_max", "db_pool_pending_max"):
            assert out[column] is not None, f"{variant}: {column}"
        assert out["vt_pinned"] is not None and out["vt_submit_failed"] is not None, variant
        assert out["gc_pauses"] is not None, variant

    for variant in ("mvc-platform", "mvc-virtual"):
        out = results[variant]
        # Hikari's acquire timer: every request borrowed a connection.
        assert (out["db_acquires"] or 0) >= REQUESTS_PER_APP // 2, variant
        assert out["db_acquire_ms_mean"] is not None and out["db_acquire_ms_max"] is not None, variant
        assert out["tomcat_connections_max"] is not None, variant
        assert out["http_client_pending_max"] is None, variant  # Apache HttpClient 5: no pool meters
    assert results["mvc-platform"]["tomcat_busy_threads_max"] is not None
    assert results["mvc-platform"]["tomcat_current_threads_max"] is not None
    # Virtual threads: Tomcat's executor has no thread pool and reports -1, which is dropped.
    assert results["mvc-virtual"]["tomcat_busy_threads_max"] is None

    webflux = results["webflux"]
    assert all(webflux[c] is None for c in AGGREGATE_COLUMNS if c.startswith("tomcat")), webflux
    assert webflux["db_acquires"] is None and webflux["db_acquire_ms_mean"] is None  # r2dbc-pool: no timer
    assert webflux["http_client_pending_max"] is not None and webflux["http_client_active_max"] is not None
