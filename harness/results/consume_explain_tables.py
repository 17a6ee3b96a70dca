"""What explains a consume segment: consume_cost.csv, consume_pools.csv, consume_jfr.csv, consume_jvm_timeseries.csv.

Each row names its segment (jdk, variant, broker, repetition) and its window: ``warmup`` (the warm-up
batch, neither counted nor reconciled with the measured events) or ``measured``. consume.csv keeps
the reconciled counts; these tables say where the time and the CPU went.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.codec import Table
from harness.jfr.summary import Frames

WARMUP = "warmup"
MEASURED = "measured"

STEADY = "steady state"
COLD = "cold start included"
RESTARTED = "restart included"
COMPILING = "JIT still compiling"
STEADY_PER_EVENT = "steady per event, JIT busy"
"""``ConsumeCost.basis``: what the app's CPU of a window contains. Steady state: after a warm-up batch,
no JVM started inside the window, and the JIT's compiler threads spent at most ``STEADY_JIT_SHARE`` of
the app's CPU in it. Steady per event, JIT busy: the same, the compiler threads spent more, but the
warm-up ended on batches whose CPU per event without the compiler threads had stopped moving
(consume/steadiness.py): ``app_cpu_ms_per_event_without_jit`` is then the steady figure. JIT still
compiling: the compiler threads spent more and the warm-up never became steady per event (too short
for this machine's load). Cold start: no warm-up, the JIT compiles inside the window. Restart: a kill -9
started a cold JVM inside the window."""

STEADY_JIT_SHARE = 0.05


@dataclass(frozen=True)
class ConsumeCost:
    """One window of a segment: events done, seconds, and the CPU every process spent on them.

    ``app_cpu_ms_per_event`` is the app's CPU time over the window per event processed in it;
    ``broker_cpu_ms_per_event`` the same for the broker (its process and children; None for a broker
    in a container). ``load_avg_1m`` is the machine's 1-minute load average at the window's end: on a
    shared machine the figures only compare with others measured under a similar load. ``foreign_cpu_s``
    is what processes outside the run spent in the window and ``steal_cpu_s`` the CPU time the hypervisor
    gave to other guests (machine_load.py; format 2): a shared machine.
    ``app_cpu_ms_per_event_without_jit`` (format 2) leaves the compiler threads' share out.
    """

    jdk: int
    variant: str
    broker: str
    repetition: int
    window: str  # warmup | measured
    basis: str  # STEADY | STEADY_PER_EVENT | COMPILING | COLD | RESTARTED
    events: int
    seconds: float
    events_per_s: float | None
    app_cpu_s: float | None
    app_cpu_ms_per_event: float | None
    broker_cpu_s: float | None
    broker_cpu_ms_per_event: float | None
    broker_rss_mb_max: float | None
    postgres_cpu_s: float | None
    downstream_cpu_s: float | None
    load_avg_1m: float
    foreign_cpu_s: float | None = None
    steal_cpu_s: float | None = None  # the hypervisor's steal in the window, summed over the machine's CPUs
    # app_cpu_ms_per_event less the JIT compiler threads' share of the window (None: threads unread): an upper
    # bound of the steady-state figure while the JIT still compiles (the code it runs is not all optimised yet).
    app_cpu_ms_per_event_without_jit: float | None = None


@dataclass(frozen=True)
class ConsumePools:
    """One window of a segment as the app's ``/actuator/prometheus`` saw it (None: no reading).

    Gauges give the mean and max over the window's scrapes; counters the increase over the window,
    summed across a restart of the app (a counter that fell started again from 0). Kafka counters
    cover every consumer of the app (the order-events group and the dead-letter one).
    """

    jdk: int
    variant: str
    broker: str
    repetition: int
    window: str
    scrapes: int
    scrape_errors: int
    db_pool_active_mean: float | None
    db_pool_active_max: float | None
    db_pool_pending_max: float | None
    http_client_active_max: float | None
    http_client_pending_max: float | None
    consumer_in_flight_mean: float | None
    consumer_in_flight_max: float | None
    platform_threads_max: float | None
    consumer_attempts: int | None
    relay_published: int | None
    kafka_commits: int | None
    kafka_fetches: int | None
    kafka_commit_latency_ms_mean: float | None
    rabbit_channels_max: float | None
    rabbit_consumed: int | None
    rabbit_acknowledged: int | None
    # The outbox relay's own pool (consume.relay.db_pool > 0); None when it shares the app's, whose figures are
    # the db_pool_* columns (the app's pool only, in every format).
    relay_db_pool_active_max: float | None = None
    relay_db_pool_pending_max: float | None = None


@dataclass(frozen=True)
class ConsumeJfr:
    """One window of one flight recording of a segment (``recording`` 1 is the first JVM, 2 the one a
    kill -9 restarted); see ``harness.jfr.summary.JfrSummary`` for each figure."""

    jdk: int
    variant: str
    broker: str
    repetition: int
    window: str
    recording: int
    covered_s: float
    cpu_samples: int
    top_cpu_frames: Frames
    top_cpu_packages: Frames
    top_cpu_app_frames: Frames
    jit_compile_ms: float
    jit_compilations: int
    gc_pauses: int
    gc_pause_total_ms: float
    gc_pause_max_ms: float
    allocation_rate_mb_s: float
    allocated_mb: float
    heap_after_gc_max_mb: float | None
    pinned_events: int
    pinned_total_ms: float
    top_pinned_frames: Frames
    submit_failed_events: int


@dataclass(frozen=True)
class ConsumeThreads:
    """The app's CPU seconds in one window by thread group (``harness.consume.threads``): compiler and GC
    threads included, which no JFR execution sample sees. Only for a window one JVM lived through."""

    jdk: int
    variant: str
    broker: str
    repetition: int
    window: str
    thread: str  # the kernel's thread name, digits folded to #
    cpu_s: float
    share: float  # of the app's CPU in the window counted by thread


@dataclass(frozen=True)
class ConsumeWarmupBatch:
    """One warm-up batch of a segment: what the app spent on it, and whether the warm-up could stop there
    (``harness.consume.steadiness``). The curve behind a measured window's basis, as warmup.csv is a request run's."""

    jdk: int
    variant: str
    broker: str
    repetition: int
    batch: int  # 1 = the first
    events: int
    seconds: float
    app_cpu_s: float | None  # counted by thread; None when the JVM was replaced
    app_cpu_ms_per_event_without_jit: float | None
    jit_share: float | None
    steady_per_event: bool  # this batch and the two before it agreed within the tolerance


@dataclass(frozen=True)
class ConsumeJvmReading:
    """One /actuator/prometheus column read during a segment (t: seconds since its first measured event)."""

    jdk: int
    variant: str
    broker: str
    repetition: int
    t: float
    column: str
    value: float


CONSUME_COST = Table(ConsumeCost, "consume_cost.csv", 2,
                     added={2: ("foreign_cpu_s", "steal_cpu_s", "app_cpu_ms_per_event_without_jit")})
CONSUME_POOLS = Table(ConsumePools, "consume_pools.csv", 2,
                      added={2: ("relay_db_pool_active_max", "relay_db_pool_pending_max")})
CONSUME_JFR = Table(ConsumeJfr, "consume_jfr.csv", 1)
CONSUME_THREADS = Table(ConsumeThreads, "consume_threads.csv", 1)
CONSUME_WARMUP = Table(ConsumeWarmupBatch, "consume_warmup.csv", 1)
CONSUME_JVM_TIMESERIES = Table(ConsumeJvmReading, "consume_jvm_timeseries.csv", 1)


def read_consume_cost(path: Path) -> list[ConsumeCost]:
    return CONSUME_COST.read(path, missing_ok=True)


def read_consume_jfr(path: Path) -> list[ConsumeJfr]:
    return CONSUME_JFR.read(path, missing_ok=True)


def read_consume_pools(path: Path) -> list[ConsumePools]:
    return CONSUME_POOLS.read(path, missing_ok=True)


def read_consume_warmup(path: Path) -> list[ConsumeWarmupBatch]:
    return CONSUME_WARMUP.read(path, missing_ok=True)


def read_consume_threads(path: Path) -> list[ConsumeThreads]:
    return CONSUME_THREADS.read(path, missing_ok=True)
