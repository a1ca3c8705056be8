"""A councillor's own history (`GET /me/history`) on SQLite and PostgreSQL:
the past instances of her council and themes, newest first, with whether she
was registered and marked present and the published minutes; her
registrations over time. Upcoming instances, drafts and other councils'
instances are not in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import STAFF, Harness
from .test_api import DAYTIME, EVENING, register, schedule, upload

pytestmark = pytest.mark.postgres


async def history(h: Harness, member: str) -> dict[str, Any]:
    response = await h.client.get("/me/history", headers=h.member(member))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def entry(body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    [found] = [row for row in body["instances"] if row["id"] == instance_id]
    return found


async def test_history_shows_registration_presence_and_minutes(harness: Harness) -> None:
    members = harness.world.members
    # A city instance of Saint-Denis: Franc-Moisin and Floréal, not Villette (Aubervilliers).
    clip = (await schedule(harness, "clip", DAYTIME, city_code="93066", title="CLIP Saint-Denis"))["id"]
    earlier = (await schedule(harness, "clip", DAYTIME - timedelta(days=1), city_code="93066"))["id"]
    upcoming = (await schedule(harness, "copil", EVENING))["id"]
    draft = await harness.client.post(
        "/instances",
        json={
            "instance_type": "clip",
            "title": "Brouillon",
            "starts_at": (DAYTIME - timedelta(days=2)).isoformat(),
            "ends_at": (DAYTIME - timedelta(days=2, hours=-2)).isoformat(),
            "location": "Mairie",
            "city_code": "93066",
            "as_draft": True,
        },
        headers=STAFF,
    )
    assert draft.status_code == 201, draft.text
    await register(harness, clip, "franc-moisin-1")
    await register(harness, clip, "franc-moisin-2")
    await register(harness, earlier, "franc-moisin-1")
    await register(harness, upcoming, "franc-moisin-1")
    cancelled = await harness.client.post(
        f"/instances/{earlier}/cancel", json={"reason": "salle indisponible"}, headers=STAFF
    )
    assert cancelled.status_code == 200, cancelled.text

    # Nothing has happened yet: the history is empty, her registrations are there.
    before = await history(harness, "franc-moisin-1")
    assert before["instances"] == []
    assert {row["instance_id"] for row in before["registrations"]} == {clip, earlier, upcoming}

    harness.clock.now = DAYTIME + timedelta(hours=3)
    present = [str(members["franc-moisin-1"]), str(members["floreal-1"])]  # floreal-1 came unregistered
    held = await harness.client.post(
        f"/instances/{clip}/attendance", json={"present_member_ids": present}, headers=STAFF
    )
    assert held.status_code == 200, held.text
    assert (
        await upload(harness, clip, "compte-rendu.txt", b"Compte rendu detaille", "minutes")
    ).status_code == 201
    minutes = await harness.client.post(
        f"/instances/{clip}/minutes", json={"summary": "Trois projets retenus."}, headers=STAFF
    )
    assert minutes.status_code == 200, minutes.text

    mine = await history(harness, "franc-moisin-1")
    assert [row["id"] for row in mine["instances"]] == [clip, earlier]  # newest first, no upcoming, no draft
    row = entry(mine, clip)
    assert row["title"] == "CLIP Saint-Denis"
    assert row["instance_type_name"]
    assert row["status"] == "minutes_published"
    assert row["registration"]["mode"] == "participant"
    assert row["registration"]["status"] == "confirmed"
    assert row["present"] is True
    assert row["participation"] == "present"
    assert row["minutes_summary"] == "Trois projets retenus."
    [document] = row["minutes_documents"]
    assert document["filename"] == "compte-rendu.txt"
    assert document["download_url"] == f"/documents/{document['id']}/download"
    gone = entry(mine, earlier)
    assert gone["status"] == "cancelled"
    assert gone["cancel_reason"] == "salle indisponible"
    assert gone["present"] is None
    assert gone["minutes_summary"] is None
    assert gone["minutes_documents"] == []
    # her registrations over time, the upcoming one included, newest instance first
    assert [r["instance_id"] for r in mine["registrations"]] == [upcoming, clip, earlier]
    assert mine["registrations"][1]["title"] == "CLIP Saint-Denis"
    assert mine["registrations"][2]["instance_status"] == "cancelled"

    absent = entry(await history(harness, "franc-moisin-2"), clip)
    assert (absent["present"], absent["participation"]) == (False, "absent")
    assert absent["registration"]["status"] == "confirmed"

    # Same council, never registered: she sees it as "not registered", minutes included.
    neighbour = await history(harness, "franc-moisin-3")
    assert [row["id"] for row in neighbour["instances"]] == [clip, earlier]
    row = entry(neighbour, clip)
    assert (row["registration"], row["present"], row["participation"]) == (None, False, "not_registered")
    assert row["minutes_summary"] == "Trois projets retenus."
    assert neighbour["registrations"] == []

    came = entry(await history(harness, "floreal-1"), clip)
    assert (came["registration"], came["present"], came["participation"]) == (None, True, "present")

    # Another council (Aubervilliers): not concerned, not in her history.
    assert (await history(harness, "villette-1"))["instances"] == []


async def test_what_she_attended_stays_in_her_history_even_outside_her_agenda(harness: Harness) -> None:
    clip = (await schedule(harness, "clip", DAYTIME, city_code="93066"))["id"]
    harness.clock.now = DAYTIME + timedelta(hours=3)
    villette = str(harness.world.members["villette-2"])  # came as a guest from another city
    held = await harness.client.post(
        f"/instances/{clip}/attendance", json={"present_member_ids": [villette]}, headers=STAFF
    )
    assert held.status_code == 200, held.text
    [row] = (await history(harness, "villette-2"))["instances"]
    assert (row["id"], row["status"], row["participation"]) == (clip, "held", "present")
    assert (await history(harness, "villette-1"))["instances"] == []


async def test_history_is_for_councillors_only(harness: Harness) -> None:
    assert (await harness.client.get("/me/history")).status_code == 401
    assert (await harness.client.get("/me/history", headers=STAFF)).status_code == 403
