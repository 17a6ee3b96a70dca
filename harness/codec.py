"""Dataclass rows ⇄ CSV tables and JSON rows: the one codec every results table and the Locust sidecar use.

A ``Table`` binds a dataclass to a file name and a format version. Its columns are the dataclass's
fields in order; a field that is itself a dataclass (a ``LevelId``) is spelled out as its own
fields, so every table that carries a level starts with the same identity columns. A CSV cell is
``""`` for None, ``true``/``false`` for a bool, ``str()`` for an int, float or str, and compact JSON
for a dict or tuple. Reading gives back the exact values and types, or raises ``ResultsError``
naming the file, the line and the column.

Rows are appended and flushed as they are measured, so a run that fails later keeps every row it
did measure; an existing file is only appended to when its header is this table's.

A table's version changes only when its columns or the meaning of a cell change; a file with other
columns is refused with "format N" and what to do. A version that only *added* columns (``added``: version →
the columns it added, each a field with a default) still reads the files of the versions before it: the
missing cells take their field's default, which must mean what those older files meant. Each version's
added columns are present or absent as a whole, so a file that has a later version's columns without an
earlier one's reads too (two lines of development that each added columns before they were merged). A JSON
row (``from_json_row``) likewise takes a field's default when its document, older than the field, lacks it.
A table read with ``finite`` (levels.csv) refuses a NaN or ±inf cell, naming the line, the level and the
column. History:

- levels.csv 1, timeseries.csv 1, jvm_timeseries.csv 1, jfr.csv 1, consume.csv 1,
  consume_timeseries.csv 1; the Locust sidecar ``*.intervals.json`` 1: the columns the harness wrote
  before this module existed.
- levels.csv 2, timeseries.csv 2, jvm_timeseries.csv 2, jfr.csv 2, generator_workers.csv 2: the level
  identity gained ``rate`` (open model; 0 = closed, what every version-1 row was); levels.csv 2 also the
  open model's columns (achieved rate, dropped, late, in flight, service-time percentiles, trend, SLO).
- levels.csv 3: the generator's run-queue wait, whether it starved, and whether the JVM's warm-up became
  steady (issue 15). Before the merge of the open model, main wrote these beside format 1's columns
  (format 3 without format 2's), which reads as such. warmup.csv 1.
- levels.csv 4: the app container's CPU quota ``cpus`` in the level identity, and its throttling and memory.
- levels.csv 5: what else the machine did in the window: other processes' CPU, the hypervisor's steal, and
  whether that makes the level one of a busy machine (``machine_load.py``).
- levels.csv 6: whether the machine was paused during the level, the clock step, and the attempts it took
  (``clock.py``); a format-5 file read no clock (None) and measured each level once.
- consume.csv 2: the order lifecycle's ``lifecycle``, ``ordering`` and ``ordering_violations`` (a format-1
  segment had one event per order and asked for no ordering: false, observed, 0).
- consume_sweep.csv 2: replay and ordering violations; 3: app CPU per event without the JIT; 4: the lag's p50 and
  p99 with their intervals over the repetitions, and the rate driven orders left at (None: preloaded, or older).
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from harness.errors import ResultsError

R = TypeVar("R")


def _hints(row: type[Any]) -> dict[str, Any]:
    if not dataclasses.is_dataclass(row):
        raise TypeError(f"{row!r} is not a dataclass")
    return typing.get_type_hints(row)


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _column_types(row: type[Any]) -> list[tuple[str, Any]]:
    """(column, type) in order, nested records spelled out as their own columns."""
    hints = _hints(row)
    out: list[tuple[str, Any]] = []
    for field in dataclasses.fields(row):
        hint = hints[field.name]
        out += _column_types(hint) if _is_record(hint) else [(field.name, hint)]
    names = [name for name, _ in out]
    if len(set(names)) != len(names):
        raise TypeError(f"{row.__name__}: a nested record repeats a column name: {names}")
    return out


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise TypeError(f"column {field.name} has no default")


def _column_defaults(row: type[Any]) -> dict[str, Any]:
    """Column → default of every (nested) field that has one."""
    hints = _hints(row)
    out: dict[str, Any] = {}
    for field in dataclasses.fields(row):
        if _is_record(hints[field.name]):
            out |= _column_defaults(hints[field.name])
        elif field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
            out[field.name] = _default(field)
    return out


def _optional(hint: Any) -> tuple[bool, Any]:
    """(whether None is allowed, the type without None)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"no codec for {hint!r}")
        return True, rest[0]
    return False, hint


def to_json_value(value: Any) -> Any:
    """A JSON-ready form: tuples become lists, mappings dicts, nested records dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_json_value(v) for v in value]
    return value


def from_json_value(value: Any, hint: Any) -> Any:
    """``value`` (parsed JSON) as ``hint``; raises ValueError when it does not fit."""
    if hint is Any:
        return value
    optional, base = _optional(hint)
    if value is None:
        if optional:
            return None
        raise ValueError("null where a value is required")
    origin, args = typing.get_origin(base), typing.get_args(base)
    if origin is Literal:
        if value not in args:
            raise ValueError(f"{value!r} is not one of {list(args)}")
        return value
    if _is_record(base):
        if not isinstance(value, Mapping):
            raise ValueError(f"{value!r} is not an object")
        return from_json_row(base, value)
    if base is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not true/false")
        return value
    if base is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not an integer")
        return value
    if base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{value!r} is not a number")
        return float(value)
    if base is str:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a string")
        return value
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ValueError(f"{value!r} is not an object")
        return {str(k): from_json_value(v, args[1]) for k, v in value.items()}
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise ValueError(f"{value!r} is not a list")
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                raise ValueError(f"{value!r} has not {len(args)} items")
            return tuple(from_json_value(v, a) for v, a in zip(value, args, strict=True))
        items = [from_json_value(v, args[0]) for v in value]
        return tuple(items) if origin is tuple else items
    raise TypeError(f"no codec for {hint!r}")


def json_row(row: Any) -> dict[str, Any]:
    """A record as one JSON object, field by field."""
    document: dict[str, Any] = to_json_value(row)
    return document


def from_json_row(row_type: type[R], document: Mapping[str, Any]) -> R:
    """A record from ``json_row``'s form; raises ValueError naming the field that does not fit."""
    hints = _hints(row_type)
    fields = dataclasses.fields(row_type)  # type: ignore[arg-type]
    # A field added later with a default is absent from older documents: it takes the default.
    names = [f.name for f in fields if f.name in document or (f.default is dataclasses.MISSING
                                                              and f.default_factory is dataclasses.MISSING)]
    missing = [n for n in names if n not in document]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    values = {}
    for name in names:
        try:
            values[name] = from_json_value(document[name], hints[name])
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    return row_type(**values)


def encode_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, tuple, list)):
        return json.dumps(to_json_value(value), separators=(",", ":"), sort_keys=True)
    return str(value)


def decode_cell(raw: str, hint: Any) -> Any:
    """One CSV cell as ``hint``; raises ValueError when it does not fit."""
    optional, base = _optional(hint)
    if raw == "":
        if optional:
            return None
        if base is str:
            return ""  # an empty text (no fault fired, no pinned frame) is a value
        raise ValueError("empty cell in a required column")
    if base is bool:
        if raw not in ("true", "false"):
            raise ValueError(f"{raw!r} is not true/false")
        return raw == "true"
    if base is int:
        return int(raw)
    if base is float:
        return float(raw)
    if base is str:
        return raw
    if typing.get_origin(base) in (dict, Mapping, tuple, list):
        return from_json_value(json.loads(raw), base)
    raise TypeError(f"no CSV codec for {hint!r}")


class Table(Generic[R]):
    """One CSV file of ``row`` records (see the module docstring for the cells)."""

    def __init__(self, row: type[R], file: str, version: int, *, finite: bool = False,
                 added: Mapping[int, tuple[str, ...]] | None = None) -> None:
        self.row = row
        self.file = file
        self.version = version
        self.finite = finite
        """Refuse NaN and ±inf when reading: a table whose numbers are compared with bounds (levels.csv),
        where a NaN compares false with every bound and so would pass a gate."""
        self.types: dict[str, Any] = dict(_column_types(row))
        self.columns: tuple[str, ...] = tuple(self.types)
        self.added: dict[int, tuple[str, ...]] = dict(added or {})
        defaults = _column_defaults(row)
        for since, names in self.added.items():
            if not 1 < since <= version or any(name not in defaults for name in names):
                raise TypeError(f"{file}: added columns {names} must be fields with defaults, at a version in "
                                f"2..{version}")

    def columns_of(self, version: int) -> tuple[str, ...]:
        """The columns a file of an earlier ``version`` holds (those added later left out)."""
        later = {name for since, names in self.added.items() if since > version for name in names}
        return tuple(c for c in self.columns if c not in later)

    def _readable(self, header: tuple[str, ...]) -> bool:
        """This format's columns, or those of a file written without some versions' added columns, each
        version's all or none: every earlier version's file, and a file of a line of development that added
        a later version's columns before an earlier version's were merged into it (levels.csv: issue 15's
        columns were written beside format 1's before format 2's open-model columns joined them)."""
        if header == self.columns:
            return True
        groups = list(self.added.values())
        for count in range(1, len(groups) + 1):
            for left_out in itertools.combinations(groups, count):
                missing = {name for names in left_out for name in names}
                if header == tuple(c for c in self.columns if c not in missing):
                    return True
        return False

    def numeric(self, column: str) -> bool:
        """Whether ``column`` holds a number (int or float, optional or not; bool is not one)."""
        return _optional(self.types[column])[1] in (int, float)

    def flat(self, record: R) -> dict[str, Any]:
        """Column → value of one record, nested records spelled out (a data-frame row)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(record):  # type: ignore[arg-type]
            value = getattr(record, field.name)
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                out |= {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            else:
                out[field.name] = value
        return out

    def cells(self, record: R) -> list[str]:
        return [encode_cell(value) for value in self.flat(record).values()]

    def parse(self, cells: Mapping[str, str]) -> R:
        """A record from one row (column → cell); raises ValueError naming the column that does not fit."""
        record: R = self._parse(self.row, cells)
        return record

    def _parse(self, row: type[Any], cells: Mapping[str, str]) -> Any:
        hints = _hints(row)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(row):
            hint = hints[field.name]
            if _is_record(hint):
                values[field.name] = self._parse(hint, cells)
                continue
            if field.name not in cells and field.name in self.columns:
                values[field.name] = _default(field)  # a column added after the file's version
                continue
            try:
                values[field.name] = decode_cell(cells[field.name], hint)
            except (ValueError, TypeError) as error:
                raise ValueError(f"column {field.name}: {error}") from None
        return row(**values)

    def _refusal(self, path: Path, header: list[str] | None) -> ResultsError:
        return ResultsError(
            f"{path}: columns {header} are not those of {self.file} format {self.version} "
            f"{list(self.columns)}; it was written by another harness version: rerun the scenario with "
            "this one, or read the folder with the harness version that wrote it"
        )

    def create(self, path: Path) -> None:
        """Write the header into a new or empty file (so even a run that measured nothing has it)."""
        self.append(path, ())

    def append(self, path: Path, records: Iterable[R]) -> None:
        """Append and flush ``records``, writing the header first into a new or empty file.

        Raises ResultsError, appending nothing, when the file holds another table's header."""
        fresh = not path.exists() or path.stat().st_size == 0
        if not fresh:
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle), [])
            if tuple(header) != self.columns:
                raise self._refusal(path, header)
        lines = [self.cells(record) for record in records]
        with path.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            if fresh:
                writer.writerow(self.columns)
            writer.writerows(lines)

    def read(self, path: Path, *, missing_ok: bool = False) -> list[R]:
        """Every row, in file order, with its original types.

        A missing file is no rows when ``missing_ok``, else a ResultsError; a file with other
        columns or a malformed cell is a ResultsError naming the line."""
        try:
            handle = path.open(newline="", encoding="utf-8")
        except FileNotFoundError:
            if missing_ok:
                return []
            raise ResultsError(f"{path}: no {self.file} table") from None
        with handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None and missing_ok:
                return []
            if not self._readable(tuple(reader.fieldnames or ())):
                raise self._refusal(path, list(reader.fieldnames or ()))
            records = []
            for cells in reader:
                try:
                    record = self.parse(cells)
                except ValueError as error:
                    raise ResultsError(f"{path}:{reader.line_num}: {error}") from None
                if self.finite:
                    self._refuse_non_finite(path, reader.line_num, record)
                records.append(record)
        return records

    def _refuse_non_finite(self, path: Path, line: int, record: R) -> None:
        """ResultsError naming the line, the record's level (its ``id``) and every non-finite column."""
        bad = [f"{column}={value}" for column, value in self.flat(record).items()
               if isinstance(value, float) and not math.isfinite(value)]
        if bad:
            level = getattr(record, "id", None)
            where = f" ({level})" if level is not None else ""
            raise ResultsError(f"{path}:{line}{where}: non-finite {', '.join(bad)}; the harness never writes "
                               "one, and a level with such a number cannot be compared or gated")
