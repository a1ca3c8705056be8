"""« Je viens » (issue 19), through the meetings API: a confirmed registrant confirms she is
coming (`AttendanceConfirmed`, ids only); a second time changes nothing; staff see who
confirmed, she sees it on hers; a waitlisted one has no seat to confirm; « Je ne viens plus »
takes the confirmation away and frees the seat for the waiting list (promoted); after the start
there is nothing to confirm; a database rebuilt from the facts holds the same confirmations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from conseils_meetings.confirmation_tables import attendance_confirmations
from conseils_meetings.presence_tables import presence_attempts

from .conftest import STAFF, Harness
from .test_api import DAYTIME, register, schedule

pytestmark = pytest.mark.postgres


async def confirm(h: Harness, iid: str, member: str) -> tuple[int, dict[str, str]]:
    response = await h.client.post(f"/instances/{iid}/attendance-confirmations", headers=h.member(member))
    return response.status_code, response.json()


async def test_je_viens_is_recorded_counted_and_undone_by_je_ne_viens_plus(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")  # 1 seat per council
    iid = instance["id"]
    await register(harness, iid, "franc-moisin-0")
    assert (await register(harness, iid, "franc-moisin-1"))["status"] == "waitlisted"
    fatou, waiting = harness.world.members["franc-moisin-0"], harness.world.members["franc-moisin-1"]

    status, body = await confirm(harness, iid, "franc-moisin-0")
    assert (status, body["outcome"]) == (200, "confirmed"), body
    assert "Votre venue est confirmée" in body["message"]
    status, body = await confirm(harness, iid, "franc-moisin-0")
    assert (status, body["outcome"]) == (200, "already")
    facts = [p for k, p in await harness.outbox() if k == "attendance.confirmed"]
    assert len(facts) == 1
    assert set(facts[0]) == {"instance_id", "registration_id", "member_id", "confirmed_at"}  # ids only
    assert facts[0]["member_id"] == str(fatou)

    seen = (await harness.client.get(f"/instances/{iid}/attendance-confirmations", headers=STAFF)).json()
    assert [row["member_id"] for row in seen] == [str(fatou)]
    mine = await harness.client.get("/me/attendance-confirmations", headers=harness.member("franc-moisin-0"))
    assert [row["instance_id"] for row in mine.json()] == [iid]
    assert (
        await harness.client.get(
            f"/instances/{iid}/attendance-confirmations", headers=harness.member("franc-moisin-0")
        )
    ).status_code == 403

    status, body = await confirm(harness, iid, "franc-moisin-1")
    assert status == 422, body
    assert "liste d'attente" in body["detail"]

    cancelled = await harness.client.delete(
        f"/instances/{iid}/registrations/me", headers=harness.member("franc-moisin-0")
    )
    assert cancelled.json()["status"] == "cancelled"
    assert [k for k, _p in await harness.outbox()][-1] == "registration.promoted"  # the seat goes on
    assert (
        await harness.client.get(f"/instances/{iid}/attendance-confirmations", headers=STAFF)
    ).json() == []
    status, body = await confirm(harness, iid, "franc-moisin-1")  # promoted: now she can
    assert (status, body["outcome"]) == (200, "confirmed")
    seen = (await harness.client.get(f"/instances/{iid}/attendance-confirmations", headers=STAFF)).json()
    assert [row["member_id"] for row in seen] == [str(waiting)]

    harness.clock.now = DAYTIME + timedelta(minutes=5)
    status, body = await confirm(harness, iid, "franc-moisin-1")
    assert status == 422
    assert "déjà commencé" in body["detail"]


async def test_an_erased_member_takes_her_wrong_codes_with_her(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")
    iid = instance["id"]
    await register(harness, iid, "franc-moisin-2")
    member = harness.world.members["franc-moisin-2"]
    harness.clock.now = DAYTIME + timedelta(minutes=30)
    typed = await harness.client.post(
        f"/instances/{iid}/presence-declarations",
        json={"code": "ZZZZZZ"},
        headers=harness.member("franc-moisin-2"),
    )
    assert typed.status_code == 422, typed.text
    database = harness.service.database
    async with database.sessionmaker() as session:
        rows = (await session.execute(select(presence_attempts.c.member_id))).scalars().all()
    assert rows == [member]
    async with database.sessionmaker() as session, session.begin():
        await harness.service.erase_attending_data(harness.service.units.on(session), member)
    async with database.sessionmaker() as session:
        assert (await session.execute(select(presence_attempts))).first() is None
        assert (await session.execute(select(attendance_confirmations))).first() is None
