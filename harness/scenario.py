"""The scenario file: what to run, on what, under which load.

Models reject unknown keys and describe every field; ``load_scenario`` reports every problem at
once, one line each, named by its YAML path (``load.levels[2]: ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails

from harness.errors import ScenarioError
from harness.load.endpoints import PROFILE_MIX
from harness.load.loopback import is_loopback
from harness.placement import available_cpus, format_cpu_list, parse_cpu_list, quota_refusal, resolve

# Re-exported: a scenario names its variants, and callers import them with the scenario.
from harness.variants import ALL_VARIANTS as ALL_VARIANTS
from harness.variants import VariantName as VariantName

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """Accept ``"10s"``, ``"500ms"``, ``"2m"`` or a bare number of seconds; return seconds."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as '10s', '500ms' or '2m'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError("must be a duration such as '10s', '500ms' or '2m'")
    if seconds < 0:
        raise ValueError("must not be negative")
    return seconds


def format_duration(seconds: float) -> str:
    """``20s``, ``0.5s``: how a duration is written back (the manifest, the summary)."""
    return f"{seconds:g}s"


Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(format_duration)]


def parse_share(value: Any) -> float:
    """``"3%"`` or ``0.03`` → 0.03: a share from 0 to 1."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1]) / 100.0
        except ValueError:
            raise ValueError("must be a share such as '3%' or 0.03") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("must be a share from 0% to 100%, such as '3%' or 0.03")
    return float(value)


Share = Annotated[float, BeforeValidator(parse_share), PlainSerializer(lambda v: f"{v * 100:g}%")]


def _normalise_cpu_list(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        value = ",".join(map(str, value))
    if not isinstance(value, str):
        raise ValueError("must be a CPU list such as '1', '0-2,5' or [0, 1]")
    cpus = parse_cpu_list(value)
    if not cpus:
        raise ValueError("must name at least one CPU")
    missing = cpus - available_cpus()
    if missing:
        raise ValueError(f"CPU(s) {format_cpu_list(missing)} not available to this process (available: "
                         f"{format_cpu_list(available_cpus())})")
    return format_cpu_list(cpus)


CpuList = Annotated[str, BeforeValidator(_normalise_cpu_list)]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TomcatSettings(StrictModel):
    max_threads: int = Field(
        200, gt=0, description="Tomcat's platform worker pool (mvc-platform); ignored under virtual threads."
    )
    max_connections: int = Field(10000, gt=0, description="Connections Tomcat accepts before queueing.")
    accept_count: int = Field(1000, gt=0, description="OS backlog once max_connections is reached.")


class NettySettings(StrictModel):
    io_workers: Annotated[int, Field(gt=0)] | Literal["processors"] = Field(
        "processors", description="Reactor Netty event-loop threads (-Dreactor.netty.ioWorkerCount), webflux. "
        "processors (default): the processors available to the JVM, the same parallelism virtual-thread carriers "
        "get (Reactor Netty's own default is at least 4, which on a small machine gives webflux more threads)."
    )


class HttpClientSettings(StrictModel):
    max_connections: int = Field(
        512, gt=0, description="Connection pool size of the app's HTTP client to the downstream service."
    )
    acquire_timeout_ms: int = Field(
        10000, gt=0, description="How long a request waits for a pooled HTTP connection before failing."
    )
    response_timeout_ms: int = Field(10000, gt=0, description="How long a downstream response may take.")


class JfrSettings(StrictModel):
    enabled: bool = Field(True, description="Record JFR (profile settings) in every measured app; kept in jfr/.")
    pinned_threshold_ms: int = Field(
        1, ge=0, description="Shortest jdk.VirtualThreadPinned event recorded (the JDK's default is 20 ms)."
    )


class AppSettings(StrictModel):
    heap: str = Field(
        "512m", pattern=r"^\d+[kmg]$", description="Fixed heap: both -Xms and -Xmx (e.g. 512m, 2g)."
    )
    gc: Literal["G1", "ZGC", "Parallel", "Serial"] = Field("G1", description="Garbage collector.")
    db_pool: int = Field(32, gt=0, description="Database pool size: HikariCP (fixed) and R2DBC (initial = max).")
    db_acquire_timeout_ms: int = Field(
        10000, gt=0, description="How long a request waits for a database connection before failing."
    )
    tomcat: TomcatSettings = Field(default_factory=TomcatSettings, description="Tomcat limits (MVC).")
    netty: NettySettings = Field(default_factory=NettySettings, description="Netty settings (WebFlux).")
    http_client: HttpClientSettings = Field(
        default_factory=HttpClientSettings, description="The apps' HTTP client to the downstream service."
    )
    jfr: JfrSettings = Field(default_factory=JfrSettings, description="Java Flight Recorder.")
    jvm_args: tuple[str, ...] = Field(
        (), description="Extra JVM flags appended after the harness's own, identical for every variant."
    )

    @field_validator("jvm_args")
    @classmethod
    def _flags_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for flag in value:
            if not flag.startswith("-"):
                raise ValueError(f"{flag!r} is not a JVM flag (flags start with '-')")
        return value


class DataSettings(StrictModel):
    orders: int = Field(100000, gt=0, description="Orders seeded into PostgreSQL.")
    customers: int = Field(10000, gt=0, description="Customers seeded into PostgreSQL.")
    products: int = Field(1000, gt=0, description="Distinct product ids the orders refer to.")
    seed: int = Field(42, description="Seed of the data generator and of the load's id choice.")


class WarmupSettings(StrictModel):
    """How each fresh JVM is warmed up before its levels (at the top level, not measured)."""

    mode: Literal["auto", "fixed"] = Field(
        "auto", description="auto: until steady (throughput of `windows` successive windows within `tolerance` "
        "and the JIT compiling at most `jit` of the time), at most `max`; fixed: `duration`."
    )
    duration: Duration | None = Field(None, description="fixed only: warm-up time (0: none).")
    max: Duration = Field(60.0, description="auto only: give up (and flag the JVM 'not steady') after this long.")
    window: Duration = Field(2.0, description="auto only: length of one throughput window (whole seconds).")
    windows: int = Field(3, ge=2, le=30, description="auto only: successive windows that must agree.")
    tolerance: Share = Field(0.03, description="auto only: largest (max - min) / mean of their throughputs.")
    jit: Share = Field(
        0.05, description="auto only: largest JIT compile time per wall-clock second over those windows "
        "(jvm_compilation_time_ms_total, summed over compiler threads)."
    )

    @model_validator(mode="after")
    def _mode_fields(self) -> WarmupSettings:
        problems = []
        auto_only = sorted(self.model_fields_set & {"max", "window", "windows", "tolerance", "jit"})
        if self.mode == "fixed":
            if self.duration is None:
                problems.append("duration: required with mode fixed")
            problems += [f"{name}: only with mode auto" for name in auto_only]
        elif self.duration is not None:
            problems.append("duration: only with mode fixed (auto stops when steady, at most max)")
        if self.window < 1 or self.window != int(self.window):
            problems.append("window: must be a whole number of seconds, at least 1s")
        if self.mode == "auto" and self.max < self.window * self.windows:
            problems.append(f"max: must be at least window × windows ({self.window * self.windows:g}s)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_serializer(mode="wrap")
    def _relevant_fields(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Only what its mode uses (written back, the other mode's defaults would read as set); fixed as it is
        # written, a duration.
        if self.mode == "fixed":
            return handler(self)["duration"]
        return {k: v for k, v in handler(self).items() if k != "duration"}

    @property
    def seconds(self) -> float:
        """The warm-up's length when fixed, its upper bound when auto."""
        return (self.duration or 0.0) if self.mode == "fixed" else self.max

    def describe(self) -> str:
        if self.mode == "fixed":
            return format_duration(self.seconds)
        return (f"auto (until {self.windows} windows of {format_duration(self.window)} agree within "
                f"{self.tolerance:.0%} and JIT ≤ {self.jit:.0%} of the time, at most {format_duration(self.max)})")


def downstream_warmup_default() -> WarmupSettings:
    """The downstream's warm-up unless a scenario sets one: until its JIT is quiet and its throughput flat within
    10%, at most 90 s. Measured on one CPU, its C2 compiler ran about a second per second for the first 32-36 s
    of load; its throughput (no delay, CPU-bound on a shared CPU) is never measured, hence the looser tolerance."""
    return WarmupSettings(mode="auto", max=90.0, tolerance=0.10)


def _warmup(value: Any) -> Any:
    # The short forms: "auto", or a duration for a fixed warm-up (what scenarios wrote before auto existed).
    if value == "auto":
        return {"mode": "auto"}
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"mode": "fixed", "duration": value}
    return value


def _downstream_warmup(value: Any) -> Any:
    # An auto warm-up the scenario writes out starts from the downstream's own defaults: `downstream_warmup: auto`
    # must mean what leaving it out means, not the app's stricter 3% and 60 s.
    value = _warmup(value)
    if isinstance(value, dict) and value.get("mode", "auto") == "auto":
        defaults = downstream_warmup_default()
        return {"max": defaults.max, "tolerance": defaults.tolerance, **value}
    return value


class WorkloadSettings(StrictModel):
    profile: Literal["io-bound", "cpu-bound", "pinning", "mixed"] = Field(
        "io-bound",
        description="io-bound: GET /orders/{id} (DB + two downstream calls); cpu-bound: GET /quotes/{id} "
        "(cpu_rounds of SHA-256); pinning: GET /legacy/customers/{id} (blocking call inside synchronized); "
        "mixed: the weights in `mix`.",
    )
    mix: dict[Literal["orders", "quotes", "legacy"], Annotated[int, Field(ge=0)]] | None = Field(
        None, description="Endpoint weights for profile mixed, e.g. {orders: 6, quotes: 3, legacy: 1}."
    )
    downstream_delay_ms: int = Field(
        20, ge=0, le=60000, description="Delay of each downstream call; an order costs two calls."
    )
    cpu_rounds: int = Field(2000, ge=1, le=100000, description="SHA-256 rounds per /quotes request.")
    legacy_stripes: int = Field(
        64, ge=1, description="Monitors of the legacy client (a striped lock): pinning shows once users > carriers."
    )
    downstream_warmup: Annotated[WarmupSettings, BeforeValidator(_downstream_warmup)] = Field(
        default_factory=lambda: downstream_warmup_default(),
        description="The downstream's warm-up, once per run before anything is measured. auto (the default): until "
        "its JIT is quiet and its throughput flat within 10%, at most 90s (its throughput is never measured, hence "
        "the looser tolerance); a duration: fixed, and the downstream may still be compiling on a shared CPU.",
    )

    @model_validator(mode="after")
    def _mix_matches_profile(self) -> WorkloadSettings:
        if self.profile == "mixed":
            if not self.mix or sum(self.mix.values()) == 0:
                raise ValueError("mix: required with a positive weight when profile is mixed")
        elif self.mix is not None:
            raise ValueError(f"mix: only for profile mixed (profile {self.profile} sends a fixed endpoint)")
        return self

    def endpoint_mix(self) -> dict[str, int]:
        """Endpoint → weight of what this workload sends."""
        if self.profile == "mixed" and self.mix:
            return {name: weight for name, weight in self.mix.items() if weight > 0}
        return dict(PROFILE_MIX[self.profile])


def _placement(value: Any) -> Any:
    # Written as auto / none, or as the three explicit CPU lists.
    if value in ("auto", "none"):
        return {"mode": value}
    if isinstance(value, dict):
        return {"mode": "explicit", **value}
    raise ValueError("must be auto, none or a mapping {app: '1', generator: '0', infra: '0'}")


class PlacementSettings(StrictModel):
    """CPU sets of the app, the load generator and the infrastructure (see ``harness.placement``)."""

    mode: Literal["auto", "none", "explicit"] = Field(
        "auto", description="auto: the upper half of the CPUs for the app, the lower half for everything else; "
        "none: the scheduler decides; explicit: the three lists (taskset -c form, e.g. '1' or '0-2,5')."
    )
    app: CpuList | None = Field(None, description="CPUs of the measured app.")
    generator: CpuList | None = Field(None, description="CPUs of the load generator (Locust, vegeta, wrk).")
    infra: CpuList | None = Field(None, description="CPUs of PostgreSQL, the downstream service and the brokers.")

    @model_validator(mode="wrap")
    @classmethod
    def _lists_when_explicit(cls, data: Any, handler: ModelWrapValidatorHandler[PlacementSettings]) -> Any:
        # An explicit placement names all three lists; a missing one is reported with any bad one.
        missing: list[InitErrorDetails] = []
        if isinstance(data, dict) and data.get("mode") == "explicit":
            missing = [{"type": "missing", "loc": (name,), "input": data}
                       for name in ("app", "generator", "infra") if name not in data]
        try:
            placed = handler(data)
        except ValidationError as error:
            raise ValidationError.from_exception_data(
                error.title, [*error.errors(), *missing]) from None  # type: ignore[list-item]
        if missing:
            raise ValidationError.from_exception_data(cls.__name__, missing)
        return placed

    @model_serializer(mode="wrap")
    def _short_form(self, handler: SerializerFunctionWrapHandler) -> Any:
        return self.mode if self.mode != "explicit" else {k: v for k, v in handler(self).items() if k != "mode"}

    def sets(self) -> str | dict[str, str]:
        """``auto``, ``none`` or the three lists: what ``harness.placement.resolve`` takes."""
        if self.mode != "explicit":
            return self.mode
        assert self.app is not None and self.generator is not None and self.infra is not None
        return {"app": self.app, "generator": self.generator, "infra": self.infra}


def parse_fraction(value: Any) -> float:
    """``0.1%`` or ``0.001`` → 0.001; a bare number above 1 is refused (``1`` could mean 1% or 100%)."""
    if isinstance(value, str) and (match := _PERCENT.match(value)):
        return float(match.group(1)) / 100.0
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise ValueError("must be a percentage such as '0.1%' or a fraction from 0 to 1 such as 0.001")


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
Fraction = Annotated[float, BeforeValidator(parse_fraction)]


class SloSettings(StrictModel):
    """What a sustainable rate must hold (open model with search): each step is judged on it."""

    p99: Duration = Field(..., description="Ceiling of the p99 latency (corrected, from the intended send time), "
                          "e.g. 200ms.")
    error_rate: Fraction = Field(0.001, description="Ceiling of the share of failed requests, e.g. '0.1%'.")

    @field_validator("p99")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be above 0, e.g. 200ms")
        return value


class SearchSettings(StrictModel):
    """Capacity under the SLO: a geometric ramp of rates from ``start``, then bisection between the last rate
    that passed and the first that failed, down to ``resolution``; every step its own settle and window."""

    start: int = Field(..., gt=0, le=1_000_000, description="First rate of the ramp, requests per second.")
    factor: float = Field(2.0, gt=1, le=10, description="Each ramp step's rate is the last one's times this.")
    max: int = Field(..., gt=0, le=1_000_000, description="Highest rate tried; a ramp that passes it everywhere "
                     "reports capacity >= max.")
    resolution: int = Field(..., gt=0, description="Bisection stops once the failing and passing rates are this "
                            "close (requests per second).")

    @model_validator(mode="after")
    def _ordered(self) -> SearchSettings:
        if self.max < self.start:
            raise ValueError(f"max: must be at least start ({self.start})")
        return self

OPEN_MODEL_WARMUP = "10s"
"""The open model's warm-up when a scenario names none: fixed, at the warm-up rate (``warmup_point``)."""


class LoadSettings(StrictModel):
    driver: Literal["locust", "vegeta"] = Field(
        "locust", description="Load generator: locust (closed model, the default) or vegeta (open model, the "
        "default there: a compiled driver for high rates)."
    )
    model: Literal["closed", "open"] = Field(
        "closed", description="closed: each user sends its next request when the last one answered (`levels`). "
        "open: requests on a fixed timeline at `rates`, latency measured from each one's intended send time."
    )
    levels: tuple[Annotated[int, Field(gt=0)], ...] | None = Field(
        None, min_length=1, description="Closed model: concurrent users, one measured level each."
    )
    rates: tuple[Annotated[int, Field(gt=0, le=1_000_000)], ...] | None = Field(
        None, min_length=1, description="Open model: requests per second, one measured level each (or `search`)."
    )
    search: SearchSettings | None = Field(
        None, description="Open model: find the highest rate that holds `slo` (instead of `rates`)."
    )
    slo: SloSettings | None = Field(None, description="With search: what every step must hold to pass.")
    connections: int = Field(
        1000, gt=0, le=100_000, description="Open model: the driver's connections (and workers). A late request "
        "waits for one, and its corrected latency carries the wait."
    )
    warmup: Annotated[WarmupSettings, BeforeValidator(_warmup)] = Field(
        default_factory=WarmupSettings, description="Per fresh JVM, before the first level, at the highest level "
        "(open model: the highest rate, or the search's start); not measured. auto (the closed model's default): "
        "until steady; a duration (10s): fixed (the open model's default and only kind); or a mapping (see "
        "WarmupSettings)."
    )
    settle: Duration = Field(2.0, description="Start of every level (users connecting); not measured.")
    duration: Duration = Field(20.0, description="Measured time of every level.")
    repetitions: int = Field(
        1, gt=0, le=100, description="How often each level is measured, each time in a fresh JVM with its own "
        "warm-up."
    )
    remeasure_paused: int = Field(
        2, ge=0, le=5, description="How often a level is measured again, on the same JVM, when the machine was "
        "paused during it (its wall clock stepped away from its monotonic clock: a VM snapshot or migration, or a "
        "clock set by hand), so its window holds time nothing ran in. The manifest lists every discarded attempt. "
        "0: measure once; a paused level is then flagged, and a gate calls it unreliable."
    )
    order: Literal["round-robin", "shuffled"] = Field(
        "round-robin", description="Order of the fresh JVMs: rounds by repetition, each round every variant × "
        "JDK once, in the scenario's order (round-robin) or in an order drawn from order_seed (shuffled)."
    )
    order_seed: int | None = Field(
        None, description="Seed of a shuffled order; drawn at random when absent (the manifest records it)."
    )
    scrape_interval: Duration = Field(
        2.0, description="How often /actuator/prometheus is read during load (each read costs the app CPU)."
    )
    workers: int = Field(
        0, ge=0, le=64, description="Locust worker processes the harness starts on this machine under one master "
        "(0: one Locust process, no master). Their histograms are merged exactly."
    )
    expect_workers: int = Field(
        0, ge=0, le=256, description="Workers of other machines ('harness worker --master HOST:PORT') every level "
        "waits for, on top of `workers`; needs master_port."
    )
    master_bind: str = Field(
        "127.0.0.1", min_length=1, description="Address the Locust master listens on; not loopback only with "
        "allow_remote."
    )
    master_port: int | None = Field(
        None, ge=1, le=65535, description="Port of the Locust master (external workers connect to it); "
        "default a free one."
    )
    worker_timeout: Duration = Field(
        60.0, description="How long each level waits for all its workers to connect before it fails."
    )
    allow_remote: bool = Field(
        False, description="Permit load to, or a Locust master reachable from, a non-loopback address. Without it "
        "every such address is refused."
    )

    @model_validator(mode="after")
    def _distribution(self) -> LoadSettings:
        problems = []
        if self.expect_workers and self.master_port is None:
            problems.append("master_port: required with expect_workers (external workers must know where to "
                            "connect)")
        if not self.allow_remote and not is_loopback(self.master_bind):
            problems.append(f"master_bind: {self.master_bind!r} is not loopback: set allow_remote: true if workers "
                            "on other machines are intended and permitted")
        no_master = not (self.workers or self.expect_workers)
        if no_master and (self.master_bind != "127.0.0.1" or self.master_port is not None):
            problems.append("master_bind: only with workers or expect_workers (there is no master otherwise)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @field_validator("worker_timeout")
    @classmethod
    def _timeout_whole_seconds(cls, value: float) -> float:
        if value < 1 or value != int(value):
            raise ValueError("must be a whole number of seconds, at least 1s")
        return value

    @field_validator("duration")
    @classmethod
    def _positive_duration(cls, value: float) -> float:
        if value < 1:
            raise ValueError("must be at least 1s")
        return value

    @field_validator("settle", "duration")
    @classmethod
    def _whole_seconds(cls, value: float) -> float:
        # Latency is recorded in one-second windows; a level must start and end on a window edge.
        if value != int(value):
            raise ValueError("must be a whole number of seconds")
        return value

    @model_validator(mode="before")
    @classmethod
    def _open_model_defaults(cls, data: Any) -> Any:
        # The open model's default driver is the compiled one: Locust cannot keep a timeline.
        # Its default warm-up is fixed: warming up until steady reads Locust's throughput windows, and the open
        # model's throughput is its rate (an explicit auto is refused in _model_fields).
        if isinstance(data, dict) and data.get("model") == "open":
            defaults = {"driver": "vegeta", "warmup": OPEN_MODEL_WARMUP}
            return {**{k: v for k, v in defaults.items() if k not in data}, **data}
        return data

    @model_validator(mode="after")
    def _model_fields(self) -> LoadSettings:
        problems = []
        if self.model == "closed":
            if self.levels is None:
                problems.append("levels: required in the closed model (concurrent users per level)")
            for name in ("rates", "search", "slo"):
                if getattr(self, name) is not None:
                    problems.append(f"{name}: only with model: open (the closed model has users, not rates)")
            if "connections" in self.model_fields_set:
                problems.append("connections: only with model: open (the closed model has one per user)")
            if self.driver != "locust":
                problems.append(f"driver: {self.driver} drives the open model, the closed model uses locust")
        else:
            if self.levels is not None:
                problems.append("levels: only with model: closed (the open model takes rates, requests per second)")
            if self.rates is None and self.search is None:
                problems.append("rates: required with model: open (or search: to find the capacity under slo)")
            if self.rates is not None and self.search is not None:
                problems.append("search: either rates (fixed levels) or search (capacity under slo), not both")
            if self.driver != "vegeta":
                problems.append(f"driver: the open model needs a driver that keeps a fixed timeline (vegeta), "
                                f"not {self.driver}")
            if self.workers or self.expect_workers:
                problems.append("workers: Locust workers are for the closed model (the open model's driver is "
                                "one compiled process)")
            if self.warmup.mode == "auto":
                problems.append(f"warmup: auto (until steady) is for the closed model: it judges Locust's throughput "
                                f"windows, and the open model's throughput is its rate. Give a fixed warm-up at the "
                                f"warm-up rate, e.g. warmup: {OPEN_MODEL_WARMUP} (the open model's default)")
        if self.slo is not None and self.search is None:
            problems.append("slo: only with search (it is what each search step must hold)")
        if self.search is not None and self.slo is None:
            problems.append("slo: required with search (the search finds the highest rate that holds it)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def load_points(self) -> tuple[int, ...]:
        """The users (closed) or rates (open) of the fixed levels; empty for a search."""
        return self.levels or self.rates or ()

    @property
    def warmup_point(self) -> int:
        """Users (closed) or rate (open) of the warm-up: the highest fixed level, or the search's start."""
        if self.search is not None:
            return self.search.start
        return max(self.load_points())

    @model_validator(mode="after")
    def _seed_only_when_shuffled(self) -> LoadSettings:
        if self.order_seed is not None and self.order != "shuffled":
            raise ValueError("order_seed: only with order: shuffled (round-robin draws nothing)")
        return self

    @field_validator("levels", "rates")
    @classmethod
    def _distinct_levels(cls, value: tuple[int, ...] | None, info: ValidationInfo) -> tuple[int, ...] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError(f"{info.field_name} must be distinct")
        return value


class RelaySettings(StrictModel):
    batch_size: int = Field(
        200, gt=0, le=10000, description="Outbox rows the relay claims and publishes per transaction "
        "(ORDERS_RELAY_BATCH_SIZE)."
    )
    poll_interval_ms: int = Field(
        50, gt=0, le=60000, description="Relay's idle poll interval; a full batch polls again at once "
        "(ORDERS_RELAY_POLL_INTERVAL_MS)."
    )
    db_pool: int = Field(
        2, ge=0, le=100, description="Connections of the relay's own database pool, in every variant "
        "(ORDERS_RELAY_DB_POOL: a second HikariCP pool in mvc, a second R2DBC pool with its own event loop and "
        "scheduler in webflux, named orders-relay), so its claim-publish-mark transaction never queues behind the "
        "consumers for a connection; 0 shares the app's pool (app.db_pool) and, in webflux, its threads, as before "
        "this setting existed. Default 2: the relay runs one transaction at a time, the second connection lets the "
        "pool replace one (max lifetime, a PostgreSQL restart) without the relay waiting; more would only idle."
    )


class RetrySettings(StrictModel):
    max_attempts: int = Field(
        3, ge=1, le=100, description="Attempts in total for a transient failure before the event is "
        "dead-lettered (ORDERS_CONSUMER_MAX_ATTEMPTS)."
    )
    backoff_ms: int = Field(
        100, ge=0, le=60000, description="Fixed pause between attempts (ORDERS_CONSUMER_BACKOFF_MS)."
    )


Broker = Literal["kafka", "rabbitmq"]


def _distinct(values: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(set(values)) != len(values):
        raise ValueError("each value at most once")
    return values


class ConsumeSweep(StrictModel):
    """The dimensions of a consume sweep: one point per combination, each a full consume run of its own
    (fresh infrastructure, every variant interleaved, every repetition in a fresh JVM) under
    ``<results>/points/``; the sweep folder adds consume_sweep.csv and the drain-vs-concurrency plot.
    A dimension left out keeps the consume section's own value."""

    broker: tuple[Broker, ...] | None = Field(
        None, min_length=1, description="Brokers to run every point on; both make one report compare them."
    )
    concurrency: tuple[Annotated[int, Field(gt=0, le=1000)], ...] | None = Field(
        None, min_length=1, description="Events a variant may process at once: sets listener_concurrency and "
        "max_in_flight to the same n in every variant (MVC is bounded by its listener threads, WebFlux by its "
        "app-wide in-flight limit), and on Kafka raises partitions to at least n so every listener thread has one."
    )
    downstream_delay_ms: tuple[Annotated[int, Field(ge=0, le=60000)], ...] | None = Field(
        None, min_length=1, description="Delays of the consumer's downstream call, e.g. [0, 5, 20, 50]."
    )

    @field_validator("broker", "concurrency", "downstream_delay_ms")
    @classmethod
    def _each_once(cls, value: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        return value if value is None else _distinct(value)


@dataclass(frozen=True)
class ConsumePoint:
    """One combination of a sweep: the values it sets (concurrency None: the consume section's own knobs)."""

    broker: Broker
    concurrency: int | None
    downstream_delay_ms: int

    @property
    def slug(self) -> str:
        """A name part for its results folder: ``kafka-c8-d20``."""
        return "-".join([self.broker, *([f"c{self.concurrency}"] if self.concurrency is not None else []),
                         f"d{self.downstream_delay_ms}"])


class ConsumeSettings(StrictModel):
    """The consumer benchmark: events go through outbox → relay → broker → consumer → inbox."""

    broker: Broker = Field(
        ..., description="kafka: a single KRaft node; rabbitmq: a private node. A fresh one per segment."
    )
    source: Literal["preload", "drive"] = Field(
        "preload", description="preload: `events` OrderCreated rows built from seeded orders are inserted into the "
        "outbox at once, after the consumer is up (drain throughput); drive: POST /orders at `rate` per second "
        "until `events` orders were sent (lag at a steady rate)."
    )
    events: int = Field(10000, gt=0, le=1_000_000, description="Distinct events per segment (duplicates and "
                        "poison come on top). One per order, or with lifecycle three per order: events / 3 orders.")
    lifecycle: bool = Field(
        False, description="preload only: each order gets three events keyed by its id, OrderCreated → OrderPaid → "
        "OrderShipped, in that order in the outbox, the orders interleaved (events must be a multiple of 3); the "
        "projection counts every event applied out of order (consume.csv ordering_violations). false: one "
        "OrderCreated per order, where order cannot be broken."
    )
    ordering: Literal["required", "observed"] = Field(
        "observed", description="required: every variant keeps one order's events in order "
        "(ORDERS_CONSUMER_ORDERING=per-key) and a segment with any ordering violation fails; observed: "
        "ORDERS_CONSUMER_ORDERING=none and violations are only counted. RabbitMQ with listener_concurrency above 1 "
        "(competing consumers) is ordered by no variant."
    )
    rate: int | None = Field(None, gt=0, le=100_000, description="POST /orders per second; source drive only.")
    repetitions: int = Field(1, gt=0, le=100, description="Segments per JDK × variant.")
    timeout: Duration = Field(
        300.0, description="A segment that has not drained by then (from the first event) fails, with its "
        "reconciliation."
    )
    sample_interval: Duration = Field(
        1.0, description="How often event counts (PostgreSQL) and broker backlog are read into the timeseries."
    )
    warmup: Duration = Field(
        5.0, description="Whether the downstream service is warmed up (JIT) before the first segment: 0 skips it; "
        "how long is workload.downstream_warmup's (by default until steady, at most 90 s). Each app itself starts "
        "cold in every segment, like a consumer restarted in production (see warmup_events)."
    )
    warmup_events: int = Field(
        0, ge=0, le=1_000_000, description="Well-formed events consumed by each freshly started app before the "
        "measured ones (duplicates at faults.duplicates' rate; no poison, no faults), then removed from every "
        "event table: neither "
        "counted nor reconciled. The measured CPU per event is a steady-state figure only with a warm-up batch."
    )
    warmup_batches: Annotated[int, Field(ge=1, le=100)] | Literal["auto"] = Field(
        1, description="How many warm-up batches of warmup_events each app consumes; auto: until a batch's JIT "
        "compiler threads spent at most 5% of the app's CPU (the steady-state bar of consume_cost.csv), or until 3 "
        "successive batches spent the same CPU per event without the compiler threads within 10% (steady per event; "
        "each batch needs 1 CPU-s to count), for at most warmup_max."
    )
    warmup_max: Duration = Field(
        120.0, description="warmup_batches: auto stops after this long even if the app is not warm, with a "
        "warning (a cold JVM's C2 compiles for about a minute here, whatever the rate)."
    )
    scrape_interval: Duration = Field(
        2.0, description="How often each segment's app /actuator/prometheus is read (pools, consumer and broker "
        "client meters; each read costs the app CPU)."
    )
    partitions: int = Field(8, gt=0, le=1000, description="Partitions of order-events and its DLT; kafka only "
                            "(ORDERS_KAFKA_PARTITIONS).")
    listener_concurrency: int = Field(
        8, gt=0, le=1000, description="Kafka listener container threads or RabbitMQ concurrent consumers "
        "(ORDERS_KAFKA_LISTENER_CONCURRENCY / ORDERS_RABBIT_LISTENER_CONCURRENCY)."
    )
    prefetch: int = Field(50, gt=0, le=65535, description="Unacknowledged messages per RabbitMQ consumer; "
                          "rabbitmq only (ORDERS_RABBIT_PREFETCH).")
    max_in_flight: int = Field(
        256, gt=0, le=100_000, description="webflux: events processed concurrently, its backpressure "
        "(ORDERS_CONSUMER_MAX_IN_FLIGHT); the mvc variants are bounded by listener_concurrency."
    )
    downstream_delay_ms: int = Field(
        20, ge=0, le=60000, description="Delay of the one downstream call per consumed event "
        "(ORDERS_CONSUMER_DELAY_MS)."
    )
    relay: RelaySettings = Field(default_factory=RelaySettings, description="The outbox relay of every variant.")
    retries: RetrySettings = Field(default_factory=RetrySettings, description="Consumer retries before dead-lettering.")
    replay: bool = Field(
        False, description="After each Kafka segment drained and reconciled: stop its app, empty the inbox and "
        "order_projection (the outbox and dead letters stay), start the same variant with the same settings in a "
        "fresh consumer group that reads order-events from the measured events' first offset, wait until every "
        "event is processed again, reconcile the rebuilt read model against the measured one and report the "
        "rebuild rate (consume_replay.csv). Kafka only: RabbitMQ has no replay (a consumed message is gone); in a "
        "sweep over both brokers the RabbitMQ points say so instead of a rate."
    )
    sweep: ConsumeSweep | None = Field(
        None, description="Run this consume benchmark at every combination of these values (a study: each point "
        "is a full run; see scenarios/consume-sweep.yaml)."
    )

    @field_validator("timeout")
    @classmethod
    def _timeout_at_least_a_second(cls, value: float) -> float:
        if value < 1:
            raise ValueError("must be at least 1s")
        return value

    @field_validator("sample_interval", "scrape_interval")
    @classmethod
    def _sensible_interval(cls, value: float) -> float:
        if not 0.1 <= value <= 60:
            raise ValueError("must be from 100ms to 60s")
        return value

    @model_validator(mode="after")
    def _knobs_match(self) -> ConsumeSettings:
        # A knob the chosen broker or source ignores would silently measure something else.
        problems = []
        if self.source == "drive" and self.rate is None:
            problems.append("rate: required when source is drive")
        if self.source == "preload" and self.rate is not None:
            problems.append("rate: only for source drive (preload inserts every event at once)")
        if self.lifecycle and self.source == "drive":
            problems.append("lifecycle: only for source preload (drive makes only OrderCreated, through POST /orders)")
        if self.lifecycle and self.events % 3:
            problems.append(f"events: must be a multiple of 3 with lifecycle (three events per order), was "
                            f"{self.events}")
        brokers = self.brokers()
        if "kafka" not in brokers and "partitions" in self.model_fields_set:
            problems.append("partitions: only for broker kafka (RabbitMQ has no partitions, see prefetch)")
        if "rabbitmq" not in brokers and "prefetch" in self.model_fields_set:
            problems.append("prefetch: only for broker rabbitmq (Kafka consumers fetch by partition)")
        if self.replay and "kafka" not in brokers:
            problems.append("replay: only for broker kafka (RabbitMQ has no replay: a consumed message is gone)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


    def brokers(self) -> tuple[Broker, ...]:
        """The brokers this section runs on: the sweep's, or its own."""
        return self.sweep.broker if self.sweep is not None and self.sweep.broker else (self.broker,)

    def points(self) -> list[tuple[ConsumePoint, ConsumeSettings]]:
        """Every combination of the sweep, broker-major, each with the plain settings of its run (no sweep);
        one point without a sweep. A knob that does not apply to a point's broker (partitions and replay on
        RabbitMQ, prefetch on Kafka) is left at its default there, as the broker ignores it."""
        sweep = self.sweep or ConsumeSweep()
        concurrencies: tuple[int | None, ...] = sweep.concurrency or (None,)
        out = []
        for broker in self.brokers():
            for concurrency in concurrencies:
                for delay in sweep.downstream_delay_ms or (self.downstream_delay_ms,):
                    point = ConsumePoint(broker, concurrency, delay)
                    data = self.model_dump(exclude_unset=True, exclude={"sweep"})
                    data |= {"broker": broker, "downstream_delay_ms": delay}
                    data.pop("prefetch" if broker == "kafka" else "partitions", None)
                    if broker != "kafka":
                        # A sweep point on RabbitMQ runs without it and its reports say it is not available.
                        data.pop("replay", None)
                    if concurrency is not None:
                        data |= {"listener_concurrency": concurrency, "max_in_flight": concurrency}
                        if broker == "kafka":
                            data["partitions"] = max(self.partitions, concurrency)
                    out.append((point, ConsumeSettings.model_validate(data)))
        return out


class FaultSettings(StrictModel):
    """What goes wrong during every consume segment, each at most once per segment."""

    duplicates: float = Field(
        0.0, ge=0, le=1, description="Share of events published again: extra outbox rows with the same event_id, "
        "interleaved at random (what a relay that dies between publishing and marking produces)."
    )
    poison: int = Field(
        0, ge=0, le=100_000, description="Undeserialisable messages injected (outbox rows whose payload is not "
        "JSON); expected in dead letters, never counted as lost."
    )
    kill_consumer_at: float | None = Field(
        None, gt=0, lt=1, description="kill -9 the app once this share of the events is processed, then start it "
        "again (same flags and environment)."
    )
    restart_broker_at: float | None = Field(
        None, gt=0, lt=1, description="Restart the broker gracefully (same ports and data) once this share of the "
        "events is processed."
    )
    inverted_orders: int = Field(
        0, ge=0, le=100_000, description="consume.lifecycle only: orders whose OrderPaid is written to the outbox "
        "before their OrderCreated (a producer that published out of order). A consumer that keeps the broker's "
        "order applies each as 2 ordering violations (Paid ahead of its predecessor, then the older Created): a "
        "known answer for the projection's count, and with consume.ordering: required a segment that must fail."
    )

    def phrases(self) -> list[str]:
        """The configured faults in words, for the summary and the console (empty: none)."""
        said = []
        if self.duplicates:
            said.append(f"{self.duplicates:.0%} duplicates")
        if self.poison:
            said.append(f"{self.poison} poison messages")
        if self.restart_broker_at is not None:
            said.append(f"broker restart at {self.restart_broker_at:.0%}")
        if self.kill_consumer_at is not None:
            said.append(f"kill -9 of the consumer at {self.kill_consumer_at:.0%}")
        if self.inverted_orders:
            said.append(f"{self.inverted_orders} orders with Paid before Created in the outbox")
        return said


class DockerImages(StrictModel):
    """The images of ``infra: docker``; the defaults are the official images docker-compose.yml names."""

    postgres: str = Field("postgres:15", min_length=1, description="PostgreSQL server image.")
    kafka: str = Field("apache/kafka:4.4.0", min_length=1, description="Kafka (KRaft) image.")
    rabbitmq: str = Field("rabbitmq:3.13", min_length=1, description="RabbitMQ server image.")


def _one_or_more(value: Any) -> Any:
    # ``cpus: 1.5`` and ``cpus: [1, 2]`` both mean what they say.
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else value


def memory_bytes(text: str) -> int:
    """``512m`` → bytes (the units of -Xmx: k, m, g, base 1024)."""
    return int(text[:-1]) * {"k": 1024, "m": 1024**2, "g": 1024**3}[text[-1]]


class RemoteEngine(StrictModel):
    """The system under test on another host: the Docker engine ``DOCKER_HOST`` names runs the apps, the
    downstream and PostgreSQL, reached only through its API (stats, copies of the JVMs' files), never through
    this machine's /proc or file system."""

    address: str = Field(
        ..., min_length=1, description="The engine host's address as this machine reaches it: the apps, the "
        "downstream and PostgreSQL listen on it and the load is sent to it. Not loopback only with "
        "load.allow_remote."
    )


class ContainerSettings(StrictModel):
    """The apps and the downstream service in containers of a Docker engine, each order app under a CPU
    quota and a memory limit (the downstream under none: it must never be what is measured)."""

    cpus: Annotated[tuple[Annotated[float, Field(gt=0, le=256)], ...], BeforeValidator(_one_or_more)] = Field(
        ..., min_length=1, description="CPU quota of each app container (docker --cpus). A list makes a dimension: "
        "every variant runs under each, like jdks."
    )
    memory: str = Field(
        "1g", pattern=r"^\d+[kmg]$", description="Memory limit of each app container (docker --memory); must "
        "exceed app.heap."
    )
    base_image: str = Field(
        "eclipse-temurin:{jdk}-jre", min_length=1, description="The JDK base the apps' images are built on; {jdk} is "
        "the feature version. The default, when no registry answers, is replaced by a base built here from Debian "
        "packages and the run's own JDK."
    )
    remote: RemoteEngine | None = Field(
        None, description="The apps and the infrastructure on the remote engine DOCKER_HOST names (needs infra: "
        "docker); absent: the engine must be on this machine."
    )

    @field_validator("cpus")
    @classmethod
    def _distinct_cpus(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(set(value)) != len(value):
            raise ValueError("entries must be distinct")
        return value


class Scenario(StrictModel):
    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="Used in the results folder name.")
    description: str = Field("", description="Free text shown in the summary.")
    variants: tuple[VariantName, ...] = Field(
        ALL_VARIANTS, min_length=1, description="Which variants to run, in this order."
    )
    jdks: tuple[Annotated[int, Field(ge=21)], ...] = Field(
        (25,), min_length=1, description="JDK feature versions; every variant runs on each."
    )
    infra: Literal["local", "docker"] = Field(
        "local", description="local: PostgreSQL (and a consume run's broker) as processes of this machine; "
        "docker: as containers of a Docker engine (scripts/docker-engine.sh starts one)."
    )
    docker: DockerImages = Field(
        default_factory=DockerImages, description="The service images of infra: docker; each can be overridden."
    )
    containers: ContainerSettings | None = Field(
        None, description="Run the apps and the downstream in containers with these limits; absent: as processes "
        "of this machine. Needs a Docker engine (scripts/docker-engine.sh start); the load generator stays outside."
    )
    app: AppSettings = Field(default_factory=AppSettings, description="Every pool, limit, heap and GC setting.")
    workload: WorkloadSettings = Field(default_factory=WorkloadSettings, description="What the load asks for.")
    data: DataSettings = Field(default_factory=DataSettings, description="Seed data.")
    load: LoadSettings | None = Field(
        None, description="Request benchmark: the load levels and their timing (exactly one of load and consume)."
    )
    consume: ConsumeSettings | None = Field(
        None, description="Consumer benchmark: events through outbox, broker and inbox (exactly one of load and "
        "consume)."
    )
    faults: FaultSettings = Field(
        default_factory=FaultSettings, description="Faults injected into every consume segment; consume only."
    )
    placement: Annotated[PlacementSettings, BeforeValidator(_placement)] = Field(
        default_factory=PlacementSettings,
        description="CPU sets of the app, the load generator and the infrastructure (sched_setaffinity). auto: the "
        "upper half of the CPUs for the app, the lower half for everything else (on 2 CPUs one each); none: the "
        "scheduler decides; or {app: '1', generator: '0', infra: '0'}."
    )

    @field_validator("variants", "jdks")
    @classmethod
    def _distinct(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(set(value)) != len(value):
            raise ValueError("entries must be distinct")
        return value

    @model_validator(mode="after")
    def _docker_only_with_docker(self) -> Scenario:
        if self.infra != "docker" and "docker" in self.model_fields_set:
            raise ValueError("docker: only with infra: docker (the images are not used otherwise)")
        return self

    @model_validator(mode="after")
    def _containers_fit(self) -> Scenario:
        problems = []
        containers = self.containers
        if containers is not None and memory_bytes(containers.memory) <= memory_bytes(self.app.heap):
            problems.append(f"containers.memory: {containers.memory} leaves no room above app.heap {self.app.heap} "
                            "(the JVM needs metaspace, thread stacks and direct buffers besides its heap)")
        if containers is not None and containers.remote is None and self.placement.mode == "explicit":
            # auto depends on the machine's CPUs: the run checks it once resolved (Run._refuse_unusable_quota).
            refusal = quota_refusal(resolve(self.placement.sets()), containers.cpus)
            if refusal is not None:
                problems.append(refusal)
        remote = None if containers is None else containers.remote
        if remote is not None and self.infra != "docker":
            problems.append("containers.remote: needs infra: docker (PostgreSQL runs on the remote engine, next to "
                            "the apps)")
        if remote is not None and self.load is not None and not self.load.allow_remote and not is_loopback(
                remote.address):
            problems.append(f"containers.remote.address: {remote.address!r} is not loopback: set load.allow_remote: "
                            "true to send load to another host")
        if containers is not None and self.consume is not None:
            problems.append("containers: not supported for a consume scenario yet (its faults kill and restart the "
                            "app process), run consume scenarios with the apps as processes")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _one_kind(self) -> Scenario:
        problems = []
        if self.load is None and self.consume is None:
            problems.append("load: required (or consume: for a consumer benchmark)")
        if self.load is not None and self.consume is not None:
            problems.append("consume: a scenario has load: (requests) or consume: (events), not both")
        if self.consume is None and "faults" in self.model_fields_set:
            problems.append("faults: only for a consume scenario")
        consume = self.consume
        if (consume is not None and consume.source == "preload" and not consume.lifecycle
                and consume.events > self.data.orders):
            problems.append(f"consume.events: preloading {consume.events} events needs as many seeded orders, "
                            f"but data.orders is {self.data.orders}")
        if self.faults.inverted_orders and (consume is None or not consume.lifecycle):
            problems.append("faults.inverted_orders: only with consume.lifecycle (one event per order has no order "
                            "to invert)")
        if consume is not None and consume.lifecycle and self.faults.inverted_orders > consume.events // 3:
            problems.append(f"faults.inverted_orders: {self.faults.inverted_orders} orders to invert, the lifecycle "
                            f"has {consume.events // 3}")
        if consume is not None and consume.lifecycle and consume.events // 3 > self.data.orders:
            problems.append(f"consume.events: a lifecycle of {consume.events} events needs {consume.events // 3} "
                            f"seeded orders, but data.orders is {self.data.orders}")
        # By value, not by what the file set: a manifest records the scenario with every default resolved.
        if consume is not None and consume.warmup_events == 0 and consume.warmup_batches != 1:
            problems.append("consume.warmup_batches: needs warmup_events (the size of a batch)")
        if consume is not None and consume.warmup_events > self.data.orders:
            problems.append(f"consume.warmup_events: {consume.warmup_events} warm-up events need as many seeded "
                            f"orders, but data.orders is {self.data.orders}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def kind(self) -> Literal["requests", "consume"]:
        return "consume" if self.consume is not None else "requests"

    def require_load(self) -> LoadSettings:
        """The load section of a request benchmark (validation guarantees it when ``consume`` is absent)."""
        if self.load is None:
            raise ValueError(f"scenario {self.name} is a consume scenario; it has no load section")
        return self.load


def format_location(loc: tuple[int | str, ...]) -> str:
    """``('load', 'levels', 2)`` → ``load.levels[2]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


# A check across fields (a model validator) names the field it is about at the start of its message,
# "rate: required when ...", several joined by "; ", so that every line carries a full YAML path.
_NAMED = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*|\[\d+\])*): (.+)$")


def _problems(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        msg = item["msg"]
        if item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs in README 'Writing a scenario')"
        elif item["type"] == "missing":
            msg = "required"
        msg = msg.removeprefix("Value error, ")
        if item["type"] == "value_error":
            parts = msg.split("; ")
            named = [_NAMED.match(part) for part in parts]
            if all(named):
                for match in named:
                    assert match is not None
                    field = format_location((*loc, *match.group(1).split(".")))
                    lines.append(f"{field}: {match.group(2)}")
                continue
        lines.append(f"{format_location(loc)}: {msg}")
    return lines


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(source, ["(top level): must be a mapping of keys to values"])
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, _problems(error)) from None


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(str(path), [f"cannot read the file: {error.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(str(path), [f"not valid YAML: {error}"]) from None
    return parse_scenario(data, str(path))
