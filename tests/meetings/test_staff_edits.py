"""Staff's everyday corrections through the meetings API (issue 18): an instance's title, theme,
description (InstanceUpdated, applied the same on replay), a draft edited and scheduled, a
document removed before publication, "Publier le dossier" refused with nothing new, and the
other participants of an attendance (organisation, role, count) counted in the bilan."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conseils_meetings import projection, tables
from conseils_meetings.service import MeetingsService
from conseils_schemas import model_for

from .conftest import NOW, STAFF, Harness, auth
from .test_api import DAYTIME, PDF, instance_body, schedule, upload

pytestmark = pytest.mark.postgres


async def test_title_theme_description_edited_as_one_fact(harness: Harness) -> None:
    iid = (await schedule(harness, "copil"))["id"]
    edited = await harness.client.patch(
        f"/instances/{iid}",
        json={
            "title": "Comité de pilotage — bilan",
            "theme": "emploi",
            "description": "Ordre du jour : bilan",
        },
        headers=STAFF,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["title"], body["theme"], body["description"]) == (
        "Comité de pilotage — bilan",
        "emploi",
        "Ordre du jour : bilan",
    )
    again = await harness.client.patch(f"/instances/{iid}", json={"title": body["title"]}, headers=STAFF)
    assert again.status_code == 200
    updates = [p for k, p in await harness.outbox() if k == "instance.updated"]
    assert len(updates) == 1  # nothing changed the second time: no second fact
    assert updates[0]["description"] == "Ordre du jour : bilan"
    cleared = await harness.client.patch(
        f"/instances/{iid}", json={"theme": "", "description": ""}, headers=STAFF
    )
    assert (cleared.json()["theme"], cleared.json()["description"]) == (None, None)


async def test_bad_edits_are_refused_in_french(harness: Harness) -> None:
    iid = (await schedule(harness, "comite-technique", theme="emploi"))["id"]
    place = await harness.client.patch(f"/instances/{iid}", json={"location": "Ailleurs"}, headers=STAFF)
    assert place.status_code == 409
    assert "déplacez-la" in place.json()["detail"]
    theme = await harness.client.patch(f"/instances/{iid}", json={"theme": "sante"}, headers=STAFF)
    assert theme.status_code == 409
    assert "conseils convoqués" in theme.json()["detail"]
    unknown = await harness.client.patch(f"/instances/{iid}", json={"theme": "inconnue"}, headers=STAFF)
    assert unknown.status_code == 422
    assert "Thématique inconnue" in unknown.json()["detail"]
    short = await harness.client.patch(f"/instances/{iid}", json={"title": "x"}, headers=STAFF)
    assert short.status_code == 422
    councillor = auth("councillor")
    assert (await harness.client.patch(f"/instances/{iid}", json={}, headers=councillor)).status_code == 403
    await harness.client.post(
        f"/instances/{iid}/cancel", json={"reason": "Salle indisponible"}, headers=STAFF
    )
    late = await harness.client.patch(f"/instances/{iid}", json={"title": "Trop tard"}, headers=STAFF)
    assert late.status_code == 409
    assert "annulée" in late.json()["detail"]


async def test_a_draft_is_edited_place_included_then_scheduled(harness: Harness) -> None:
    created = await harness.client.post(
        "/instances", json=instance_body("copil", as_draft=True), headers=STAFF
    )
    assert created.status_code == 201, created.text
    iid = created.json()["id"]
    assert created.json()["status"] == "draft"
    edited = await harness.client.patch(
        f"/instances/{iid}",
        json={"location": "Maison de quartier", "title": "Copil de printemps"},
        headers=STAFF,
    )
    assert (edited.json()["location"], edited.json()["title"]) == ("Maison de quartier", "Copil de printemps")
    assert not [k for k, _ in await harness.outbox() if k == "instance.updated"]  # a draft is no fact
    scheduled = await harness.client.post(f"/instances/{iid}/schedule", headers=STAFF)
    assert scheduled.json()["status"] == "scheduled"
    [payload] = [p for k, p in await harness.outbox() if k == "instance.scheduled"]
    assert (payload["title"], payload["location"]) == ("Copil de printemps", "Maison de quartier")


async def test_a_document_is_removed_before_publication_and_not_after(
    harness: Harness, tmp_path: Path
) -> None:
    iid = (await schedule(harness))["id"]
    wrong = (await upload(harness, iid, "mauvais.pdf", PDF)).json()
    assert len(list((tmp_path / "documents").iterdir())) == 1
    removed = await harness.client.delete(f"/instances/{iid}/documents/{wrong['id']}", headers=STAFF)
    assert removed.status_code == 204
    assert list((tmp_path / "documents").iterdir()) == []
    nothing = await harness.client.post(f"/instances/{iid}/dossier/publish", headers=STAFF)
    assert nothing.status_code == 422
    assert "Déposez au moins un document" in nothing.json()["detail"]
    good = (await upload(harness, iid, "ordre-du-jour.pdf", PDF)).json()
    assert (await harness.client.post(f"/instances/{iid}/dossier/publish", headers=STAFF)).status_code == 200
    again = await harness.client.post(f"/instances/{iid}/dossier/publish", headers=STAFF)
    assert again.status_code == 422
    assert again.json()["code"] == "rien_a_publier"
    kept = await harness.client.delete(f"/instances/{iid}/documents/{good['id']}", headers=STAFF)
    assert kept.status_code == 409
    assert "nouvelle version" in kept.json()["detail"]
    other = (await schedule(harness))["id"]
    elsewhere = await harness.client.delete(f"/instances/{other}/documents/{good['id']}", headers=STAFF)
    assert elsewhere.status_code == 404
    assert (await upload(harness, iid, "image.png", PDF)).json()["code"] == "document_refuse"  # by content


OTHERS = [
    {"category": "elected", "organisation": "Ville de Saint-Denis", "role": "adjointe au maire", "count": 1},
    {"category": "state", "organisation": "Préfecture", "role": "délégué du préfet", "count": 2},
    {"category": "partner", "organisation": "Mission locale", "role": "conseillère", "count": 3},
]


async def test_other_participants_are_recorded_and_counted_in_the_bilan(harness: Harness) -> None:
    iid = (await schedule(harness, "comite-technique", DAYTIME, theme="emploi"))["id"]
    harness.clock.now = DAYTIME + timedelta(hours=3)
    present = [str(harness.world.members["franc-moisin-0"])]
    bad = await harness.client.post(
        f"/instances/{iid}/attendance",
        json={
            "present_member_ids": present,
            "others": [{"category": "elected", "organisation": "", "role": "x"}],
        },
        headers=STAFF,
    )
    assert bad.status_code == 422
    recorded = await harness.client.post(
        f"/instances/{iid}/attendance", json={"present_member_ids": present, "others": OTHERS}, headers=STAFF
    )
    assert recorded.status_code == 200, recorded.text
    assert [g["organisation"] for g in recorded.json()["other_attendees"]] == [
        "Ville de Saint-Denis",
        "Préfecture",
        "Mission locale",
    ]
    [payload] = [p for k, p in await harness.outbox() if k == "attendance.recorded"]
    assert payload["other_attendees"][1] == OTHERS[1]
    bilan = await harness.client.get(
        "/bilan", params={"from": "2027-04-01", "to": "2027-04-30", "format": "json"}, headers=STAFF
    )
    figures = bilan.json()
    assert figures["total"]["present"] == 1
    assert figures["total"]["others_present"] == 6
    assert figures["others_by_category"] == {
        "elected": 1,
        "city": 0,
        "territory": 0,
        "state": 2,
        "partner": 3,
        "other": 0,
    }
    html = await harness.client.get(
        "/bilan", params={"from": "2027-04-01", "to": "2027-04-30", "format": "html"}, headers=STAFF
    )
    assert "Autres participants" in html.text
    assert "Services de l&#39;État" in html.text or "Services de l'État" in html.text


async def _state(service: MeetingsService, instance_id: str) -> dict[str, Any]:
    async with service.database.sessionmaker() as session:
        row = (
            (
                await session.execute(
                    select(tables.instances).where(tables.instances.c.id == uuid.UUID(instance_id))
                )
            )
            .mappings()
            .one()
        )
    return {k: row[k] for k in ("title", "theme", "description", "status", "location", "other_attendees")}


async def test_a_database_rebuilt_from_the_facts_holds_the_same_edits(harness: Harness) -> None:
    iid = (await schedule(harness, "comite-technique", DAYTIME, theme="emploi"))["id"]
    await harness.client.patch(
        f"/instances/{iid}",
        json={"title": "Comité emploi", "description": "Avec la mission locale"},
        headers=STAFF,
    )
    harness.clock.now = DAYTIME + timedelta(hours=3)
    await harness.client.post(
        f"/instances/{iid}/attendance", json={"present_member_ids": [], "others": OTHERS}, headers=STAFF
    )
    live = await _state(harness.service, iid)
    service = harness.service
    async with service.database.sessionmaker() as session, session.begin():
        await session.execute(tables.attendance.delete())
        await session.execute(tables.instances.delete())  # the instance forgotten: only its facts remain
    async with service.database.sessionmaker() as session, session.begin():
        for kind, payload in await harness.outbox():
            if kind.startswith("alerts."):
                continue
            event = model_for(f"fr.conseils.meetings.{kind}.v1").model_validate(payload)
            await projection.apply(session, event, NOW, service.territory)
    rebuilt = await _state(service, iid)
    assert rebuilt == live
    assert live["title"] == "Comité emploi"
    assert live["description"] == "Avec la mission locale"
    assert json.loads(json.dumps(live["other_attendees"]))[0]["role"] == "adjointe au maire"
