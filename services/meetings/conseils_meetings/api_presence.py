"""HTTP API of the attendance code: staff read an instance's code (to show it at the meeting) and
the presence councillors declared with it; a councillor types the code (`presence.Presence`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from conseils_meetings.api_access import Councillor, Service, Staff, member_id_of
from conseils_meetings.api_models import _In
from conseils_runtime.http import DomainError

router = APIRouter()


class PresenceCodeOut(BaseModel):
    code: str = Field(description="Le code de présence à afficher en séance (six caractères).")


class PresenceCodeIn(_In):
    code: str = Field(min_length=1, max_length=32)


class PresenceDeclaredOut(BaseModel):
    outcome: str = Field(description="declared (enregistrée) ou already (déjà déclarée).")
    message: str


class DeclaredPresenceOut(BaseModel):
    member_id: uuid.UUID
    declared_at: datetime


@router.get(
    "/instances/{instance_id}/presence-code", tags=["présence"], summary="Le code de présence d'une instance"
)
async def presence_code(instance_id: uuid.UUID, service: Service, _staff: Staff) -> PresenceCodeOut:
    return PresenceCodeOut(code=await service.presence_code(instance_id))


@router.get(
    "/instances/{instance_id}/presence-declarations",
    tags=["présence"],
    summary="Présences déclarées par code",
)
async def presence_declarations(
    instance_id: uuid.UUID, service: Service, _staff: Staff
) -> list[DeclaredPresenceOut]:
    rows = await service.declared_presence(instance_id)
    return [DeclaredPresenceOut(member_id=r.member_id, declared_at=r.declared_at) for r in rows]


@router.post(
    "/instances/{instance_id}/presence-declarations",
    tags=["présence"],
    summary="Déclarer sa présence avec le code donné en séance",
)
async def declare_presence(
    instance_id: uuid.UUID, body: PresenceCodeIn, service: Service, user: Councillor
) -> PresenceDeclaredOut:
    answer = await service.declare_presence(instance_id, member_id_of(user), body.code)
    if answer.outcome == "wrong":
        raise DomainError(answer.message, code="code_presence_faux")
    if answer.outcome == "locked":
        raise DomainError(answer.message, code="code_presence_bloque", status_code=429)
    return PresenceDeclaredOut(outcome=answer.outcome, message=answer.message)
