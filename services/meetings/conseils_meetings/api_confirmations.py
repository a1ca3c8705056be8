"""HTTP API of « Je viens » (`confirmations.Confirmations`): she confirms she is coming; staff
read who confirmed (the head-count); she reads the instances she confirmed."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from conseils_meetings.api_access import Councillor, Service, Staff, member_id_of

router = APIRouter()


class ConfirmationOut(BaseModel):
    outcome: str = Field(description="confirmed (enregistrée) ou already (déjà confirmée).")
    message: str


class ConfirmedAttendanceOut(BaseModel):
    instance_id: uuid.UUID
    member_id: uuid.UUID
    confirmed_at: datetime


@router.post(
    "/instances/{instance_id}/attendance-confirmations",
    tags=["inscriptions"],
    summary="Confirmer sa venue (« Je viens »)",
)
async def confirm_attendance(instance_id: uuid.UUID, service: Service, user: Councillor) -> ConfirmationOut:
    answer = await service.confirm_attendance(instance_id, member_id_of(user))
    return ConfirmationOut(outcome=answer.outcome, message=answer.message)


@router.get(
    "/instances/{instance_id}/attendance-confirmations",
    tags=["inscriptions"],
    summary="Venues confirmées (« Je viens »)",
)
async def confirmed_attendance(
    instance_id: uuid.UUID, service: Service, _staff: Staff
) -> list[ConfirmedAttendanceOut]:
    rows = await service.confirmed_attendance(instance_id)
    return [ConfirmedAttendanceOut(**row.__dict__) for row in rows]


@router.get("/me/attendance-confirmations", tags=["inscriptions"], summary="Mes venues confirmées")
async def my_confirmations(service: Service, user: Councillor) -> list[ConfirmedAttendanceOut]:
    rows = await service.member_confirmations(member_id_of(user))
    return [ConfirmedAttendanceOut(**row.__dict__) for row in rows]
