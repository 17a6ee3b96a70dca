"""A results folder read for comparison: its manifest and its levels grouped by variant × JDK × users."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.codec import to_json_value
from harness.compare.measures import Measure
from harness.errors import ResultsError
from harness.level_id import LevelPoint
from harness.metrics import LevelResult
from harness.results.capacity_table import CapacityResult, read_capacity
from harness.results.layout import ResultsDir
from harness.results.manifest import Manifest, read_manifest
from harness.results.tables import read_levels


@dataclass(frozen=True)
class Run:
    """One results folder. ``levels`` maps each level to its repetitions in repetition order; ``capacity`` each
    ``LevelPoint.search`` point (JDK × variant) to its searches (capacity.csv), empty without a search."""

    root: Path
    manifest: Manifest
    levels: dict[LevelPoint, tuple[LevelResult, ...]]
    capacity: dict[LevelPoint, tuple[CapacityResult, ...]] = field(default_factory=dict)

    def rows(self, measure: Measure) -> Mapping[LevelPoint, Sequence[LevelResult | CapacityResult]]:
        """The points and rows ``measure`` is read from."""
        return self.capacity if measure.source == "capacity" else self.levels

    def points(self, measure: Measure) -> list[LevelPoint]:
        """The points ``measure`` has, ordered like ``ordered_levels``."""
        order = {v: i for i, v in enumerate(self.variants)}
        return sorted(self.rows(measure), key=lambda k: (order.get(k.variant, len(order)), k.jdk, k.users, k.rate))

    @property
    def status(self) -> str:
        return self.manifest.status

    @property
    def variants(self) -> tuple[str, ...]:
        """Variants in the scenario's order, then any others found in levels.csv."""
        declared = list(self.manifest.scenario.variants)
        found = [k.variant for k in (*self.levels, *self.capacity)]
        return tuple(dict.fromkeys([*(v for v in declared if v in found), *found]))

    def ordered_levels(self) -> list[LevelPoint]:
        """Every level, sorted by variant (scenario order), JDK, CPU limit (none first), users."""
        order = {v: i for i, v in enumerate(self.variants)}
        return sorted(self.levels, key=lambda k: (order.get(k.variant, len(order)), k.jdk,
                                                  -1.0 if k.cpus is None else k.cpus, k.users, k.rate))

    def values(self, key: LevelPoint, measure: Measure) -> list[float]:
        """The measure over the level's repetitions, skipping repetitions where it was not measured."""
        return [v for row in self.rows(measure).get(key, ()) if (v := measure.value(row)) is not None]

    def median(self, key: LevelPoint, measure: Measure) -> float | None:
        """Median over repetitions; ``None`` when the level or the measure is absent."""
        values = self.values(key, measure)
        return statistics.median(values) if values else None


def load_run(root: Path, *, allow_incomplete: bool = False) -> Run:
    """Read a results folder.

    Raises ResultsError when it is not a results folder, has no measured level, or its status is
    not ``complete`` (unless ``allow_incomplete``): a cut-short run must never be compared or gated
    as if it were whole.
    """
    if not root.is_dir():
        raise ResultsError(f"{root}: no such results folder; pass a folder such as results/<time>-<scenario>")
    manifest = read_manifest(root)
    status = manifest.status
    if status != "complete" and not allow_incomplete:
        raise ResultsError(
            f"{root}: the run is '{status}', not complete, so its levels may be partial; re-run it, "
            "or pass --allow-incomplete to use the levels it did measure"
        )
    grouped: dict[LevelPoint, list[LevelResult]] = defaultdict(list)
    for row in read_levels(ResultsDir(root).levels_csv):
        grouped[row.id.point].append(row)
    if not grouped:
        raise ResultsError(f"{root}: levels.csv has no measured level; nothing to compare or gate")
    levels = {k: tuple(sorted(rows, key=lambda r: r.repetition)) for k, rows in grouped.items()}
    searches: dict[LevelPoint, list[CapacityResult]] = defaultdict(list)
    for search in read_capacity(ResultsDir(root).capacity_csv):
        searches[LevelPoint.search(search.jdk, search.variant, search.cpus)].append(search)
    capacity = {k: tuple(sorted(rows, key=lambda r: r.repetition)) for k, rows in searches.items()}
    return Run(root=root, manifest=manifest, levels=levels, capacity=capacity)


# Keys of the machine record that change between two runs on the same machine.
_VOLATILE_MACHINE_KEYS = frozenset({"load_average_at_start"})


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _differences(section: str, base: Any, new: Any, ignore: Iterable[str] = ()) -> list[str]:
    flat_base, flat_new = _flatten(base or {}, section), _flatten(new or {}, section)
    skipped = {f"{section}.{key}" for key in ignore}
    out = []
    for key in sorted(set(flat_base) | set(flat_new)):
        if key in skipped:
            continue
        before, after = flat_base.get(key, "(absent)"), flat_new.get(key, "(absent)")
        if before != after:
            out.append(f"{key}: {before!r} → {after!r}")
    return out


def setup_differences(base: Run, new: Run) -> list[str]:
    """Every key of the resolved scenario, the machine and the JDKs that differs between two runs.

    Empty when both ran the same scenario on the same machine and JDKs (the load average at start
    is ignored: it always differs).
    """
    return [
        *_differences("scenario", base.manifest.scenario.model_dump(mode="json"),
                      new.manifest.scenario.model_dump(mode="json")),
        *_differences("machine", to_json_value(base.manifest.machine), to_json_value(new.manifest.machine),
                      _VOLATILE_MACHINE_KEYS),
        *_differences("jdks", base.manifest.jdks, new.manifest.jdks),
    ]
