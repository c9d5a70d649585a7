"""Gaps behind the cursor: skipped id ranges, filled as late events arrive, dropped when old."""

from __future__ import annotations

import pytest

from backend.notify.gaps import Gap, fill, skipped, still_open
from tests.backend.notify.factory import T0, minutes


@pytest.mark.parametrize(
    ("after", "ids", "expected"),
    [
        (0, [1, 2, 3], []),
        (0, [2, 3], [(1, 1)]),
        (10, [11, 14, 15, 20], [(12, 13), (16, 19)]),
        (5, [], []),
    ],
)
def test_skipped_ranges(after: int, ids: list[int], expected: list[tuple[int, int]]) -> None:
    assert [(g.first, g.last) for g in skipped(after, ids, T0)] == expected


@pytest.mark.parametrize(
    ("arrived", "expected"),
    [
        ([], [(12, 13), (16, 19)]),
        ([12, 13], [(16, 19)]),
        ([17], [(12, 13), (16, 16), (18, 19)]),
        ([16, 19, 50], [(12, 13), (17, 18)]),
    ],
)
def test_fill_removes_what_arrived(arrived: list[int], expected: list[tuple[int, int]]) -> None:
    gaps = [Gap(12, 13, T0), Gap(16, 19, minutes(5))]
    left = fill(gaps, arrived)
    assert [(g.first, g.last) for g in left] == expected
    assert all(g.since in (T0, minutes(5)) for g in left)


def test_old_gaps_are_dropped_and_gaps_survive_json() -> None:
    gaps = [Gap(1, 2, T0), Gap(5, 5, minutes(10))]
    assert still_open(gaps, minutes(10)) == [gaps[1]]
    assert [Gap.from_json(g.to_json()) for g in gaps] == gaps
