"""HTTP API of the registry: members (join, change, contact card, leave, erase, their data)
and the members CSV (import, export)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from conseils_registry.api_access import (
    Anyone,
    ContactReader,
    Service,
    Settings,
    Staff,
    check_reads_council,
    decode_csv,
    member_out,
    reads_contacts,
)
from conseils_registry.api_models import (
    ImportReportOut,
    ImportRowOut,
    LeaveIn,
    MemberOut,
    MemberPublic,
    NameShownIn,
)
from conseils_registry.commands import (
    ContactInput,
    MemberChange,
    MemberJoin,
)
from conseils_registry.members_csv import CSV_COLUMNS
from conseils_runtime.http import DomainError, Forbidden

router = APIRouter()


# ------------------------------------------------------------------ members
@router.get("/members", response_model=list[MemberOut], tags=["membres"])
async def list_members(
    _principal: ContactReader,
    service: Service,
    council_id: uuid.UUID | None = None,
    include_left: bool = False,
    email: Annotated[
        str | None, Query(max_length=320, description="Adresse exacte (recherche d'un compte).")
    ] = None,
) -> list[MemberOut]:
    members = await service.list_members(council_id=council_id, include_left=include_left, email=email)
    return [MemberOut.model_validate(member) for member in members]


@router.post("/members", response_model=MemberOut, status_code=201, tags=["membres"])
async def join_member(command: MemberJoin, _principal: ContactReader, service: Service) -> MemberOut:
    return MemberOut.model_validate(await service.join_member(command))


@router.post(
    "/members/import",
    response_model=ImportReportOut,
    status_code=201,
    tags=["membres"],
    responses={422: {"model": ImportReportOut, "description": "Aucun membre enregistré : voir les lignes."}},
    description=(
        "Import CSV de membres, tout ou rien : si une seule ligne est invalide, rien n'est enregistré "
        "et le rapport indique chaque ligne. Séparateur `;` ou `,`, encodage UTF-8 (ou Windows-1252). "
        f"Colonnes : {', '.join(CSV_COLUMNS)} (obligatoires : conseil, nom, email). "
        "conseil = identifiant court du conseil (ex. saint-denis-franc-moisin) ; college = habitants ou "
        "acteurs_locaux ; tirage_au_sort et consentement = oui ou non ; role = membre ou coordinateur ; "
        "date_entree = AAAA-MM-JJ ou JJ/MM/AAAA ; thematiques séparées par | (ex. emploi|sante)."
    ),
)
async def import_members(
    _principal: ContactReader,
    service: Service,
    settings: Settings,
    file: Annotated[UploadFile, File(description="Fichier CSV")],
) -> Any:
    data = await file.read(settings.import_max_bytes + 1)
    if len(data) > settings.import_max_bytes:
        raise DomainError("Fichier trop volumineux.", code="fichier_trop_volumineux", status_code=413)
    report, created = await service.import_members(decode_csv(data))
    body = ImportReportOut(
        detail=report.summary_fr(),
        code="import_effectue" if report.ok else "import_refuse",
        lignes=[
            ImportRowOut(ligne=row.line, statut="ok" if row.ok else "erreur", messages=row.messages)
            for row in report.rows
        ],
        membres_crees=[member.id for member in created],
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if report.ok else 422)


@router.get(
    "/members/export.csv",
    tags=["membres"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Membres au format de l'import."}},
)
async def export_members(_principal: ContactReader, service: Service, include_left: bool = False) -> Response:
    text = await service.export_members_csv(include_left=include_left)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="membres.csv"', "Cache-Control": "no-store"},
    )


@router.get("/members/{member_id}", response_model=MemberOut | MemberPublic, tags=["membres"])
async def get_member(member_id: uuid.UUID, principal: Anyone, service: Service) -> MemberOut | MemberPublic:
    member = await service.get_member(member_id)
    if principal.member_id != member_id:
        check_reads_council(principal, member.council_id)
    return member_out(member, principal)


@router.patch("/members/{member_id}", response_model=MemberOut, tags=["membres"])
async def update_member(
    member_id: uuid.UUID, change: MemberChange, _principal: ContactReader, service: Service
) -> MemberOut:
    return MemberOut.model_validate(await service.update_member(member_id, change))


@router.put("/members/{member_id}/contact", response_model=MemberOut, tags=["membres"])
async def update_contact(
    member_id: uuid.UUID, contact: ContactInput, _principal: ContactReader, service: Service
) -> MemberOut:
    return MemberOut.model_validate(await service.update_contact(member_id, contact))


@router.put("/members/{member_id}/shown-to-councillors", response_model=MemberOut, tags=["membres"])
async def show_to_councillors(
    member_id: uuid.UUID, body: NameShownIn, principal: Anyone, service: Service
) -> MemberOut:
    """Her name shown (or no longer) to the councillors of the other councils: her own choice
    (or staff recording it). Off by default."""
    if not reads_contacts(principal) and principal.member_id != member_id:  # answers her contact
        raise Forbidden("Seule la personne concernée (ou un agent) peut faire ce choix.")
    return MemberOut.model_validate(await service.show_to_councillors(member_id, body.shown))


@router.post("/members/{member_id}/leave", response_model=MemberOut, tags=["membres"])
async def leave(
    member_id: uuid.UUID, body: LeaveIn, _principal: ContactReader, service: Service
) -> MemberOut:
    """The member leaves their council and loses their referent roles."""
    return MemberOut.model_validate(await service.leave_member(member_id, body.left_on))


@router.delete("/members/{member_id}", status_code=204, tags=["membres"])
async def erase_member(member_id: uuid.UUID, _principal: Staff, service: Service) -> Response:
    """Right to erasure: removes the person's data from the registry and tells every service."""
    await service.erase_member(member_id)
    return Response(status_code=204)


@router.get("/members/{member_id}/data", tags=["membres"])
async def member_data(member_id: uuid.UUID, principal: Anyone, service: Service) -> JSONResponse:
    """Right of access: everything the registry holds about one person (themselves or staff)."""
    if not reads_contacts(principal) and principal.member_id != member_id:
        raise Forbidden("Seule la personne concernée (ou un agent) peut télécharger ces données.")
    data = await service.member_data(member_id)
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="mes-donnees-{member_id}.json"',
            "Cache-Control": "no-store",
        },
    )
