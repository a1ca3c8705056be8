"""Easy-to-read dossiers (a summary and its audio version, published with the dossier, offered
first, an alert when the summary is missing at the dossier's notice) and the bilan of the barriers
lifted: needs asked and booked, claims per council and instance type, easy-read coverage; the
same figures from a database whose meetings facts are rebuilt from the events alone."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from conseils_meetings import projection, tables
from conseils_meetings.attending_tables import cost_claims, easy_read_dossiers, needs_counts
from conseils_meetings.confirmation_tables import attendance_confirmations
from conseils_schemas import model_for

from .conftest import STAFF, Harness
from .test_api import EVENING, register, schedule, upload
from .test_attending import CHILDCARE, ME, claim, declare, held_instance

pytestmark = pytest.mark.postgres

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 50


async def test_the_easy_read_version_is_published_with_the_dossier_and_offered_first(
    harness: Harness,
) -> None:
    iid = (await schedule(harness))["id"]
    assert (await upload(harness, iid, "ordre-du-jour.pdf", PDF)).status_code == 201
    assert (
        await upload(harness, iid, "facile-a-lire.txt", "Le comité parle d'emploi.".encode(), "easy_read")
    ).status_code == 201
    assert (await upload(harness, iid, "ecouter.mp3", MP3, "easy_read_audio")).status_code == 201
    councillor = harness.member(ME)
    assert (await harness.client.get(f"/instances/{iid}/easy-read", headers=councillor)).json() == []
    staff_view = (await harness.client.get(f"/instances/{iid}/easy-read", headers=STAFF)).json()
    assert [d["filename"] for d in staff_view] == ["facile-a-lire.txt", "ecouter.mp3"]
    published = await harness.client.post(f"/instances/{iid}/dossier/publish", headers=STAFF)
    assert published.status_code == 200, published.text
    shown = (await harness.client.get(f"/instances/{iid}/easy-read", headers=councillor)).json()
    assert [(d["filename"], d["media_type"]) for d in shown] == [
        ("facile-a-lire.txt", "text/plain"),
        ("ecouter.mp3", "audio/mpeg"),
    ]
    event = next(p for k, p in await harness.outbox() if k == "dossier.published")
    assert [d["filename"] for d in event["easy_read_documents"]] == ["facile-a-lire.txt", "ecouter.mp3"]
    assert [d["filename"] for d in event["documents"]] == ["ordre-du-jour.pdf"]


@pytest.mark.parametrize(
    ("name", "content", "kind", "words"),
    [
        ("ecouter.mp3", b"<html>pas du son</html>", "easy_read_audio", "mp3, ogg ou m4a"),
        ("resume.docx", b"PK\x03\x04" + b"\x00" * 40, "easy_read", "PDF ou en texte"),
        ("resume.pdf", b"GIF89a" + b"\x00" * 40, "easy_read", "ne correspond pas"),
    ],
)
async def test_a_wrong_easy_read_file_is_refused(
    harness: Harness, name: str, content: bytes, kind: str, words: str
) -> None:
    iid = (await schedule(harness))["id"]
    response = await upload(harness, iid, name, content, kind)
    assert response.status_code == 422
    assert words in response.json()["detail"]


async def test_a_missing_summary_at_the_dossier_notice_raises_one_alert(harness: Harness) -> None:
    without = (await schedule(harness))["id"]
    with_it = (await schedule(harness, starts_at=EVENING + timedelta(hours=1)))["id"]
    await upload(harness, with_it, "odj.pdf", PDF)
    await upload(harness, with_it, "facile.pdf", PDF, "easy_read")
    await harness.client.post(f"/instances/{with_it}/dossier/publish", headers=STAFF)
    assert await harness.service.alert_missing_easy_read() == 0  # 36 days ahead, notice is 10
    harness.clock.now = EVENING - timedelta(days=9)
    assert await harness.service.alert_missing_easy_read() == 1
    assert await harness.service.alert_missing_easy_read() == 0
    alerts = [p for k, p in await harness.outbox() if k == "alerts.staff_alert.raised"]
    easy = [a for a in alerts if a["kind"] == "easy_read_missing"]
    assert [a["subject_id"] for a in easy] == [without]
    assert "facile à lire" in easy[0]["message_fr"]


async def bilan(h: Harness) -> dict[str, Any]:
    response = await h.client.get("/bilan/attending?from=2027-01-01&to=2027-12-31", headers=STAFF)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_bilan_of_the_barriers_lifted_is_the_same_from_the_events_alone(harness: Harness) -> None:
    # an instance with needs (one booked), a dossier with its easy-read version, another without
    upcoming = (await schedule(harness, starts_at=EVENING + timedelta(days=2)))["id"]
    await register(harness, upcoming, ME)
    await declare(harness, upcoming, [CHILDCARE, {"kind": "hearing_loop"}])
    need_id = next(
        line["id"]
        for line in (await harness.client.get(f"/instances/{upcoming}/needs", headers=STAFF)).json()
        if line["kind"] == "childcare"
    )
    await harness.client.put(
        f"/instances/{upcoming}/needs/{need_id}/booked", json={"booked": True}, headers=STAFF
    )
    await upload(harness, upcoming, "odj.pdf", PDF)
    await upload(harness, upcoming, "facile.pdf", PDF, "easy_read")
    await harness.client.post(f"/instances/{upcoming}/dossier/publish", headers=STAFF)
    confirmed = await harness.client.post(
        f"/instances/{upcoming}/attendance-confirmations", headers=harness.member(ME)
    )  # « Je viens »
    assert confirmed.status_code == 200, confirmed.text
    # a held instance with three claims: approved then paid, refused, waiting
    held = await held_instance(harness, [ME, "franc-moisin-2", "villette-1"])
    first = (await claim(harness, held)).json()["id"]
    second = (
        await claim(harness, held, member="franc-moisin-2", kind="transport", amount="12,40", hours=None)
    ).json()["id"]
    assert (
        await claim(harness, held, member="villette-1", kind="transport", amount="8", hours=None)
    ).status_code == 201
    for claim_id, body in (
        (first, {"decision": "approved"}),
        (first, {"decision": "paid"}),
        (second, {"decision": "refused", "reason": "Hors délai."}),
    ):
        assert (
            await harness.client.post(f"/claims/{claim_id}/decision", json=body, headers=STAFF)
        ).is_success
    live = await bilan(harness)

    assert live["besoins"]["childcare"] == {"libelle": "Garde d'enfants", "demandes": 1, "reserves": 1}
    assert live["besoins"]["hearing_loop"]["reserves"] == 0
    total = live["remboursements"]["total"]
    assert total["nombre"] == {"submitted": 1, "approved": 0, "refused": 1, "paid": 1}
    assert total["montant_centimes"] == {"submitted": 800, "approved": 0, "refused": 1240, "paid": 4500}
    by_council = live["remboursements"]["par_conseil"]
    assert by_council["Conseil citoyen franc-moisin"]["nombre"]["paid"] == 1
    assert by_council["Conseil citoyen villette"]["montant_centimes"]["submitted"] == 800
    assert list(live["remboursements"]["par_type_instance"]) == ["Comité de pilotage"]
    assert live["facile_a_lire"] == {"dossiers_avec": 1, "dossiers_sans": 0}
    assert live["venues_confirmees"] == 1

    # Rebuild the meetings facts from the events alone (the registry read model stays).
    outbox = harness.runtime.tables.outbox
    async with harness.service.database.sessionmaker() as session, session.begin():
        rows = (await session.execute(select(outbox).order_by(outbox.c.seq))).mappings().all()
        for table in (
            needs_counts,
            cost_claims,
            easy_read_dossiers,
            attendance_confirmations,
            tables.registrations,
            tables.attendance,
            tables.convened,
            tables.documents,
            tables.instance_councils,
            tables.instances,
        ):
            await session.execute(delete(table))
        for row in rows:
            headers = dict(row["headers"])
            event = model_for(headers["ce_type"]).model_validate(json.loads(row["payload"]))
            await projection.apply(session, event, row["created_at"], harness.service.territory)
    assert await bilan(harness) == live
