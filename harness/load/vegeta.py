"""Open-model load with vegeta: requests on a fixed timeline, latency from the intended send time.

Locust is a closed model: a user waits for its answer before sending again, so a server that
stalls also stalls its own load and the stall hides in a handful of slow samples (coordinated
omission). vegeta's pacer schedules hit *i* at ``start + i / rate`` whatever the answers do. It
runs as a subprocess (``vegeta attack``, binary results), and afterwards ``vegeta encode --to
csv`` turns the results into rows this module folds into µs HdrHistograms:

- **corrected** latency: answer time − *intended* send time (wrk2's method). A hit that left late
  because every worker was busy carries its wait, so a 1 s stall shows as ~1 s in the tail;
- **service** time: answer time − actual send time, what the server alone took.

A hit belongs to the second it was *scheduled* in, so the settle seconds are excluded by
schedule, and the counts say whether the generator kept its promise: ``scheduled`` hits in the
window, ``sent``, ``dropped`` (scheduled, never sent before the attack ended) and ``late`` (sent
more than ``late_after_us`` after their time). Two figures are by the clock instead: ``sent_in_window``
(hits that actually left inside the window: the achieved rate; a server that cannot keep up holds
the bounded workers, and hits leave late, after the window) and the requests in flight (intended
send time passed, no answer yet): at the window's end, and on average over it (Little's law: the
average equals the arrival rate × the mean corrected latency).

vegeta is a Go program, built once by ``go install`` at the pinned version into the harness's
cache (``ensure_vegeta``); its path names the version, which the manifest records.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hdrh.histogram import HdrHistogram

from harness.errors import LoadError
from harness.infra.maven_jars import cache_root
from harness.load.driver import LoadTarget
from harness.load.endpoints import ENDPOINTS
from harness.load.go_toolchain import ensure_go
from harness.load.recording import WindowStats, new_histogram, write_measured_hlog
from harness.processes import Supervisor
from harness.sampling import ProcessSampler

VEGETA_MODULE = "github.com/tsenart/vegeta/v12"
VEGETA_VERSION = "v12.13.0"
GENERATOR = "generator"  # the sampler name of the load generator, as for Locust
DISTINCT_TARGETS_MAX = 50_000  # vegeta cycles through its targets; more only costs memory
LATE_AFTER_US = 1_000
ENCODE_TIMEOUT_S = 300
_NS_PER_US = 1_000


@dataclass(frozen=True)
class OpenLevelRecording:
    """The measured window of one open-model level (settle excluded by schedule)."""

    target_rate: int  # requests per second asked for
    measured_start: float  # unix time: intended send time of the first measured hit
    measured_end: float
    corrected: HdrHistogram  # successes, µs from intended send time to answer
    service: HdrHistogram  # successes, µs from actual send time to answer
    scheduled: int  # hits the timeline planned inside the window
    sent: int  # of those, sent (each completed: vegeta waits for its answer or timeout)
    errors: int
    error_kinds: Mapping[str, int]
    late: int  # sent more than late_after_us after the intended time
    max_lateness_us: int
    latency_sum_us: int  # corrected, over every sent hit, errors included
    sent_in_window: int  # hits (any schedule) whose actual send time fell inside the window
    in_flight_end: int  # intended before the window's end, answered after it
    in_flight_mean: float  # time average over the window of hits intended but not yet answered
    windows: tuple[WindowStats, ...]  # one per scheduled second; percentiles are corrected
    hlog_path: Path
    generator_pid: int
    vegeta: Path  # the binary, whose path names its version

    @property
    def seconds(self) -> float:
        return self.measured_end - self.measured_start

    @property
    def dropped(self) -> int:
        return self.scheduled - self.sent

    @property
    def achieved_rate(self) -> float:
        """Requests that actually left per second of the window (what the server let the timeline do)."""
        return self.sent_in_window / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Hit:
    """One row of ``vegeta encode --to csv``, reduced to what the folding needs."""

    seq: int
    sent_ns: int  # unix time in ns when the hit actually started
    latency_ns: int
    code: int
    error: str


# -- the binary -------------------------------------------------------------------------------------
def vegeta_path(root: Path | None = None) -> Path:
    return (root or cache_root()) / f"vegeta-{VEGETA_VERSION}" / "vegeta"


def ensure_vegeta(log_path: Path, *, root: Path | None = None) -> Path:
    """The pinned vegeta, built by ``go install`` into the cache on first use.

    The Go toolchain is the machine's when it is >= 1.22, else a pinned one from the Go module
    proxy (``go_toolchain.ensure_go``). Raises EnvironmentError_ when no toolchain can be had and
    LoadError when the build fails (with the log's tail: typically no access to the proxy)."""
    binary = vegeta_path(root)
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    go = ensure_go(root)
    binary.parent.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vegeta-", dir=binary.parent) as scratch:
        # GOTOOLCHAIN=local: build with the toolchain chosen here, never one go.mod would fetch.
        env = {**os.environ, "GOBIN": scratch, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
        with log_path.open("ab") as log:
            done = subprocess.run(
                [str(go), "install", f"{VEGETA_MODULE}@{VEGETA_VERSION}"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=900, check=False,
            )
        built = Path(scratch) / "vegeta"
        if done.returncode != 0 or not built.is_file():
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
            raise LoadError(f"go install {VEGETA_MODULE}@{VEGETA_VERSION} failed (exit {done.returncode}); "
                            f"log {log_path}:\n{tail}")
        built.replace(binary)  # same filesystem: a half-built binary is never at the final path
    return binary


# -- targets ----------------------------------------------------------------------------------------
def write_targets(target: LoadTarget, count: int, path: Path) -> None:
    """``count`` GET targets in vegeta's http format, drawn like the Locust users draw them:
    endpoint by the mix's weights, id uniform in the seeded range, from ``target.seed``."""
    rng = random.Random(target.seed)
    names = list(target.mix)
    weights = [target.mix[name] for name in names]
    id_max = {"orders": target.order_id_max, "customers": target.customer_id_max}
    base = target.base_url.rstrip("/")
    with path.open("w", encoding="ascii") as out:
        for _ in range(count):
            endpoint = ENDPOINTS[rng.choices(names, weights)[0]]
            request_path = endpoint.path.format(id=rng.randint(1, id_max[endpoint.ids]), rounds=target.cpu_rounds)
            out.write(f"GET {base}{request_path}\n\n")


# -- running ----------------------------------------------------------------------------------------
def run_open_level(
    target: LoadTarget,
    rate: int,
    settle_s: int,
    duration_s: int,
    out_dir: Path,
    label: str,
    supervisor: Supervisor,
    sampler: ProcessSampler,
    *,
    vegeta: Path,
    max_connections: int,
    timeout_s: float = 30.0,
    late_after_us: int = LATE_AFTER_US,
    hlog_path: Path | None = None,
) -> OpenLevelRecording:
    """Send ``rate`` requests per second for ``settle_s + duration_s`` seconds on a fixed
    timeline and return the measured window.

    ``max_connections`` bounds both vegeta's workers and its connections: unbounded, vegeta opens
    a connection per late request until the server refuses them, which measures the collapse, not
    the server. Bounded, a late request waits for a worker and the corrected latency carries the
    wait. Files under ``out_dir``: ``<label>.vegeta.log``, ``<label>.targets``, ``<label>.csv``
    (every hit) and ``<label>.hlog`` (the measured seconds only, corrected, tagged ``<label>``; at
    ``hlog_path`` when given).

    Raises LoadError for bad arguments, a failed attack or an attack that sent nothing.
    """
    if rate < 1 or settle_s < 0 or duration_s < 1 or max_connections < 1:
        raise LoadError(f"level {label!r}: rate, duration and max_connections must be >= 1 and settle >= 0, "
                        f"got rate={rate} settle={settle_s} duration={duration_s} max_connections={max_connections}")
    out_dir.mkdir(parents=True, exist_ok=True)
    total_s = settle_s + duration_s
    targets = out_dir / f"{label}.targets"
    write_targets(target, min(rate * total_s, DISTINCT_TARGETS_MAX), targets)
    binary_results = out_dir / f"{label}.bin"
    rows_path = out_dir / f"{label}.csv"
    log = out_dir / f"{label}.vegeta.log"
    argv = [str(vegeta), "attack", "-targets", str(targets), "-format", "http", "-rate", f"{rate}/1s",
            "-duration", f"{total_s}s", "-timeout", f"{timeout_s}s", "-workers", str(min(max_connections, 10)),
            "-max-workers", str(max_connections), "-connections", str(max_connections),
            "-max-connections", str(max_connections), "-max-body", "0", "-http2=false", "-keepalive=true",
            "-output", str(binary_results)]
    child = supervisor.start(f"vegeta-{label}", argv, log_path=log)
    sampler.watch(GENERATOR, child.pid)
    try:
        child.popen.wait(timeout=total_s + timeout_s + 60)
    except subprocess.TimeoutExpired:
        raise LoadError(f"level {label!r}: vegeta did not finish within {total_s + timeout_s + 60:.0f}s; "
                        f"log {log}:\n{child.log_tail()}") from None
    finally:
        sampler.unwatch(GENERATOR)
        code = supervisor.stop(child)
    if code != 0:
        raise LoadError(f"level {label!r}: vegeta attack exited {code}; log {log}:\n{child.log_tail()}")
    with rows_path.open("wb") as rows_out, log.open("ab") as log_out:
        encoded = subprocess.run([str(vegeta), "encode", "--to", "csv", str(binary_results)], stdout=rows_out,
                                 stderr=log_out, stdin=subprocess.DEVNULL, timeout=ENCODE_TIMEOUT_S, check=False)
    if encoded.returncode != 0:
        raise LoadError(f"level {label!r}: vegeta encode exited {encoded.returncode}; log {log}")
    binary_results.unlink()
    with rows_path.open(newline="", encoding="utf-8") as rows:
        hits = list(read_hits(rows))
    if not hits:
        raise LoadError(f"level {label!r}: vegeta sent no request to {target.base_url}; log {log}:\n{child.log_tail()}")
    folded = fold_hits(hits, rate, settle_s, duration_s, late_after_us=late_after_us)
    hlog = hlog_path or out_dir / f"{label}.hlog"
    write_hlog(folded.windows_histograms, hlog, label)
    return folded.recording(rate, hlog, child.pid, vegeta)


def read_hits(rows: Iterable[str]) -> Iterator[Hit]:
    """Rows of ``vegeta encode --to csv``: timestamp ns, code, latency ns, bytes out, bytes in,
    error, body, attack, seq, method, url, headers."""
    for row in csv.reader(rows):
        if not row:
            continue
        if len(row) < 9:
            raise LoadError(f"vegeta result row has {len(row)} columns, expected >= 9: {row[:6]!r}")
        yield Hit(seq=int(row[8]), sent_ns=int(row[0]), latency_ns=int(row[2]), code=int(row[1]), error=row[5])


# -- folding ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoldedLevel:
    start: float
    end: float
    corrected: HdrHistogram
    service: HdrHistogram
    scheduled: int
    sent: int
    errors: int
    error_kinds: Mapping[str, int]
    late: int
    max_lateness_us: int
    latency_sum_us: int
    sent_in_window: int
    in_flight_end: int
    in_flight_mean: float
    windows: tuple[WindowStats, ...]
    windows_histograms: tuple[tuple[float, HdrHistogram], ...]  # (second's start, corrected successes)

    def recording(self, rate: int, hlog_path: Path, generator_pid: int, vegeta: Path) -> OpenLevelRecording:
        return OpenLevelRecording(
            target_rate=rate, measured_start=self.start, measured_end=self.end, corrected=self.corrected,
            service=self.service, scheduled=self.scheduled, sent=self.sent, errors=self.errors,
            error_kinds=self.error_kinds, late=self.late, max_lateness_us=self.max_lateness_us,
            latency_sum_us=self.latency_sum_us, sent_in_window=self.sent_in_window, in_flight_end=self.in_flight_end,
            in_flight_mean=self.in_flight_mean, windows=self.windows, hlog_path=hlog_path,
            generator_pid=generator_pid, vegeta=vegeta,
        )


def fold_hits(hits: list[Hit], rate: int, settle_s: int, duration_s: int, *,
              late_after_us: int = LATE_AFTER_US) -> FoldedLevel:
    """Fold every hit into the measured window's histograms and counts.

    Hit *i* was meant to leave ``i / rate`` seconds after the timeline's origin, the pacer's start.
    vegeta never sends a hit before its time, so the origin is the earliest ``sent - i / rate`` over
    all hits: hit 0's own send time would put it late by whatever delayed hit 0 (its connection, the
    Go runtime starting its workers), and every later hit would look early by as much, hiding their
    lateness and shrinking the in-flight figures. A hit is measured when its intended time falls in
    ``[settle_s, settle_s + duration_s)`` seconds from the origin, so exactly ``rate *
    duration_s`` hits are scheduled in the window."""
    by_seq = {hit.seq: hit for hit in hits}
    if 0 not in by_seq:
        raise LoadError("vegeta results lack hit 0, the timeline's origin; the attack was cut short")
    origin_ns = min(hit.sent_ns - hit.seq * 1_000_000_000 // rate for hit in hits)
    first, last = settle_s * rate, (settle_s + duration_s) * rate  # seq range [first, last)
    corrected, service = new_histogram(), new_histogram()
    seconds = [(new_histogram(), [0, 0]) for _ in range(duration_s)]  # histogram, [requests, errors]
    error_kinds: dict[str, int] = {}
    sent = errors = late = max_lateness = latency_sum = 0
    for seq in range(first, last):
        hit = by_seq.get(seq)
        if hit is None:
            continue  # never sent: counted as dropped
        sent += 1
        intended_ns = origin_ns + seq * 1_000_000_000 // rate
        lateness_us = max(0, (hit.sent_ns - intended_ns) // _NS_PER_US)
        service_us = max(1, hit.latency_ns // _NS_PER_US)
        corrected_us = service_us + lateness_us
        latency_sum += corrected_us
        max_lateness = max(max_lateness, lateness_us)
        late += lateness_us > late_after_us
        second = (seq - first) // rate
        seconds[second][1][0] += 1
        kind = _error_kind(hit)
        if kind is not None:
            errors += 1
            seconds[second][1][1] += 1
            error_kinds[kind] = error_kinds.get(kind, 0) + 1
            continue
        corrected.record_value(corrected_us)
        service.record_value(service_us)
        seconds[second][0].record_value(corrected_us)
    start = origin_ns / 1e9 + settle_s
    window_ns = (origin_ns + settle_s * 1_000_000_000, origin_ns + (settle_s + duration_s) * 1_000_000_000)
    sent_in_window, in_flight_end, in_flight_mean = _clock_figures(hits, origin_ns, rate, *window_ns)
    windows = tuple(
        WindowStats(start=start + index, requests=counts[0], errors=counts[1],
                    p50_us=histogram.get_value_at_percentile(50) if histogram.get_total_count() else 0,
                    p99_us=histogram.get_value_at_percentile(99) if histogram.get_total_count() else 0,
                    max_us=histogram.get_max_value() if histogram.get_total_count() else 0)
        for index, (histogram, counts) in enumerate(seconds)
    )
    return FoldedLevel(
        start=start, end=start + duration_s, corrected=corrected, service=service, scheduled=last - first,
        sent=sent, errors=errors, error_kinds=error_kinds, late=late, max_lateness_us=max_lateness,
        latency_sum_us=latency_sum, sent_in_window=sent_in_window, in_flight_end=in_flight_end,
        in_flight_mean=in_flight_mean, windows=windows,
        windows_histograms=tuple((start + index, histogram) for index, (histogram, _) in enumerate(seconds)),
    )


def _clock_figures(hits: Iterable[Hit], origin_ns: int, rate: int, start_ns: int,
                   end_ns: int) -> tuple[int, int, float]:
    """(hits sent inside [start, end), hits in flight at end, mean in flight over the window), every hit
    counted, whatever its schedule: a hit is in flight from its intended send time to its answer."""
    sent_in_window = in_flight_end = 0
    busy_ns = 0
    for hit in hits:
        intended_ns = origin_ns + hit.seq * 1_000_000_000 // rate
        answered_ns = hit.sent_ns + hit.latency_ns
        sent_in_window += start_ns <= hit.sent_ns < end_ns
        in_flight_end += intended_ns < end_ns <= answered_ns
        busy_ns += max(0, min(answered_ns, end_ns) - max(intended_ns, start_ns))
    return sent_in_window, in_flight_end, busy_ns / (end_ns - start_ns)


def _error_kind(hit: Hit) -> str | None:
    """None for a success; ``http_<code>`` for an HTTP error; otherwise the client error's gist
    (code 0: no answer), e.g. ``timeout`` or ``connection refused``."""
    if 200 <= hit.code < 300 and not hit.error:
        return None
    if hit.code != 0:
        return f"http_{hit.code}"
    text = hit.error.lower()
    for gist in ("timeout", "connection refused", "connection reset", "eof"):
        if gist in text:
            return gist.replace(" ", "_")
    return "client_error"


def write_hlog(seconds: Iterable[tuple[float, HdrHistogram]], path: Path, tag: str) -> None:
    """An HdrHistogram interval log of the measured seconds only (``recording.write_measured_hlog``)."""
    write_measured_hlog(seconds, path, tag,
                        "unit=microseconds successes only; open model, corrected from the intended send time")


# -- the driver's own ceiling -----------------------------------------------------------------------
@dataclass(frozen=True)
class DriverCeiling:
    """What vegeta sent flat out (``-rate 0``) from one core: its ceiling against a given server."""

    requests: int
    successes: int
    seconds: float  # from the first send to the last answer, as vegeta reports it
    cpu_core: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def driver_ceiling(vegeta: Path, url: str, out_dir: Path, supervisor: Supervisor, *, seconds: int = 10,
                   connections: int = 64, cpu_core: int = 0) -> DriverCeiling:
    """Run vegeta as fast as it can (``-rate 0``, ``connections`` workers) pinned to ``cpu_core`` for ``seconds``
    against ``url`` (a trivial endpoint, e.g. the downstream at ``delayMs=0``) and read its own report. For
    ``harness calibrate``: the rate a scenario asks for must stay well below this, or the level measures the
    driver. The server shares the machine: on a loaded machine this is a floor of the driver's ceiling."""
    out_dir.mkdir(parents=True, exist_ok=True)
    targets, results = out_dir / "ceiling.targets", out_dir / "ceiling.bin"
    targets.write_text(f"GET {url}\n\n", encoding="ascii")
    argv = ["taskset", "-c", str(cpu_core), str(vegeta), "attack", "-targets", str(targets), "-rate", "0",
            "-duration", f"{seconds}s", "-workers", str(connections), "-max-workers", str(connections),
            "-connections", str(connections), "-max-body", "0", "-http2=false", "-output", str(results)]
    child = supervisor.start("vegeta-ceiling", argv, log_path=out_dir / "ceiling.vegeta.log")
    try:
        child.popen.wait(timeout=seconds + 60)
    finally:
        code = supervisor.stop(child)
    if code != 0:
        raise LoadError(f"vegeta ceiling run exited {code}:\n{child.log_tail()}")
    report = subprocess.run([str(vegeta), "report", "-type", "json", str(results)], capture_output=True, text=True,
                            timeout=ENCODE_TIMEOUT_S, check=True).stdout
    figures = json.loads(report)
    requests = int(figures["requests"])
    seconds_ns = int(figures["duration"]) + int(figures["wait"])
    return DriverCeiling(requests=requests, successes=round(requests * float(figures["success"])),
                         seconds=seconds_ns / 1e9, cpu_core=cpu_core)
