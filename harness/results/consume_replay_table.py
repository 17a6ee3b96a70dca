"""consume_replay.csv: one row per Kafka segment of a run with ``consume.replay``, the read model rebuilt.

After the measured segment drained and reconciled, its app is stopped, the inbox and order_projection are
emptied, and the same variant (same JVM flags, pools and settings) is started in a fresh consumer group that
reads order-events again from the measured events' first offset (harness/consume/replay.py). The row says
whether the rebuilt read model equals the one the measured segment built, and how fast it was rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.codec import Table


@dataclass(frozen=True)
class ConsumeReplay:
    """The rebuild of one segment's read model.

    ``events`` is the distinct well-formed events of the segment's outbox, ``replayed`` the inbox rows the
    replay wrote. ``first_to_last_s`` runs from the first to the last inbox row of the replay (PostgreSQL's
    clock); ``ready_to_last_s`` from the replay JVM answering healthy to its last inbox row (PostgreSQL's
    clock; the group join and first fetch included when the listener starts after readiness; a listener that
    consumes during start-up, as webflux does, makes it shorter than first_to_last_s);
    ``jvm_start_s`` from the JVM's launch to healthy (harness clock). ``rebuild_eps`` is events /
    first_to_last_s. ``projection_matches`` is order_projection's row count and checksum of every column but
    ``applied`` and ``updated_at`` equal to the measured segment's. ``dead_letters_added``: dead letters
    the replay wrote (the poison messages failing again; the dead-letter group starts at the DLT's end, so the
    measured segment's are not recorded twice). ``app_cpu_s`` is the replay JVM's CPU from its launch to the
    rebuild's end, start-up included (its listener may consume before the app answers healthy, so the two
    cannot be told apart from process samples); None when not sampled. The replay JVM starts cold: no
    warm-up batch."""

    jdk: int
    variant: str
    broker: str
    repetition: int
    group_id: str
    started_at: str  # ISO 8601 UTC of the replay JVM's launch
    ok: bool
    events: int
    replayed: int
    lost: int
    processed_twice: int
    strays: int
    duplicates_suppressed: int
    poison_dead_lettered: int
    dead_letters_added: int
    projection_rows: int
    projection_matches: bool
    jvm_start_s: float
    first_to_last_s: float | None
    ready_to_last_s: float | None
    rebuild_eps: float | None
    app_cpu_s: float | None
    app_cpu_ms_per_event: float | None
    load_avg_1m: float
    problems: str  # "; "-joined named problems, empty when ok

    def label(self) -> str:
        return f"{self.variant} jdk{self.jdk} {self.broker} rep {self.repetition}"


CONSUME_REPLAY = Table(ConsumeReplay, "consume_replay.csv", 1, finite=True)


def append_consume_replay(path: Path, row: ConsumeReplay) -> None:
    CONSUME_REPLAY.append(path, [row])


def read_consume_replay(path: Path) -> list[ConsumeReplay]:
    return CONSUME_REPLAY.read(path, missing_ok=True)
