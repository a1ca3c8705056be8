"""The substitutes (suppléant·es) of a council's theme referents: read by the council's members and
staff, designated or withdrawn by staff and by the council's own coordinator."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict

from conseils_registry.api_access import Anyone, Service, check_reads_council
from conseils_runtime.auth import Principal
from conseils_runtime.http import Forbidden

router = APIRouter()


class SubstituteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member_id: uuid.UUID


class SubstituteOut(BaseModel):
    council_id: uuid.UUID
    theme: str
    member_id: uuid.UUID
    since: date


class SubstituteDesignationOut(BaseModel):
    substitute: SubstituteOut
    changed: bool


async def _designator(request: Request) -> Principal:
    authenticator = request.app.state.authenticator
    principal: Principal = await authenticator.require("staff", "operator", "coordinator")(request)
    return principal


Designator = Annotated[Principal, Depends(_designator)]


def check_designates_for(principal: Principal, council_id: uuid.UUID) -> None:
    if not principal.is_staff and principal.council_id != council_id:
        raise Forbidden("Seule la coordination de ce conseil ou l'équipe peut désigner ses suppléant·es.")


@router.get("/councils/{council_id}/substitutes", response_model=list[SubstituteOut], tags=["référents"])
async def council_substitutes(
    council_id: uuid.UUID, principal: Anyone, service: Service
) -> list[SubstituteOut]:
    """The substitute of each theme's referent (active members only)."""
    check_reads_council(principal, council_id)
    return [SubstituteOut(**vars(s)) for s in await service.council_substitutes(council_id)]


@router.put(
    "/councils/{council_id}/substitutes/{theme}",
    response_model=SubstituteDesignationOut,
    tags=["référents"],
)
async def designate_substitute(
    council_id: uuid.UUID, theme: str, body: SubstituteIn, principal: Designator, service: Service
) -> SubstituteDesignationOut:
    """Designate the substitute of a theme's referent, invited when the referent cannot come."""
    check_designates_for(principal, council_id)
    changed = await service.designate_substitute(council_id, theme, body.member_id)
    current = next(s for s in await service.council_substitutes(council_id) if s.theme == theme)
    return SubstituteDesignationOut(substitute=SubstituteOut(**vars(current)), changed=changed)


@router.delete("/councils/{council_id}/substitutes/{theme}", status_code=204, tags=["référents"])
async def withdraw_substitute(
    council_id: uuid.UUID, theme: str, principal: Designator, service: Service
) -> Response:
    check_designates_for(principal, council_id)
    await service.withdraw_substitute(council_id, theme)
    return Response(status_code=204)
