"""The Locust user the harness runs, and the recorder that writes what it measured.

This module runs only INSIDE the Locust subprocess that ``harness.load.driver`` starts: importing
``locust`` monkey-patches the interpreter with gevent, which must never happen in the harness
process. Nothing in ``harness`` imports this file.

Model: closed (each user sends its next request as soon as the previous one answered), so the
latencies are NOT corrected for coordinated omission: a stall delays the requests behind it
instead of being recorded as their latency. Reports must label them as such.

Configuration (environment, set by the driver):

``HARNESS_ORDER_ID_MAX``  order ids are drawn uniformly from 1..max
``HARNESS_CUSTOMER_ID_MAX`` customer ids (legacy endpoint) from 1..max
``HARNESS_SEED``          user *i* draws from ``random.Random(seed + i)``
``HARNESS_MIX``           endpoint weights, e.g. ``orders:2,quotes:1`` (harness.load.endpoints)
``HARNESS_CPU_ROUNDS``    SHA-256 rounds per quote
``HARNESS_DELAY_MS``      delay asked of the downstream by the ``delayed`` endpoint (``harness calibrate``)
``HARNESS_HLOG_PATH``     HdrHistogram interval log (successes, microseconds, one line per second)
``HARNESS_RESULT_PATH``   JSON sidecar with every interval's counts and encoded success histogram
``HARNESS_PROFILE``       workload profile name, recorded in the logs
``HARNESS_HLOG_TAG``      optional tag for every hlog line (the level's label)
``HARNESS_RUN_S``         optional: stop the test this many wall-clock seconds after test start

Why our own stop timer: Locust's ``--run-time`` is a ``gevent.spawn_later`` armed before the
gevent loop has run, against the loop's cached clock, so it fires early by Locust's start-up time
(measured: 5 s asked, 3.5 s run). The driver passes a generous ``--run-time`` as a backstop only.

Every request is recorded through the ``request`` event into the interval that contains its
completion time, counted from test start. Finished intervals are appended to the hlog (and the
sidecar rewritten) about once a second, so a run cut short still leaves what it had measured.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import random
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import gevent
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogWriter
from locust import FastHttpUser, constant, events, task

import harness
from harness.codec import json_row
from harness.load.endpoints import ENDPOINTS, decode_mix
from harness.load.recording import HIGHEST_US, LOWEST_US, SIDECAR_FORMAT, SidecarInterval, new_histogram

INTERVAL_S = 1.0


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"{name} is not set: this locustfile is meant to be started by harness.load.driver, "
            "which sets HARNESS_ORDER_ID_MAX, HARNESS_SEED, HARNESS_HLOG_PATH and HARNESS_RESULT_PATH"
        )
    return value


# local: one process (the default); master: collects the workers' intervals, sends no request;
# worker: sends the requests, configured by the master (see "Distributed" below).
ROLE = os.environ.get("HARNESS_ROLE", "local")
if ROLE == "worker":  # placeholders until the master's --harness-config arrives with the spawn message
    os.environ.setdefault("HARNESS_ORDER_ID_MAX", "1")
    os.environ.setdefault("HARNESS_SEED", "0")
    os.environ.setdefault("HARNESS_HLOG_PATH", os.devnull)
    os.environ.setdefault("HARNESS_RESULT_PATH", os.devnull)
ORDER_ID_MAX = int(_env("HARNESS_ORDER_ID_MAX"))
SEED = int(_env("HARNESS_SEED"))
HLOG_PATH = Path(_env("HARNESS_HLOG_PATH"))
RESULT_PATH = Path(_env("HARNESS_RESULT_PATH"))
PROFILE = os.environ.get("HARNESS_PROFILE", "io-bound")
MIX = decode_mix(os.environ.get("HARNESS_MIX", "orders:1"))
CUSTOMER_ID_MAX = int(os.environ.get("HARNESS_CUSTOMER_ID_MAX", "1"))
CPU_ROUNDS = int(os.environ.get("HARNESS_CPU_ROUNDS", "1000"))
DELAY_MS = int(os.environ.get("HARNESS_DELAY_MS", "0"))
HLOG_TAG = os.environ.get("HARNESS_HLOG_TAG", "")
RUN_S = float(os.environ.get("HARNESS_RUN_S", "0"))
if ORDER_ID_MAX < 1 or CUSTOMER_ID_MAX < 1:
    raise RuntimeError(f"id ranges must be >= 1, got orders {ORDER_ID_MAX}, customers {CUSTOMER_ID_MAX}")
_CHOICES = [ENDPOINTS[name] for name in MIX]
_WEIGHTS = [MIX[name] for name in MIX]
_ID_MAX = {"orders": ORDER_ID_MAX, "customers": CUSTOMER_ID_MAX}

# Users are spawned one after another in one process, so a counter gives each a stable index.
_user_index = itertools.count()


class OrdersUser(FastHttpUser):
    """Requests one endpoint of the mix after another, with no think time."""

    wait_time = constant(0)

    def on_start(self) -> None:
        # Workers count their users from 0 each: the worker index keeps their sequences apart.
        worker_index = getattr(self.environment.runner, "worker_index", 0) if ROLE == "worker" else 0
        self.rng = random.Random(SEED + (worker_index << 20) + next(_user_index))

    @task
    def request(self) -> None:
        # One weighted draw per request from the user's own seeded generator: the same scenario
        # sends the same sequence of requests to every variant.
        endpoint = self.rng.choices(_CHOICES, _WEIGHTS)[0] if len(_CHOICES) > 1 else _CHOICES[0]
        path = endpoint.path.format(id=self.rng.randint(1, _ID_MAX[endpoint.ids]), rounds=CPU_ROUNDS,
                                    delay=DELAY_MS)
        with self.client.get(path, name=endpoint.request_name, catch_response=True) as response:
            # Status 0 means no response at all: keep Locust's own exception (its class names the
            # error kind) instead of hiding it behind a generic failure.
            if response.status_code not in (0, 200):
                response.failure(f"HTTP {response.status_code}")


@dataclass
class Interval:
    """One second of the test, by completion time of the requests."""

    index: int
    start: float
    successes: HdrHistogram = field(default_factory=new_histogram)
    requests: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    latency_sum_us: int = 0
    end: float | None = None  # set once final: start + 1 s, or the stop time for the last one
    encoded: str | None = None  # set once final; encoding costs ~0.1 ms, so only once


class Recorder:
    """Per-second HdrHistograms of every request. Runs on gevent: no locks needed, never yields."""

    def __init__(self) -> None:
        self.test_start: float | None = None
        self.test_stop: float | None = None
        self.intervals: dict[int, Interval] = {}
        self.written = 0  # intervals [0, written) are already in the hlog
        self.hlog: IO[str] | None = None
        self.writer: HistogramLogWriter | None = None
        self.flusher: Any = None
        self.finished = False
        self.sidecar_extra: dict[str, Any] = {}  # the master's "workers" section

    def start(self, runner: Any) -> None:
        self.test_start = time.time()
        if ROLE == "worker":  # no files: its intervals go to the master (see "Distributed")
            if RUN_S > 0 and runner is not None:
                gevent.spawn(_worker_stop_at, runner, self.test_start + RUN_S)
            self.flusher = gevent.spawn(self._flush_loop)
            return
        if RUN_S > 0 and runner is not None:
            stop_at = _master_collect if ROLE == "master" else self._stop_at
            gevent.spawn(stop_at, runner, self.test_start + RUN_S)
        HLOG_PATH.parent.mkdir(parents=True, exist_ok=True)
        RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
        self.hlog = open(HLOG_PATH, "w", encoding="utf-8")  # noqa: SIM115 - closed in finish()
        self.writer = HistogramLogWriter(self.hlog)
        start_ms = self.test_start * 1000.0
        # Interval timestamps are relative to the start time (Java's convention). The library's
        # output_start_time() is broken in 0.10.8 (calls datetime.iso_format), so write it here.
        self.writer.base_time = start_ms
        self.writer.output_log_format_version()
        self.writer.output_comment(
            f"[profile={PROFILE} order_id_max={ORDER_ID_MAX} seed={SEED} unit=microseconds "
            "successes only; closed model, not corrected for coordinated omission]"
        )
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.test_start))
        self.hlog.write(f"#[StartTime: {self.test_start:f} (seconds since epoch), {stamp}]\n")
        self.writer.output_base_time(start_ms)
        self.writer.output_legend()
        self.hlog.flush()
        if ROLE == "local":  # the master's intervals are the workers', merged once they all reported
            self.flusher = gevent.spawn(self._flush_loop)

    def record(
        self, response_time_ms: float, response: Any, exception: BaseException | None, start_time: float
    ) -> None:
        if self.test_start is None or self.test_stop is not None:
            return
        us = min(HIGHEST_US, max(LOWEST_US, round(response_time_ms * 1000.0)))
        done = start_time + response_time_ms / 1000.0
        index = max(0, int((done - self.test_start) // INTERVAL_S))
        interval = self.intervals.get(index)
        if interval is None:
            interval = Interval(index, self.test_start + index * INTERVAL_S)
            self.intervals[index] = interval
        interval.requests += 1
        interval.latency_sum_us += us
        if exception is None:
            interval.successes.record_value(us)
            return
        interval.errors += 1
        status = getattr(response, "status_code", 0) or 0
        kind = f"http_{status}" if status not in (0, 200) else type(exception).__name__
        interval.error_kinds[kind] = interval.error_kinds.get(kind, 0) + 1

    @staticmethod
    def _stop_at(runner: Any, deadline: float) -> None:
        # Wall clock, re-read every round: gevent's cached loop time is what made --run-time early.
        while (left := deadline - time.time()) > 0:
            gevent.sleep(min(left, 0.1))
        logging.getLogger("harness").info("HARNESS_RUN_S=%s reached, shutting down", RUN_S)
        runner.quit()

    def _flush_loop(self) -> None:
        while self.test_stop is None:
            gevent.sleep(INTERVAL_S)
            if self.test_stop is None:
                # A request completing now belongs to the current interval: earlier ones are final.
                self.flush(final=False)

    def _last_index(self, final: bool) -> int:
        """Index one past the last interval that may be written."""
        assert self.test_start is not None
        now = self.test_stop if final and self.test_stop is not None else time.time()
        current = int((now - self.test_start) // INTERVAL_S)
        if final:
            return max([current + 1, *[i + 1 for i in self.intervals]])
        return current

    def _interval(self, index: int) -> Interval:
        assert self.test_start is not None
        interval = self.intervals.get(index)
        if interval is None:  # a second without completions is a measurement too (a stall)
            interval = Interval(index, self.test_start + index * INTERVAL_S)
            self.intervals[index] = interval
        return interval

    def flush(self, final: bool) -> None:
        """Append finished intervals to the hlog and rewrite the sidecar; safe to call repeatedly.
        A worker has neither: it only finalises (encodes) its intervals for the master."""
        if self.test_start is None:
            return
        end_index = self._last_index(final)
        for index in range(self.written, end_index):
            interval = self._interval(index)
            hist = interval.successes
            start_rel = index * INTERVAL_S
            end_rel = start_rel + INTERVAL_S
            if final and self.test_stop is not None:
                end_rel = max(start_rel, min(end_rel, self.test_stop - self.test_start))
            hist.set_start_time_stamp((self.test_start + start_rel) * 1000.0)
            hist.set_end_time_stamp((self.test_start + end_rel) * 1000.0)
            if self.writer is not None and self.hlog is not None:
                if HLOG_TAG:
                    self.hlog.write(f"Tag={HLOG_TAG},")  # the writer has no tag support; same line
                # Interval_Max column in milliseconds (values are microseconds).
                self.writer.output_interval_histogram(hist, start_rel, end_rel, max_value_unit_ratio=1000.0)
            interval.encoded = hist.encode().decode("ascii")
            interval.end = self.test_start + end_rel
        self.written = max(self.written, end_index)
        if self.hlog is not None:
            self.hlog.flush()
            self._write_sidecar(final)

    def rows(self) -> list[dict[str, Any]]:
        """The finished intervals in the sidecar's row form."""
        rows = []
        for index in range(self.written):
            interval = self.intervals[index]
            assert interval.end is not None and interval.encoded is not None  # set when it was written
            rows.append(json_row(SidecarInterval(
                index=index, start=interval.start, end=interval.end, requests=interval.requests,
                errors=interval.errors, error_kinds=interval.error_kinds, latency_sum_us=interval.latency_sum_us,
                success_histogram=interval.encoded,
            )))  # fmt: skip
        return rows

    def _write_sidecar(self, final: bool) -> None:
        assert self.test_start is not None
        rows = self.rows()
        document = {
            "format": SIDECAR_FORMAT,
            "complete": final,
            "profile": PROFILE,
            "order_id_max": ORDER_ID_MAX,
            "seed": SEED,
            "pid": os.getpid(),
            "test_start": self.test_start,
            "test_stop": self.test_stop,
            "interval_s": INTERVAL_S,
            "unit": "microseconds",
            "intervals": rows,
            **self.sidecar_extra,
        }
        # Write then rename: the parent never reads a half-written file.
        tmp = RESULT_PATH.with_name(RESULT_PATH.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(document, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, RESULT_PATH)

    def finish(self) -> None:
        """Write everything recorded so far; later calls (test_stop, then quitting) are no-ops."""
        if self.test_start is None or self.finished:
            return
        self.finished = True
        if self.test_stop is None:
            self.test_stop = time.time()
        self.flush(final=True)
        if self.hlog is not None:
            self.hlog.close()
        self.hlog = None
        self.writer = None


recorder = Recorder()


def _on_test_start(environment: Any = None, **_kwargs: Any) -> None:
    if ROLE == "worker":
        _worker_begin(environment)
    recorder.start(getattr(environment, "runner", None))


def _on_request(
    response_time: float,
    response: Any = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_kwargs: Any,
) -> None:
    recorder.record(response_time, response, exception, start_time if start_time is not None else time.time())


def _on_test_stop(**_kwargs: Any) -> None:
    recorder.finish()


def _on_quitting(**_kwargs: Any) -> None:
    # SIGTERM fires quitting before the users are stopped (and test_stop after): write now.
    recorder.finish()


# Plain calls: locust leaves add_listener untyped, and a decorator would untype the handlers.
events.test_start.add_listener(_on_test_start)  # type: ignore[no-untyped-call]
events.request.add_listener(_on_request)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_on_test_stop)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_on_quitting)  # type: ignore[no-untyped-call]


# -- Distributed (load.workers, harness worker) ---------------------------------------------------
# Workers record exactly like a local run and, at their own HARNESS_RUN_S, send every finished
# interval (encoded histograms) and their own CPU readings to the master in one "harness_done"
# message. The master sends no request: it merges the workers' intervals index by index (exact
# HdrHistogram addition; counts are sums), writes the hlog and the sidecar as a local run does plus a
# "workers" section, then quits the test. Each worker counts its intervals from its own test start,
# so clocks of other machines need not agree. A worker first says "harness_hello" with its identity;
# one whose harness version or code differs from the master's is refused and the test is stopped.

COLLECT_GRACE_S = 30.0  # how long past its run time the master waits for the workers' intervals
CPU_SAMPLE_S = 0.5
_CODE_FILES = ("load/locustfile.py", "load/recording.py", "load/endpoints.py", "codec.py", "__init__.py")


def _code_sha256() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in _CODE_FILES:
        digest.update(name.encode())
        digest.update((root / name).read_bytes())
    return digest.hexdigest()


IDENTITY = {
    "name": os.environ.get("HARNESS_WORKER_NAME") or socket.gethostname(),
    "host": socket.gethostname(),
    "pid": os.getpid(),
    "external": os.environ.get("HARNESS_WORKER_EXTERNAL") == "1",
    "harness_version": harness.__version__,
    "code_sha256": _code_sha256(),
}
_cpu: list[list[float]] = []  # [unix time, CPU seconds of this process]
_hellos: dict[str, dict[str, Any]] = {}  # master: client id -> identity
_done: dict[str, dict[str, Any]] = {}  # master: client id -> final report
_refused: list[dict[str, Any]] = []


def _on_parser(parser: Any, **_kwargs: Any) -> None:
    # A custom option: Locust forwards it from the master to every worker with the spawn message.
    parser.add_argument("--harness-config", default="", include_in_web_ui=False,
                        help="JSON of the HARNESS_* settings the master hands to its workers (set by the harness)")


def _apply_config(values: dict[str, str]) -> None:
    global ORDER_ID_MAX, SEED, PROFILE, MIX, CUSTOMER_ID_MAX, CPU_ROUNDS, RUN_S, _CHOICES, _WEIGHTS, _ID_MAX
    global DELAY_MS
    ORDER_ID_MAX = int(values["HARNESS_ORDER_ID_MAX"])
    SEED = int(values["HARNESS_SEED"])
    PROFILE = values.get("HARNESS_PROFILE", "io-bound")
    MIX = decode_mix(values.get("HARNESS_MIX", "orders:1"))
    CUSTOMER_ID_MAX = int(values.get("HARNESS_CUSTOMER_ID_MAX", "1"))
    CPU_ROUNDS = int(values.get("HARNESS_CPU_ROUNDS", "1000"))
    DELAY_MS = int(values.get("HARNESS_DELAY_MS", "0"))
    RUN_S = float(values.get("HARNESS_RUN_S", "0"))
    _CHOICES = [ENDPOINTS[name] for name in MIX]
    _WEIGHTS = [MIX[name] for name in MIX]
    _ID_MAX = {"orders": ORDER_ID_MAX, "customers": CUSTOMER_ID_MAX}


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _sample_cpu() -> None:
    while not recorder.finished:
        _cpu.append([time.time(), _cpu_seconds()])
        gevent.sleep(CPU_SAMPLE_S)


def _worker_begin(environment: Any) -> None:
    raw = getattr(environment.parsed_options, "harness_config", "") if environment.parsed_options else ""
    if not raw:
        raise RuntimeError("this worker got no --harness-config from its master: start the master with the harness")
    _apply_config(json.loads(raw))
    environment.runner.send_message("harness_hello", IDENTITY)
    gevent.spawn(_sample_cpu)


def _worker_stop_at(runner: Any, deadline: float) -> None:
    while (left := deadline - time.time()) > 0:
        gevent.sleep(min(left, 0.1))
    recorder.finish()
    _cpu.append([time.time(), _cpu_seconds()])
    runner.send_message("harness_done", {
        "worker": IDENTITY, "test_start": recorder.test_start, "test_stop": recorder.test_stop,
        "intervals": recorder.rows(), "cpu": _cpu,
    })  # fmt: skip
    logging.getLogger("harness").info("HARNESS_RUN_S=%s reached, intervals sent to the master", RUN_S)


def _on_hello(environment: Any, msg: Any, **_kwargs: Any) -> None:
    identity = dict(msg.data)
    _hellos[msg.node_id] = identity
    differs = [key for key in ("harness_version", "code_sha256") if identity.get(key) != IDENTITY[key]]
    if differs:
        _refused.append({"worker": identity, "differs": differs, "master": IDENTITY})
        logging.getLogger("harness").error("refusing worker %s on %s: %s differ from the master's",
                                           identity.get("name"), identity.get("host"), ", ".join(differs))
        gevent.spawn(_master_finish, environment.runner)


def _on_done(environment: Any, msg: Any, **_kwargs: Any) -> None:
    _done[msg.node_id] = dict(msg.data)


def _master_collect(runner: Any, deadline: float) -> None:
    expected = int(runner.environment.parsed_options.expect_workers)
    while time.time() < deadline + COLLECT_GRACE_S and len(_done) < expected and not recorder.finished:
        gevent.sleep(0.1)
    _master_finish(runner)


def _master_finish(runner: Any) -> None:
    if recorder.finished or recorder.test_start is None:
        return
    for report in _done.values():
        for row in report["intervals"]:
            interval = recorder._interval(row["index"])
            interval.requests += row["requests"]
            interval.errors += row["errors"]
            interval.latency_sum_us += row["latency_sum_us"]
            for kind, count in row["error_kinds"].items():
                interval.error_kinds[kind] = interval.error_kinds.get(kind, 0) + count
            hist = HdrHistogram.decode(row["success_histogram"])
            if hist.get_total_count() > 0:  # adding an empty one would reset the minimum (hdrh 0.10.8)
                interval.successes.add(hist)
    spans = [r["test_stop"] - r["test_start"] for r in _done.values()]
    recorder.test_stop = recorder.test_start + (max(spans) if spans else 0.0)
    recorder.sidecar_extra = {
        "expected_workers": int(runner.environment.parsed_options.expect_workers),
        "workers": list(_done.values()),
        "connected": list(_hellos.values()),
        "refused": _refused,
        "master": IDENTITY,
    }
    recorder.finish()
    runner.quit()


def _on_init(environment: Any, **_kwargs: Any) -> None:
    if ROLE == "master":
        environment.runner.register_message("harness_hello", _on_hello)
        environment.runner.register_message("harness_done", _on_done)


events.init_command_line_parser.add_listener(_on_parser)  # type: ignore[no-untyped-call]
events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
