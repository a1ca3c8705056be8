"""Issue 17 (pages at national size): `GET /instances` gives one page of the list with `limit`
and `offset` (in the same order as the whole list), for a councillor's agenda and for staff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import STAFF, Harness
from .test_agenda import agenda
from .test_api import EVENING, schedule

pytestmark = pytest.mark.postgres


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


async def test_the_agenda_and_the_staff_list_come_by_pages(harness: Harness) -> None:
    made = [await schedule(harness, "clip", EVENING + timedelta(days=n), city_code="93066") for n in range(5)]
    every = [row["id"] for row in made]
    assert ids(await agenda(harness, "villette-1", scope="all")) == every
    assert ids(await agenda(harness, "villette-1", scope="all", limit="2")) == every[:2]
    assert ids(await agenda(harness, "villette-1", scope="all", limit="2", offset="2")) == every[2:4]
    assert ids(await agenda(harness, "villette-1", scope="all", limit="2", offset="4")) == every[4:]
    assert await agenda(harness, "villette-1", scope="all", limit="2", offset="6") == []
    page = await agenda(harness, "villette-1", scope="all", limit="1", offset="1")
    assert page[0]["access"]["observer"]["allowed"] is True  # each row still says who may register
    harness.clock.now = EVENING + timedelta(days=10)
    past = await agenda(harness, "villette-1", scope="all", when="past", limit="2")
    assert ids(past) == [every[4], every[3]]  # newest first, as the whole list
    staff = await harness.client.get("/instances", params={"limit": "3", "offset": "1"}, headers=STAFF)
    assert ids(staff.json()) == every[1:4]
    for bad in ({"limit": "0"}, {"limit": "5000"}, {"offset": "-1"}):
        refused = await harness.client.get("/instances", params=bad, headers=harness.member("villette-1"))
        assert refused.status_code == 422
