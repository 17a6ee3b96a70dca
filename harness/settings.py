"""The settings catalogue: one row per setting, from the scenario field to what the running app reports.

A row says where a setting comes from (``field``, the scenario path), how it reaches the app (an
``ORDERS_*`` environment variable, or a JVM flag), where the running app reports it back (a dotted path
under ``/actuator/info`` ``runtime``), and how it is shown and compared in the configuration table of
summary.md and report.html. Everything that sends, checks or shows a setting reads these rows:

- ``app_env`` (the app's environment) and ``setting_flags`` (its setting-carrying JVM flags);
- ``requested`` (what the running app must report; ``harness.verify.verify_settings`` compares it);
- ``harness.report.config`` (the configuration table, requested beside effective).

Adding a setting that reaches the app is one row here plus its use in Java (design.md lists the
environment and the ``runtime`` keys); a requested setting the app does not report fails verification.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness import placement
from harness.scenario import Scenario, memory_bytes
from harness.variants import ALL_VARIANTS, VARIANTS, VariantName, variant

_MIB = 1024 * 1024
# Runtime.maxMemory() reports the heap less one survivor space under Parallel and Serial, so an
# exact comparison with -Xmx would flag every such run.
HEAP_TOLERANCE = 0.15
MVC: frozenset[VariantName] = frozenset(v.name for v in VARIANTS if v.server == "tomcat")
EVERY: frozenset[VariantName] = frozenset(ALL_VARIANTS)


def dig(data: Any, dotted: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; None when any step is missing."""
    for part in dotted.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def _text(value: Any) -> str:
    """An environment value: booleans as Java reads them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _same(have: Any, want: Any) -> bool:
    return bool(have == want)


@dataclass(frozen=True)
class Setting:
    """One setting on its way from the scenario to the app and back.

    ``value`` gives what the scenario asks of one variant (None: the setting does not reach that
    variant). ``reported`` is where the running app says what it uses; when ``verify`` is set the
    harness checks it at every start where ``checked_when`` holds (default: wherever it is sent), and
    the configuration table always compares it with ``same``; ``table=False`` leaves it out of the table.
    ``effective`` overrides how the reported value is read (a GC kind from bean names), ``asked`` how
    the requested value is read back from a stored ``VariantRecord`` (a heap from the ``-Xmx`` flag);
    ``show``/``show_asked`` display them.
    """

    label: str
    field: str
    value: Callable[[Scenario, VariantName], Any]
    env: tuple[str, ...] = ()
    env_for: frozenset[VariantName] = EVERY  # the variants whose environment carries it
    jvm_flag: str | None = None  # a format with one {} for the value
    reported: str | None = None
    checked_when: Callable[[Scenario, VariantName], bool] | None = None
    verify: bool = True
    table: bool = True
    needs_broker: bool = False  # reported only once the app has a broker (not while being verified)
    effective: Callable[[Mapping[str, Any]], Any] | None = None
    asked: Callable[[Any], Any] | None = None  # VariantRecord -> the requested value
    show: Callable[[Mapping[str, Any]], str | None] | None = None
    show_asked: Callable[[Any], str] = str
    same: Callable[[Any, Any], bool] = _same

    def requested_value(self, scenario: Scenario, variant: VariantName) -> Any:
        """What the running app must report, or None when it is not checked for this variant."""
        if self.reported is None or not self.verify:
            return None
        if self.checked_when is not None and not self.checked_when(scenario, variant):
            return None
        return self.value(scenario, variant)

    def read_effective(self, effective: Mapping[str, Any]) -> Any:
        if self.effective is not None:
            return self.effective(effective)
        return None if self.reported is None else dig(effective, self.reported)


def _app(read: Callable[[Scenario], Any],
         variants: frozenset[VariantName] = EVERY) -> Callable[[Scenario, VariantName], Any]:
    return lambda scenario, variant: read(scenario) if variant in variants else None


def _broker(scenario: Scenario) -> str | None:
    return None if scenario.consume is None else scenario.consume.broker


def _consume(read: Callable[[Any], Any]) -> Callable[[Scenario, VariantName], Any]:
    """A knob of the consume section: sent to every variant of a consume scenario, whatever the broker."""
    return lambda scenario, variant: None if scenario.consume is None else read(scenario.consume)


# -- how the JVM's own figures are read back ---------------------------------------------------------


def _heap_bytes(flag_value: str) -> int | None:
    match = re.fullmatch(r"(\d+)([kmgKMG]?)", flag_value)
    if not match:
        return None
    scale = {"": 1, "k": 1024, "m": _MIB, "g": 1024 * _MIB}[match.group(2).lower()]
    return int(match.group(1)) * scale


def _flags(record: Any) -> Sequence[str]:
    return tuple(str(flag) for flag in record.jvm_flags)


def _asked_heap(record: Any) -> int | None:
    heap = None
    for flag in _flags(record):
        if flag.startswith("-Xmx"):
            heap = _heap_bytes(flag[4:])  # the last -Xmx wins, as in the JVM
    return heap


def _gc_kind(names: Any) -> str | None:
    """The collector behind the JVM's GC bean names ("G1 Young Generation", "PS Scavenge", ...)."""
    if not isinstance(names, list) or not names:
        return None
    joined = " ".join(str(n) for n in names)
    for needle, kind in (("G1", "G1"), ("ZGC", "ZGC"), ("Shenandoah", "Shenandoah"), ("PS ", "Parallel"),
                         ("MarkSweepCompact", "Serial"), ("Copy", "Serial")):  # fmt: skip
        if needle in joined:
            return kind
    return joined


def _asked_gc(record: Any) -> str | None:
    gc = None
    for flag in _flags(record):
        match = re.fullmatch(r"-XX:\+Use(\w+?)GC", flag) or re.fullmatch(r"-XX:\+Use(ZGC)", flag)
        if match:
            gc = {"Z": "ZGC"}.get(match.group(1), match.group(1))
    return gc


def _feature(version: Any) -> int | None:
    match = re.match(r"(\d+)", str(version)) if version is not None else None
    return int(match.group(1)) if match else None


def _mib(value: Any) -> str:
    return f"{value / _MIB:.0f} MiB"


def _on_off(value: Any) -> str:
    return "on" if value else "off"


def _shown_with(path: str, text: Callable[[Any], str]) -> Callable[[Mapping[str, Any]], str | None]:
    return lambda effective: None if dig(effective, path) is None else text(dig(effective, path))


def _messaging(key: str) -> Callable[[Mapping[str, Any]], Any]:
    # Request runs start the apps without a broker: their messaging block is not worth a row.
    def read(effective: Mapping[str, Any]) -> Any:
        if dig(effective, "messaging.broker") in (None, "none"):
            return None
        return dig(effective, f"messaging.{key}")

    return read


def available_processors() -> int:
    """The processors a JVM started by this harness sees: the CPUs it may run on (its affinity), which is
    what ``Runtime.availableProcessors()`` counts here. A CPU quota (a container) can lower the JVM's count:
    verification then reports the Netty workers as differing from the running app's processors."""
    return len(os.sched_getaffinity(0))


def quota_processors(cpus: float) -> int:
    """What ``Runtime.availableProcessors()`` says under a CPU quota of ``cpus``: the JDK rounds it up."""
    return math.ceil(cpus)


def netty_io_workers(scenario: Scenario) -> int:
    """``app.netty.io_workers`` as a number: ``processors`` resolves to ``available_processors()``."""
    workers = scenario.app.netty.io_workers
    if workers != "processors":
        return workers
    app_cpus = placement.resolve(scenario.placement.sets()).cpus("app")  # the app sees only its own CPUs
    return len(app_cpus) if app_cpus is not None else available_processors()


def _shown_io_workers(effective: Mapping[str, Any]) -> str | None:
    # Stated in the table: equal to the processors is the same parallelism the virtual-thread carriers get.
    workers, processors = dig(effective, "nettyIoWorkers"), dig(effective, "jvm.availableProcessors")
    if workers is None:
        return None
    return f"{workers} (= available processors, as VT carriers)" if workers == processors else str(workers)


def _kafka_consumer(key: str) -> Callable[[Mapping[str, Any]], Any]:
    # Its keys are Kafka's dotted config names, so they are looked up, not dug.
    def read(effective: Mapping[str, Any]) -> Any:
        consumer = _messaging("kafkaConsumer")(effective)
        return consumer.get(key) if isinstance(consumer, Mapping) else None
    return read


def _shown_commit(effective: Mapping[str, Any]) -> str | None:
    mode = _kafka_consumer("ackMode")(effective)
    if mode is None:
        return None
    return f"ack {mode}, async acks" if _kafka_consumer("asyncAcks")(effective) else f"ack {mode}"


def _relay_pool(effective: Mapping[str, Any]) -> str:
    size = dig(effective, "messaging.relayDbPool")
    if size == 0:
        return f"shares the app's pool ({dig(effective, 'dbPool.kind') or '?'} {dig(effective, 'dbPool.maxSize')})"
    return f"own {dig(effective, 'dbPool.kind') or '?'} {size}"


CATALOGUE: tuple[Setting, ...] = (
    Setting("JDK", "jdks", lambda s, v: None, reported="jvm.javaVersion", verify=False,
            effective=lambda e: _feature(dig(e, "jvm.javaVersion")), asked=lambda r: r.jdk.feature,
            show=lambda e: None if dig(e, "jvm.javaVersion") is None
            else f"{dig(e, 'jvm.javaVersion')} ({dig(e, 'jvm.javaVendor') or 'unknown vendor'})"),
    Setting("variant", "variants", lambda s, v: v, env=("ORDERS_VARIANT",), reported="variant", table=False),
    Setting("server", "variants", lambda s, v: variant(v).server, reported="server"),
    Setting("heap (max)", "app.heap", _app(lambda s: s.app.heap), jvm_flag="-Xmx{}", reported="jvm.maxHeapBytes",
            verify=False, asked=_asked_heap, show=_shown_with("jvm.maxHeapBytes", _mib), show_asked=_mib,
            same=lambda have, want: abs(have - want) <= HEAP_TOLERANCE * want),
    Setting("GC", "app.gc", _app(lambda s: s.app.gc), reported="jvm.gc", verify=False,
            effective=lambda e: _gc_kind(dig(e, "jvm.gc")), asked=_asked_gc),
    Setting("virtual threads", "variants", lambda s, v: variant(v).virtual_threads, env=("ORDERS_VIRTUAL_THREADS",),
            env_for=MVC, reported="virtualThreads", show=_shown_with("virtualThreads", _on_off), show_asked=_on_off),
    Setting("DB pool", "app.db_pool", _app(lambda s: s.app.db_pool), env=("ORDERS_DB_POOL_SIZE",),
            reported="dbPool.maxSize",
            show=lambda e: None if dig(e, "dbPool.maxSize") is None
            else f"{dig(e, 'dbPool.kind') or '?'} {dig(e, 'dbPool.maxSize')}"),
    Setting("DB acquire timeout ms", "app.db_acquire_timeout_ms", _app(lambda s: s.app.db_acquire_timeout_ms),
            env=("ORDERS_DB_ACQUIRE_TIMEOUT_MS",), reported="dbPool.acquireTimeoutMs"),
    # Beside the app's pool: the outbox relay's own (consume only; 0 = it shares the one above).
    Setting("relay DB pool", "consume.relay.db_pool", _consume(lambda c: c.relay.db_pool),
            env=("ORDERS_RELAY_DB_POOL",), reported="messaging.relayDbPool", effective=_messaging("relayDbPool"),
            show=lambda e: None if _messaging("relayDbPool")(e) is None else _relay_pool(e),
            show_asked=lambda want: "shares the app's pool" if want == 0 else f"own, {want}"),
    Setting("Tomcat max threads", "app.tomcat.max_threads", _app(lambda s: s.app.tomcat.max_threads, MVC),
            env=("ORDERS_TOMCAT_MAX_THREADS",), reported="tomcat.maxThreads",
            # Under virtual threads Tomcat has no pool to size.
            checked_when=lambda s, v: v == "mvc-platform"),
    Setting("Tomcat max connections", "app.tomcat.max_connections",
            _app(lambda s: s.app.tomcat.max_connections, MVC), env=("ORDERS_TOMCAT_MAX_CONNECTIONS",),
            reported="tomcat.maxConnections"),
    Setting("Tomcat accept count", "app.tomcat.accept_count", _app(lambda s: s.app.tomcat.accept_count, MVC),
            env=("ORDERS_TOMCAT_ACCEPT_COUNT",), reported="tomcat.acceptCount"),
    Setting("Netty I/O workers", "app.netty.io_workers", _app(netty_io_workers, frozenset({"webflux"})),
            jvm_flag="-Dreactor.netty.ioWorkerCount={}", reported="nettyIoWorkers", show=_shown_io_workers),
    Setting("HTTP client", "app.http_client.max_connections", _app(lambda s: s.app.http_client.max_connections),
            env=("ORDERS_HTTP_CLIENT_MAX_CONNECTIONS",), reported="httpClient.maxConnections",
            show=lambda e: None if dig(e, "httpClient.maxConnections") is None
            else f"{dig(e, 'httpClient.library') or '?'}, max {dig(e, 'httpClient.maxConnections')}",
            show_asked=lambda want: f"max {want}"),
    Setting("HTTP client acquire timeout ms", "app.http_client.acquire_timeout_ms",
            _app(lambda s: s.app.http_client.acquire_timeout_ms), env=("ORDERS_HTTP_CLIENT_ACQUIRE_TIMEOUT_MS",),
            reported="httpClient.acquireTimeoutMs"),
    Setting("HTTP client response timeout ms", "app.http_client.response_timeout_ms",
            _app(lambda s: s.app.http_client.response_timeout_ms), env=("ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS",),
            reported="httpClient.responseTimeoutMs"),
    Setting("downstream delay ms", "workload.downstream_delay_ms", _app(lambda s: s.workload.downstream_delay_ms),
            env=("ORDERS_DOWNSTREAM_DELAY_MS",), reported="workload.downstreamDelayMs"),
    Setting("legacy stripes", "workload.legacy_stripes", _app(lambda s: s.workload.legacy_stripes),
            env=("ORDERS_LEGACY_STRIPES",), reported="workload.legacyStripes"),
    Setting("available processors", "(machine)", lambda s, v: None, reported="jvm.availableProcessors",
            verify=False),
    # What the JVM derived from the processors and memory it was given; under a container's limits
    # ``requested(..., cpus=)`` asks for the quota's values, so a JVM that did not see them fails verification.
    Setting("VT carriers", "(machine)", lambda s, v: None, reported="jvm.virtualThreadCarriers", verify=False),
    Setting("GC threads", "(machine)", lambda s, v: None, reported="jvm.gcThreads", verify=False,
            show=lambda e: None if not isinstance(dig(e, "jvm.gcThreads"), Mapping) else
            f"{dig(e, 'jvm.gcThreads.parallel')} parallel, {dig(e, 'jvm.gcThreads.concurrent')} concurrent"),
    Setting("memory limit", "containers.memory", lambda s, v: None, reported="jvm.memoryLimitBytes", verify=False,
            show=_shown_with("jvm.memoryLimitBytes", _mib), show_asked=_mib),
    Setting("broker", "consume.broker", _consume(lambda c: c.broker), reported="messaging.broker",
            needs_broker=True, effective=_messaging("broker")),
    Setting("partitions", "consume.partitions", _consume(lambda c: c.partitions),
            env=("ORDERS_KAFKA_PARTITIONS",), reported="messaging.partitions", needs_broker=True,
            checked_when=lambda s, v: _broker(s) == "kafka", effective=_messaging("partitions")),
    Setting("listener concurrency", "consume.listener_concurrency", _consume(lambda c: c.listener_concurrency),
            env=("ORDERS_KAFKA_LISTENER_CONCURRENCY", "ORDERS_RABBIT_LISTENER_CONCURRENCY"),
            reported="messaging.listenerConcurrency", needs_broker=True,
            effective=_messaging("listenerConcurrency")),
    Setting("prefetch", "consume.prefetch", _consume(lambda c: c.prefetch), env=("ORDERS_RABBIT_PREFETCH",),
            reported="messaging.prefetch", needs_broker=True, checked_when=lambda s, v: _broker(s) == "rabbitmq",
            effective=_messaging("prefetch")),
    Setting("max in flight (webflux)", "consume.max_in_flight", _consume(lambda c: c.max_in_flight),
            env=("ORDERS_CONSUMER_MAX_IN_FLIGHT",), reported="messaging.maxInFlight",
            checked_when=lambda s, v: v == "webflux", effective=_messaging("maxInFlight")),
    Setting("relay batch", "consume.relay.batch_size", _consume(lambda c: c.relay.batch_size),
            env=("ORDERS_RELAY_BATCH_SIZE",), reported="messaging.relayBatchSize",
            effective=_messaging("relayBatchSize")),
    Setting("relay poll ms", "consume.relay.poll_interval_ms", _consume(lambda c: c.relay.poll_interval_ms),
            env=("ORDERS_RELAY_POLL_INTERVAL_MS",), reported="messaging.relayPollIntervalMs",
            effective=_messaging("relayPollIntervalMs")),
    Setting("consumer delay ms", "consume.downstream_delay_ms", _consume(lambda c: c.downstream_delay_ms),
            env=("ORDERS_CONSUMER_DELAY_MS",), reported="messaging.consumerDelayMs",
            effective=_messaging("consumerDelayMs")),
    Setting("consumer attempts", "consume.retries.max_attempts", _consume(lambda c: c.retries.max_attempts),
            env=("ORDERS_CONSUMER_MAX_ATTEMPTS",), reported="messaging.maxAttempts",
            effective=_messaging("maxAttempts")),
    Setting("retry backoff ms", "consume.retries.backoff_ms", _consume(lambda c: c.retries.backoff_ms),
            env=("ORDERS_CONSUMER_BACKOFF_MS",), reported="messaging.backoffMs", effective=_messaging("backoffMs")),
    # Not scenario knobs: each app's application.properties sets them, so nothing else would show a variant
    # committing per record while the others commit per poll (webflux once polled 1 record: a commit per event).
    Setting("Kafka records per poll", "(app)", lambda s, v: None, reported="messaging.kafkaConsumer", verify=False,
            effective=_kafka_consumer("max.poll.records")),
    Setting("Kafka commit", "(app)", lambda s, v: None, reported="messaging.kafkaConsumer", verify=False,
            effective=_kafka_consumer("ackMode"), show=_shown_commit),
    Setting("Kafka poll wait ms", "(app)", lambda s, v: None, reported="messaging.kafkaConsumer", verify=False,
            effective=_kafka_consumer("pollTimeoutMs")),
    # required → per-key in every variant; only webflux acts on it (mvc's listener threads are sequential per
    # partition and per consumer already), but every variant reports what it holds and is checked.
    Setting("consumer ordering", "consume.ordering",
            _consume(lambda c: "per-key" if c.ordering == "required" else "none"),
            env=("ORDERS_CONSUMER_ORDERING",), reported="messaging.ordering", effective=_messaging("ordering")),
)
"""Every setting, in the order of the configuration table."""


def app_env(scenario: Scenario, variant: VariantName, catalogue: Sequence[Setting] = CATALOGUE) -> dict[str, str]:
    """The ``ORDERS_*`` variables that carry the catalogue's settings to one variant."""
    env: dict[str, str] = {}
    for setting in catalogue:
        value = setting.value(scenario, variant)
        if value is not None and variant in setting.env_for:
            env |= dict.fromkeys(setting.env, _text(value))
    return env


def setting_flags(scenario: Scenario, variant: VariantName,
                  catalogue: Sequence[Setting] = CATALOGUE) -> tuple[str, ...]:
    """The JVM flags that carry a catalogue setting to one variant (system properties only Netty reads)."""
    flags = []
    for setting in catalogue:
        value = setting.value(scenario, variant)
        # -Xmx is written with -Xms by ``harness.apps.jvm_flags`` itself; rows with a flag of their own only.
        if value is not None and setting.jvm_flag is not None and not setting.jvm_flag.startswith("-Xm"):
            flags.append(setting.jvm_flag.format(value))
    return tuple(flags)


def requested(scenario: Scenario, variant: VariantName, *, with_broker: bool, cpus: float | None = None,
              catalogue: Sequence[Setting] = CATALOGUE) -> dict[str, Any]:
    """Dotted ``/actuator/info`` runtime path → the value the running app must report.

    Without the broker (the verification start) the settings the app reports only once it has one
    are left out. In a container with a CPU quota of ``cpus`` (``scenario.containers``) the JVM must
    report the quota rounded up as its processors and carriers, and the container's memory limit."""
    wanted: dict[str, Any] = {}
    if cpus is not None and scenario.containers is not None:
        wanted["jvm.availableProcessors"] = wanted["jvm.virtualThreadCarriers"] = quota_processors(cpus)
        wanted["jvm.memoryLimitBytes"] = memory_bytes(scenario.containers.memory)
    for setting in catalogue:
        if setting.needs_broker and not with_broker:
            continue
        value = setting.requested_value(scenario, variant)
        if value is not None and setting.reported is not None:
            wanted[setting.reported] = value
    return wanted

