"""The consume part of summary.md and report.html: one row per segment, the facts line and the verdict.

Rendered only from consume.csv and the manifest, like the rest of the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from harness.results.consume_tables import ConsumeResult
from harness.results.manifest import Manifest, SegmentProblem
from harness.scenario import ConsumeSettings, FaultSettings, format_duration


def consume_facts(consume: ConsumeSettings, faults: FaultSettings) -> str:
    """The "Consume" line of the run facts, from the scenario's consume and faults sections."""
    source = ("preloaded into the outbox" if consume.source == "preload"
              else f"driven by POST /orders at {consume.rate}/s")
    broker = consume.broker
    knobs = [f"listener concurrency {consume.listener_concurrency}"]
    if broker == "kafka":
        knobs.insert(0, f"{consume.partitions} partitions")
    else:
        knobs.append(f"prefetch {consume.prefetch}")
    relay = consume.relay
    knobs += [f"webflux max in flight {consume.max_in_flight}",
              f"downstream delay {consume.downstream_delay_ms} ms",
              f"relay batch {relay.batch_size} every {relay.poll_interval_ms} ms"]
    injected = faults.phrases()
    # Said only when there is one: folders from before the warm-up batch read as they always did.
    warm = f"warm-up batch: {consume.warmup_events} events; " if consume.warmup_events else ""
    lifecycle = (f" as {consume.events // 3} order lifecycles (Created → Paid → Shipped, ordering "
                 f"{consume.ordering})" if consume.lifecycle else "")
    return (f"{consume.events} events{lifecycle} {source}, on {broker} ({', '.join(knobs)}); {warm}"
            f"faults: {', '.join(injected) or 'none'}; {consume.repetitions} segment(s) per variant, "
            f"timeout {format_duration(consume.timeout)}")


def recorded_problems(manifest: Manifest) -> dict[str, tuple[SegmentProblem, ...]]:
    """Each failed segment's named reasons as the run recorded them, by the consume.csv row's label."""
    return manifest.consume.problems() if manifest.consume is not None else {}


def verdict(results: Sequence[ConsumeResult],
            problems: Mapping[str, Sequence[SegmentProblem]] | None = None) -> tuple[bool, str]:
    """(passed, one line): every segment passed every reconciliation check, or which did not and why."""
    if not results:
        return False, "No segment was measured."
    problems = problems or {}
    failed = [r for r in results if not r.ok or problems.get(r.label())]
    if not failed:
        ordered = ", out of order = 0" if all(r.ordering == "required" for r in results) else ""
        return True, f"Every segment ({len(results)}): lost = 0, processed twice = 0{ordered}."

    def why(r: ConsumeResult) -> str:
        named = problems.get(r.label())
        if named:
            return "; ".join(map(str, named))
        return f"lost {r.lost}, processed twice {r.processed_twice}" + ("" if r.drained else ", not drained")

    details = "; ".join(f"{r.label()}: {why(r)}" for r in failed)
    return False, f"FAILED in {len(failed)} of {len(results)} segment(s): {details}."


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


OUT_OF_ORDER_TITLE = "out of order"


@dataclass(frozen=True)
class _Column:
    title: str
    cell: Callable[[ConsumeResult], str]
    numeric: bool = True


COLUMNS: tuple[_Column, ...] = (
    _Column("variant", lambda r: r.variant, numeric=False),
    _Column("broker", lambda r: r.broker, numeric=False),
    _Column("rep", lambda r: str(r.repetition)),
    _Column("created", lambda r: str(r.events_created)),
    _Column("published", lambda r: str(r.events_published)),
    _Column("processed", lambda r: str(r.events_processed)),
    _Column("duplicates injected", lambda r: str(r.duplicate_rows)),
    _Column("duplicates suppressed", lambda r: str(r.duplicates_suppressed)),
    _Column("processed twice", lambda r: str(r.processed_twice)),
    # Only a lifecycle stream can be out of order: a one-event stream shows a dash, not a reassuring 0.
    _Column(OUT_OF_ORDER_TITLE, lambda r: f"{r.ordering_violations} ({r.ordering})" if r.lifecycle else "—"),
    _Column("lost", lambda r: str(r.lost)),
    _Column("dead-lettered", lambda r: str(r.dead_lettered)),
    _Column("drain s", lambda r: _num(r.drain_s, 1)),
    _Column("events/s", lambda r: _num(r.drain_rate_eps)),
    _Column("lag p50 ms", lambda r: _num(r.lag_p50_ms)),
    _Column("lag p90 ms", lambda r: _num(r.lag_p90_ms)),
    _Column("lag p99 ms", lambda r: _num(r.lag_p99_ms)),
    _Column("lag p99.9 ms", lambda r: _num(r.lag_p999_ms)),
    _Column("lag max ms", lambda r: _num(r.lag_max_ms)),
    _Column("peak backlog (DB / broker)", lambda r: f"{_num(r.peak_backlog_db)} / {_num(r.peak_backlog_broker)}"),
    _Column("RSS MB", lambda r: _num(r.app_rss_mb_max)),
    _Column("app CPU s", lambda r: _num(r.app_cpu_s, 1)),
    _Column("broker start s", lambda r: _num(r.broker_startup_s, 1)),
    _Column("broker restart s", lambda r: _num(r.broker_restart_s, 1)),
    _Column("kill → healthy s", lambda r: _num(r.kill_restart_s, 1)),
)
"""The consume results table, in order; every renderer builds its table from these."""


def consume_columns(results: Sequence[ConsumeResult]) -> tuple[_Column, ...]:
    """``COLUMNS``, without "out of order" unless a segment consumed a lifecycle stream: a run of one event per
    order (every run before the lifecycle) reads as it always did."""
    if any(r.lifecycle for r in results):
        return COLUMNS
    return tuple(c for c in COLUMNS if c.title != OUT_OF_ORDER_TITLE)


def consume_rows(results: Sequence[ConsumeResult]) -> list[tuple[ConsumeResult, tuple[str, ...]]]:
    """Each segment with its cells (in ``consume_columns(results)`` order), by JDK, then in the order measured."""
    ordered = sorted(results, key=lambda r: r.jdk)  # stable: variants keep their measured order
    columns = consume_columns(results)
    return [(r, tuple(c.cell(r) for c in columns)) for r in ordered]


CONSUME_HOW_TO_READ: tuple[str, ...] = (
    "created = distinct well-formed events in the outbox; processed = inbox rows; lost = created events with no "
    "inbox row; processed twice = events the projection applied more than once; duplicates suppressed = "
    "redeliveries the inbox turned away; out of order (lifecycle streams only) = events the projection applied "
    "that were not the next stage of their order (Created → Paid → Shipped): a swapped pair counts both events; "
    "observed = counted only (ORDERS_CONSUMER_ORDERING=none), required = every variant asked to keep each "
    "order's events in order (per-key). **A segment fails the run when an event is lost or processed twice, "
    "when created differs from what the harness injected (or is 0), when a POST /orders was never accepted, when "
    "injected duplicates did not all reach the inbox, when a configured fault did not fire, or, with ordering "
    "required, when any event was applied out of order.**",
    "Lag is end to end: inbox processed_at − the event's first outbox created_at, both from PostgreSQL's clock, "
    "so it includes relay polling, broker and consumer. With a preload every event is created at once, so the "
    "lag of the last events is close to the drain time.",
    "Drain time runs from the first event created to the last processed or dead-lettered; events/s = processed / "
    "drain time. Every segment starts a fresh broker and a cold app.",
    "Peak backlog: DB = created but not yet processed; broker = Kafka consumer-group lag or RabbitMQ ready + "
    "unacknowledged messages (empty while the broker restarts).",
    "RSS MB is the app's peak resident memory; app CPU s its CPU time from the first event to drained, a "
    "restarted app's start-up included.",
)


def consume_section(results: Sequence[ConsumeResult],
                    problems: Mapping[str, Sequence[SegmentProblem]] | None = None) -> list[str]:
    """Markdown: the verdict, each failed segment's named reasons, then the table of every segment."""
    passed, line = verdict(results, problems)
    lines = ["", "## Consume results", "", f"**{line}**" if passed else f"**⚠ {line}**"]
    for label, reasons in (problems or {}).items():
        lines += ["", f"{label} failed:", "", *(f"- **{p.reason}**: {p.detail}" if p.detail else f"- **{p.reason}**"
                                               for p in reasons)]
    if not results:
        return lines
    columns = consume_columns(results)
    lines += ["", "| " + " | ".join(c.title for c in columns) + " |",
              "|" + "".join("---:|" if c.numeric else "---|" for c in columns)]
    for result, cells in consume_rows(results):
        shown = list(cells)
        if not result.ok:
            shown[0] = f"**{shown[0]}** ⚠"
        lines.append("| " + " | ".join(shown) + " |")
    return lines
