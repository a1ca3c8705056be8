"""HTTP API of the registry (JSON, French error messages).

Writes are for staff (`staff`, `operator`). Councillors (`councillor`,
`coordinator`) read their own council, its referents and its members'
public information (name, college, role) — never another person's email or
phone — and every council of the territory with its referents (names only of
those who chose to be shown: `PUT /members/{id}/shown-to-councillors`). A person
may download everything held about them.

Contact data (email, phone, the members CSV, personal data downloads, staff
accounts' addresses) is for the `staff` role only (`ContactReader`): the
`operator` runs the platform (flows, lag, dead letters, traces) and sees
members as councillors do, without contact data; the people routes that
answer contact data are not theirs.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from conseils_registry.api_models import (
    _SECTION_TYPES,
    CityOut,
    CouncilOut,
    CouncilOverviewOut,
    DesignationIn,
    DesignationOut,
    DirectoryEntryOut,
    DirectorySection,
    DissolutionIn,
    ImportReportOut,
    ImportRowOut,
    LeaveIn,
    MemberOut,
    MemberPublic,
    NameShownIn,
    NeighbourhoodOut,
    ReferentOut,
    ReferentShownOut,
    StaffAccountOut,
    ThemeOut,
)
from conseils_registry.commands import (
    ContactInput,
    CouncilChange,
    CouncilCreate,
    DirectoryEntryInput,
    MemberChange,
    MemberJoin,
    StaffAccountInput,
)
from conseils_registry.domain import PartnerKind
from conseils_registry.members_csv import CSV_COLUMNS
from conseils_registry.records import CouncilOverviewRecord, CouncilRecord, MemberRecord, ReferentRecord
from conseils_registry.service import RegistryService
from conseils_registry.settings import RegistrySettings
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.http import DomainError, Forbidden

# --------------------------------------------------------------------------- helpers


def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.registry
    return service


def _council_out(council: CouncilRecord) -> CouncilOut:
    return CouncilOut.model_validate(council)


def _reads_contacts(principal: Principal) -> bool:
    """Who may see people's email and phone: staff, not the operator (least privilege)."""
    return principal.role == "staff"


def _member_out(member: MemberRecord, principal: Principal) -> MemberOut | MemberPublic:
    if _reads_contacts(principal) or principal.member_id == member.id:
        return MemberOut.model_validate(member)
    return MemberPublic.model_validate(member)


def _check_reads_council(principal: Principal, council_id: uuid.UUID) -> None:
    if not principal.is_staff and principal.council_id != council_id:
        raise Forbidden("Vous ne pouvez consulter que votre propre conseil.")


def _overview_out(overview: CouncilOverviewRecord) -> CouncilOverviewOut:
    return CouncilOverviewOut(
        council=_council_out(overview.council),
        members=overview.members,
        referents=[ReferentShownOut.model_validate(referent) for referent in overview.referents],
        vacant_themes=overview.vacant_themes,
        names_shown=overview.names_shown,
    )


def _referent_out(referent: ReferentRecord) -> ReferentOut:
    return ReferentOut.model_validate(referent)


def _decode_csv(data: bytes) -> str:
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


def _settings(request: Request) -> RegistrySettings:
    settings: RegistrySettings = request.app.state.settings
    return settings


Staff = Annotated[Principal, Depends(_staff)]
ContactReader = Annotated[Principal, Depends(_contact_reader)]  # answers email and phone: staff only
Operator = Annotated[Principal, Depends(_operator)]
Anyone = Annotated[Principal, Depends(_anyone)]
Service = Annotated[RegistryService, Depends(_service)]
Settings = Annotated[RegistrySettings, Depends(_settings)]

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
async def list_councils(
    _principal: Anyone, service: Service, city_code: str | None = None
) -> list[CouncilOut]:
    """Every council of the territory (their names are public)."""
    return [_council_out(council) for council in await service.list_councils(city_code=city_code)]


@router.get("/councils/overview", response_model=list[CouncilOverviewOut], tags=["conseils"])
async def councils_overview(_principal: Anyone, service: Service) -> list[CouncilOverviewOut]:
    """Every council as any councillor sees it: city, neighbourhood, referents per theme (names
    only of those who chose to be shown), vacant themes. Never an email or a phone."""
    return [_overview_out(overview) for overview in await service.councils_overview()]


@router.post("/councils", response_model=CouncilOut, status_code=201, tags=["conseils"])
async def create_council(command: CouncilCreate, _principal: Staff, service: Service) -> CouncilOut:
    return _council_out(await service.register_council(command))


@router.get("/councils/{council_id}", response_model=CouncilOut, tags=["conseils"])
async def get_council(council_id: uuid.UUID, principal: Anyone, service: Service) -> CouncilOut:
    _check_reads_council(principal, council_id)
    return _council_out(await service.get_council(council_id))


@router.patch("/councils/{council_id}", response_model=CouncilOut, tags=["conseils"])
async def update_council(
    council_id: uuid.UUID, change: CouncilChange, _principal: Staff, service: Service
) -> CouncilOut:
    return _council_out(await service.update_council(council_id, change))


@router.post("/councils/{council_id}/dissolution", response_model=CouncilOut, tags=["conseils"])
async def dissolve_council(
    council_id: uuid.UUID, body: DissolutionIn, _principal: Staff, service: Service
) -> CouncilOut:
    """Dissolve a council: its members leave, its referents are withdrawn; history is kept."""
    return _council_out(await service.dissolve_council(council_id, body.dissolved_on))


@router.get(
    "/councils/{council_id}/members", response_model=list[MemberOut | MemberPublic], tags=["conseils"]
)
async def council_members(
    council_id: uuid.UUID, principal: Anyone, service: Service, include_left: bool = False
) -> list[MemberOut | MemberPublic]:
    """Active members; staff also see contact details and, on request, former members."""
    _check_reads_council(principal, council_id)
    members = await service.council_members(council_id, include_left=include_left and principal.is_staff)
    return [_member_out(member, principal) for member in members]


@router.get("/councils/{council_id}/referents", response_model=list[ReferentOut], tags=["référents"])
async def council_referents(
    council_id: uuid.UUID, principal: Anyone, service: Service, history: bool = False
) -> list[ReferentOut]:
    """Current referents per theme; `history=true` adds former ones."""
    _check_reads_council(principal, council_id)
    referents = await service.council_referents(council_id, history=history)
    return [_referent_out(referent) for referent in referents]


@router.put("/councils/{council_id}/referents/{theme}", response_model=DesignationOut, tags=["référents"])
async def designate_referent(
    council_id: uuid.UUID, theme: str, body: DesignationIn, _principal: Staff, service: Service
) -> DesignationOut:
    """Designate the referent of a theme (replaces the current one, kept in history)."""
    changed = await service.designate_referent(council_id, theme, body.member_id, body.since)
    referent = await service.current_referent(council_id, theme)
    assert referent is not None
    return DesignationOut(referent=_referent_out(referent), changed=changed)


@router.delete("/councils/{council_id}/referents/{theme}", status_code=204, tags=["référents"])
async def withdraw_referent(
    council_id: uuid.UUID, theme: str, _principal: Staff, service: Service
) -> Response:
    await service.withdraw_referent(council_id, theme)
    return Response(status_code=204)


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
    report, created = await service.import_members(_decode_csv(data))
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
        _check_reads_council(principal, member.council_id)
    return _member_out(member, principal)


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
    if not _reads_contacts(principal) and principal.member_id != member_id:  # answers her contact
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
    if not _reads_contacts(principal) and principal.member_id != member_id:
        raise Forbidden("Seule la personne concernée (ou un agent) peut télécharger ces données.")
    data = await service.member_data(member_id)
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="mes-donnees-{member_id}.json"',
            "Cache-Control": "no-store",
        },
    )


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
