"""Rebuilding a segment's read model by replaying order-events in a fresh consumer group (``consume.replay``).

After the measured segment drained and reconciled (harness/consume/run.py):

    stop its app → snapshot what it built (order_projection's rows and checksum, the outbox's publication
    state, the highest dead-letter id) → empty inbox and order_projection (the outbox and dead letters stay as
    evidence) → preset the fresh group's offsets → start the same variant in that group → wait until every
    well-formed event is in the inbox again and every poison message was dead-lettered again → reconcile.

Offsets. The apps read from ``auto.offset.reset=earliest`` when their group has no committed offset, so a
fresh group id alone would read from offset 0. But order-events also holds the warm-up batches, whose rows
were removed from every table before the measured events: replayed, they would be strays in the inbox and,
when a warm-up order is also a measured one, a second ``applied`` of its projection row. So the harness
commits, for the fresh group, the topic's end offsets taken just before the measured events were injected
(all 0 without a warm-up): the replay reads exactly the measured stream, from its first offset.

Dead letters. The dead-letter listener's group is ``<group>-dlt`` (both apps), so a fresh group id gives it
a fresh group too, which from ``earliest`` would record every dead letter of the measured segment a second
time. Its offsets are committed at the dead-letter topic's end before the replay starts: the rows the replay
adds are only the poison messages failing again (their count is reported, and each poison message must have
one: proof the replay read the whole stream).

The relay must stay idle: every outbox row was published by the measured segment; the replay checks that
nothing was unpublished before and that the outbox's publication state did not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import psycopg
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from psycopg.rows import TupleRow

from harness.consume.reconcile import APPLIED_TWICE_SQL, LOST, NOT_DRAINED, PROCESSED_TWICE, STRAYS, Problem
from harness.consume.wire import POISON_SQL, WELL_FORMED_SQL
from harness.errors import InfraError
from harness.infra.brokers import KAFKA_TOPIC

DEAD_LETTER_TOPIC = f"{KAFKA_TOPIC}.DLT"  # both apps: ${topic}.DLT
KAFKA_TIMEOUT_S = 10.0

# Named reasons of a replay, besides reconcile's LOST, PROCESSED_TWICE, STRAYS and NOT_DRAINED.
PROJECTION_DIFFERS = "projection differs"
POISON_NOT_REPLAYED = "poison not replayed"
DEAD_LETTERED_IN_REPLAY = "dead-lettered in the replay"
RELAY_NOT_IDLE = "relay not idle"
NOTHING_REPLAYED = "nothing to replay"


def replay_group(group: str, label: str) -> str:
    """The replay's consumer group: a fresh one per segment."""
    return f"{group}-replay-{label}"


# -- Kafka offsets ----------------------------------------------------------------------------------------
def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Every partition's end offset (high watermark) now; empty when the topic does not exist yet."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    # Listing every topic: a metadata request naming a missing topic may auto-create it (brokers.py).
    metadata = admin.list_topics(timeout=KAFKA_TIMEOUT_S).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return {}
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "harness-offsets", "log_level": 0,
                         "enable.auto.commit": False})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=KAFKA_TIMEOUT_S)[1]
                for p in sorted(metadata.partitions)}
    finally:
        consumer.close()


def commit_offsets(bootstrap: str, group: str, topic: str, offsets: Mapping[int, int]) -> None:
    """Commit ``offsets`` for ``group`` without joining it (the group must have no member yet)."""
    if not offsets:
        return
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "log_level": 0,
                         "enable.auto.commit": False})
    try:
        committed = consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in sorted(offsets.items())],
                                    asynchronous=False)
        failed = [tp for tp in committed or () if tp.error is not None]
        if failed:
            raise InfraError(f"could not preset the offsets of consumer group {group} on {topic}: {failed}")
    finally:
        consumer.close()


# -- PostgreSQL -----------------------------------------------------------------------------------------------
# Every projection column the event determines: applied counts applications, updated_at is the clock.
PROJECTION = """
SELECT count(*),
       coalesce(md5(string_agg(concat_ws(',', order_id, event_id, customer_id, total_cents, stock), ';'
                               ORDER BY order_id)), '')
FROM order_projection
"""
OUTBOX_STATE = """
SELECT count(*) FILTER (WHERE published_at IS NULL), count(published_at), max(published_at),
       (SELECT coalesce(max(id), 0) FROM dead_letters)
FROM outbox
"""
RESET_READ_SIDE = "TRUNCATE inbox, order_projection"


@dataclass(frozen=True)
class Before:
    """What the measured segment left, read after its app stopped and before the read side is emptied."""

    projection_rows: int
    projection_checksum: str
    unpublished_rows: int
    published_rows: int
    last_published_at: datetime | None
    dead_letter_mark: int  # the highest dead_letters id: the replay's rows come after it


def before_replay(conn: psycopg.Connection[TupleRow]) -> Before:
    rows, checksum = _one(conn, PROJECTION)
    unpublished, published, last, mark = _one(conn, OUTBOX_STATE)
    return Before(int(rows), str(checksum), int(unpublished), int(published), last, int(mark))


def reset_read_side(conn: psycopg.Connection[TupleRow]) -> None:
    """Empty inbox and order_projection; the outbox and dead letters stay (the replay reads the topic, and the
    dead letters are the measured segment's evidence)."""
    conn.execute(RESET_READ_SIDE)


# Cheap enough for the wait loop: events not in the inbox yet, poison without a dead letter of the replay's.
OUTSTANDING = f"""
SELECT (SELECT count(*) FROM (SELECT DISTINCT event_id FROM outbox WHERE {WELL_FORMED_SQL}) w
         WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.event_id = w.event_id)),
       (SELECT count(*) FROM (SELECT DISTINCT payload FROM outbox WHERE {POISON_SQL}) p
         WHERE NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.payload = p.payload AND d.id > %(mark)s))
"""


def outstanding(conn: psycopg.Connection[TupleRow], before: Before) -> tuple[int, int]:
    """(well-formed events not replayed yet, poison messages not dead-lettered again yet)."""
    events, poison = _one(conn, OUTSTANDING, {"mark": before.dead_letter_mark})
    return int(events), int(poison)


RECONCILE = f"""
WITH well AS (SELECT DISTINCT event_id FROM outbox WHERE {WELL_FORMED_SQL}),
     poison AS (SELECT DISTINCT payload FROM outbox WHERE {POISON_SQL}),
     added AS (SELECT * FROM dead_letters WHERE id > %(mark)s)
SELECT (SELECT count(*) FROM well),
       (SELECT count(*) FROM inbox),
       (SELECT count(*) FROM well w WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.event_id = w.event_id)),
       ({APPLIED_TWICE_SQL}),
       (SELECT count(*) FROM inbox i WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = i.event_id)),
       (SELECT coalesce(sum(duplicates), 0) FROM inbox),
       (SELECT count(*) FROM poison),
       (SELECT count(*) FROM poison p WHERE EXISTS (SELECT 1 FROM added d WHERE d.payload = p.payload)),
       (SELECT count(*) FROM added),
       (SELECT count(*) FROM well w WHERE EXISTS (SELECT 1 FROM added d WHERE d.event_id = w.event_id::text)),
       (SELECT min(processed_at) FROM inbox),
       (SELECT max(processed_at) FROM inbox)
"""


@dataclass(frozen=True)
class ReplayReconciliation:
    """The rebuilt read model, read after the replay drained (or timed out)."""

    created: int  # distinct well-formed events in the outbox
    replayed: int  # inbox rows
    lost: int  # well-formed events with no inbox row
    processed_twice: int  # stages applied more than once (a lifecycle order takes three events, each once)
    strays: int  # inbox rows of events the outbox does not hold
    duplicates_suppressed: int
    poison: int
    poison_dead_lettered: int  # poison messages with a dead letter the replay wrote
    dead_letters_added: int
    well_formed_dead_lettered: int  # well-formed events the replay dead-lettered
    projection_rows: int
    projection_checksum: str
    unpublished_rows: int
    published_rows: int
    last_published_at: datetime | None
    first_processed_at: datetime | None
    last_processed_at: datetime | None

    @property
    def first_to_last_s(self) -> float | None:
        if self.first_processed_at is None or self.last_processed_at is None:
            return None
        return max(0.0, (self.last_processed_at - self.first_processed_at).total_seconds())


def reconcile_replay(conn: psycopg.Connection[TupleRow], before: Before) -> ReplayReconciliation:
    row = _one(conn, RECONCILE, {"mark": before.dead_letter_mark})
    names = ("created", "replayed", "lost", "processed_twice", "strays", "duplicates_suppressed", "poison",
             "poison_dead_lettered", "dead_letters_added", "well_formed_dead_lettered")
    counts = {name: int(value) for name, value in zip(names, row[:10], strict=True)}
    rows, checksum = _one(conn, PROJECTION)
    unpublished, published, last, _mark = _one(conn, OUTBOX_STATE)
    return ReplayReconciliation(**counts, projection_rows=int(rows), projection_checksum=str(checksum),
                                unpublished_rows=int(unpublished), published_rows=int(published),
                                last_published_at=last, first_processed_at=row[10], last_processed_at=row[11])


def replay_problems(rec: ReplayReconciliation, before: Before, drained: bool, timeout_s: float) -> list[Problem]:
    """Every check the replay fails, each with its named reason; empty when the rebuilt read model is the
    measured one, every event processed exactly once, nothing lost."""
    out: list[Problem] = []
    if not drained:
        out.append(Problem(NOT_DRAINED, f"the replay did not finish within {timeout_s:g}s ({rec.lost} events "
                                        f"not processed again, {rec.poison - rec.poison_dead_lettered} poison "
                                        "messages not dead-lettered again)"))
    if rec.created == 0:
        out.append(Problem(NOTHING_REPLAYED, "no well-formed event in the outbox"))
    if rec.lost:
        out.append(Problem(LOST, f"{rec.lost} of {rec.created} events not processed by the replay"))
    if rec.processed_twice:
        out.append(Problem(PROCESSED_TWICE, f"{rec.processed_twice} events applied more than once by the replay "
                                            "(order_projection.<stage>_applied > 1)"))
    if rec.strays:
        out.append(Problem(STRAYS, f"{rec.strays} inbox rows of events the outbox does not hold (the replay read "
                                   "before the measured events' first offset?)"))
    if (rec.projection_rows, rec.projection_checksum) != (before.projection_rows, before.projection_checksum):
        out.append(Problem(PROJECTION_DIFFERS, f"rebuilt order_projection has {rec.projection_rows} rows "
                                               f"(checksum {rec.projection_checksum[:12] or '—'}), the measured "
                                               f"segment built {before.projection_rows} "
                                               f"(checksum {before.projection_checksum[:12] or '—'})"))
    if rec.poison_dead_lettered < rec.poison:
        out.append(Problem(POISON_NOT_REPLAYED, f"{rec.poison - rec.poison_dead_lettered} of {rec.poison} poison "
                                                "messages were not dead-lettered again: the replay did not read "
                                                "them"))
    if rec.well_formed_dead_lettered:
        out.append(Problem(DEAD_LETTERED_IN_REPLAY, f"{rec.well_formed_dead_lettered} well-formed events "
                                                    "dead-lettered by the replay (see dead_letters.reason)"))
    if (before.unpublished_rows or rec.unpublished_rows or rec.published_rows != before.published_rows
            or rec.last_published_at != before.last_published_at):
        out.append(Problem(RELAY_NOT_IDLE, f"outbox rows unpublished before the replay {before.unpublished_rows}, "
                                           f"after {rec.unpublished_rows}; published {before.published_rows} → "
                                           f"{rec.published_rows}: the replay must read only what the measured "
                                           "segment published"))
    return out


def _one(conn: psycopg.Connection[TupleRow], sql: str, params: Mapping[str, object] | None = None) -> TupleRow:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row
