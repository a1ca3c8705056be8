"""The bilan reads a period's rows a window of at most 31 days at a time (`reports._windows`), so
that a national year's 210,000 rows are never all held at once: the windows cover the period
exactly, without a gap or an overlap, so every instance is read once (the figures themselves are
compared with the slow path over a year, on SQLite and PostgreSQL, by `test_bilan_fast_path`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from conseils_meetings.reports import _windows, local_bounds


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        (date(2027, 1, 1), date(2027, 12, 31)),  # a calendar year, across both changes of time
        (date(2027, 9, 1), date(2028, 8, 31)),  # a school year, with 29 February
        (date(2027, 3, 28), date(2027, 3, 28)),  # one day, the one the clocks go forward
        (date(2027, 1, 1), date(2027, 2, 1)),  # 32 days: two windows
    ],
)
def test_the_windows_cover_the_period_once(period_from: date, period_to: date) -> None:
    start, end = local_bounds(period_from, period_to, "Europe/Paris")
    windows = _windows(start, end)
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for (_, first_end), (second_start, _) in pairwise(windows):
        assert first_end == second_start  # half-open and touching: no instant twice, none missed
    assert all(timedelta(0) < w_end - w_start <= timedelta(days=31) for w_start, w_end in windows)
    instants = [start, end - timedelta(microseconds=1)] + [w_start for w_start, _ in windows]
    for instant in instants:
        assert sum(w_start <= instant < w_end for w_start, w_end in windows) == 1


def test_a_year_is_read_in_twelve_or_so_windows() -> None:
    start = datetime(2026, 12, 31, 23, tzinfo=UTC)
    assert len(_windows(start, start + timedelta(days=365))) == 12
    assert _windows(start, start) == []
