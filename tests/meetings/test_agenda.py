"""Issue 14, item 1 and 4, in the API: the agenda of the whole territory for a councillor
(her council, her themes, her city, all; by type; upcoming or past), each instance saying
who may register how and why (quota, closed, not concerned, observers not allowed), and
her presence at past instances (instance detail and `/me/registrations`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import STAFF, Harness
from .test_api import DAYTIME, EVENING, register, schedule

pytestmark = pytest.mark.postgres


async def agenda(h: Harness, member: str, **query: str) -> list[dict[str, Any]]:
    response = await h.client.get("/instances", params=query, headers=h.member(member))
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def test_a_councillor_of_another_city_finds_the_clip_and_may_observe_it(harness: Harness) -> None:
    # The symptom: an Aubervilliers councillor's agenda lists only her council's and themes'
    # instances, so a Saint-Denis CLIP (that she may observe) is nowhere for her.
    clip = await schedule(harness, "clip", EVENING, city_code="93066")
    assert [row["id"] for row in await agenda(harness, "villette-1")] == []  # "mine" by default
    [found] = await agenda(harness, "villette-1", scope="all")
    assert found["id"] == clip["id"]
    access = found["access"]
    assert access["concerned"] is False
    assert access["participant"] == {
        "allowed": False,
        "code": "not_concerned",
        "reason": "Votre conseil n'est pas concerné par cette instance : inscrivez-vous comme observateur.",
    }
    assert access["observer"]["allowed"] is True
    assert access["observer"]["code"] == "open"
    assert "accueille des observateur·rices" in access["observer"]["reason"]
    observed = await register(harness, clip["id"], "villette-1", "observer")
    assert (observed["mode"], observed["status"]) == ("observer", "confirmed")
    # A Saint-Denis councillor is concerned: she may participate.
    [theirs] = await agenda(harness, "floreal-1", scope="city")
    assert theirs["access"]["concerned"] is True
    assert theirs["access"]["participant"]["code"] == "open"
    assert "Votre conseil est concerné" in theirs["access"]["participant"]["reason"]


async def test_the_agenda_filters_by_council_themes_city_type_and_period(harness: Harness) -> None:
    clip = await schedule(harness, "clip", EVENING, city_code="93066")
    copil = await schedule(harness, "copil", EVENING + timedelta(days=1))
    emploi = await schedule(harness, "comite-technique", EVENING + timedelta(days=2), theme="emploi")
    habitat = await schedule(harness, "comite-technique", EVENING + timedelta(days=3), theme="habitat")
    formation = await schedule(
        harness, "formation", DAYTIME + timedelta(days=4), council_id=str(harness.world.councils["villette"])
    )
    all_ids = [clip["id"], copil["id"], emploi["id"], habitat["id"], formation["id"]]

    def ids(rows: list[dict[str, Any]]) -> list[str]:
        return [row["id"] for row in rows]

    # villette-0 follows emploi and is its referent; her council is in Aubervilliers.
    # (A comité technique concerns every council; the theme scope matches the theme.)
    assert ids(await agenda(harness, "villette-0", scope="all")) == all_ids
    assert ids(await agenda(harness, "villette-0", scope="council")) == [
        copil["id"],
        emploi["id"],
        habitat["id"],
        formation["id"],
    ]
    assert ids(await agenda(harness, "villette-0", scope="themes")) == [emploi["id"]]
    assert ids(await agenda(harness, "villette-0", scope="city")) == []
    assert ids(await agenda(harness, "floreal-1", scope="city")) == [clip["id"]]
    assert ids(await agenda(harness, "villette-0", scope="all", type="comite-technique")) == [
        emploi["id"],
        habitat["id"],
    ]
    assert ids(await agenda(harness, "villette-0", scope="all", when="past")) == []
    unknown = await harness.client.get(
        "/instances", params={"type": "inconnu"}, headers=harness.member("villette-0")
    )
    assert unknown.status_code == 422
    assert "Type d'instance inconnu" in unknown.json()["detail"]
    bad_scope = await harness.client.get(
        "/instances", params={"scope": "partout"}, headers=harness.member("villette-0")
    )
    assert bad_scope.status_code == 422

    # After them all: upcoming is empty, past lists them newest first.
    harness.clock.now = EVENING + timedelta(days=10)
    assert await agenda(harness, "villette-0", scope="all") == []
    past = await agenda(harness, "villette-0", scope="all", when="past")
    assert ids(past) == list(reversed(all_ids))
    assert {row["access"]["participant"]["code"] for row in past} == {"closed"}  # never held here
    # Staff still get every instance, without an `access`.
    staff = await harness.client.get("/instances", headers=STAFF)
    assert len(staff.json()) == 5
    assert {row["access"] for row in staff.json()} == {None}


async def test_the_agenda_says_why_a_registration_is_refused_or_waitlisted(harness: Harness) -> None:
    technique = await schedule(harness, "comite-technique", EVENING, theme="emploi")  # 1 seat per council
    await register(harness, technique["id"], "floreal-0")
    [full] = await agenda(harness, "floreal-1", scope="all")
    assert full["access"]["participant"]["allowed"] is True
    assert full["access"]["participant"]["code"] == "waitlist"
    assert full["access"]["participant"]["reason"] == (
        "Vous pouvez vous inscrire, mais les places de votre conseil sont prises (1 par conseil) : "
        "vous serez sur liste d'attente."
    )
    assert full["access"]["observer"]["code"] == "open"  # observers do not take the council's seat

    formation = await schedule(
        harness, "formation", DAYTIME, council_id=str(harness.world.councils["villette"])
    )
    [not_mine] = await agenda(harness, "floreal-1", scope="all", type="formation")
    assert not_mine["id"] == formation["id"]
    assert not_mine["access"]["observer"] == {
        "allowed": False,
        "code": "observers_not_allowed",
        "reason": "Cette instance n'accueille pas d'observateurs.",
    }
    assert not_mine["access"]["participant"]["reason"] == (
        "Votre conseil n'est pas concerné par cette instance."  # no "register as observer" here
    )

    cancelled = await harness.client.post(
        f"/instances/{technique['id']}/cancel", json={"reason": "Salle indisponible"}, headers=STAFF
    )
    assert cancelled.status_code == 200
    [gone] = await agenda(harness, "floreal-1", scope="all", type="comite-technique")
    assert gone["status"] == "cancelled"
    assert gone["cancel_reason"] == "Salle indisponible"
    assert gone["access"]["participant"]["code"] == "not_open"
    assert gone["access"]["participant"]["reason"] == (
        "Les inscriptions ne sont pas ouvertes : l'instance est annulée."
    )

    harness.clock.now = DAYTIME - timedelta(hours=23)  # the formation closes 24 h before
    [closed] = await agenda(harness, "villette-1", scope="council", type="formation")
    assert closed["access"]["participant"] == {
        "allowed": False,
        "code": "closed",
        "reason": "Les inscriptions sont closes (24 h avant le début).",
    }


async def test_her_access_and_presence_on_the_instance_and_in_her_registrations(harness: Harness) -> None:
    clip = await schedule(harness, "clip", DAYTIME, city_code="93066")
    iid = clip["id"]
    detail = await harness.client.get(f"/instances/{iid}", headers=harness.member("villette-1"))
    assert detail.json()["access"]["participant"]["code"] == "not_concerned"
    assert detail.json()["access"]["observer"]["allowed"] is True
    assert detail.json()["my_presence"] is None
    assert (await harness.client.get(f"/instances/{iid}", headers=STAFF)).json()["access"] is None
    await register(harness, iid, "villette-1", "observer")
    await register(harness, iid, "villette-2", "observer")
    [mine] = (await harness.client.get("/me/registrations", headers=harness.member("villette-1"))).json()
    assert (mine["present"], mine["minutes_published_at"]) == (None, None)

    harness.clock.now = DAYTIME + timedelta(hours=3)
    present = [str(harness.world.members["villette-1"])]
    held = await harness.client.post(
        f"/instances/{iid}/attendance", json={"present_member_ids": present}, headers=STAFF
    )
    assert held.json()["status"] == "held"
    minutes = await harness.client.post(
        f"/instances/{iid}/minutes", json={"summary": "Deux projets retenus."}, headers=STAFF
    )
    assert minutes.status_code == 200

    for member, presence, was_there in (("villette-1", "present", True), ("villette-2", "absent", False)):
        detail = await harness.client.get(f"/instances/{iid}", headers=harness.member(member))
        assert detail.json()["my_presence"] == presence
        assert detail.json()["minutes_summary"] == "Deux projets retenus."
        assert detail.json()["access"]["observer"]["code"] == "not_open"
        [row] = (await harness.client.get("/me/registrations", headers=harness.member(member))).json()
        assert row["present"] is was_there
        assert row["minutes_published_at"] is not None
        assert row["instance_status"] == "minutes_published"
