"""Issue 17 (pages at national size): `GET /staff/instances` gives the staff's list of instances
(the site's /equipe/instances) filtered by type, theme, state, city and period, counted and
paged by the database, the drafts apart; the same summaries, in the same order (start, then
id), as `GET /instances`. Staff only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from conseils_schemas import CouncilUpdated

from .conftest import STAFF, Harness, apply_fact
from .test_api import DAYTIME, EVENING, schedule

pytestmark = pytest.mark.postgres


async def staff_list(h: Harness, **params: str) -> dict[str, Any]:
    response = await h.client.get("/staff/instances", params=params, headers=STAFF)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


@dataclass
class Made:
    clip_saint_denis: dict[str, Any]  # 6 April, 93066
    clip_aubervilliers: dict[str, Any]  # 7 April, 93001
    technique: dict[str, Any]  # 8 April, theme emploi, no city
    formation: dict[str, Any]  # 9 April in the morning, the Villette council's (Aubervilliers)
    draft: dict[str, Any]  # 10 April, a draft CLIP in 93066
    cancelled: dict[str, Any]  # 11 April, a cancelled CLIP in 93066

    def listed(self) -> list[str]:
        return ids(
            [
                self.clip_saint_denis,
                self.clip_aubervilliers,
                self.technique,
                self.formation,
                self.cancelled,
            ]
        )


async def make(h: Harness) -> Made:
    day = timedelta(days=1)
    made = Made(
        clip_saint_denis=await schedule(h, "clip", EVENING, city_code="93066"),
        clip_aubervilliers=await schedule(h, "clip", EVENING + day, city_code="93001"),
        technique=await schedule(h, "comite-technique", EVENING + 2 * day, theme="emploi"),
        formation=await schedule(
            h, "formation", DAYTIME + 3 * day, council_id=str(h.world.councils["villette"])
        ),
        draft=await schedule(h, "clip", EVENING + 4 * day, city_code="93066", as_draft=True),
        cancelled=await schedule(h, "clip", EVENING + 5 * day, city_code="93066"),
    )
    cancelled = await h.client.post(
        f"/instances/{made.cancelled['id']}/cancel", json={"reason": "Salle indisponible"}, headers=STAFF
    )
    assert cancelled.status_code == 200, cancelled.text
    return made


async def test_the_whole_list_counts_the_instances_and_sets_the_drafts_apart(harness: Harness) -> None:
    made = await make(harness)
    answer = await staff_list(harness)
    assert answer["total"] == 5
    assert ids(answer["instances"]) == made.listed()
    assert ids(answer["drafts"]) == [made.draft["id"]]
    # the same summaries as GET /instances gives the staff, field for field
    every = await harness.client.get("/instances", headers=STAFF)
    by_id = {row["id"]: row for row in every.json()}
    assert answer["instances"] == [by_id[row_id] for row_id in made.listed()]
    assert answer["drafts"] == [by_id[made.draft["id"]]]


async def test_each_filter_applies_to_the_count_the_page_and_the_drafts(harness: Harness) -> None:
    made = await make(harness)
    clips = await staff_list(harness, type="clip")
    assert clips["total"] == 3
    assert ids(clips["instances"]) == ids([made.clip_saint_denis, made.clip_aubervilliers, made.cancelled])
    assert ids(clips["drafts"]) == [made.draft["id"]]
    emploi = await staff_list(harness, theme="emploi")
    assert (emploi["total"], ids(emploi["instances"]), emploi["drafts"]) == (
        1,
        [made.technique["id"]],
        [],
    )
    cancelled = await staff_list(harness, status="cancelled")
    assert (ids(cancelled["instances"]), cancelled["drafts"]) == ([made.cancelled["id"]], [])
    drafts = await staff_list(harness, status="draft")
    assert (drafts["total"], drafts["instances"], ids(drafts["drafts"])) == (0, [], [made.draft["id"]])
    nothing = await staff_list(harness, type="clip", theme="emploi")
    assert (nothing["total"], nothing["instances"], nothing["drafts"]) == (0, [], [])


async def test_the_city_is_the_instances_own_else_its_councils(harness: Harness) -> None:
    made = await make(harness)
    aubervilliers = await staff_list(harness, city="93001")
    # the Villette council's training has no city of its own: its council's city counts
    assert ids(aubervilliers["instances"]) == ids([made.clip_aubervilliers, made.formation])
    assert aubervilliers["drafts"] == []
    saint_denis = await staff_list(harness, city="93066")
    assert ids(saint_denis["instances"]) == ids([made.clip_saint_denis, made.cancelled])
    assert ids(saint_denis["drafts"]) == [made.draft["id"]]
    # the council's city as the registry says it now (the read model follows CouncilUpdated)
    async with harness.service.database.sessionmaker() as session, session.begin():
        await apply_fact(
            CouncilUpdated(council_id=harness.world.councils["villette"], city="Pantin", city_code="93055"),
            session,
        )
    assert ids((await staff_list(harness, city="93055"))["instances"]) == [made.formation["id"]]
    assert ids((await staff_list(harness, city="93001"))["instances"]) == [made.clip_aubervilliers["id"]]


async def test_the_period_takes_from_and_leaves_to_out(harness: Harness) -> None:
    made = await make(harness)
    window = await staff_list(
        harness,
        **{
            "from": (EVENING + timedelta(days=1)).isoformat(),
            "to": (EVENING + timedelta(days=2)).isoformat(),
        },
    )
    assert (window["total"], ids(window["instances"])) == (1, [made.clip_aubervilliers["id"]])
    paris = "+02:00"  # the bounds may come in the territory's time zone (the site's local days)
    later = await staff_list(
        harness, **{"from": "2027-04-09T00:00:00" + paris, "to": "2027-04-11T00:00:00" + paris}
    )
    assert ids(later["instances"]) == [made.formation["id"]]
    assert ids(later["drafts"]) == [made.draft["id"]]


async def test_a_page_of_the_list_in_order_of_start_then_id(harness: Harness) -> None:
    made = await make(harness)
    same_time = EVENING + timedelta(days=6)
    twins = [await schedule(harness, "clip", same_time, city_code="93066") for _ in range(3)]
    order = [*made.listed(), *sorted(ids(twins))]
    assert ids((await staff_list(harness))["instances"]) == order
    page = await staff_list(harness, limit="3", offset="2")
    assert (page["total"], ids(page["instances"])) == (8, order[2:5])
    assert ids(page["drafts"]) == [made.draft["id"]]  # every draft, whatever the page
    last = await staff_list(harness, limit="3", offset="6")
    assert ids(last["instances"]) == order[6:]
    assert (await staff_list(harness, limit="3", offset="9"))["instances"] == []
    assert (await staff_list(harness))["total"] == 8  # 50 a page by default: all of them


async def test_only_staff_see_the_list_and_bad_values_are_refused_in_french(harness: Harness) -> None:
    await make(harness)
    councillor = await harness.client.get("/staff/instances", headers=harness.member("villette-1"))
    assert councillor.status_code == 403
    assert councillor.json()["code"] == "interdit"
    assert (await harness.client.get("/staff/instances")).status_code == 401
    for bad in (
        {"limit": "0"},
        {"limit": "5000"},
        {"offset": "-1"},
        {"from": "demain"},
        {"to": "2027-13-01"},
        {"type": "x" * 65},
        {"city": "9" * 65},
    ):
        refused = await harness.client.get("/staff/instances", params=bad, headers=STAFF)
        assert refused.status_code == 422, bad
        assert refused.json()["detail"].startswith("Données invalides"), refused.text
