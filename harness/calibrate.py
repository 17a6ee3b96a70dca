"""``harness calibrate``: measure the instrument on a known answer.

The downstream service answers ``GET /customers/{id}?delayMs=N`` after N ms without holding a thread,
so at low load the true latency is N ms plus a small server overhead. This drives that endpoint through
the path every run uses (Locust with µs HdrHistograms, ``run_level``, the sampler, the placement),
for each delay × users, and runs wrk on the same endpoint with as many connections right after, as a
capacity reference. Then the open model's driver (vegeta) sends flat out from one generator core at the
delay-0 endpoint, and wrk with as many connections right after it: the ceiling of the open model. The
downstream is the server under test here, so it runs where the app would (the placement's app CPUs);
Locust, vegeta and wrk run on the generator's. See ``harness.calibration`` for what is
recorded and how it reads.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from harness import apps, placement
from harness.apps import AppLaunch
from harness.build import ensure_jars
from harness.calibration import (
    Calibration,
    CalibrationRow,
    OpenDriverRow,
    cached_path,
    open_driver_sentences,
    open_driver_table,
    render,
    table,
    trust_sentences,
)
from harness.errors import EnvironmentError_, LoadError
from harness.jdks import find_jdk
from harness.level_id import LevelId
from harness.load.driver import LoadTarget, run_level
from harness.load.endpoints import DOWNSTREAM_MIX
from harness.load.vegeta import VEGETA_VERSION, driver_ceiling, ensure_vegeta
from harness.load.warmup import warm_up
from harness.metrics import summarise_level
from harness.processes import Supervisor, free_port, sigterm_as_interrupt
from harness.results.layout import ResultsDir, create
from harness.results.manifest import collect_machine, now_iso
from harness.sampling import ProcessSampler
from harness.scenario import WarmupSettings, downstream_warmup_default

CUSTOMERS = 1000  # ids the requests draw from; the downstream answers any


@dataclasses.dataclass(frozen=True)
class CalibrateSettings:
    delays_ms: tuple[int, ...] = (0, 5, 20)
    users: tuple[int, ...] = (1, 8, 32)
    settle_s: int = 1
    duration_s: int = 10
    # The downstream's warm-up: until steady by default, like a run's (a fixed one left its JIT compiling
    # through the first rows); WarmupSettings(mode="fixed", duration=N) for N seconds.
    warmup: WarmupSettings = dataclasses.field(default_factory=downstream_warmup_default)
    jdk: int = 25
    placement: str = "auto"
    wrk: bool = True
    vegeta: bool = True
    vegeta_connections: int = 64  # enough that a sub-millisecond endpoint keeps one core of the driver busy


def calibrate(settings: CalibrateSettings, java_apps: Path, results_root: Path, console: Console,
              cache: Path | None = None) -> tuple[ResultsDir, Calibration]:
    """Measure every delay × users (see the module docstring); write calibration.json and calibration.md into a
    new results folder and the cache (``cache`` or ``calibration.cached_path()``)."""
    wrk = shutil.which("wrk") if settings.wrk else None
    if settings.wrk and wrk is None:
        raise EnvironmentError_("wrk is not installed (the capacity reference of `harness calibrate`); "
                                "scripts/install-system-deps.sh installs it (Debian package wrk), or pass --no-wrk")
    results = create(results_root, "calibration", datetime.now(UTC))
    console.print(f"results → {results.root}")
    jars, _ = ensure_jars(java_apps, results.logs / "build.log")
    jdk = find_jdk(settings.jdk)
    placed = placement.resolve(settings.placement)
    machine = dataclasses.asdict(collect_machine())
    started = now_iso()
    rows: list[CalibrationRow] = []
    with sigterm_as_interrupt(), placement.harness_pinned(placed), \
            Supervisor(cpus_for=lambda name: _cpus(placed, name)) as supervisor, ProcessSampler(0.25) as sampler:
        port = free_port()
        launch = AppLaunch(name="downstream", jdk=jdk, jar=jars.downstream,
                           jvm_flags=apps.downstream_flags(results.logs / "downstream-gc.log"),
                           env={"ORDERS_SERVER_PORT": str(port)}, port=port)
        downstream = apps.start_app(supervisor, launch, results.logs / "downstream.log")
        sampler.watch("downstream", downstream.process.pid)
        out = results.logs / "locust"
        warm = LoadTarget(base_url=launch.base_url, order_id_max=CUSTOMERS, seed=1, profile="downstream-warmup",
                          mix=DOWNSTREAM_MIX, customer_id_max=CUSTOMERS)
        warmed_s, steady = _warm_up(warm, max(settings.users), settings.warmup, out, supervisor, console)
        console.print(f"placement: {placed.describe()}")
        for delay in settings.delays_ms:
            for users in settings.users:
                row = _measure(launch.base_url, delay, users, settings, out, supervisor, sampler, wrk, results.logs)
                rows.append(row)
                console.print(f"  delay {delay:>3} ms  {users:>4} users  {row.throughput_rps:>8.0f} req/s  "
                              f"p50 {row.p50_error_ms:+.3f} ms  p99 {row.p99_error_ms:+.3f} ms  "
                              f"wrk {row.wrk_rps or 0:>8.0f} req/s")
        open_driver = _open_driver(launch.base_url, settings, placed, supervisor, wrk, results.logs) \
            if settings.vegeta else None
        if open_driver is not None:
            console.print(f"  vegeta flat out {open_driver.rate_rps:>8.0f} req/s  wrk {open_driver.wrk_rps or 0:>8.0f} "
                          f"req/s  ({open_driver.connections} connections, CPU {open_driver.cpu_core})")
    calibration = Calibration(machine=machine, placement=placed.record(), started_at=started, finished_at=now_iso(),
                              duration_s=settings.duration_s, rows=tuple(rows), open_driver=open_driver,
                              downstream_warmup_s=warmed_s, downstream_steady=steady)
    document = json.dumps(calibration.to_json(), indent=2)
    (results.root / "calibration.json").write_text(document, encoding="utf-8")
    (results.root / "calibration.md").write_text(render(calibration), encoding="utf-8")
    target = cache or cached_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document, encoding="utf-8")
    return results, calibration


def _warm_up(target: LoadTarget, users: int, settings: WarmupSettings, out: Path, supervisor: Supervisor,
             console: Console) -> tuple[float, bool | None]:
    """Warm the downstream up: (seconds, steady); steady is None for a fixed warm-up."""
    console.print("[bold]warm up[/] downstream " + (f"for {settings.seconds:g}s" if settings.mode == "fixed"
                  else f"until steady (at most {settings.max:g}s)"))
    outcome, seconds = warm_up(target, users, settings, out, supervisor, "warmup-downstream")
    if outcome is not None:
        console.print(f"  downstream {'steady' if outcome.steady else '[yellow]not steady[/]'} after {seconds:g}s")
    return seconds, None if outcome is None else outcome.steady


def _cpus(placed: placement.Placement, name: str) -> frozenset[int] | None:
    # The downstream is the server under test here: it takes the app's place, the generators theirs.
    return placed.cpus("app") if name == "downstream" else placed.cpus_for_process(name)


def _open_driver(base_url: str, settings: CalibrateSettings, placed: placement.Placement, supervisor: Supervisor,
                 wrk: str | None, logs: Path) -> OpenDriverRow:
    """vegeta flat out from the lowest generator CPU (CPU 0 unplaced), then wrk with as many connections."""
    vegeta = ensure_vegeta(logs / "vegeta-build.log")
    generator = placed.cpus("generator")
    core = min(generator) if generator else 0
    url = f"{base_url}/customers/7?delayMs=0"
    load_average = os.getloadavg()[0]
    ceiling = driver_ceiling(vegeta, url, logs / "vegeta", supervisor, seconds=settings.duration_s,
                             connections=settings.vegeta_connections, cpu_core=core)
    if ceiling.requests == 0 or ceiling.successes == 0:
        raise LoadError(f"calibration: vegeta sent {ceiling.requests} requests flat out, {ceiling.successes} "
                        f"succeeded; see {logs / 'vegeta'}")
    reference = _wrk(wrk, url, settings.vegeta_connections, settings.duration_s, supervisor,
                     logs / f"wrk-vegeta-c{settings.vegeta_connections}.log") if wrk else None
    return OpenDriverRow(driver="vegeta", version=VEGETA_VERSION, connections=settings.vegeta_connections,
                         cpu_core=core, requests=ceiling.requests, successes=ceiling.successes,
                         rate_rps=round(ceiling.rate, 1), wrk_rps=None if reference is None else reference[0],
                         load_average=round(load_average, 2))


def _measure(base_url: str, delay: int, users: int, settings: CalibrateSettings, out: Path, supervisor: Supervisor,
             sampler: ProcessSampler, wrk: str | None, logs: Path) -> CalibrationRow:
    load_average = os.getloadavg()[0]
    target = LoadTarget(base_url=base_url, order_id_max=CUSTOMERS, seed=7, profile="calibrate",
                        mix={"delayed": 1}, customer_id_max=CUSTOMERS, delay_ms=delay)
    label = f"calibrate-d{delay}-u{users}"
    recording = run_level(target, users, settings.settle_s, settings.duration_s, out, label, supervisor, sampler)
    start, end = recording.measured_start, recording.measured_end
    level = summarise_level(LevelId(jdk=settings.jdk, variant="downstream", users=users, repetition=1), recording,
                            {"generator": sampler.samples("generator", start, end)})
    if level.requests == 0 or level.errors == level.requests:
        raise LoadError(f"calibration {label}: no request succeeded ({level.error_kinds}); see {out}")
    cpu = level.generator_cpu_pct_mean
    per_request = cpu / 100.0 / (level.requests / level.seconds) if cpu and level.requests else None
    reference = _wrk(wrk, f"{base_url}/customers/7?delayMs={delay}", users, settings.duration_s, supervisor,
                     logs / f"wrk-d{delay}-u{users}.log") if wrk else None
    return CalibrationRow(
        delay_ms=delay, users=users, requests=level.requests, errors=level.errors,
        throughput_rps=level.throughput_rps, p50_ms=level.p50_ms, p99_ms=level.p99_ms, p999_ms=level.p999_ms,
        p50_error_ms=round(level.p50_ms - delay, 3), p99_error_ms=round(level.p99_ms - delay, 3),
        overhead_ms=round(level.mean_ms - delay, 3), generator_cpu_pct=cpu,
        generator_cpu_us_per_request=None if per_request is None else round(per_request * 1e6, 1),
        generator_rate_per_core=None if not per_request else round(1.0 / per_request, 1),
        generator_runqueue_pct=level.generator_runqueue_pct,
        wrk_rps=None if reference is None else reference[0],
        wrk_p50_ms=None if reference is None else reference[1],
        wrk_p99_ms=None if reference is None else reference[2],
        load_average=round(load_average, 2),
    )


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_WRK_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$")


def parse_wrk(text: str) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of ``wrk --latency``'s report; LoadError when it has none."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    percentiles = {}
    for line in text.splitlines():
        if match := _WRK_PERCENTILE.match(line):
            percentiles[match.group(1)] = float(match.group(2)) * _WRK_UNITS[match.group(3)]
    if rate is None or set(percentiles) != {"50", "99"}:
        raise LoadError(f"wrk printed no throughput or latency distribution:\n{text[-2000:]}")
    return float(rate.group(1)), round(percentiles["50"], 3), round(percentiles["99"], 3)


def _wrk(wrk: str, url: str, connections: int, duration_s: int, supervisor: Supervisor,
         log: Path) -> tuple[float, float, float]:
    """wrk with one thread (one generator core, like one Locust process) and ``connections``, under the
    Supervisor: the generator's placement applies to it by its name."""
    child = supervisor.start(f"wrk-{log.stem}", [wrk, "-t1", f"-c{connections}", f"-d{duration_s}s", "--latency",
                                                 url], log_path=log)
    try:
        code = child.popen.wait(timeout=duration_s + 60)
    finally:
        supervisor.stop(child)
    if code != 0:
        raise LoadError(f"wrk exited {code}: {child.log_tail()}")
    return parse_wrk(log.read_text(encoding="utf-8", errors="replace"))


def summary_lines(calibration: Calibration) -> list[str]:
    """What ``harness calibrate`` prints: the table and the trust sentences."""
    driver = calibration.open_driver
    return [*table(calibration.rows), "", *([*open_driver_table(driver), ""] if driver is not None else []),
            *trust_sentences(calibration.rows), *open_driver_sentences(driver)]
