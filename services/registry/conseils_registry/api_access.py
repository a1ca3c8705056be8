"""What every route of the registry API shares: who may call it (the role dependencies), how a
member is shown to whom (contact data for `staff` only, a councillor her own), and the
conversions of records to answers.

Writes are for staff (`staff`, `operator`). Councillors (`councillor`,
`coordinator`) read their own council, its referents and its members'
public information (name, college, role) — never another person's email or
phone — and every council of the territory with its referents (names only of
those who chose to be shown: `PUT /members/{id}/shown-to-councillors`). A person
may download everything held about them.

Contact data (email, phone, the members CSV, personal data downloads, staff
accounts' addresses) is for the `staff` role only (`ContactReader`): the
`operator` runs the platform (flows, lag, dead letters, traces) and never sees
contact data, names included (the event schemas put names on the contacts topic
only): the member lists and cards she may open answer her without the names
(`display_name` empty), and the people routes that answer contact data are not
hers.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from conseils_registry.api_models import (
    CouncilOut,
    CouncilOverviewOut,
    MemberOut,
    MemberPublic,
    ReferentOut,
    ReferentShownOut,
)
from conseils_registry.records import CouncilOverviewRecord, CouncilRecord, MemberRecord, ReferentRecord
from conseils_registry.service import RegistryService
from conseils_registry.settings import RegistrySettings
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.http import DomainError, Forbidden

# --------------------------------------------------------------------------- helpers


async def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.registry
    return service


def council_out(council: CouncilRecord) -> CouncilOut:
    return CouncilOut.model_validate(council)


def reads_contacts(principal: Principal) -> bool:
    """Who may see people's email and phone: staff, not the operator (least privilege)."""
    return principal.role == "staff"


def reads_names(principal: Principal) -> bool:
    """Who may see members' names: everyone signed in but the operator (flows, not people)."""
    return principal.role != "operator"


def member_out(member: MemberRecord, principal: Principal) -> MemberOut | MemberPublic:
    if reads_contacts(principal) or principal.member_id == member.id:
        return MemberOut.model_validate(member)
    public = MemberPublic.model_validate(member)
    return public if reads_names(principal) else public.model_copy(update={"display_name": None})


def check_reads_council(principal: Principal, council_id: uuid.UUID) -> None:
    if not principal.is_staff and principal.council_id != council_id:
        raise Forbidden("Vous ne pouvez consulter que votre propre conseil.")


def overview_out(overview: CouncilOverviewRecord) -> CouncilOverviewOut:
    return CouncilOverviewOut(
        council=council_out(overview.council),
        members=overview.members,
        referents=[ReferentShownOut.model_validate(referent) for referent in overview.referents],
        vacant_themes=overview.vacant_themes,
        names_shown=overview.names_shown,
    )


def referent_out(referent: ReferentRecord) -> ReferentOut:
    return ReferentOut.model_validate(referent)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; a file in neither is refused in French.

    The decoding error is not kept: its text would quote the file's bytes (names, emails) into
    the logs. Only the position of the first byte that cannot be read is told.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # spreadsheets saved "CSV (séparateur : point-virgule)" on Windows
    except UnicodeDecodeError as error:
        position = error.start
    raise DomainError(
        "Le fichier ne peut pas être lu : il n'est ni en UTF-8 ni en Windows-1252 (octet illisible "
        f"à la position {position}). Enregistrez-le depuis votre tableur en « CSV UTF-8 ».",
        code="encodage_illisible",
    )


# --------------------------------------------------------------------------- router


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def _staff(request: Request) -> Principal:
    return await _authenticator(request).require("staff", "operator")(request)


async def _contact_reader(request: Request) -> Principal:
    return await _authenticator(request).require("staff")(request)


async def _operator(request: Request) -> Principal:
    return await _authenticator(request).require("operator")(request)


async def _anyone(request: Request) -> Principal:
    return await _authenticator(request).require("councillor", "coordinator", "staff", "operator")(request)


async def _settings(request: Request) -> RegistrySettings:
    settings: RegistrySettings = request.app.state.settings
    return settings


Staff = Annotated[Principal, Depends(_staff)]
ContactReader = Annotated[Principal, Depends(_contact_reader)]  # answers email and phone: staff only
Operator = Annotated[Principal, Depends(_operator)]
Anyone = Annotated[Principal, Depends(_anyone)]
Service = Annotated[RegistryService, Depends(_service)]
Settings = Annotated[RegistrySettings, Depends(_settings)]
