"""HTTP API of the barriers to attending: a councillor's needs to come (and the organiser's
checklist with its "réservé" toggle), cost claims with their receipt (and the staff's decisions,
the finance department's CSV), the attestation of presence and the check of its code."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response

from conseils_meetings.api_access import AnyUser, Councillor, Service, Staff, member_id_of
from conseils_meetings.api_attending_models import (
    AttestationCheckIn,
    AttestationCheckOut,
    AttestationIn,
    BookedIn,
    ClaimLineOut,
    ClaimOut,
    ClaimRules,
    DecisionIn,
    NeedLineOut,
    NeedOut,
    NeedsIn,
)
from conseils_meetings.api_models import DocumentOut
from conseils_meetings.attending_rules import ClaimRefused, euros, parse_euros
from conseils_meetings.claims import ClaimDraft
from conseils_meetings.reports import EARLIEST, LATEST
from conseils_runtime.auth import Principal
from conseils_runtime.errors import DomainError
from conseils_runtime.http import Forbidden

router = APIRouter()

# --------------------------------------------------------------------------- needs


@router.put("/instances/{instance_id}/needs/me", tags=["besoins"], summary="Déclarer mes besoins pour venir")
async def declare_my_needs(
    instance_id: uuid.UUID, body: NeedsIn, service: Service, user: Councillor
) -> list[NeedOut]:
    needs = await service.declare_needs(
        instance_id, member_id_of(user), [need.request() for need in body.needs]
    )
    return [NeedOut.of(need) for need in needs]


@router.get("/instances/{instance_id}/needs/me", tags=["besoins"], summary="Mes besoins pour venir")
async def my_needs(instance_id: uuid.UUID, service: Service, user: Councillor) -> list[NeedOut]:
    return [NeedOut.of(need) for need in await service.my_needs(instance_id, member_id_of(user))]


def _needs_are_for_territory_staff(staff: Principal) -> None:
    """Who needs what to come (sign language, a hearing loop, childcare) is personal data: the
    organisers (staff) book it; the operator runs the platform and never reads it."""
    if staff.role != "staff":
        raise Forbidden("Les besoins sont réservés par l'équipe du territoire.")


@router.get(
    "/instances/{instance_id}/needs", tags=["besoins"], summary="Besoins à réserver (liste de l'organisateur)"
)
async def needs_checklist(instance_id: uuid.UUID, service: Service, staff: Staff) -> list[NeedLineOut]:
    _needs_are_for_territory_staff(staff)
    return [NeedLineOut.of_line(line) for line in await service.needs_checklist(instance_id)]


@router.put(
    "/instances/{instance_id}/needs/{need_id}/booked",
    tags=["besoins"],
    summary="Marquer un besoin réservé (ou non)",
)
async def set_need_booked(
    instance_id: uuid.UUID, need_id: uuid.UUID, body: BookedIn, service: Service, staff: Staff
) -> list[NeedLineOut]:
    _needs_are_for_territory_staff(staff)
    return [
        NeedLineOut.of_line(line) for line in await service.set_need_booked(instance_id, need_id, body.booked)
    ]


# --------------------------------------------------------------------------- cost claims


@router.get("/claims/rules", tags=["remboursements"], summary="Règles de remboursement du territoire")
async def claim_rules(service: Service, _user: AnyUser) -> ClaimRules:
    rules = service.territory.claims
    return ClaimRules(
        eligible=list(rules.eligible),
        childcare_per_hour=euros(int(rules.caps.childcare_per_hour * 100)),
        childcare_per_instance=euros(int(rules.caps.childcare_per_instance * 100)),
        transport_per_instance=euros(int(rules.caps.transport_per_instance * 100)),
        approved_by=rules.approved_by,
        window_days=rules.window_days,
        max_receipt_bytes=rules.max_receipt_bytes,
    )


def _hours(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", ".").removesuffix("h").strip())
    except ValueError:
        raise ClaimRefused("Indiquez les heures en chiffres, par exemple 2,5.") from None
    if not math.isfinite(value):
        raise ClaimRefused("Indiquez les heures en chiffres, par exemple 2,5.")
    return value


async def _chunks(file: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await file.read(64 * 1024):
        yield chunk


@router.post(
    "/instances/{instance_id}/claims",
    tags=["remboursements"],
    summary="Demander le remboursement de frais",
    status_code=201,
)
async def submit_claim(  # noqa: PLR0917 - FastAPI's form fields
    instance_id: uuid.UUID,
    service: Service,
    user: Councillor,
    kind: Annotated[Literal["childcare", "transport"], Form()],
    amount: Annotated[str, Form(max_length=20, description="En euros, « 12,50 ».")],
    hours: Annotated[str | None, Form(max_length=10, description="Heures de garde.")] = None,
    receipt: Annotated[UploadFile | None, File(description="Photo (JPEG, PNG, WebP, HEIC) ou PDF")] = None,
) -> ClaimOut:
    draft = ClaimDraft(kind, parse_euros(amount), _hours(hours))
    has_file = receipt is not None and (receipt.size is None or receipt.size > 0)
    chunks = _chunks(receipt) if receipt is not None and has_file else None
    filename = receipt.filename if receipt is not None else None
    return ClaimOut.of(await service.submit_claim(instance_id, member_id_of(user), draft, filename, chunks))


@router.get("/me/claims", tags=["remboursements"], summary="Mes demandes de remboursement")
async def my_claims(service: Service, user: Councillor) -> list[ClaimLineOut]:
    return [ClaimLineOut.of_line(line) for line in await service.claim_lines(member_id=member_id_of(user))]


def _bounds(
    service: Service, start: date | None, end: date | None
) -> tuple[datetime | None, datetime | None]:
    for day in (start, end):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise DomainError(
                "Date hors limites : choisissez une date entre le "
                f"{EARLIEST:%d/%m/%Y} et le {LATEST:%d/%m/%Y}."
            )
    if start and end and end < start:
        raise DomainError("La fin de la période doit être après son début.")
    zone = ZoneInfo(service.timezone)
    since = datetime.combine(start, time.min, zone) if start else None
    until = datetime.combine(end, time.max, zone) if end else None
    return since, until


@router.get("/claims", tags=["remboursements"], summary="Demandes de remboursement (équipe)")
async def claims(
    service: Service,
    _staff: Staff,
    status: Literal["submitted", "approved", "refused", "paid"] | None = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> list[ClaimLineOut]:
    since, until = _bounds(service, start, end)
    lines = await service.claim_lines(status=status, since=since, until=until)
    return [ClaimLineOut.of_line(line) for line in lines]


@router.get(
    "/claims/export.csv",
    tags=["remboursements"],
    summary="Export pour le service financier (CSV)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Les demandes, au format d'un tableur."}},
)
async def claims_csv(
    service: Service,
    _staff: Staff,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    since, until = _bounds(service, start, end)
    text = await service.claims_csv(since, until)
    return Response(
        "\ufeff" + text,  # a BOM: spreadsheets open the accents right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="remboursements.csv"'},
    )


@router.post(
    "/claims/{claim_id}/decision", tags=["remboursements"], summary="Approuver, refuser ou marquer payé"
)
async def decide_claim(claim_id: uuid.UUID, body: DecisionIn, service: Service, staff: Staff) -> ClaimOut:
    if staff.role != "staff":
        raise Forbidden("Les demandes sont décidées par l'équipe du territoire.")
    return ClaimOut.of(await service.decide_claim(claim_id, body.decision, body.reason))


@router.get(
    "/claims/{claim_id}/receipt",
    tags=["remboursements"],
    summary="Le justificatif",
    response_class=FileResponse,
)
async def claim_receipt(claim_id: uuid.UUID, service: Service, user: AnyUser) -> FileResponse:
    if user.role == "operator":
        raise Forbidden("Réservé à l'équipe du territoire.")
    member_id = None if user.is_staff else member_id_of(user)
    receipt, path = await service.receipt_for_download(claim_id, member_id=member_id)
    return FileResponse(path, media_type=receipt.media_type, filename=receipt.filename)


# --------------------------------------------------------------------------- easy to read, bilan


@router.get(
    "/instances/{instance_id}/easy-read",
    tags=["dossiers"],
    summary="La version facile à lire du dossier (résumé, audio)",
)
async def easy_read(instance_id: uuid.UUID, service: Service, user: AnyUser) -> list[DocumentOut]:
    documents = await service.easy_read_documents(instance_id, staff=user.is_staff)
    return [DocumentOut.of(document) for document in documents]


@router.get(
    "/bilan/attending", tags=["bilan"], summary="Bilan des freins levés : besoins, frais, facile à lire"
)
async def attending_bilan(
    service: Service,
    _staff: Staff,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
) -> dict[str, Any]:
    return (await service.attending_bilan(period_from, period_to)).as_dict()


# --------------------------------------------------------------------------- attestation


@router.post(
    "/me/attestations/{instance_id}",
    tags=["remboursements"],
    summary="Mon attestation de présence (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def my_attestation(
    instance_id: uuid.UUID, body: AttestationIn, service: Service, user: Councillor
) -> Response:
    pdf = await service.attestation(instance_id, member_id_of(user), body.name, body.verify_url)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="attestation-{instance_id}.pdf"'},
    )


@router.post("/attestations/check", tags=["remboursements"], summary="Vérifier un code d'attestation")
async def check_attestation(
    body: AttestationCheckIn, service: Service, _user: AnyUser
) -> AttestationCheckOut:
    return AttestationCheckOut.of(await service.verify_attestation(body.code, body.name))
