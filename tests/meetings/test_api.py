"""The HTTP API on SQLite and PostgreSQL: scheduling with policy checks,
lifecycle, registrations (quota, waiting list, promotion, races), dossiers,
attendance, minutes, forum outcomes, bilan. Events are read from the outbox,
where the service wrote them in the same transaction as the change."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from conseils_schemas import MemberLeft

from .conftest import NOW, STAFF, Harness, apply_fact, auth

pytestmark = pytest.mark.postgres

# Tuesday 6 April 2027, 18:30 in Paris (UTC+2): evening, 36 days after NOW.
EVENING = datetime(2027, 4, 6, 16, 30, tzinfo=UTC)
DAYTIME = datetime(2027, 4, 6, 8, 0, tzinfo=UTC)  # 10:00 in Paris


def instance_body(kind: str = "copil", starts_at: datetime = EVENING, **extra: Any) -> dict[str, Any]:
    return {
        "instance_type": kind,
        "title": f"Séance {kind}",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        "location": "Hôtel de ville de Saint-Denis, salle du conseil",
        **extra,
    }


async def schedule(
    h: Harness, kind: str = "copil", starts_at: datetime = EVENING, **extra: Any
) -> dict[str, Any]:
    response = await h.client.post("/instances", json=instance_body(kind, starts_at, **extra), headers=STAFF)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def register(h: Harness, instance_id: str, member: str, mode: str = "participant") -> dict[str, Any]:
    response = await h.client.post(
        f"/instances/{instance_id}/registrations", json={"mode": mode}, headers=h.member(member)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --------------------------------------------------------------------------- scheduling and lifecycle


async def test_preview_warns_then_scheduling_records_visible_warnings(harness: Harness) -> None:
    preview = await harness.client.post(
        "/instances", json=instance_body("copil", DAYTIME, dry_run=True), headers=STAFF
    )
    assert preview.status_code == 200
    assert preview.json()["dry_run"] is True
    assert preview.json()["refused"] is False
    assert preview.json()["warnings"] == [
        "instance politique en journée (mardi 10:00) : les instances politiques commencent "
        "à 18:00 au plus tôt en semaine ou le samedi"
    ]
    assert len(preview.json()["concerned_council_ids"]) == 3
    assert await harness.outbox() == []  # nothing stored by a preview
    assert (await harness.client.get("/instances", headers=STAFF)).json() == []

    created = await schedule(harness, "copil", DAYTIME)
    assert created["status"] == "scheduled"
    assert created["is_evening"] is False
    assert created["policy_warnings"] == preview.json()["warnings"]
    [(kind, payload), (alert_kind, alert)] = await harness.outbox()
    assert kind == "instance.scheduled"
    assert payload["instance_id"] == created["id"]
    assert alert_kind == "alerts.staff_alert.raised"
    assert (alert["kind"], alert["subject_id"]) == ("daytime_political_instance", created["id"])
    assert alert["message_fr"].startswith("« Séance copil » : instance politique en journée")
    assert payload["policy_warnings"] == created["policy_warnings"]
    assert sorted(payload["council_ids"]) == sorted(str(c) for c in harness.world.councils.values())
    assert payload["is_political"] is True


async def test_policy_refuses_when_the_type_says_so(harness: Harness) -> None:
    preview = await harness.client.post(
        "/instances", json=instance_body("comite-programmation", DAYTIME, dry_run=True), headers=STAFF
    )
    assert preview.json()["refused"] is True
    assert preview.json()["reason"].startswith("Programmation refusée : instance politique en journée")

    response = await harness.client.post(
        "/instances", json=instance_body("comite-programmation", DAYTIME), headers=STAFF
    )
    assert response.status_code == 422
    assert response.json()["code"] == "regle_refusee"
    assert "instance politique en journée" in response.json()["detail"]
    assert await harness.outbox() == []
    # short notice is refused too for this type; in the evening with notice it is fine
    short = await harness.client.post(
        "/instances",
        json=instance_body("comite-programmation", NOW + timedelta(days=3, hours=8)),
        headers=STAFF,
    )
    assert short.status_code == 422
    assert "délai de prévenance trop court" in short.json()["detail"]
    assert (await schedule(harness, "comite-programmation", EVENING))["policy_warnings"] == []


async def test_city_scope_concerns_the_councils_of_that_city(harness: Harness) -> None:
    created = await schedule(harness, "clip", DAYTIME, city_code="93066")
    world = harness.world.councils
    assert sorted(created["concerned_council_ids"]) == sorted(
        str(world[n]) for n in ("franc-moisin", "floreal")
    )
    missing_city = await harness.client.post("/instances", json=instance_body("clip"), headers=STAFF)
    assert missing_city.status_code == 422
    assert "précisez la ville" in missing_city.json()["detail"]


async def test_reschedule_cancel_and_illegal_moves(harness: Harness) -> None:
    created = await schedule(harness)
    later = EVENING + timedelta(days=7)
    moved = await harness.client.post(
        f"/instances/{created['id']}/reschedule",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        headers=STAFF,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "rescheduled"
    assert moved.json()["sequence"] == 1
    cancelled = await harness.client.post(
        f"/instances/{created['id']}/cancel", json={"reason": "Salle indisponible"}, headers=STAFF
    )
    assert cancelled.json()["status"] == "cancelled"
    again = await harness.client.post(
        f"/instances/{created['id']}/reschedule",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        headers=STAFF,
    )
    assert again.status_code == 409
    assert again.json() == {
        "detail": "Impossible de reprogrammer une instance annulée : elle a été annulée.",
        "code": "transition_interdite",
    }
    events = await harness.outbox()
    assert [kind for kind, _ in events] == [
        "instance.scheduled",
        "instance.rescheduled",
        "instance.cancelled",
    ]
    assert events[1][1]["previous_starts_at"].startswith("2027-04-06T16:30")
    assert events[1][1]["title"] == events[0][1]["title"]  # a consumer needs no state to show it
    assert events[1][1]["timezone"] == events[0][1]["timezone"] == "Europe/Paris"
    assert events[2][1] == {
        "instance_id": created["id"],
        "reason": "Salle indisponible",
        "sequence": 2,
        "title": events[0][1]["title"],
        "starts_at": events[1][1]["starts_at"],
    }


async def test_draft_is_invisible_to_councillors_until_scheduled(harness: Harness) -> None:
    draft = await schedule(harness, as_draft=True)
    assert draft["status"] == "draft"
    assert await harness.outbox() == []
    hidden = await harness.client.get(f"/instances/{draft['id']}", headers=harness.member("villette-1"))
    assert hidden.status_code == 404
    scheduled = await harness.client.post(f"/instances/{draft['id']}/schedule", headers=STAFF)
    assert scheduled.json()["status"] == "scheduled"
    assert [kind for kind, _ in await harness.outbox()] == ["instance.scheduled"]


async def test_only_staff_schedule(harness: Harness) -> None:
    denied = await harness.client.post(
        "/instances", json=instance_body(), headers=harness.member("villette-0")
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "interdit"
    anonymous = await harness.client.post("/instances", json=instance_body())
    assert anonymous.status_code == 401


async def test_staff_alerted_once_when_the_dossier_is_late(harness: Harness) -> None:
    late = await schedule(harness)  # copil: dossier 10 days before
    on_time = await schedule(harness, starts_at=EVENING + timedelta(hours=1))
    assert await harness.service.alert_late_dossiers() == 0
    await upload(harness, on_time["id"], "odj.pdf", PDF)
    await harness.client.post(f"/instances/{on_time['id']}/dossier/publish", headers=STAFF)
    harness.clock.now = EVENING - timedelta(days=9)
    assert await harness.service.alert_late_dossiers() == 1
    assert await harness.service.alert_late_dossiers() == 0  # once per instance
    alerts = [payload for kind, payload in await harness.outbox() if kind == "alerts.staff_alert.raised"]
    assert [(a["kind"], a["subject_id"]) for a in alerts] == [("dossier_late", late["id"])]
    assert "moins de 10 jours" in alerts[0]["message_fr"]


@pytest.mark.parametrize("field", ["title", "location"])
async def test_a_title_or_place_on_two_lines_is_refused_in_french(harness: Harness, field: str) -> None:
    body = instance_body("copil", EVENING, **{field: "Séance\r\nBcc: tous@example.com"})
    response = await harness.client.post("/instances", json=body, headers=STAFF)
    assert response.status_code == 422
    assert "une seule ligne" in response.text
    assert await harness.outbox() == []


# --------------------------------------------------------------------------- registrations


def detail_closes_at(response: Any) -> str:
    closes: str = response.json()["registration_closes_at"]
    return closes


async def test_quota_waiting_list_promotion_and_idempotence(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")  # 1 seat per council
    iid = instance["id"]
    first = await register(harness, iid, "franc-moisin-0")
    assert (first["status"], first["changed"]) == ("confirmed", True)
    second = await register(harness, iid, "franc-moisin-1")
    assert (second["status"], second["position"]) == ("waitlisted", 1)
    assert "liste d'attente (rang 1)" in second["message"]
    third = await register(harness, iid, "franc-moisin-2")
    assert third["position"] == 2
    other_council = await register(harness, iid, "villette-1")
    assert other_council["status"] == "confirmed"
    observer = await register(harness, iid, "franc-moisin-3", "observer")
    assert observer["status"] == "confirmed"

    twice = await register(harness, iid, "franc-moisin-1")
    assert (twice["status"], twice["changed"], twice["position"]) == ("waitlisted", False, 1)

    cancelled = await harness.client.delete(
        f"/instances/{iid}/registrations/me", headers=harness.member("franc-moisin-0")
    )
    assert cancelled.json()["status"] == "cancelled"
    mine = await harness.client.get("/me/registrations", headers=harness.member("franc-moisin-1"))
    assert [(r["status"], r["title"]) for r in mine.json()] == [("confirmed", "Séance comite-technique")]
    listing = await harness.client.get(f"/instances/{iid}/registrations", headers=STAFF)
    positions = {r["member_id"]: (r["status"], r["position"]) for r in listing.json()}
    assert positions[str(harness.world.members["franc-moisin-2"])] == ("waitlisted", 1)
    waiting = await harness.client.get("/me/registrations", headers=harness.member("franc-moisin-2"))
    assert [(r["status"], r["position"]) for r in waiting.json()] == [
        ("waitlisted", 1)
    ]  # her rank, never None
    agenda = await harness.client.get("/instances", headers=harness.member("franc-moisin-2"))
    closes = {r["id"]: r["registration_closes_at"] for r in agenda.json()}
    assert closes[iid] == detail_closes_at(await harness.client.get(f"/instances/{iid}", headers=STAFF))
    detail = await harness.client.get(f"/instances/{iid}", headers=harness.member("villette-1"))
    assert detail.json()["counts"] == {"participants": 2, "observers": 1, "waitlisted": 1}

    by_staff = await harness.client.delete(
        f"/instances/{iid}/registrations/{harness.world.members['franc-moisin-1']}", headers=STAFF
    )
    assert by_staff.json()["status"] == "cancelled"
    promoted = await harness.client.get("/me/registrations", headers=harness.member("franc-moisin-2"))
    assert [r["status"] for r in promoted.json()] == ["confirmed"]
    not_mine = await harness.client.delete(
        f"/instances/{iid}/registrations/{harness.world.members['villette-1']}",
        headers=harness.member("villette-1"),
    )
    assert not_mine.status_code == 403

    events = [(kind, payload) for kind, payload in await harness.outbox() if not kind.startswith("alerts.")]
    kinds = [kind for kind, _ in events]
    assert kinds[:-2] == [
        "instance.scheduled",
        "registration.confirmed",
        "registration.waitlisted",
        "registration.waitlisted",
        "registration.confirmed",
        "registration.confirmed",
        "registration.cancelled",
        "registration.promoted",
    ]
    assert kinds[-2:] == ["registration.cancelled", "registration.promoted"]
    assert events[2][1]["position"] == 1
    assert events[7][1]["member_id"] == str(harness.world.members["franc-moisin-1"])
    assert events[7][1]["council_id"] == str(harness.world.councils["franc-moisin"])


async def test_a_council_asking_more_than_its_places_raises_one_alert(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")  # 1 seat per council
    iid = instance["id"]
    await register(harness, iid, "franc-moisin-0")
    await register(harness, iid, "villette-0")
    await register(harness, iid, "franc-moisin-3", "observer")  # observers take no council place
    assert [kind for kind, _ in await harness.outbox() if kind.startswith("alerts.")] == []

    assert (await register(harness, iid, "franc-moisin-1"))["status"] == "waitlisted"
    assert (await register(harness, iid, "franc-moisin-2"))["status"] == "waitlisted"  # still one alert
    await harness.client.delete(
        f"/instances/{iid}/registrations/me", headers=harness.member("franc-moisin-2")
    )
    await register(harness, iid, "franc-moisin-2")  # beyond again: the same alert (same id)

    alerts = [payload for kind, payload in await harness.outbox() if kind == "alerts.staff_alert.raised"]
    council = str(harness.world.councils["franc-moisin"])
    assert {(a["kind"], a["subject_id"], a["alert_id"]) for a in alerts} == {
        ("council_over_quota", council, alerts[0]["alert_id"])
    }
    assert len(alerts) == 1
    assert alerts[0]["message_fr"] == (
        "« Séance comite-technique » : Conseil citoyen franc-moisin demande plus de places de "
        "participant·e qu'il n'en a (1 par conseil) ; les suivant·es sont sur liste d'attente."
    )


async def test_switching_to_observer_frees_the_participant_seat(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")  # 1 seat per council
    iid = instance["id"]
    await register(harness, iid, "villette-0")
    assert (await register(harness, iid, "villette-1"))["status"] == "waitlisted"
    switched = await register(harness, iid, "villette-0", "observer")
    assert (switched["mode"], switched["status"]) == ("observer", "confirmed")
    promoted = await harness.client.get("/me/registrations", headers=harness.member("villette-1"))
    assert [(r["mode"], r["status"]) for r in promoted.json()] == [("participant", "confirmed")]
    kinds = [kind for kind, _ in await harness.outbox()]
    assert kinds[-3:] == ["registration.cancelled", "registration.confirmed", "registration.promoted"]


async def test_a_member_who_leaves_gives_back_her_seat(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")
    iid = instance["id"]
    await register(harness, iid, "floreal-0")
    await register(harness, iid, "floreal-1")  # waitlisted
    leaver = harness.world.members["floreal-0"]
    async with harness.runtime.database.sessionmaker() as session, session.begin():
        await apply_fact(
            MemberLeft(
                member_id=leaver, council_id=harness.world.councils["floreal"], left_on=date(2027, 3, 2)
            ),
            session,
        )
        released = await harness.service.release_seats(harness.service.units.on(session), leaver)
    assert released == 1
    statuses = {r.member_id: r.status for r in await harness.service.instance_registrations(uuid.UUID(iid))}
    assert statuses == {leaver: "cancelled", harness.world.members["floreal-1"]: "confirmed"}
    kinds = [kind for kind, _ in await harness.outbox()]
    assert kinds[-2:] == ["registration.cancelled", "registration.promoted"]
    again = await harness.client.post(
        f"/instances/{iid}/registrations", json={"mode": "observer"}, headers=harness.member("floreal-0")
    )
    assert "membres actifs" in again.json()["detail"]


async def test_participants_only_from_concerned_councils_and_observers_per_type(harness: Harness) -> None:
    formation = await schedule(
        harness, "formation", DAYTIME, council_id=str(harness.world.councils["villette"])
    )
    refused = await harness.client.post(
        f"/instances/{formation['id']}/registrations",
        json={"mode": "participant"},
        headers=harness.member("franc-moisin-1"),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "inscription_refusee"
    assert "pas concerné" in refused.json()["detail"]
    no_observers = await harness.client.post(
        f"/instances/{formation['id']}/registrations",
        json={"mode": "observer"},
        headers=harness.member("franc-moisin-1"),
    )
    assert "pas d'observateurs" in no_observers.json()["detail"]
    assert (await register(harness, formation["id"], "villette-1"))["status"] == "confirmed"
    staff_cannot = await harness.client.post(
        f"/instances/{formation['id']}/registrations", json={"mode": "participant"}, headers=STAFF
    )
    assert staff_cannot.status_code == 403
    unknown = await harness.client.post(
        f"/instances/{formation['id']}/registrations",
        json={"mode": "observer"},
        headers=auth("councillor", uuid.uuid4()),
    )
    assert unknown.status_code == 422


async def test_switching_mode_and_closing_time(harness: Harness) -> None:
    instance = await schedule(harness)
    iid = instance["id"]
    assert (await register(harness, iid, "villette-2", "observer"))["mode"] == "observer"
    switched = await register(harness, iid, "villette-2", "participant")
    assert (switched["mode"], switched["status"], switched["changed"]) == ("participant", "confirmed", True)
    harness.clock.now = EVENING - timedelta(hours=23)  # copil closes 24 h before
    closed = await harness.client.post(
        f"/instances/{iid}/registrations", json={"mode": "participant"}, headers=harness.member("villette-3")
    )
    assert closed.status_code == 422
    assert "closes (24 h avant le début)" in closed.json()["detail"]
    kinds = [kind for kind, _ in await harness.outbox()]
    assert kinds[1:] == ["registration.confirmed", "registration.cancelled", "registration.confirmed"]


async def test_councillors_racing_for_the_last_seat_exactly_one_gets_it(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")  # 1 seat per council
    iid = uuid.UUID(instance["id"])
    members = [harness.world.members[f"floreal-{n}"] for n in range(4)]
    outcomes = await asyncio.gather(
        *(harness.service.register(iid, member, "participant") for member in members)
    )
    assert sorted(outcome.status for outcome in outcomes) == [
        "confirmed",
        "waitlisted",
        "waitlisted",
        "waitlisted",
    ]
    assert sorted(outcome.position or 0 for outcome in outcomes) == [0, 1, 2, 3]
    registrations = await harness.service.instance_registrations(iid)
    assert sorted(r.status for r in registrations) == [
        "confirmed",
        "waitlisted",
        "waitlisted",
        "waitlisted",
    ]
    # the same councillor twice at once: one registration, one event
    again = await asyncio.gather(
        *(harness.service.register(iid, members[0], "participant") for _ in range(2))
    )
    assert {outcome.registration_id for outcome in again} == {
        r.id for r in registrations if r.member_id == members[0]
    }
    kinds = [kind for kind, _ in await harness.outbox()]
    assert (kinds.count("registration.confirmed"), kinds.count("registration.waitlisted")) == (1, 3)


async def test_councillor_sees_instances_of_her_council_and_themes(harness: Harness) -> None:
    clip = await schedule(harness, "clip", DAYTIME, city_code="93066")
    copil = await schedule(harness)
    mine = await harness.client.get("/instances", headers=harness.member("villette-1"))
    assert [i["id"] for i in mine.json()] == [copil["id"]]
    theirs = await harness.client.get("/instances", headers=harness.member("floreal-1"))
    assert {i["id"] for i in theirs.json()} == {clip["id"], copil["id"]}


# --------------------------------------------------------------------------- dossiers, attendance, minutes

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def upload(h: Harness, iid: str, name: str, content: bytes, kind: str = "dossier") -> Any:
    return await h.client.post(
        f"/instances/{iid}/documents",
        files={"file": (name, content, "application/octet-stream")},
        data={"kind": kind},
        headers=STAFF,
    )


async def test_dossier_upload_versions_publication_and_download(harness: Harness, tmp_path: Any) -> None:
    instance = await schedule(harness)
    iid = instance["id"]
    first = await upload(harness, iid, "../../ordre-du-jour.pdf", PDF)
    assert first.status_code == 201, first.text
    document = first.json()
    assert document["filename"] == "ordre-du-jour.pdf"
    assert document["version"] == 1
    assert document["sha256"] == __import__("hashlib").sha256(PDF).hexdigest()
    stored = list((tmp_path / "documents").iterdir())
    assert [p.name for p in stored] == [p.name for p in stored if p.name.isalnum() and len(p.name) == 32]

    assert (await upload(harness, iid, "programme.exe", b"MZ\x90\x00")).status_code == 422
    fake = await upload(harness, iid, "faux.pdf", b"<script>alert(1)</script>")
    assert fake.json()["code"] == "document_refuse"
    harness.service.settings.max_document_bytes = 40
    too_big = await upload(harness, iid, "gros.pdf", PDF)
    assert "trop volumineux" in too_big.json()["detail"]
    harness.service.settings.max_document_bytes = 20 * 1024 * 1024

    second = (await upload(harness, iid, "ordre-du-jour.pdf", PDF + b"% v2\n")).json()
    assert second["version"] == 2
    councillor = harness.member("villette-0")
    unpublished = await harness.client.get(f"/documents/{second['id']}/download", headers=councillor)
    assert unpublished.status_code == 404

    harness.clock.advance(days=20)  # 16 days before the instance
    published = await harness.client.post(f"/instances/{iid}/dossier/publish", headers=STAFF)
    assert published.json()["status"] == "dossier_published"
    assert published.json()["dossier_version"] == 1
    assert [d["version"] for d in published.json()["dossier_documents"]] == [2]
    download = await harness.client.get(f"/documents/{second['id']}/download", headers=councillor)
    assert download.status_code == 200
    assert download.content == PDF + b"% v2\n"
    assert download.headers["content-type"] == "application/pdf"
    assert "ordre-du-jour.pdf" in download.headers["content-disposition"]
    [(_kind, payload)] = [(k, p) for k, p in await harness.outbox() if k == "dossier.published"]
    assert payload["notice_days"] == pytest.approx(16.31, abs=0.001)  # 16 days 7 h 30
    assert payload["documents"][0]["document_id"] == second["id"]
    assert (await harness.client.get("/documents/not-an-id/download", headers=councillor)).status_code == 422


async def test_attendance_holds_the_instance_then_minutes(harness: Harness) -> None:
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")
    iid = instance["id"]
    await register(harness, iid, "franc-moisin-0")
    present = [str(harness.world.members["franc-moisin-0"]), str(harness.world.members["villette-3"])]
    early = await harness.client.post(
        f"/instances/{iid}/attendance", json={"present_member_ids": present}, headers=STAFF
    )
    assert "pas encore commencé" in early.json()["detail"]
    too_soon = await harness.client.post(
        f"/instances/{iid}/minutes", json={"summary": "Compte rendu"}, headers=STAFF
    )
    assert too_soon.status_code == 409

    harness.clock.now = DAYTIME + timedelta(hours=3)
    held = await harness.client.post(
        f"/instances/{iid}/attendance", json={"present_member_ids": present}, headers=STAFF
    )
    assert held.json()["status"] == "held"
    sheet = await harness.client.get(f"/instances/{iid}/attendance", headers=STAFF)
    registered = {row["member_id"]: row["registered"] for row in sheet.json()}
    assert registered == {present[0]: True, present[1]: False}
    assert (
        await harness.client.post(f"/instances/{iid}/cancel", json={"reason": "trop tard"}, headers=STAFF)
    ).status_code == 409
    minutes_file = await upload(harness, iid, "compte-rendu.txt", "Compte rendu détaillé".encode(), "minutes")
    assert minutes_file.status_code == 201
    minutes = await harness.client.post(
        f"/instances/{iid}/minutes", json={"summary": "Trois projets retenus."}, headers=STAFF
    )
    assert minutes.json()["status"] == "minutes_published"
    assert minutes.json()["minutes_documents"][0]["filename"] == "compte-rendu.txt"
    events = [(k, p) for k, p in await harness.outbox() if k.split(".")[0] != "registration"]
    assert [k for k, _ in events] == [
        "instance.scheduled",
        "attendance.recorded",
        "instance.held",
        "minutes.published",
    ]
    assert sorted(events[1][1]["present_member_ids"]) == sorted(present)
    assert events[3][1]["summary"] == "Trois projets retenus."


# --------------------------------------------------------------------------- forum outcomes and bilan


async def test_commitments_keep_their_history(harness: Harness) -> None:
    created = await harness.client.post(
        "/outcomes",
        json={
            "kind": "commitment",
            "text": "Tenir les instances politiques en soirée",
            "made_by": "Vice-président politique de la ville",
            "made_on": "2026-10-15",
            "theme": "emploi",
        },
        headers=STAFF,
    )
    assert created.status_code == 201, created.text
    oid = created.json()["id"]
    for status in ("in_progress", "done"):
        response = await harness.client.post(
            f"/outcomes/{oid}/updates", json={"status": status, "note": f"Passage à {status}"}, headers=STAFF
        )
        assert response.json()["status"] == status
    reopened = await harness.client.post(
        f"/outcomes/{oid}/updates", json={"status": "abandoned", "note": "Réouverture"}, headers=STAFF
    )
    assert reopened.status_code == 409
    assert "déjà réalisé" in reopened.json()["detail"]
    listing = await harness.client.get("/outcomes?kind=commitment", headers=harness.member("villette-0"))
    assert [h["status"] for h in listing.json()[0]["history"]] == ["proposed", "in_progress", "done"]


async def test_bilan_json_csv_and_html(harness: Harness) -> None:
    # Under the referent scenario (the demo's comités techniques are an open pool from May 2026).
    harness.service.territory = harness.service.territory.model_copy(update={"participation": {}})
    instance = await schedule(harness, "comite-technique", DAYTIME, theme="emploi")
    iid = instance["id"]
    await register(harness, iid, "franc-moisin-0")
    await register(harness, iid, "villette-0")
    await upload(harness, iid, "odj.pdf", PDF)
    harness.clock.now = DAYTIME - timedelta(days=12)
    await harness.client.post(f"/instances/{iid}/dossier/publish", headers=STAFF)
    harness.clock.now = DAYTIME + timedelta(hours=3)
    await harness.client.post(
        f"/instances/{iid}/attendance",
        json={"present_member_ids": [str(harness.world.members["franc-moisin-0"])]},
        headers=STAFF,
    )
    response = await harness.client.get("/bilan?from=2027-01-01&to=2027-12-31", headers=STAFF)
    assert response.status_code == 200, response.text
    bilan = response.json()
    assert bilan["total"]["instances_held"] == 1
    assert bilan["total"]["registered"] == 2
    assert bilan["total"]["present"] == 1
    assert bilan["total"]["invited"] == 3  # the three emploi referents
    assert bilan["total"]["referent_presence_rate"] == pytest.approx(1 / 3, abs=0.001)
    assert bilan["total"]["average_dossier_notice_days"] == 12.0
    emploi = next(row for row in bilan["by_theme"] if row["key"] == "emploi")
    assert emploi["instances_held"] == 1
    franc_moisin = next(
        row for row in bilan["by_council"] if row["key"] == str(harness.world.councils["franc-moisin"])
    )
    assert (franc_moisin["registered"], franc_moisin["present"], franc_moisin["referent_presence_rate"]) == (
        1,
        1,
        1.0,
    )

    csv = await harness.client.get("/bilan?from=2027-01-01&to=2027-12-31&format=csv", headers=STAFF)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("niveau;identifiant;libellé;instances concernées;instances tenues")
    assert any(line.startswith("thematique;emploi;Emploi, insertion") for line in lines)
    html = await harness.client.get("/bilan?from=2027-01-01&to=2027-12-31&format=html", headers=STAFF)
    assert html.headers["content-type"].startswith("text/html")
    assert "<svg" in html.text
    assert "<script" not in html.text
    assert "Présence des référents par thématique" in html.text
    wrong = await harness.client.get("/bilan?from=2027-12-31&to=2027-01-01", headers=STAFF)
    assert wrong.status_code == 422
    assert (
        await harness.client.get("/bilan?from=2027-01-01&to=2027-12-31", headers=harness.member("villette-0"))
    ).status_code == 403
