"""manifest.json: what was run, where, how, and whether it finished, as one typed ``Manifest``.

The manifest is written the moment a run starts, with status ``running``, and rewritten
atomically on every change, so at any instant the file on disk is a complete, parseable JSON
document. Only ``finish("complete")`` marks a run complete: a run killed at any point reads as
``running`` (never finished), ``failed`` or ``interrupted``.

``ManifestWriter`` is the one writer and ``read_manifest`` the one loader; everything else reads the
immutable ``Manifest`` (and its ``VariantRecord``s), never the JSON. The records own their JSON form
(``to_json`` / ``from_json``), in the spirit of pyperf's ``Run``/``Benchmark``.

Format history (``format_version``):

- 1: the first format; the typed records of issue 9 read and write exactly its JSON. A request run of
  this format measured every repetition of a variant inside one JVM, one variant after another: it
  is still read, and ``Manifest.independent_repetitions`` says False so that compare can say so.
  The consume section's segments gained ``label``, ``injected``, named ``problems`` ({reason, detail}) and the
  drive's {planned, accepted, failed, retries, failure_kinds, new_orders} (issue 10); a segment in the
  earlier shape (problems as text, drive {sent, created, failed, failure_kinds}) still reads
  (``SegmentRecord.from_json``).
- 2: adds ``run_order`` (``RunOrderRecord``): each repetition of a request run is a fresh JVM with its
  own warm-up, and the order the JVMs actually ran in (round-robin or shuffled with its seed). The
  levels.csv columns are unchanged; one cell's meaning changed: ``app_cpu_s_per_1k_requests`` counts
  successful requests only (format 1 divided by every request, errors included), and the counters
  from ``/actuator/prometheus`` (acquires, GC pauses, pinned) are extrapolated to the whole level window
  (format 1 counted only between the first and last scrape inside it).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import tempfile
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, Literal

import psutil
from pydantic import BaseModel, TypeAdapter

import harness
from harness.codec import from_json_row, from_json_value, json_row, to_json_value
from harness.errors import ResultsError, ScenarioError
from harness.results.layout import ResultsDir
from harness.scenario import Scenario, parse_scenario

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
STATUSES = ("running", "complete", "failed", "interrupted")
Status = Literal["running", "complete", "failed", "interrupted"]
FinalStatus = Literal["complete", "failed", "interrupted"]
Section = Literal["jdks", "infrastructure", "downstream", "build", "seed", "placement", "calibration",
                  "load_generator"]
SECTIONS: tuple[str, ...] = typing.get_args(Section)
"""Free-form sections: recorded for people and shown by ``compare`` as setup differences; the harness
reads nothing back from them. The consume section is typed (``ConsumeRecord``): the summary and the
report read each segment's named problems back from it."""


@dataclass(frozen=True)
class JdkRecord:
    feature: int
    version: str
    vendor: str


@dataclass(frozen=True)
class VariantRecord:
    """One variant on one JDK (manifest key ``"<variant>@jdk<N>"``): how it was started, what the harness
    asked of it (dotted ``/actuator/info`` runtime paths → value) and what it reported (``effective``,
    the ``runtime`` object of ``/actuator/info``; empty until the app was started)."""

    variant: str
    jdk: JdkRecord
    jar: str
    jvm_flags: tuple[str, ...]
    env: Mapping[str, str]
    port: int
    requested: Mapping[str, Any] = field(default_factory=dict)
    effective: Mapping[str, Any] = field(default_factory=dict)
    argv: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        document = json_row(self)
        if self.argv is None:
            del document["argv"]
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> VariantRecord:
        effective = document.get("effective") or {}
        # Accept the whole /actuator/info document as well as its "runtime" entry.
        if isinstance(effective, Mapping) and isinstance(effective.get("runtime"), Mapping):
            effective = effective["runtime"]
        return from_json_row(cls, {"requested": {}, "argv": None, **document, "effective": effective})


@dataclass(frozen=True)
class WorkerRecord:
    """A Locust worker that measured at least one level: where it ran and which harness code it ran (a worker
    whose version or code differed from the master's was refused, so these equal the harness's own)."""

    name: str
    host: str
    external: bool  # started by 'harness worker' (possibly on another machine), not by the run
    harness_version: str
    code_sha256: str


@dataclass(frozen=True)
class GitRecord:
    """The checkout that was measured; every field None (and ``error`` saying why) without git."""

    commit: str | None
    branch: str | None
    dirty: bool | None
    dirty_files: int | None
    error: str | None


@dataclass(frozen=True)
class MachineRecord:
    """This machine as it was at the start; a field is None when unknown."""

    hostname: str
    os: str
    kernel: str
    platform: str
    python: str
    cpu_model: str | None
    logical_cores: int | None
    physical_cores: int | None
    usable_cores: int | None  # affinity (taskset, cgroup cpusets) can leave fewer cores than the machine has
    memory_total_bytes: int
    load_average_at_start: tuple[float, ...] | None


@dataclass(frozen=True)
class Verification:
    problems: tuple[str, ...]
    checked_orders: tuple[int, ...]


@dataclass(frozen=True)
class SegmentProblem:
    """One reason a consume segment failed (``harness.consume.reconcile``): a fixed name and what was seen."""

    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass(frozen=True)
class DriveRecord:
    """What the driver of a drive segment did, and the ``orders`` rows PostgreSQL holds for it."""

    planned: int  # orders it was to deliver (consume.events)
    accepted: int  # POSTs answered 201
    failed: int  # POSTs never accepted, retries included
    retries: int  # attempts repeated after a POST that certainly wrote nothing (refused, connect timeout, 503)
    failure_kinds: Mapping[str, int]
    new_orders: int | None  # orders rows POST /orders created; None in a segment recorded before issue 10
    sent_per_s: float | None = None  # the rate the orders left at; None before it was recorded (2026-12-02)


@dataclass(frozen=True)
class InjectedRecord:
    """What the harness put into a segment: preload, the plan's events; drive, the POSTs answered 201."""

    events: int
    duplicate_rows: int


@dataclass(frozen=True)
class SegmentBroker:
    kind: str
    version: str
    startup_s: float


@dataclass(frozen=True)
class FiredFaultRecord:
    name: str
    at_processed: int
    seconds: float


@dataclass(frozen=True)
class ReplayRecord:
    """The read-model rebuild after a segment (``consume.replay``, consume_replay.csv): the fresh consumer group
    and the dead-letter group the app derives from it, the offsets the group was preset to (partition →
    offset: the measured events' first; empty: from offset 0), the replay JVM's flags (the measured JVM's,
    with its own GC log and recording), where the effective settings the replay app reported differ from the
    measured app's (dotted /actuator/info runtime paths: its own pid, start time and log files are expected
    there; the checked settings are verified equal to the scenario's as for every app), its counts and every
    named problem (empty when the rebuilt read model equals the measured one)."""

    group_id: str
    dead_letter_group_id: str
    start_offsets: Mapping[str, int]
    jvm_flags: tuple[str, ...]
    effective_differs: tuple[str, ...]
    reconciliation: Mapping[str, int]
    problems: tuple[SegmentProblem, ...]


@dataclass(frozen=True)
class SegmentRecord:
    """One consume segment (manifest key ``"<variant>@jdk<N>-<broker>-r<repetition>"``): its broker, the
    faults that fired and those that did not, what the harness injected, the reconciliation counts
    and every named problem (empty when the segment passed). ``label`` is the consume.csv row's
    ``ConsumeResult.label()``; None, like ``injected``, in a segment recorded before issue 10."""

    label: str | None
    broker: SegmentBroker
    faults: tuple[FiredFaultRecord, ...]
    faults_not_fired: tuple[str, ...]
    drive: DriveRecord | None
    injected: InjectedRecord | None
    reconciliation: Mapping[str, int | None]  # the counts; a timestamp the run did not reach is null (before issue 10)
    problems: tuple[SegmentProblem, ...]
    replay: ReplayRecord | None = None  # None without consume.replay (and before it existed)

    def to_json(self) -> dict[str, Any]:
        return json_row(self)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> SegmentRecord:
        if "label" in document:
            return from_json_row(cls, document)
        # The shape before issue 10: problems as text, the drive's {sent, created, failed, failure_kinds}
        # (that driver never retried, and did not count the orders rows).
        drive = document.get("drive")
        return from_json_row(cls, {
            **document, "label": None, "injected": None,
            "problems": [{"reason": str(p), "detail": ""} for p in document.get("problems") or ()],
            "drive": None if drive is None else {
                "planned": drive.get("sent"), "accepted": drive.get("created"), "failed": drive.get("failed"),
                "retries": 0, "failure_kinds": drive.get("failure_kinds") or {}, "new_orders": None},
        })


@dataclass(frozen=True)
class PreloadRecord:
    rows: int
    events: int
    duplicate_rows: int
    poison_rows: int
    orders: int | None = None  # distinct orders of the events (events / 3 with a lifecycle); None: written before


@dataclass(frozen=True)
class ConsumeRecord:
    """The consume section: the broker, the source, a preload's plan, and every segment measured so far."""

    broker: str
    source: str
    segments: Mapping[str, SegmentRecord] = field(default_factory=dict)
    preload: PreloadRecord | None = None

    def problems(self) -> dict[str, tuple[SegmentProblem, ...]]:
        """Each failed segment's named problems, by its consume.csv label (segments recorded with one); its
        replay's after its own, each reason prefixed ``replay: `` (a failed replay fails the segment's verdict)."""
        out = {}
        for s in self.segments.values():
            named = s.problems + (() if s.replay is None else tuple(
                SegmentProblem(reason=f"replay: {p.reason}", detail=p.detail) for p in s.replay.problems))
            if s.label is not None and named:
                out[s.label] = named
        return out

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"broker": self.broker, "source": self.source,
                                    "segments": {key: s.to_json() for key, s in self.segments.items()}}
        if self.preload is not None:
            document["preload"] = json_row(self.preload)
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> ConsumeRecord:
        segments = document.get("segments") or {}
        if not isinstance(segments, Mapping):
            raise ValueError(f"segments: {segments!r} is not an object")
        preload = document.get("preload")
        try:
            broker, source = document["broker"], document["source"]
        except KeyError as error:
            raise ValueError(f"missing {error}") from None
        return cls(
            broker=from_json_value(broker, str), source=from_json_value(source, str),
            segments={str(key): SegmentRecord.from_json(s) for key, s in segments.items()},
            preload=None if preload is None else from_json_row(PreloadRecord, preload),
        )


@dataclass(frozen=True)
class AppRunRecord:
    """One fresh JVM of a request run: one variant on one JDK measuring one repetition, in run order.

    It got its variant's ``VariantRecord`` flags except the GC log and flight recording paths, which
    are its own (``gc_log``, ``jfr_recording``). ``finished_at`` is None while (or if it never) stopped."""

    position: int
    app: str  # "<variant>@jdk<N>", the key of ``Manifest.variants``
    repetition: int
    pid: int  # of its JVM: a fresh process per repetition, checkable against logs and the sampler
    started_at: str
    finished_at: str | None
    gc_log: str
    jfr_recording: str | None
    warmup_seconds: float | None = None  # how long its warm-up ran (auto: until steady or its maximum)
    warmup_steady: bool | None = None  # auto warm-up: whether it became steady; None when fixed


@dataclass(frozen=True)
class RunOrderRecord:
    """How a request run ordered its fresh JVMs (``harness.run_order``) and the order actually run."""

    policy: Literal["round-robin", "shuffled"]
    seed: int | None
    runs: tuple[AppRunRecord, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """A run as manifest.json records it (see the module docstring)."""

    format_version: int
    harness_version: str
    status: Status
    started_at: str
    finished_at: str | None
    scenario_path: str
    scenario: Scenario
    argv: tuple[str, ...]
    git: GitRecord
    machine: MachineRecord
    jdks: Mapping[str, Any]
    infrastructure: Mapping[str, Any]
    variants: Mapping[str, VariantRecord]
    downstream: Mapping[str, Any]
    build: Mapping[str, Any]
    seed: Mapping[str, Any]
    error: str | None
    warnings: tuple[str, ...]
    verification: Verification | None = None
    consume: ConsumeRecord | None = None
    workers: tuple[WorkerRecord, ...] = ()  # Locust workers of a distributed run; empty for one process
    run_order: RunOrderRecord | None = None
    placement: Mapping[str, Any] | None = None  # harness.placement.Placement.record(); absent before issue 15
    calibration: Mapping[str, Any] | None = None  # this machine's `harness calibrate` result, when there is one
    load_generator: Mapping[str, Any] | None = None  # request runs: driver, version, binary (absent before)

    @property
    def is_consume(self) -> bool:
        return self.scenario.consume is not None

    @property
    def independent_repetitions(self) -> bool:
        """Whether each repetition ran in its own JVM: every consume segment always did; a request run
        only from format 2 on (format 1 measured all repetitions inside one warming JVM)."""
        return self.is_consume or self.format_version >= 2

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {}
        for name in (f.name for f in fields(self)):
            value = getattr(self, name)
            if name == "scenario":
                document[name] = self.scenario.model_dump(mode="json")
            elif name == "variants":
                document[name] = {key: record.to_json() for key, record in self.variants.items()}
            elif name in ("verification", "consume", "run_order", "load_generator") and value is None:
                continue  # sections a run adds only when it reaches them
            elif name == "consume":
                document[name] = self.consume.to_json() if self.consume is not None else None
            else:
                document[name] = to_json_value(value)
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any], source: Path) -> Manifest:
        """The manifest of ``document``; ResultsError naming ``source`` and the field when it does not fit."""
        version = document.get("format_version")
        if version not in READABLE_VERSIONS:
            raise ResultsError(
                f"{source}: manifest format version {version!r}, this harness reads format versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}; "
                "rerun the scenario with this harness, or read the folder with the harness version that wrote it"
            )
        if document.get("status") not in STATUSES:
            raise ResultsError(f"{source}: unknown status {document.get('status')!r}")
        try:
            scenario = parse_scenario(_without_defaults(Scenario, document.get("scenario")), f"{source} (scenario)")
        except ScenarioError as error:
            raise ResultsError(f"{source}: the recorded scenario does not validate with this harness "
                               f"(manifest format {FORMAT_VERSION}): {'; '.join(error.problems)}; rerun the "
                               "scenario with this harness, or read the folder with the one that wrote it") from None
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {"scenario": scenario}
        name = "variants"
        try:
            values[name] = {str(key): VariantRecord.from_json(record)
                            for key, record in (document.get(name) or {}).items()}
            name = "consume"
            if document.get(name) is not None:
                values[name] = ConsumeRecord.from_json(document[name])
            for f in fields(cls):
                name = f.name
                if name in values or (name not in document and f.default is not MISSING):
                    continue
                values[name] = from_json_value(document.get(name), hints[name])
        except (ValueError, TypeError, AttributeError) as error:
            raise ResultsError(f"{source}: malformed manifest field {name!r}: {error}") from None
        return cls(**values)


def _without_defaults(model: type[BaseModel], data: Any) -> Any:
    """A stored scenario (``model_dump``, every default resolved) as the user could have written it.

    The scenario's checks reject a knob that does not apply when it is *set* (``prefetch`` for Kafka),
    and a dump sets every field; a valid scenario never sets an inapplicable knob, so dropping every
    value equal to its default gives back one that validates to the same scenario."""
    if not isinstance(data, dict):
        return data
    out = {}
    for name, value in data.items():
        info = model.model_fields.get(name)
        if info is None:
            out[name] = value  # validation names it
            continue
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            # The field's metadata carries its serialiser (a Duration dumps as "60s", not 60.0).
            annotation: Any = info.annotation if info.annotation is not None else Any
            if info.metadata:
                annotation = Annotated[annotation, *info.metadata]
            if TypeAdapter(annotation).dump_python(default, mode="json") == value:
                continue
        nested = [a for a in (info.annotation, *typing.get_args(info.annotation))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested:
            value = _without_defaults(nested[0], value)
            # Every value of a section at its default: the section is, even when a field added since the dump
            # (faults.inverted_orders) made the stored dict differ from today's default dict.
            if value == {}:
                continue
        out[name] = value
    return out


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def collect_machine() -> MachineRecord:
    """Describe this machine as it is now; every field is present, ``None`` when unknown."""
    try:
        usable_cores: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable_cores = None
    try:
        load: tuple[float, ...] | None = tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        load = None
    return MachineRecord(
        hostname=socket.gethostname(),
        os=platform.system(),
        kernel=platform.release(),
        platform=platform.platform(),
        python=platform.python_version(),
        cpu_model=_cpu_model(),
        logical_cores=os.cpu_count(),
        physical_cores=psutil.cpu_count(logical=False),
        usable_cores=usable_cores,
        memory_total_bytes=psutil.virtual_memory().total,
        load_average_at_start=load,
    )


def _git(repo_root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo_root, capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout.strip()


def git_info(repo_root: Path) -> GitRecord:
    """``{commit, branch, dirty, dirty_files, error}`` of the checkout.

    Never raises: without git (no binary, not a repository) every field is ``None`` and ``error``
    says why.
    """
    try:
        commit = _git(repo_root, "rev-parse", "HEAD")
        branch = _git(repo_root, "rev-parse", "--abbrev-ref", "HEAD")
        # Untracked files count: an uncommitted new source file changes what was measured.
        changes = _git(repo_root, "status", "--porcelain").splitlines()
    except (OSError, subprocess.SubprocessError) as error:
        return GitRecord(commit=None, branch=None, dirty=None, dirty_files=None, error=str(error))
    return GitRecord(commit=commit, branch=branch, dirty=bool(changes), dirty_files=len(changes), error=None)


def write_json_atomically(path: Path, document: Any) -> None:
    """Replace ``path`` with ``document`` so readers see the old or the new file, never a torn one."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ManifestWriter:
    """Owns manifest.json of one run; every change is written to disk before it returns.

    Usable as a context manager: leaving the block by an exception before ``finish`` records
    ``interrupted`` (KeyboardInterrupt) or ``failed`` with the error, then re-raises.
    """

    def __init__(
        self,
        results: ResultsDir,
        scenario: Scenario,
        scenario_path: Path,
        argv: list[str],
        *,
        repo_root: Path | None = None,
    ) -> None:
        self.path = results.manifest
        self._finished = False
        self._manifest = Manifest(
            format_version=FORMAT_VERSION,
            harness_version=harness.__version__,
            status="running",
            started_at=now_iso(),
            finished_at=None,
            scenario_path=str(scenario_path),
            scenario=scenario,
            argv=tuple(argv),
            git=git_info(repo_root or Path(__file__).resolve().parents[2]),
            machine=collect_machine(),
            jdks={},
            infrastructure={},
            variants={},
            downstream={},
            build={},
            seed={},
            error=None,
            warnings=(),
        )
        self._write()

    @property
    def manifest(self) -> Manifest:
        """What is on disk."""
        return self._manifest

    def variant(self, key: str) -> VariantRecord | None:
        return self._manifest.variants.get(key)

    def set(self, key: Section, value: Mapping[str, Any]) -> None:
        """Set a free-form section (``SECTIONS``: jdks, infrastructure, downstream, build, seed, placement,
        calibration, load_generator).

        Raises KeyError for any other key: status, timestamps, scenario, variants, verification,
        consume and warnings have their own methods, so they cannot be forged."""
        if key not in SECTIONS:
            raise KeyError(f"manifest key {key!r} is not a free-form section {list(SECTIONS)}")
        # Stored as its JSON form: what is kept is exactly what the file holds.
        self._change(**{key: json.loads(json.dumps(to_json_value(value), default=str))})

    def set_variant(self, key: str, record: VariantRecord) -> None:
        """Record one variant on one JDK under ``"<variant>@jdk<N>"`` (replacing what was there)."""
        self._change(variants={**self._manifest.variants, key: record})

    def set_run_order(self, policy: Literal["round-robin", "shuffled"], seed: int | None) -> None:
        """Start the record of the order the fresh JVMs run in (``record_app_run`` adds to it)."""
        self._change(run_order=RunOrderRecord(policy, seed))

    def record_app_run(self, record: AppRunRecord) -> None:
        """Add one JVM of the run order, or replace the one at its position (once it stopped)."""
        if self._manifest.run_order is None:
            raise RuntimeError("record_app_run before set_run_order")
        order = self._manifest.run_order
        runs = tuple(r for r in order.runs if r.position != record.position)
        runs = tuple(sorted((*runs, record), key=lambda r: r.position))
        self._change(run_order=replace(order, runs=runs))

    def set_verification(self, verification: Verification) -> None:
        self._change(verification=verification)

    def add_workers(self, records: tuple[WorkerRecord, ...]) -> None:
        """Record the workers of a level; one already recorded is not repeated."""
        new = tuple(r for r in dict.fromkeys(records) if r not in self._manifest.workers)
        if new:
            self._change(workers=(*self._manifest.workers, *new))

    def set_consume(self, consume: ConsumeRecord) -> None:
        """Record the consume section (rewritten as each segment ends)."""
        self._change(consume=consume)

    def set_segment(self, key: str, segment: SegmentRecord) -> None:
        """Record one consume segment under ``key`` (replacing what was there); ``set_consume`` first."""
        if self._manifest.consume is None:
            raise ValueError("set_consume before set_segment: the consume section is not recorded yet")
        consume = self._manifest.consume
        self._change(consume=replace(consume, segments={**consume.segments, key: segment}))

    def add_warning(self, msg: str) -> None:
        self._change(warnings=(*self._manifest.warnings, msg))

    def finish(self, status: FinalStatus, error: str | None = None) -> None:
        """Record how the run ended. The first call wins; later calls change nothing.

        First-wins keeps a clean-up path (``finally: finish("failed")``) from overwriting the
        status the run already chose, and a ``complete`` from ever replacing a failure.
        """
        if self._finished:
            return
        if status not in STATUSES[1:]:
            raise ValueError(f"unknown final status {status!r}")
        self._finished = True
        self._change(status=status, finished_at=now_iso(), error=error)

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            return
        if isinstance(exc, KeyboardInterrupt):
            self.finish("interrupted", "interrupted (Ctrl-C or SIGINT)")
        else:
            self.finish("failed", f"{type(exc).__name__}: {exc}")

    def _change(self, **changes: Any) -> None:
        changed = replace(self._manifest, **changes)
        write_json_atomically(self.path, changed.to_json())
        self._manifest = changed  # only once it is on disk: a failed write changes nothing

    def _write(self) -> None:
        write_json_atomically(self.path, self._manifest.to_json())


def read_manifest(path: Path) -> Manifest:
    """Load manifest.json (``path`` may be the file or its results folder).

    Raises ResultsError when it is missing, not JSON, of another format version, has an unknown
    status or a field that does not fit.
    """
    if path.is_dir():
        path = path / "manifest.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no manifest; this is not a results folder") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path}: cannot read the manifest: {error}") from None
    if not isinstance(document, dict):
        raise ResultsError(f"{path}: the manifest is not a JSON object")
    return Manifest.from_json(document, path)
