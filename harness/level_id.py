"""The identity of a measured level: the one way tables, probes, compare and gate name it.

A level is one JDK × variant × load point × repetition. The load point is ``users`` in the closed
model and ``rate`` (requests per second on a fixed timeline) in the open model; the other is 0.
``LevelId`` names one measured window;
``LevelPoint`` is the same level across its repetitions (what compare and gate group by). Every
table that holds per-level rows starts with ``LEVEL_ID_COLUMNS``, written and read through
``harness.results.codec``, so no module builds a key string and parses it back.

Adding a dimension (a target rate for an open-model level, a CPU limit, a broker) is one field with a
default on both records, in the position its column should take: the codec, the analysis frames and
the groupings in compare and gate take their columns from these dataclasses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Protocol


class HasLevelId(Protocol):
    """Any record that carries a level's identity columns (a levels.csv row, a JFR row, ...)."""

    @property
    def jdk(self) -> int: ...
    @property
    def variant(self) -> str: ...
    @property
    def users(self) -> int: ...
    @property
    def rate(self) -> int: ...
    @property
    def repetition(self) -> int: ...
    @property
    def cpus(self) -> float | None: ...


@dataclass(frozen=True, order=True)
class LevelPoint:
    """A level across its repetitions: one JDK × variant × load point (users, or an open model's rate) × CPU
    limit, when the apps ran in containers."""

    jdk: int
    variant: str
    users: int
    # Keyword-only with a default: every closed-model caller and every table written before the open
    # model keeps its meaning (rate 0 = closed model).
    rate: int = field(default=0, kw_only=True)
    cpus: float | None = None  # the app container's CPU quota; None: a process of the machine, no quota

    @classmethod
    def search(cls, jdk: int, variant: str, cpus: float | None = None) -> LevelPoint:
        """The point of a capacity search (neither users nor a rate: the search chose its rates)."""
        return cls(jdk=jdk, variant=variant, users=0, rate=0, cpus=cpus)

    @property
    def is_search(self) -> bool:
        return self.users == 0 and self.rate == 0

    @property
    def load_point(self) -> str:
        """``256 users``, ``500 req/s`` or ``capacity``."""
        if self.is_search:
            return "capacity"
        return f"{self.rate} req/s" if self.rate else f"{self.users} users"

    @property
    def scope(self) -> str:
        """``jdk25 u256``, ``jdk25 c2 500rps`` or ``jdk25 capacity``: the point without its variant."""
        point = "capacity" if self.is_search else f"{self.rate}rps" if self.rate else f"u{self.users}"
        return f"jdk{self.jdk}{_cpus_short(self.cpus)} {point}"

    def label(self) -> str:
        """``webflux jdk25 256 users``, ``webflux jdk25 2 CPUs 500 req/s``."""
        return f"{self.variant} jdk{self.jdk}{_cpus_label(self.cpus)} {self.load_point}"

    def __str__(self) -> str:
        return f"{self.variant} {self.scope}"


def _cpus_label(cpus: float | None) -> str:
    return "" if cpus is None else f" {cpus:g} CPU{'' if cpus == 1 else 's'}"


def _cpus_short(cpus: float | None) -> str:
    return "" if cpus is None else f" c{cpus:g}"


@dataclass(frozen=True, order=True)
class LevelId:
    """One measured level: JDK × variant × load point × repetition (from 1)."""

    jdk: int
    variant: str
    users: int
    rate: int = field(default=0, kw_only=True)  # open model: requests per second; users is then 0
    repetition: int
    cpus: float | None = None  # as LevelPoint.cpus

    @classmethod
    def of(cls, row: HasLevelId) -> LevelId:
        return cls(jdk=row.jdk, variant=row.variant, users=row.users, rate=row.rate, repetition=row.repetition,
                   cpus=row.cpus)

    @classmethod
    def open(cls, jdk: int, variant: str, rate: int, repetition: int, cpus: float | None = None) -> LevelId:
        """An open-model level: identified by its target rate, no users."""
        return cls(jdk=jdk, variant=variant, users=0, rate=rate, repetition=repetition, cpus=cpus)

    @property
    def point(self) -> LevelPoint:
        return LevelPoint(jdk=self.jdk, variant=self.variant, users=self.users, rate=self.rate, cpus=self.cpus)

    @property
    def slug(self) -> str:
        """``jdk25-webflux-u256-r1`` (``-500rps-`` in the open model, ``-c2-`` under a CPU limit): file names
        (histograms, Locust logs) and process labels."""
        cpus = "" if self.cpus is None else f"-c{self.cpus:g}"
        point = f"{self.rate}rps" if self.rate else f"u{self.users}"
        return f"jdk{self.jdk}-{self.variant}{cpus}-{point}-r{self.repetition}"

    def __str__(self) -> str:
        """``webflux jdk25 u256 r1``: the point as compare and gate name it, and the repetition."""
        return f"{self.point} r{self.repetition}"

    def label(self, repetitions: int = 1) -> str:
        """``webflux jdk25 256 users``; ``... rep 2/3`` when told there are several repetitions."""
        text = self.point.label()
        if repetitions > 1:
            return f"{text} rep {self.repetition}/{repetitions}"
        return f"{text} rep {self.repetition}" if self.repetition > 1 else text


LEVEL_ID_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(LevelId))
LEVEL_POINT_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(LevelPoint))
