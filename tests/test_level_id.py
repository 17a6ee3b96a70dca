"""One identity per level: its columns, its grouping across repetitions and its file names."""

from __future__ import annotations

from pathlib import Path

from harness.level_id import LEVEL_ID_COLUMNS, LEVEL_POINT_COLUMNS, LevelId, LevelPoint
from harness.results.layout import ResultsDir
from harness.results.tables import LEVEL_COLUMNS, read_levels

FORMAT1 = Path(__file__).resolve().parent / "fixtures" / "results-format1" / "requests"


def test_the_identity_columns_lead_levels_csv() -> None:
    assert LEVEL_COLUMNS[: len(LEVEL_ID_COLUMNS)] == LEVEL_ID_COLUMNS
    assert LEVEL_ID_COLUMNS == ("jdk", "variant", "users", "rate", "repetition", "cpus")
    assert LEVEL_POINT_COLUMNS == ("jdk", "variant", "users", "rate", "cpus")


def test_repetitions_of_a_level_share_its_point() -> None:
    first, second = LevelId(25, "webflux", 64, 1), LevelId(25, "webflux", 64, 2)
    assert first != second
    assert first.point == second.point == LevelPoint(jdk=25, variant="webflux", users=64)
    assert str(first.point) == "webflux jdk25 u64"


def test_labels_name_the_repetition_only_when_it_matters() -> None:
    assert LevelId(25, "webflux", 64, 1).label() == "webflux jdk25 64 users"
    assert LevelId(25, "webflux", 64, 2).label() == "webflux jdk25 64 users rep 2"
    assert LevelId(25, "webflux", 64, 2).label(repetitions=3) == "webflux jdk25 64 users rep 2/3"


def test_every_level_of_an_old_folder_finds_its_histogram_by_its_id() -> None:
    results = ResultsDir(FORMAT1)
    levels = read_levels(results.levels_csv)
    assert len(levels) == 8
    for level in levels:
        assert level.id == LevelId(level.jdk, level.variant, level.users, level.repetition)
        assert results.hlog_path(level.id).is_file(), level.id


def test_points_sort_by_jdk_variant_users() -> None:
    points = [LevelPoint(25, "webflux", 16), LevelPoint(21, "webflux", 64), LevelPoint(25, "mvc-virtual", 256)]
    assert sorted(points) == [points[1], points[2], points[0]]
