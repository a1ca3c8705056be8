"""Routes of a person's erasure request: she asks (or staff for her), staff list and confirm.
Confirmation runs the erasure (`DELETE /members/{id}`'s use case): every service is told."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from conseils_registry.api_access import Anyone, Service, Staff
from conseils_runtime.http import Forbidden

router = APIRouter(tags=["membres"])


class ErasureRequestOut(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    requested_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None


class PendingErasureOut(ErasureRequestOut):
    display_name: str | None
    council_id: uuid.UUID


@router.post("/members/{member_id}/erasure-request", response_model=ErasureRequestOut, status_code=201)
async def request_erasure(member_id: uuid.UUID, principal: Anyone, service: Service) -> ErasureRequestOut:
    """Right to erasure asked by the person herself (or staff for her): kept until staff confirm."""
    if principal.role != "staff" and principal.member_id != member_id:
        raise Forbidden("Seule la personne concernée (ou un agent) peut demander l'effacement.")
    return ErasureRequestOut.model_validate(vars(await service.request_erasure(member_id)))


@router.get("/members/{member_id}/erasure-requests", response_model=list[ErasureRequestOut])
async def erasure_requests_of(
    member_id: uuid.UUID, principal: Anyone, service: Service
) -> list[ErasureRequestOut]:
    """Her requests and what became of them (herself or staff)."""
    if principal.role != "staff" and principal.member_id != member_id:
        raise Forbidden("Seule la personne concernée (ou un agent) peut voir ses demandes.")
    return [
        ErasureRequestOut.model_validate(vars(item)) for item in await service.erasure_requests_of(member_id)
    ]


@router.get("/erasure-requests", response_model=list[PendingErasureOut])
async def pending_erasures(_principal: Staff, service: Service) -> list[PendingErasureOut]:
    """Requests waiting for staff, oldest first, with the person's name and council."""
    return [
        PendingErasureOut(**vars(item.request), display_name=item.display_name, council_id=item.council_id)
        for item in await service.pending_erasures()
    ]


@router.post("/erasure-requests/{request_id}/confirm", status_code=204)
async def confirm_erasure(request_id: uuid.UUID, principal: Staff, service: Service) -> Response:
    """Staff confirm: the person is erased from every service (MemberErased and tombstone)."""
    await service.confirm_erasure(request_id, principal.subject)
    return Response(status_code=204)
