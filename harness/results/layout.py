"""Where every file of one run goes (see docs/design.md, "Results folder")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness.level_id import LevelId


@dataclass(frozen=True)
class ResultsDir:
    """The paths of one results folder. Constructing it touches nothing; ``create`` makes the folder."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def levels_csv(self) -> Path:
        return self.root / "levels.csv"

    @property
    def timeseries_csv(self) -> Path:
        return self.root / "timeseries.csv"

    @property
    def histograms(self) -> Path:
        return self.root / "histograms"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def summary_md(self) -> Path:
        return self.root / "summary.md"

    @property
    def jvm_timeseries_csv(self) -> Path:
        return self.root / "jvm_timeseries.csv"

    @property
    def warmup_csv(self) -> Path:
        return self.root / "warmup.csv"

    @property
    def jfr_csv(self) -> Path:
        return self.root / "jfr.csv"

    @property
    def capacity_csv(self) -> Path:
        return self.root / "capacity.csv"

    @property
    def consume_csv(self) -> Path:
        return self.root / "consume.csv"

    @property
    def consume_timeseries_csv(self) -> Path:
        return self.root / "consume_timeseries.csv"

    def consume_hlog_path(self, jdk: int, variant: str, broker: str, rep: int) -> Path:
        """``histograms/consume-jdk<N>-<variant>-<broker>-r<rep>.hlog``: end-to-end lag of one segment."""
        return self.histograms / f"consume-jdk{jdk}-{variant}-{broker}-r{rep}.hlog"

    @property
    def jfr(self) -> Path:
        return self.root / "jfr"

    def jfr_recording(self, key: str) -> Path:
        """``jfr/<variant>@jdk<N>.jfr``: open it in JDK Mission Control."""
        return self.jfr / f"{key}.jfr"

    @property
    def generator_workers_csv(self) -> Path:
        return self.root / "generator_workers.csv"

    def hlog_path(self, level: LevelId) -> Path:
        """``histograms/jdk<N>-<variant>-u<users>-r<rep>.hlog``."""
        return self.histograms / f"{level.slug}.hlog"

    def log_path(self, name: str) -> Path:
        """``logs/<name>.log``: stdout and stderr of one process the run started."""
        return self.logs / f"{name}.log"


def folder_name(scenario_name: str, now: datetime) -> str:
    """``<yyyymmddThhmmssZ>-<name>``; a naive ``now`` is taken to be UTC already."""
    moment = now.astimezone(UTC) if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{scenario_name}"


def new_folder(results_root: Path, scenario_name: str, now: datetime) -> Path:
    """A new, empty ``<time>-<name>`` folder under ``results_root``: two started in the same second get ``-2``,
    ``-3``, ... The check and the creation are one ``mkdir``, so concurrent runs cannot share a folder."""
    results_root.mkdir(parents=True, exist_ok=True)
    base, attempt = folder_name(scenario_name, now), 1
    while True:
        root = results_root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            root.mkdir()
            return root
        except FileExistsError:
            attempt += 1


def create(results_root: Path, scenario_name: str, now: datetime) -> ResultsDir:
    """Make a new, empty results folder (with ``histograms/`` and ``logs/``) and return its paths.

    Never reuses an existing folder: two runs started in the same second get ``-2``, ``-3``, ...
    The check and the creation are one ``mkdir``, so concurrent runs cannot share a folder.
    """
    results = ResultsDir(new_folder(results_root, scenario_name, now))
    results.histograms.mkdir()
    results.logs.mkdir()
    return results
