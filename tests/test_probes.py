"""Probes behind one protocol: what each hook does with a real scraper and a real results table."""

from __future__ import annotations

import dataclasses
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from local_http import serving

from harness.level_id import LevelId
from harness.metrics import LevelResult
from harness.probes import JfrProbe, Probe, PrometheusProbe
from harness.results.jfr_table import read_jfr
from harness.results.tables import JVM_TIMESERIES

EXPOSITION = (Path(__file__).resolve().parent / "fixtures" / "prometheus" / "webflux-after-requests.txt").read_text(
    encoding="utf-8")
LEVEL = LevelId(25, "webflux", 16, 1)
FIELDS = [f.name for f in dataclasses.fields(LevelResult)]


class _Exporter(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = EXPOSITION.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain;version=0.0.4;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_the_prometheus_probe_gives_level_figures_and_writes_its_readings(tmp_path: Path) -> None:
    table = tmp_path / "jvm_timeseries.csv"
    probe: Probe = PrometheusProbe("webflux", 0.05, table, FIELDS)
    with serving(_Exporter) as url:
        start = time.time()
        probe.start(url)
        deadline = time.monotonic() + 10
        figures = probe.window(LEVEL, start, time.time())
        while figures.get("platform_threads_max") is None and time.monotonic() < deadline:
            time.sleep(0.1)  # until the scraper's first reading lands in the window
            figures = probe.window(LEVEL, start, time.time())
        assert probe.stop(completed=True) == []
    assert set(figures) <= set(FIELDS) and "platform_threads_max" in figures
    assert figures["platform_threads_max"] == 25
    rows = JVM_TIMESERIES.read(table)
    assert rows and {row.id for row in rows} == {LEVEL}
    assert {"platform_threads", "heap_used_mb"} <= {row.column for row in rows}


def test_the_jfr_probe_reads_only_a_completed_app_and_says_when_it_cannot(tmp_path: Path) -> None:
    probe: Probe = JfrProbe(tmp_path / "jfr" / "webflux@jdk25.jfr", tmp_path / "jfr.csv")
    probe.start("http://127.0.0.1:9")
    assert probe.window(LEVEL, 1.0, 6.0) == {}  # no levels.csv figures
    assert probe.stop(completed=False) == []  # a failed or interrupted app is not waited for
    probe.start("http://127.0.0.1:9")
    probe.window(LEVEL, 1.0, 6.0)
    [warning] = probe.stop(completed=True)
    assert warning.startswith("webflux@jdk25: JFR recording not read:")
    assert read_jfr(tmp_path / "jfr.csv") == []
