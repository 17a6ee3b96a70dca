"""The one codec: records ⇄ CSV cells and JSON rows, exact types back, errors that name the line and column."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.codec import Table, from_json_row, json_row
from harness.errors import ResultsError
from harness.level_id import LevelId


@dataclass(frozen=True)
class Row:
    id: LevelId
    ratio: float
    count: int | None
    ok: bool
    note: str
    kinds: dict[str, int]
    frames: tuple[tuple[str, int], ...]


TABLE = Table(Row, "rows.csv", 3, added={2: ("rate",), 3: ("cpus",)})
ROW = Row(LevelId(25, "webflux", 64, 2), 0.125, None, True, "", {"b": 2, "a": 1}, (("X.y(1)", 3), ("Z.w(2)", 1)))


def test_a_nested_level_id_is_spelled_out_as_the_leading_columns() -> None:
    assert TABLE.columns == ("jdk", "variant", "users", "rate", "repetition", "cpus", "ratio", "count", "ok", "note",
                             "kinds", "frames")
    assert TABLE.cells(ROW) == ["25", "webflux", "64", "0", "2", "", "0.125", "", "true", "",
                                '{"a":1,"b":2}', '[["X.y(1)",3],["Z.w(2)",1]]']  # fmt: skip


def test_rows_come_back_with_their_types(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    TABLE.create(path)
    assert TABLE.read(path) == []
    other = Row(LevelId(21, "mvc-virtual", 8, 1), 1e-7, 0, False, "restart-broker", {}, ())
    TABLE.append(path, [ROW])
    TABLE.append(path, [other])
    assert TABLE.read(path) == [ROW, other]
    back = TABLE.read(path)[0]
    assert isinstance(back.frames, tuple) and isinstance(back.frames[0], tuple) and back.count is None


def test_a_foreign_header_is_refused_with_the_format_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("jdk,variant\n25,webflux\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"rows.csv format 3 .*rerun the scenario"):
        TABLE.read(path)
    with pytest.raises(ResultsError, match="format 3"):
        TABLE.append(path, [ROW])
    assert path.read_text(encoding="utf-8") == "jdk,variant\n25,webflux\n"


@dataclass(frozen=True)
class Grown:
    id: LevelId
    ratio: float
    extra: int | None = None


GROWN = Table(Grown, "grown.csv", 2, added={2: ("rate", "cpus", "extra")})


def test_a_version_that_added_columns_reads_the_earlier_files_with_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "grown.csv"
    path.write_text("jdk,variant,users,repetition,ratio\n25,webflux,64,2,0.5\n", encoding="utf-8")
    assert GROWN.columns_of(1) == ("jdk", "variant", "users", "repetition", "ratio")
    assert GROWN.read(path) == [Grown(LevelId(25, "webflux", 64, 2), 0.5, None)]
    # Appending is only ever in the current format: the old file is refused, not turned into a mix.
    with pytest.raises(ResultsError, match=r"grown\.csv format 2"):
        GROWN.append(path, [Grown(LevelId.open(25, "webflux", 500, 1), 0.5, 3)])
    # A header that is no version's (one added column without the other) is refused.
    path.write_text("jdk,variant,users,rate,repetition,ratio\n25,webflux,0,500,1,0.5\n", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"grown\.csv format 2"):
        GROWN.read(path)
    fresh = tmp_path / "fresh.csv"
    GROWN.append(fresh, [Grown(LevelId.open(25, "webflux", 500, 1), 0.5, 3)])
    assert GROWN.read(fresh) == [Grown(LevelId.open(25, "webflux", 500, 1), 0.5, 3)]


def test_added_columns_must_have_defaults() -> None:
    with pytest.raises(TypeError, match="defaults"):
        Table(Grown, "grown.csv", 2, added={2: ("ratio",)})


def test_a_file_from_before_a_defaulted_column_existed_reads_it_as_its_default(tmp_path: Path) -> None:
    written = tmp_path / "rows.csv"
    TABLE.append(written, [ROW, Row(LevelId(25, "webflux", 64, 3, cpus=1.5), 1.0, 1, True, "", {}, ())])
    with written.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[2][5] == "1.5"
    older = tmp_path / "older.csv"  # the same table as written before LevelId.cpus
    with older.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([row[:5] + row[6:] for row in rows])
    assert [r.id.cpus for r in TABLE.read(older)] == [None, None]
    assert TABLE.read(older)[0] == ROW
    # Only a column with a default may be absent, and only it: a missing required column is still refused.
    without_ratio = tmp_path / "without-ratio.csv"
    with without_ratio.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([row[:6] + row[7:] for row in rows])
    with pytest.raises(ResultsError, match="format 3"):
        TABLE.read(without_ratio)
    with pytest.raises(ResultsError, match="format 3"):
        TABLE.append(older, [ROW])


@pytest.mark.parametrize(("column", "cell"), [("ok", "maybe"), ("users", "six"), ("jdk", ""), ("frames", "[[1]]")])
def test_a_bad_cell_names_its_line_and_column(tmp_path: Path, column: str, cell: str) -> None:
    path = tmp_path / "rows.csv"
    TABLE.append(path, [ROW, ROW])
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[2][rows[0].index(column)] = cell
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(ResultsError, match=rf":3: column {column}: "):
        TABLE.read(path)


def test_a_missing_file_is_an_error_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"no rows\.csv table"):
        TABLE.read(tmp_path / "absent.csv")
    assert TABLE.read(tmp_path / "absent.csv", missing_ok=True) == []


def test_json_rows_round_trip_and_refuse_a_wrong_type() -> None:
    document = json_row(ROW)
    assert document["id"] == {"jdk": 25, "variant": "webflux", "users": 64, "rate": 0, "repetition": 2, "cpus": None}
    assert from_json_row(Row, document) == ROW
    with pytest.raises(ValueError, match="count: 'many' is not an integer"):
        from_json_row(Row, {**document, "count": "many"})
    with pytest.raises(ValueError, match="missing ok"):
        from_json_row(Row, {k: v for k, v in document.items() if k != "ok"})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_finite_table_refuses_a_non_finite_cell_naming_line_level_and_column(tmp_path: Path, value: float) -> None:
    path = tmp_path / "rows.csv"
    TABLE.append(path, [ROW, Row(LevelId(25, "webflux", 64, 3), value, 1, True, "", {}, ())])
    assert TABLE.read(path)[1].ratio != 0.125  # a table that is not compared with bounds keeps it (Prometheus NaN)
    finite = Table(Row, "rows.csv", 3, finite=True)
    with pytest.raises(ResultsError, match=rf"rows.csv:3 \(webflux jdk25 u64 r3\): non-finite ratio={value}"):
        finite.read(path)
