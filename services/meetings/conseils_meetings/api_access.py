"""What every route of the meetings API shares: the service, and who may call (staff,
councillors, anyone signed in)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from conseils_meetings.service import MeetingsService
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.http import Forbidden

# --------------------------------------------------------------------------- dependencies


async def get_service(request: Request) -> MeetingsService:
    service: MeetingsService = request.app.state.service
    return service


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def any_user(request: Request) -> Principal:
    return _authenticator(request).principal(request)


async def staff_user(request: Request) -> Principal:
    return await _authenticator(request).require("staff", "operator")(request)


async def councillor(request: Request) -> Principal:
    return await _authenticator(request).require("councillor", "coordinator")(request)


Service = Annotated[MeetingsService, Depends(get_service)]
Staff = Annotated[Principal, Depends(staff_user)]
Councillor = Annotated[Principal, Depends(councillor)]
AnyUser = Annotated[Principal, Depends(any_user)]


def member_id_of(principal: Principal) -> uuid.UUID:
    member_id = principal.member_id
    if member_id is None:
        raise Forbidden("Réservé aux conseillers citoyens.")
    return member_id
