"""Lifting the barriers to attending, through the meetings API on SQLite and PostgreSQL: needs
declared at registration (and the organiser's checklist, the lead-time alert, erasure and the
30-day deletion), cost claims with a receipt (refused for each bad input, approved, paid, in the
finance CSV), the attestation of presence and its code. Events come from the outbox."""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from conseils_meetings.attending_tables import needs

from .conftest import STAFF, Harness, auth
from .test_api import EVENING, register, schedule

pytestmark = pytest.mark.postgres

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
ME = "franc-moisin-1"


async def declare(h: Harness, iid: str, needs_body: list[dict[str, Any]], member: str = ME) -> Any:
    return await h.client.put(
        f"/instances/{iid}/needs/me", json={"needs": needs_body}, headers=h.member(member)
    )


CHILDCARE = {"kind": "childcare", "children": 2, "ages": [3, 7]}


async def test_a_need_declared_at_registration_is_on_the_checklist_and_booked(harness: Harness) -> None:
    instance = await schedule(harness)  # copil, 36 days ahead
    iid = instance["id"]
    before = await declare(harness, iid, [CHILDCARE])
    assert before.status_code == 422
    assert "Inscrivez-vous" in before.json()["detail"]
    await register(harness, iid, ME)
    saved = await declare(harness, iid, [CHILDCARE, {"kind": "sign_language"}])
    assert saved.status_code == 200, saved.text
    assert {n["kind"]: n["booked"] for n in saved.json()} == {"childcare": False, "sign_language": False}

    checklist = (await harness.client.get(f"/instances/{iid}/needs", headers=STAFF)).json()
    by_kind = {line["kind"]: line for line in checklist}
    assert by_kind["childcare"]["children"] == 2
    assert by_kind["childcare"]["ages"] == [3, 7]
    assert by_kind["childcare"]["book_by"].startswith((EVENING - timedelta(days=7)).date().isoformat())
    assert by_kind["sign_language"]["book_by"].startswith((EVENING - timedelta(days=14)).date().isoformat())
    assert [line["kind"] for line in checklist] == ["sign_language", "childcare"]  # soonest first
    booked = await harness.client.put(
        f"/instances/{iid}/needs/{by_kind['childcare']['id']}/booked", json={"booked": True}, headers=STAFF
    )
    assert {line["kind"]: line["booked"] for line in booked.json()} == {
        "childcare": True,
        "sign_language": False,
    }

    counted = [p for k, p in await harness.outbox() if k == "needs.counted"]
    assert counted[-1]["requested"] == {"childcare": 1, "sign_language": 1}
    assert counted[-1]["booked"] == {"childcare": 1, "sign_language": 0}
    assert all("member_id" not in p and "ages" not in str(p) for p in counted)  # counts only
    mine = await harness.client.get(f"/instances/{iid}/needs/me", headers=harness.member(ME))
    assert {n["kind"]: n["booked"] for n in mine.json()} == {"childcare": True, "sign_language": False}
    # nobody else sees the checklist
    assert (
        await harness.client.get(f"/instances/{iid}/needs", headers=harness.member(ME))
    ).status_code == 403


@pytest.mark.parametrize(
    ("need", "words"),
    [
        ({"kind": "childcare", "children": 2, "ages": [3]}, "âge de chaque enfant"),
        ({"kind": "childcare"}, "nombre d'enfants"),
        ({"kind": "other"}, "décrivez-le"),
        ({"kind": "other", "detail": "ligne\x07bip"}, "caractères de contrôle"),
    ],
)
async def test_needs_bad_input_is_refused_in_french(
    harness: Harness, need: dict[str, Any], words: str
) -> None:
    iid = (await schedule(harness))["id"]
    await register(harness, iid, ME)
    response = await declare(harness, iid, [need])
    assert response.status_code == 422, response.text
    assert words in response.json()["detail"]


async def test_other_need_over_300_characters_is_refused(harness: Harness) -> None:
    iid = (await schedule(harness))["id"]
    await register(harness, iid, ME)
    response = await declare(harness, iid, [{"kind": "other", "detail": "x" * 301}])
    assert response.status_code == 422


async def test_an_open_need_at_its_lead_time_raises_one_alert(harness: Harness) -> None:
    iid = (await schedule(harness))["id"]
    await register(harness, iid, ME)
    await declare(harness, iid, [CHILDCARE, {"kind": "transport"}])
    assert await harness.service.alert_unbooked_needs() == 0  # 36 days ahead
    harness.clock.now = EVENING - timedelta(days=6)  # childcare (7 days) is due, transport (5) not yet
    assert await harness.service.alert_unbooked_needs() == 1
    assert await harness.service.alert_unbooked_needs() == 0  # once per need
    harness.clock.now = EVENING - timedelta(days=4)
    assert await harness.service.alert_unbooked_needs() == 1  # now the transport
    alerts = [p for k, p in await harness.outbox() if k == "alerts.staff_alert.raised"]
    needs_alerts = [a for a in alerts if a["kind"] == "need_unbooked"]
    assert [a["subject_id"] for a in needs_alerts] == [iid, iid]
    assert "garde d'enfants" in needs_alerts[0]["message_fr"]
    assert "aide au transport" in needs_alerts[1]["message_fr"]


async def test_needs_go_with_an_erased_member_and_30_days_after_the_instance(harness: Harness) -> None:
    first, second = (
        (await schedule(harness))["id"],
        (await schedule(harness, starts_at=EVENING + timedelta(days=1)))["id"],
    )
    for iid in (first, second):
        await register(harness, iid, ME)
        await register(harness, iid, "franc-moisin-2")
        await declare(harness, iid, [CHILDCARE])
        await declare(harness, iid, [{"kind": "step_free"}], member="franc-moisin-2")
    async with harness.service.database.sessionmaker() as session, session.begin():
        await harness.service.erase_attending_data(
            harness.service.units.on(session), harness.world.members["franc-moisin-2"]
        )
    async with harness.service.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(needs)) == 2
    harness.clock.now = EVENING + timedelta(days=2, hours=3)
    assert await harness.service.purge_needs() == 0
    harness.clock.now = EVENING + timedelta(days=31)  # the first instance ended 31 days ago
    assert await harness.service.purge_needs() == 1
    assert await harness.service.purge_needs() == 0


# --------------------------------------------------------------------------- cost claims


async def held_instance(h: Harness, present: list[str]) -> str:
    iid = (await schedule(h))["id"]
    for name in present:
        await register(h, iid, name)
    h.clock.now = EVENING + timedelta(hours=3)
    ids = [str(h.world.members[name]) for name in present]
    response = await h.client.post(
        f"/instances/{iid}/attendance", json={"present_member_ids": ids}, headers=STAFF
    )
    assert response.status_code == 200, response.text
    return iid


async def claim(
    h: Harness,
    iid: str,
    *,
    member: str = ME,
    kind: str = "childcare",
    amount: str = "45,00",
    hours: str | None = "3",
    receipt: tuple[str, bytes, str] | None = ("ticket.png", PNG, "image/png"),
) -> Any:
    data = {"kind": kind, "amount": amount, **({"hours": hours} if hours is not None else {})}
    files = {"receipt": receipt} if receipt is not None else None
    return await h.client.post(f"/instances/{iid}/claims", data=data, files=files, headers=h.member(member))


async def test_she_claims_her_childcare_after_attending_and_staff_approve_then_pay(harness: Harness) -> None:
    iid = await held_instance(harness, [ME])
    response = await claim(harness, iid)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["amount"], body["hours"]) == ("submitted", "45,00 €", 3.0)
    claim_id = body["id"]
    receipt = await harness.client.get(f"/claims/{claim_id}/receipt", headers=STAFF)
    assert receipt.status_code == 200
    assert receipt.content == PNG
    other = await harness.client.get(f"/claims/{claim_id}/receipt", headers=harness.member("franc-moisin-2"))
    assert other.status_code == 403
    listed = (await harness.client.get("/claims?status=submitted", headers=STAFF)).json()
    assert [line["id"] for line in listed] == [claim_id]
    assert listed[0]["has_receipt"]

    no_reason = await harness.client.post(
        f"/claims/{claim_id}/decision", json={"decision": "refused"}, headers=STAFF
    )
    assert no_reason.status_code == 422
    assert "raison" in no_reason.json()["detail"]
    too_early = await harness.client.post(
        f"/claims/{claim_id}/decision", json={"decision": "paid"}, headers=STAFF
    )
    assert too_early.status_code == 409
    operator = auth("operator", "exploitation")
    assert (
        await harness.client.post(
            f"/claims/{claim_id}/decision", json={"decision": "approved"}, headers=operator
        )
    ).status_code == 403
    approved = await harness.client.post(
        f"/claims/{claim_id}/decision", json={"decision": "approved"}, headers=STAFF
    )
    assert approved.json()["status"] == "approved"
    paid = await harness.client.post(f"/claims/{claim_id}/decision", json={"decision": "paid"}, headers=STAFF)
    assert paid.json()["status"] == "paid"
    assert paid.json()["paid_at"]

    mine = (await harness.client.get("/me/claims", headers=harness.member(ME))).json()
    assert [(line["status_label"], line["instance_title"]) for line in mine] == [("payée", "Séance copil")]
    events = [(k, p) for k, p in await harness.outbox() if k.startswith("cost_claim.")]
    assert [k for k, _ in events] == ["cost_claim.submitted", "cost_claim.decided", "cost_claim.decided"]
    assert events[0][1]["amount_cents"] == 4500
    assert events[1][1]["member_id"] == str(harness.world.members[ME])  # so that she can be told
    assert events[0][1]["kind"] == "childcare"
    assert "ticket" not in str(events)
    assert "PNG" not in str(events)

    csv = await harness.client.get("/claims/export.csv", headers=STAFF)
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Référence;Instance;Type d'instance;Date de l'instance;Conseil")
    assert "45,00" in lines[1]
    assert "payée" in lines[1]
    assert "Conseil citoyen franc-moisin" in lines[1]


async def test_a_refused_claim_shows_its_reason_and_can_be_made_again(harness: Harness) -> None:
    iid = await held_instance(harness, [ME])
    claim_id = (await claim(harness, iid)).json()["id"]
    refused = await harness.client.post(
        f"/claims/{claim_id}/decision",
        json={"decision": "refused", "reason": "Justificatif illisible."},
        headers=STAFF,
    )
    assert refused.json()["status_label"] == "refusée"
    mine = (await harness.client.get("/me/claims", headers=harness.member(ME))).json()
    assert mine[0]["reason"] == "Justificatif illisible."
    assert (await claim(harness, iid)).status_code == 201


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"amount": "60,00", "hours": "3"}, 422, "plafond : 54,00 €"),  # 18 €/h
        ({"amount": "95", "hours": "8"}, 422, "plafond : 90,00 €"),  # per instance
        ({"kind": "transport", "amount": "31", "hours": None}, 422, "30,00 €"),
        ({"hours": None}, 422, "nombre d'heures"),
        ({"amount": "douze"}, 422, "montant en euros"),
        ({"amount": "-5"}, 422, "supérieur à zéro"),
        ({"receipt": None}, 422, "Joignez le justificatif"),
        ({"receipt": ("ticket.png", b"MZ\x90\x00" + b"\x00" * 100, "image/png")}, 422, "photo"),
        ({"receipt": ("ticket.pdf", b"<html>not a pdf</html>", "application/pdf")}, 422, "photo"),
        ({"member": "franc-moisin-2"}, 409, "présence à cette instance n'est pas enregistrée"),
    ],
)
async def test_bad_claims_are_refused_with_the_reason(
    harness: Harness, kwargs: dict[str, Any], status: int, words: str
) -> None:
    iid = await held_instance(harness, [ME])
    response = await claim(harness, iid, **kwargs)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"], response.json()["detail"]
    assert await harness.client.get("/claims", headers=STAFF) is not None
    assert [p for k, p in await harness.outbox() if k == "cost_claim.submitted"] == []
    assert list((harness.service.settings.documents_dir).glob("*")) == []  # nothing kept


async def test_a_receipt_too_large_is_refused_and_not_kept(harness: Harness) -> None:
    iid = await held_instance(harness, [ME])
    big = PNG + b"\x00" * harness.service.territory.claims.max_receipt_bytes
    response = await claim(harness, iid, receipt=("photo.png", big, "image/png"))
    assert response.status_code == 422
    assert "trop volumineux" in response.json()["detail"]
    assert list(harness.service.settings.documents_dir.glob("*")) == []


async def test_no_claim_twice_nor_before_the_end(harness: Harness) -> None:
    iid = (await schedule(harness))["id"]
    await register(harness, iid, ME)
    harness.clock.now = EVENING + timedelta(hours=1)
    early = await claim(harness, iid)
    assert early.status_code == 409
    assert "pas terminée" in early.json()["detail"]
    harness.clock.now = EVENING + timedelta(hours=3)
    present = {"present_member_ids": [str(harness.world.members[ME])]}
    assert (await harness.client.post(f"/instances/{iid}/attendance", json=present, headers=STAFF)).is_success
    assert (await claim(harness, iid)).status_code == 201
    again = await claim(harness, iid)
    assert again.status_code == 409
    assert "déjà fait une demande" in again.json()["detail"]


# --------------------------------------------------------------------------- attestation


def pdf_text(content: bytes) -> str:
    """The PDF's text streams, inflated, and its metadata (enough to find the code)."""
    parts = [content.decode("latin-1")]
    for stream in content.split(b"stream\n")[1:]:
        try:
            parts.append(zlib.decompress(stream.split(b"endstream")[0]).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(parts)


async def test_the_attestation_pdf_carries_a_code_that_verifies(harness: Harness) -> None:
    iid = await held_instance(harness, [ME])
    body = {"name": "Aïcha Ben Saïd", "verify_url": "https://conseils.example/attestation/verifier"}
    response = await harness.client.post(f"/me/attestations/{iid}", json=body, headers=harness.member(ME))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    code = text.split("Code de vérification ")[1][:19] if "Code de vérification " in text else ""
    code = code or text.split("/Keywords (")[1][:19]
    assert len(code) == 19
    assert code.count("-") == 3
    check = await harness.client.post(
        "/attestations/check", json={"code": code.lower(), "name": "aïcha  ben saïd"}, headers=STAFF
    )
    assert check.json()["valid"] is True
    assert check.json()["name_matches"] is True
    assert check.json()["instance_title"] == "Séance copil"
    wrong_name = await harness.client.post(
        "/attestations/check", json={"code": code, "name": "Autre"}, headers=STAFF
    )
    assert wrong_name.json()["name_matches"] is False
    forged = await harness.client.post(
        "/attestations/check", json={"code": "AAAA-BBBB-CCCC-DDDD"}, headers=STAFF
    )
    assert forged.json() == {**forged.json(), "valid": False}
    absent = await harness.client.post(
        f"/me/attestations/{iid}", json=body, headers=harness.member("franc-moisin-2")
    )
    assert absent.status_code == 409
