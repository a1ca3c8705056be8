"""HTTP API of the registry (JSON, French error messages): the territory's reference data,
councils and referents here; members in `api_members`, the directory and staff accounts in
`api_directory`; who may call what in `api_access`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from pydantic import TypeAdapter

from conseils_registry import api_directory, api_members, api_substitutes
from conseils_registry.api_access import (
    Anyone,
    Service,
    Staff,
    check_reads_council,
    council_out,
    member_out,
    overview_out,
    referent_out,
)
from conseils_registry.api_models import (
    CityOut,
    CouncilOut,
    CouncilOverviewOut,
    DesignationIn,
    DesignationOut,
    DissolutionIn,
    MemberOut,
    MemberPublic,
    NeighbourhoodOut,
    ReferentOut,
    ThemeOut,
)
from conseils_registry.commands import (
    CouncilChange,
    CouncilCreate,
)

router = APIRouter()


# ------------------------------------------------------------------ reference data
@router.get("/themes", response_model=list[ThemeOut], tags=["territoire"])
async def list_themes(_principal: Anyone, service: Service) -> list[ThemeOut]:
    return [ThemeOut.model_validate(theme) for theme in await service.themes()]


@router.get("/cities", response_model=list[CityOut], tags=["territoire"])
async def list_cities(_principal: Anyone, service: Service) -> list[CityOut]:
    return [
        CityOut(
            code=city.code,
            name=city.name,
            neighbourhoods=[NeighbourhoodOut.model_validate(n) for n in neighbourhoods],
        )
        for city, neighbourhoods in await service.cities()
    ]


# ------------------------------------------------------------------ councils
@router.get("/councils", response_model=list[CouncilOut], tags=["conseils"])
async def list_councils(_principal: Anyone, service: Service, city_code: str | None = None) -> Response:
    """Every council of the territory (their names are public)."""
    councils = [council_out(council) for council in await service.list_councils(city_code=city_code)]
    # Serialised once by pydantic-core (1,200 councils at national size): the same JSON as the
    # response model gives, without FastAPI validating the list a second time.
    return Response(COUNCILS_JSON.dump_json(councils), media_type="application/json")


COUNCILS_JSON: TypeAdapter[list[CouncilOut]] = TypeAdapter(list[CouncilOut])


@router.get("/councils/overview", response_model=list[CouncilOverviewOut], tags=["conseils"])
async def councils_overview(_principal: Anyone, service: Service) -> list[CouncilOverviewOut]:
    """Every council as any councillor sees it: city, neighbourhood, referents per theme (names
    only of those who chose to be shown), vacant themes. Never an email or a phone."""
    return [overview_out(overview) for overview in await service.councils_overview()]


@router.post("/councils", response_model=CouncilOut, status_code=201, tags=["conseils"])
async def create_council(command: CouncilCreate, _principal: Staff, service: Service) -> CouncilOut:
    return council_out(await service.register_council(command))


@router.get("/councils/{council_id}", response_model=CouncilOut, tags=["conseils"])
async def get_council(council_id: uuid.UUID, principal: Anyone, service: Service) -> CouncilOut:
    check_reads_council(principal, council_id)
    return council_out(await service.get_council(council_id))


@router.patch("/councils/{council_id}", response_model=CouncilOut, tags=["conseils"])
async def update_council(
    council_id: uuid.UUID, change: CouncilChange, _principal: Staff, service: Service
) -> CouncilOut:
    return council_out(await service.update_council(council_id, change))


@router.post("/councils/{council_id}/dissolution", response_model=CouncilOut, tags=["conseils"])
async def dissolve_council(
    council_id: uuid.UUID, body: DissolutionIn, _principal: Staff, service: Service
) -> CouncilOut:
    """Dissolve a council: its members leave, its referents are withdrawn; history is kept."""
    return council_out(await service.dissolve_council(council_id, body.dissolved_on))


@router.get(
    "/councils/{council_id}/members", response_model=list[MemberOut | MemberPublic], tags=["conseils"]
)
async def council_members(
    council_id: uuid.UUID, principal: Anyone, service: Service, include_left: bool = False
) -> list[MemberOut | MemberPublic]:
    """Active members; staff also see contact details and, on request, former members."""
    check_reads_council(principal, council_id)
    members = await service.council_members(council_id, include_left=include_left and principal.is_staff)
    return [member_out(member, principal) for member in members]


@router.get("/councils/{council_id}/referents", response_model=list[ReferentOut], tags=["référents"])
async def council_referents(
    council_id: uuid.UUID, principal: Anyone, service: Service, history: bool = False
) -> list[ReferentOut]:
    """Current referents per theme; `history=true` adds former ones."""
    check_reads_council(principal, council_id)
    referents = await service.council_referents(council_id, history=history)
    return [referent_out(referent) for referent in referents]


@router.put("/councils/{council_id}/referents/{theme}", response_model=DesignationOut, tags=["référents"])
async def designate_referent(
    council_id: uuid.UUID, theme: str, body: DesignationIn, _principal: Staff, service: Service
) -> DesignationOut:
    """Designate the referent of a theme (replaces the current one, kept in history)."""
    changed = await service.designate_referent(council_id, theme, body.member_id, body.since)
    referent = await service.current_referent(council_id, theme)
    assert referent is not None
    return DesignationOut(referent=referent_out(referent), changed=changed)


@router.delete("/councils/{council_id}/referents/{theme}", status_code=204, tags=["référents"])
async def withdraw_referent(
    council_id: uuid.UUID, theme: str, _principal: Staff, service: Service
) -> Response:
    await service.withdraw_referent(council_id, theme)
    return Response(status_code=204)


router.include_router(api_members.router)
router.include_router(api_directory.router)
router.include_router(api_substitutes.router)
