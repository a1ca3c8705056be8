"""The staff bilan page opens on the school year (1 September to 31 August), as the bilan is read."""

from __future__ import annotations

from datetime import date

import pytest

from conseils_web.staff.bilan import school_year


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 1), (date(2026, 9, 1), date(2027, 8, 31))),
        (date(2027, 8, 31), (date(2026, 9, 1), date(2027, 8, 31))),
        (date(2027, 9, 1), (date(2027, 9, 1), date(2028, 8, 31))),
        (date(2027, 1, 15), (date(2026, 9, 1), date(2027, 8, 31))),
    ],
)
def test_the_default_period_is_the_school_year(today: date, expected: tuple[date, date]) -> None:
    assert school_year(today) == expected
