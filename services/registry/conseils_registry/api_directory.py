"""HTTP API of the registry: the directory (partners, schemes, places) and staff accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from conseils_registry.api_access import (
    Anyone,
    ContactReader,
    Operator,
    Service,
    Staff,
)
from conseils_registry.api_models import (
    _SECTION_TYPES,
    DirectoryEntryOut,
    DirectorySection,
    StaffAccountOut,
)
from conseils_registry.commands import (
    DirectoryEntryInput,
    StaffAccountInput,
)
from conseils_registry.domain import PartnerKind

router = APIRouter()


# ------------------------------------------------------------------ directory
@router.get("/directory", response_model=list[DirectoryEntryOut], tags=["annuaire"])
async def search_directory(
    _principal: Anyone,
    service: Service,
    q: Annotated[str, Query(max_length=200, description="Mots recherchés (casse et accents ignorés)")] = "",
    theme: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)] = None,
    kind: PartnerKind | None = None,
    section: DirectorySection | None = None,
) -> list[DirectoryEntryOut]:
    """Partners, schemes (dispositifs) and places of the territory."""
    entries = await service.search_directory(
        query=q, theme=theme, kind=kind, entry_type=_SECTION_TYPES[section] if section else None
    )
    return [DirectoryEntryOut.model_validate(entry) for entry in entries]


@router.get("/directory/{entry_id}", response_model=DirectoryEntryOut, tags=["annuaire"])
async def get_directory_entry(entry_id: uuid.UUID, _principal: Anyone, service: Service) -> DirectoryEntryOut:
    return DirectoryEntryOut.model_validate(await service.directory_entry(entry_id))


@router.post("/directory/{section}", response_model=DirectoryEntryOut, status_code=201, tags=["annuaire"])
async def create_directory_entry(
    section: DirectorySection, command: DirectoryEntryInput, _principal: Staff, service: Service
) -> DirectoryEntryOut:
    entry_id = await service.save_directory_entry(_SECTION_TYPES[section], command)
    return await get_directory_entry(entry_id, _principal, service)


@router.put("/directory/{section}/{entry_id}", response_model=DirectoryEntryOut, tags=["annuaire"])
async def update_directory_entry(
    section: DirectorySection,
    entry_id: uuid.UUID,
    command: DirectoryEntryInput,
    _principal: Staff,
    service: Service,
) -> DirectoryEntryOut:
    await service.save_directory_entry(_SECTION_TYPES[section], command, entry_id)
    return await get_directory_entry(entry_id, _principal, service)


@router.delete("/directory/{section}/{entry_id}", status_code=204, tags=["annuaire"])
async def delete_directory_entry(
    section: DirectorySection, entry_id: uuid.UUID, _principal: Staff, service: Service
) -> Response:
    await service.directory_entry(entry_id, _SECTION_TYPES[section])  # 404 when not in this section
    await service.delete_directory_entry(entry_id)
    return Response(status_code=204)


# ------------------------------------------------------------------ staff accounts
@router.get("/staff-accounts", response_model=list[StaffAccountOut], tags=["agents"])
async def list_staff(
    _principal: ContactReader,
    service: Service,
    email: Annotated[
        str | None, Query(max_length=320, description="Adresse exacte (recherche d'un compte).")
    ] = None,
) -> list[StaffAccountOut]:
    return [StaffAccountOut.model_validate(account) for account in await service.staff_accounts(email)]


@router.post("/staff-accounts", response_model=StaffAccountOut, status_code=201, tags=["agents"])
async def create_staff(command: StaffAccountInput, _principal: Operator, service: Service) -> StaffAccountOut:
    await service.create_staff_account(command)
    return StaffAccountOut.model_validate(await service.staff_account(command.email))
