"""The bilan a year later says what was true on the day of each instance.

The two probes of issue 12, through the service's API and the read model's
consumer code: a referent replaced (then gone) in June does not change the
April figures; members who leave in June do not shrink an April COPIL. And
the period is cut on Paris dates, both ends included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete

from conseils_meetings import tables
from conseils_schemas import MemberLeft, ReferentDesignated, ReferentWithdrawn

from .conftest import STAFF, Harness, apply_fact
from .test_api import register, schedule

pytestmark = pytest.mark.postgres

APRIL_EVENING = datetime(2027, 4, 6, 16, 30, tzinfo=UTC)  # Tuesday 18:30 in Paris


async def held(harness: Harness, kind: str, present: list[str], **extra: Any) -> str:
    instance = await schedule(harness, kind, APRIL_EVENING, **extra)
    iid = str(instance["id"])
    for name in present:
        await register(harness, iid, name)
    harness.clock.now = datetime(2027, 4, 7, 9, 0, tzinfo=UTC)
    members = [str(harness.world.members[name]) for name in present]
    response = await harness.client.post(
        f"/instances/{iid}/attendance", json={"present_member_ids": members}, headers=STAFF
    )
    assert response.status_code == 200, response.text
    return iid


async def bilan(harness: Harness, period_from: str = "2027-01-01", period_to: str = "2027-12-31") -> Any:
    response = await harness.client.get(f"/bilan?from={period_from}&to={period_to}", headers=STAFF)
    assert response.status_code == 200, response.text
    return response.json()


def council_row(result: Any, harness: Harness, name: str) -> Any:
    key = str(harness.world.councils[name])
    return next(row for row in result["by_council"] if row["key"] == key)


async def in_june(harness: Harness, *facts: Any) -> None:
    harness.clock.now = datetime(2027, 6, 20, 9, 0, tzinfo=UTC)
    async with harness.service.database.sessionmaker() as session, session.begin():
        for fact in facts:
            await apply_fact(fact, session, harness.clock.now)


async def forget_convened_lists(harness: Harness) -> None:
    """Remove the frozen lists: the figures must then come from the temporal read model alone."""
    async with harness.service.database.sessionmaker() as session, session.begin():
        await session.execute(delete(tables.convened))


@pytest.mark.parametrize("frozen", [True, False], ids=["convened-list", "read-model-as-of"])
async def test_a_referent_replaced_in_june_keeps_the_april_presence(harness: Harness, frozen: bool) -> None:
    # Under the referent scenario (the demo's comités techniques are an open pool from May 2026).
    harness.service.territory = harness.service.territory.model_copy(update={"participation": {}})
    await held(harness, "comite-technique", ["franc-moisin-0"], theme="emploi")
    before = council_row(await bilan(harness), harness, "franc-moisin")
    assert (before["referents_expected"], before["referents_present"]) == (1, 1)
    assert before["referent_presence_rate"] == 1.0

    council = harness.world.councils["franc-moisin"]
    old, new = harness.world.members["franc-moisin-0"], harness.world.members["franc-moisin-1"]
    await in_june(
        harness,
        ReferentWithdrawn(
            council_id=council, theme="emploi", member_id=old, until=date(2027, 6, 15), reason="replaced"
        ),
        ReferentDesignated(council_id=council, theme="emploi", member_id=new, since=date(2027, 6, 15)),
    )
    if not frozen:
        await forget_convened_lists(harness)
    after = council_row(await bilan(harness), harness, "franc-moisin")
    assert after["referent_presence_rate"] == 1.0
    assert (after["invited"], after["referents_expected"], after["referents_present"]) == (1, 1, 1)

    # ... and when she leaves the council altogether.
    await in_june(harness, MemberLeft(member_id=old, council_id=council, left_on=date(2027, 6, 18)))
    gone = council_row(await bilan(harness), harness, "franc-moisin")
    assert gone["referent_presence_rate"] == 1.0
    assert gone["present"] == 1


@pytest.mark.parametrize("frozen", [True, False], ids=["convened-list", "read-model-as-of"])
async def test_members_who_leave_in_june_were_still_invited_in_april(harness: Harness, frozen: bool) -> None:
    await held(harness, "copil", ["franc-moisin-0"])
    assert council_row(await bilan(harness), harness, "franc-moisin")["invited"] == 4
    council = harness.world.councils["franc-moisin"]
    await in_june(
        harness,
        *(
            MemberLeft(
                member_id=harness.world.members[f"franc-moisin-{index}"],
                council_id=council,
                left_on=date(2027, 6, 10),
            )
            for index in (1, 2, 3)
        ),
    )
    if not frozen:
        await forget_convened_lists(harness)
    row = council_row(await bilan(harness), harness, "franc-moisin")
    assert row["invited"] == 4
    assert (row["registered"], row["present"], row["registered_absent"]) == (1, 1, 0)


async def test_the_period_is_cut_on_paris_dates_both_ends_included(harness: Harness) -> None:
    # 19:00 UTC on 31 December 2027 is 20:00 in Paris: the last evening of 2027.
    # 23:30 UTC on 31 December 2027 is 00:30 on 1 January 2028 in Paris: next year's.
    last_evening = await schedule(harness, "copil", datetime(2027, 12, 31, 19, 0, tzinfo=UTC))
    first_night = await schedule(harness, "copil", datetime(2027, 12, 31, 23, 30, tzinfo=UTC))
    year = await bilan(harness)
    assert year["total"]["instances_concerned"] == 1  # 31/12 20:00 Paris is in 2027; 01/01 00:30 is not
    next_year = await bilan(harness, "2028-01-01", "2028-12-31")
    assert next_year["total"]["instances_concerned"] == 1
    one_day = await bilan(harness, "2027-12-31", "2027-12-31")
    assert one_day["total"]["instances_concerned"] == 1
    assert last_evening["id"] != first_night["id"]


async def test_a_saturday_morning_is_outside_working_hours_but_not_evening(harness: Harness) -> None:
    saturday = datetime(2027, 4, 10, 8, 0, tzinfo=UTC)  # Saturday 10:00 in Paris
    instance = await schedule(harness, "copil", saturday)
    harness.clock.now = datetime(2027, 4, 11, 9, 0, tzinfo=UTC)
    response = await harness.client.post(
        f"/instances/{instance['id']}/attendance",
        json={"present_member_ids": [str(harness.world.members["floreal-0"])]},
        headers=STAFF,
    )
    assert response.status_code == 200
    total = (await bilan(harness))["total"]
    assert total["political_held"] == 1
    assert total["political_weekday_evening"] == 0
    assert total["evening_share"] == 0.0
    assert total["political_saturday"] == 1
    assert total["outside_working_hours_share"] == 1.0


async def test_themes_without_referent_are_counted_over_time(harness: Harness) -> None:
    result = await bilan(harness)
    emploi = [v for v in result["vacancies"] if v["theme"] == "emploi"]
    assert emploi[0] == {"theme": "emploi", "date": "2027-01-01", "councils": 3, "without_referent": 0}
    sante = [v for v in result["vacancies"] if v["theme"] == "sante"]
    assert {v["without_referent"] for v in sante} == {3}  # nobody, all year: now it says so
    await in_june(
        harness,
        ReferentWithdrawn(
            council_id=harness.world.councils["villette"],
            theme="emploi",
            member_id=harness.world.members["villette-0"],
            until=date(2027, 6, 15),
            reason="withdrawn",
        ),
    )
    emploi = {
        v["date"]: v["without_referent"]
        for v in (await bilan(harness))["vacancies"]
        if v["theme"] == "emploi"
    }
    assert emploi["2027-06-01"] == 0
    assert emploi["2027-07-01"] == 1
    assert emploi["2027-12-31"] == 1
    row = next(r for r in (await bilan(harness))["by_theme"] if r["key"] == "emploi")
    assert row["councils_without_referent"] == 1


@pytest.mark.parametrize(
    ("period_from", "period_to"), [("0001-01-01", "0001-01-01"), ("2027-01-01", "9999-12-31")]
)
async def test_a_period_out_of_bounds_is_refused_in_french(
    harness: Harness, period_from: str, period_to: str
) -> None:
    response = await harness.client.get(f"/bilan?from={period_from}&to={period_to}", headers=STAFF)
    assert response.status_code == 422
    assert "Période hors limites" in response.json()["detail"]
