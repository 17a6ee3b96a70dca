"""What ``harness calibrate`` found about the instrument on this machine, and how to read it.

A calibration is a list of ``CalibrationRow``: one per known delay × users, the latency the harness's
load path (Locust, µs HdrHistograms, the same placement as a run) measured on the downstream's
fixed-delay endpoint, the error against the known delay, what the generator spent per request, and
wrk's throughput on the same endpoint in the same run as the capacity reference; and one ``OpenDriverRow``:
the open model's driver (vegeta) flat out on one generator core against the delay-0 endpoint, with wrk on
the same endpoint and connections right after it. It is written as
``calibration.json`` in its results folder and cached per machine (``cached_path``); every run copies
the cached one of its machine into its manifest, and the summary says how far its latency figures can
be trusted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.codec import from_json_row, json_row
from harness.infra.maven_jars import cache_root

FORMAT = 2
"""2 added ``open_driver``; format 1 (without it) is still read."""
READABLE_FORMATS = (1, 2)


@dataclass(frozen=True)
class CalibrationRow:
    """One known delay × users: the load path's figures against the known answer."""

    delay_ms: int
    users: int
    requests: int
    errors: int
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    p50_error_ms: float  # p50 - delay: what the instrument and the server's stack add at the median
    p99_error_ms: float
    overhead_ms: float  # mean latency - delay: the time per request that is not the known delay
    generator_cpu_pct: float | None  # mean, percent of one core
    generator_cpu_us_per_request: float | None
    generator_rate_per_core: float | None  # requests per generator CPU-second, HDR recording on
    generator_runqueue_pct: float | None
    wrk_rps: float | None  # wrk on the same endpoint and connections, same run
    wrk_p50_ms: float | None
    wrk_p99_ms: float | None
    load_average: float  # 1-minute, when the row started

    @property
    def ratio(self) -> float | None:
        """The harness's throughput over wrk's: how much of wrk's capacity the generator reaches."""
        return round(self.throughput_rps / self.wrk_rps, 3) if self.wrk_rps else None


@dataclass(frozen=True)
class OpenDriverRow:
    """The open model's driver sending flat out (no rate limit) from one core at the delay-0 endpoint, and wrk
    with as many connections on the same endpoint right after it: the open model's ceiling on this machine."""

    driver: str  # "vegeta"
    version: str
    connections: int
    cpu_core: int
    requests: int
    successes: int
    rate_rps: float  # what the driver sent per second, first send to last answer
    wrk_rps: float | None
    load_average: float  # 1-minute, when the driver started

    @property
    def ratio(self) -> float | None:
        """The driver's rate over wrk's: the fraction of wrk's rate the open model can ask for at most."""
        return round(self.rate_rps / self.wrk_rps, 3) if self.wrk_rps else None


@dataclass(frozen=True)
class Calibration:
    machine: Mapping[str, Any]  # hostname, cpu_model, logical_cores, usable_cores, kernel (the cache key)
    placement: Mapping[str, Any]
    started_at: str
    finished_at: str
    duration_s: int
    rows: tuple[CalibrationRow, ...]
    open_driver: OpenDriverRow | None = None  # None: not measured (--no-vegeta, or a format-1 calibration)
    downstream_warmup_s: float | None = None  # how long the downstream was warmed (None: format 1)
    downstream_steady: bool | None = None  # whether it got steady (None: a fixed warm-up, or format 1)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "machine": dict(self.machine), "placement": dict(self.placement),
                "started_at": self.started_at, "finished_at": self.finished_at, "duration_s": self.duration_s,
                "rows": [json_row(row) for row in self.rows],
                "open_driver": None if self.open_driver is None else json_row(self.open_driver),
                "downstream_warmup_s": self.downstream_warmup_s, "downstream_steady": self.downstream_steady,
                "trust": trust_sentences(self.rows) + open_driver_sentences(self.open_driver)}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Calibration:
        if document.get("format") not in READABLE_FORMATS:
            raise ValueError(f"calibration format {document.get('format')!r}, this harness reads {READABLE_FORMATS}")
        driver = document.get("open_driver")
        return cls(machine=document["machine"], placement=document["placement"], started_at=document["started_at"],
                   finished_at=document["finished_at"], duration_s=int(document["duration_s"]),
                   rows=tuple(from_json_row(CalibrationRow, row) for row in document["rows"]),
                   open_driver=None if driver is None else from_json_row(OpenDriverRow, driver),
                   downstream_warmup_s=document.get("downstream_warmup_s"),
                   downstream_steady=document.get("downstream_steady"))


def cached_path() -> Path:
    return cache_root() / "calibration.json"


def machine_key(machine: Mapping[str, Any]) -> dict[str, Any]:
    """What makes a calibration this machine's: the same host, CPU and cores, the same kernel."""
    return {k: machine.get(k) for k in ("hostname", "cpu_model", "logical_cores", "usable_cores", "kernel")}


def cached_for(machine: Mapping[str, Any], path: Path | None = None) -> dict[str, Any] | None:
    """The cached calibration of ``machine`` as JSON, or None (none, unreadable, or another machine's)."""
    try:
        document = json.loads((path or cached_path()).read_text(encoding="utf-8"))
        Calibration.from_json(document)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if machine_key(document.get("machine", {})) != machine_key(machine):
        return None
    found: dict[str, Any] = document
    return found


def _lowest_load(rows: Sequence[CalibrationRow]) -> list[CalibrationRow]:
    """Per delay > 0, the row with the fewest users: the instrument's error with the server idle."""
    chosen: dict[int, CalibrationRow] = {}
    for row in rows:
        if row.delay_ms > 0 and (row.delay_ms not in chosen or row.users < chosen[row.delay_ms].users):
            chosen[row.delay_ms] = row
    return [chosen[delay] for delay in sorted(chosen)]


def trust_sentences(rows: Sequence[CalibrationRow]) -> list[str]:
    """How far this machine's latency and throughput figures can be trusted, one sentence each."""
    out = []
    idle = _lowest_load(rows)
    if idle:
        worst_p50 = max(abs(r.p50_error_ms) for r in idle)
        worst_p99 = max(r.p99_error_ms for r in idle)
        out.append(
            f"Latency: with the server idle ({', '.join(f'{r.delay_ms} ms at {r.users} user(s)' for r in idle)}) the "
            f"harness measured p50 within {worst_p50:.2f} ms and p99 within {worst_p99:.2f} ms of the known delay: "
            f"differences between variants smaller than that (p50 {worst_p50:.2f} ms, p99 {worst_p99:.2f} ms) are "
            "inside the instrument's error on this machine.")
    rates = [r.generator_rate_per_core for r in rows if r.generator_rate_per_core]
    if rates:
        ceiling = max(rates)
        wrk = [r for r in rows if r.ratio is not None and r.delay_ms == 0]
        reference = ""
        if wrk:
            top = max(wrk, key=lambda r: r.wrk_rps or 0.0)
            reference = (f"; wrk reached {top.wrk_rps:,.0f} req/s on the same endpoint with {top.users} connections, "
                         f"{top.ratio:.2f}× of it was the harness's throughput there")
        out.append(f"Throughput: the generator records about {ceiling:,.0f} requests per CPU-second (HDR on)"
                   f"{reference}. A level near that rate per generator core measures the generator, not the server.")
    return out


def open_driver_sentences(driver: OpenDriverRow | None) -> list[str]:
    """What the open model's driver can ask for on this machine; empty when it was not measured."""
    if driver is None:
        return []
    reference = (f", {driver.ratio:.2f}× wrk's {driver.wrk_rps:,.0f} req/s with as many connections right after it"
                 if driver.ratio is not None else "")
    return [f"Open model: {driver.driver} {driver.version} sent {driver.rate_rps:,.0f} req/s flat out from one core "
            f"(CPU {driver.cpu_core}, {driver.connections} connections, delay 0){reference}. An open-model rate near "
            "that, per generator core, measures the driver, not the server."]


def open_driver_table(driver: OpenDriverRow) -> list[str]:
    ratio = "–" if driver.ratio is None else f"{driver.ratio:.2f}"
    wrk = "–" if driver.wrk_rps is None else f"{driver.wrk_rps:,.0f}"
    return ["| driver | connections | CPU | req/s flat out | successes | wrk req/s | ratio | load avg |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            f"| {driver.driver} {driver.version} | {driver.connections} | {driver.cpu_core} | {driver.rate_rps:,.0f} | "
            f"{driver.successes:,}/{driver.requests:,} | {wrk} | {ratio} | {driver.load_average:.1f} |"]


def table(rows: Sequence[CalibrationRow]) -> list[str]:
    """The calibration as a markdown table (README: 'Reading the calibration')."""
    def cell(value: float | None, fmt: str) -> str:
        return "–" if value is None else format(value, fmt)

    lines = ["| delay ms | users | req/s | p50 ms | p99 ms | p50 error ms | p99 error ms | overhead ms | "
             "gen CPU % | gen µs/req | gen req per CPU-s | gen run queue % | wrk req/s | ratio | load avg |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r.delay_ms} | {r.users} | {r.throughput_rps:,.0f} | {r.p50_ms:.3f} | {r.p99_ms:.3f} | "
            f"{r.p50_error_ms:+.3f} | {r.p99_error_ms:+.3f} | {r.overhead_ms:+.3f} | "
            f"{cell(r.generator_cpu_pct, '.0f')} | "
            f"{cell(r.generator_cpu_us_per_request, '.0f')} | {cell(r.generator_rate_per_core, ',.0f')} | "
            f"{cell(r.generator_runqueue_pct, '.1f')} | {cell(r.wrk_rps, ',.0f')} | {cell(r.ratio, '.2f')} | "
            f"{r.load_average:.1f} |")
    return lines


def _warmup_text(calibration: Calibration) -> str:
    if calibration.downstream_warmup_s is None:
        return "not recorded"
    if calibration.downstream_steady is None:
        return f"fixed {calibration.downstream_warmup_s:g}s (its JIT may still have been compiling)"
    state = "steady" if calibration.downstream_steady else "**not steady** (reached its maximum)"
    return f"until steady: {state} after {calibration.downstream_warmup_s:g}s"


def render(calibration: Calibration) -> str:
    """calibration.md: when, where, the table and what it means."""
    placement = calibration.placement
    return "\n".join([
        "# Calibration of the instrument", "",
        f"- When: {calibration.started_at} → {calibration.finished_at} (UTC), "
        f"{calibration.duration_s}s measured per row",
        f"- Machine: {calibration.machine.get('hostname')}, {calibration.machine.get('cpu_model')}, "
        f"{calibration.machine.get('usable_cores')} usable core(s)",
        f"- Placement: {placement.get('describe', placement.get('mode'))}",
        f"- Downstream warm-up: {_warmup_text(calibration)}",
        "- Known answer: the downstream's `GET /customers/{id}?delayMs=N` (answers after N ms, holding no thread)",
        "", *table(calibration.rows), "",
        *(["The open model's driver, flat out from one core (delay 0), with wrk right after it:", "",
            *open_driver_table(calibration.open_driver), ""] if calibration.open_driver is not None else []),
        *[f"- {sentence}" for sentence in trust_sentences(calibration.rows)
          + open_driver_sentences(calibration.open_driver)], "",
    ])
