"""HTTP API of the meetings service (JSON; French error messages).

Staff schedule, reschedule and cancel instances (with `dry_run` to see the
policy warnings first), manage dossiers, attendance, minutes and forum
outcomes, and produce the bilan. Councillors see the instances that concern
their council and themes, register themselves and cancel.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from conseils_meetings import bilan_outputs, domain, reports
from conseils_meetings.service import InstanceDraft, MeetingsService, Preview, RegistrationOutcome
from conseils_runtime.auth import Authenticator, Principal
from conseils_runtime.http import DomainError, Forbidden

router = APIRouter()


# --------------------------------------------------------------------------- dependencies


def get_service(request: Request) -> MeetingsService:
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


def _member_id(principal: Principal) -> uuid.UUID:
    member_id = principal.member_id
    if member_id is None:
        raise Forbidden("Réservé aux conseillers citoyens.")
    return member_id


# --------------------------------------------------------------------------- models


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstanceTypeOut(BaseModel):
    slug: str
    name: str
    political: bool
    scope: str
    min_notice_days: int
    dossier_notice_days: int
    participant_seats_per_council: int | None
    capacity: int | None
    observers_allowed: bool
    on_breach: str
    registration_closes_hours: int


class InstanceIn(_In):
    instance_type: str = Field(min_length=1, max_length=64, examples=["comite-technique"])
    title: str = Field(min_length=2, max_length=300)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str = Field(min_length=2, max_length=300)
    theme: str | None = Field(default=None, max_length=64)
    city_code: str | None = Field(default=None, pattern=r"^\d[0-9AB]\d{3}$")
    council_id: uuid.UUID | None = None
    as_draft: bool = Field(default=False, description="Enregistrer sans programmer (brouillon).")
    dry_run: bool = Field(default=False, description="Aperçu : avertissements sans rien enregistrer.")

    def draft(self) -> InstanceDraft:
        return InstanceDraft(
            instance_type=self.instance_type,
            title=self.title,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            location=self.location,
            theme=self.theme,
            city_code=self.city_code,
            council_id=self.council_id,
        )


class RescheduleIn(_In):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: str | None = Field(default=None, min_length=2, max_length=300)
    dry_run: bool = False


class CancelIn(_In):
    reason: str = Field(min_length=2, max_length=1000)


class DryRunIn(_In):
    dry_run: bool = False


_SLOT_DESCRIPTION = (
    "Créneau de début, à l'heure du territoire : weekday_evening (du lundi au vendredi à partir de "
    "18 h), saturday, sunday ou working_hours (du lundi au vendredi avant 18 h). À préférer à "
    "is_evening, qui ne vaut vrai qu'un soir de semaine."
)
_SLOT_LABEL_DESCRIPTION = (
    "Le créneau en français, tel que l'affichent les pages : « En soirée », « Le samedi »…"
)


def _with_slot(row: dict[str, Any], timezone: str) -> dict[str, Any]:
    """The instance row with its time slot, computed from starts_at (is_evening agrees with it)."""
    slot = domain.time_slot(row["starts_at"], timezone)
    return {
        **row,
        "time_slot": slot,
        "time_slot_label": domain.SLOT_LABELS[slot],
        "is_evening": slot == "weekday_evening",
    }


class PreviewOut(BaseModel):
    dry_run: Literal[True] = True
    warnings: list[str]
    refused: bool
    reason: str | None
    concerned_council_ids: list[uuid.UUID]
    is_evening: bool
    time_slot: domain.TimeSlot = Field(description=_SLOT_DESCRIPTION)
    time_slot_label: str = Field(description=_SLOT_LABEL_DESCRIPTION)

    @classmethod
    def of(cls, preview: Preview, starts_at: datetime, timezone: str) -> PreviewOut:
        slot = domain.time_slot(starts_at, timezone)
        return cls(
            warnings=preview.warnings,
            refused=preview.refused,
            reason=preview.reason,
            concerned_council_ids=preview.concerned_council_ids,
            is_evening=preview.is_evening,
            time_slot=slot,
            time_slot_label=domain.SLOT_LABELS[slot],
        )


class DocumentOut(BaseModel):
    id: uuid.UUID
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    version: int
    uploaded_at: datetime
    published_at: datetime | None
    download_url: str = ""

    @classmethod
    def of(cls, row: dict[str, Any]) -> DocumentOut:
        document = cls.model_validate(row, from_attributes=False)
        document.download_url = f"/documents/{document.id}/download"
        return document


class Counts(BaseModel):
    participants: int
    observers: int
    waitlisted: int


class InstanceSummary(BaseModel):
    id: uuid.UUID
    instance_type: str
    title: str
    theme: str | None
    city_code: str | None
    council_id: uuid.UUID | None
    scope: str
    starts_at: datetime
    ends_at: datetime
    location: str
    status: str
    is_political: bool
    is_evening: bool = Field(
        description="Vrai seulement un soir de semaine (à partir de 18 h, heure locale)."
    )
    observers_allowed: bool
    sequence: int
    policy_warnings: list[str]
    time_slot: domain.TimeSlot = Field(description=_SLOT_DESCRIPTION)
    time_slot_label: str = Field(description=_SLOT_LABEL_DESCRIPTION)
    registration_closes_at: datetime | None = Field(
        default=None, description="Fin des inscriptions (selon le type d'instance)."
    )

    @classmethod
    def of(cls, row: dict[str, Any], *, timezone: str, closes_at: datetime | None = None) -> InstanceSummary:
        values = _with_slot(row, timezone)
        if closes_at is not None:
            values["registration_closes_at"] = closes_at
        return cls.model_validate(values)


class InstanceOut(InstanceSummary):
    instance_type_name: str
    concerned_council_ids: list[uuid.UUID]
    counts: Counts
    registration_closes_at: datetime
    dossier_version: int
    dossier_published_at: datetime | None
    dossier_notice_days_required: int
    dossier_documents: list[DocumentOut]
    minutes_summary: str | None
    minutes_published_at: datetime | None
    minutes_documents: list[DocumentOut]
    held_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None

    @classmethod
    def of(cls, row: dict[str, Any], *, staff: bool, timezone: str) -> InstanceOut:  # type: ignore[override]
        data = _with_slot(row, timezone)
        data["dossier_documents"] = [
            DocumentOut.of(d) for d in row["dossier_documents"] if staff or d["published_at"] is not None
        ]
        data["minutes_documents"] = [
            DocumentOut.of(d) for d in row["minutes_documents"] if staff or d["published_at"] is not None
        ]
        return cls.model_validate(data)


class RegistrationIn(_In):
    mode: Literal["participant", "observer"]


class RegistrationOut(BaseModel):
    registration_id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: str
    status: str
    position: int | None = Field(default=None, description="Rang sur la liste d'attente.")
    changed: bool = Field(description="Faux quand la demande ne change rien (déjà inscrit·e).")
    message: str

    @classmethod
    def of(cls, outcome: RegistrationOutcome) -> RegistrationOut:
        mode = "participant·e" if outcome.mode == "participant" else "observateur·rice"
        if outcome.status == "confirmed":
            message = f"Inscription confirmée comme {mode}."
        elif outcome.status == "waitlisted":
            message = f"Places prises : vous êtes sur la liste d'attente (rang {outcome.position})."
        else:
            message = "Inscription annulée."
        if not outcome.changed and outcome.status != "cancelled":
            message = "Vous êtes déjà inscrit·e : rien n'a changé. " + message
        return cls(
            registration_id=outcome.registration_id,
            instance_id=outcome.instance_id,
            member_id=outcome.member_id,
            council_id=outcome.council_id,
            mode=outcome.mode,
            status=outcome.status,
            position=outcome.position,
            changed=outcome.changed,
            message=message,
        )


class RegistrationRow(BaseModel):
    id: uuid.UUID
    instance_id: uuid.UUID
    member_id: uuid.UUID
    council_id: uuid.UUID
    mode: str
    status: str
    position: int | None = None
    created_at: datetime
    updated_at: datetime


class MyRegistration(RegistrationRow):
    title: str
    starts_at: datetime
    instance_status: str


class HistoryRegistration(BaseModel):
    mode: str
    status: str = Field(description="Statut final : confirmed, waitlisted ou cancelled.")
    created_at: datetime
    updated_at: datetime


Participation = Literal["present", "absent", "registered", "waitlisted", "not_registered"]


class HistoryInstance(BaseModel):
    id: uuid.UUID
    instance_type: str
    instance_type_name: str
    title: str
    theme: str | None
    starts_at: datetime
    ends_at: datetime
    location: str
    status: str = Field(description="held, minutes_published, cancelled (ou pas encore tenue).")
    held_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    registration: HistoryRegistration | None = Field(description="Mon inscription, même annulée.")
    present: bool | None = Field(
        description="Marqué·e présent·e ; nul tant que la présence n'est pas saisie."
    )
    participation: Participation = Field(
        description="present ; absent (inscrit·e confirmé·e, non présent·e) ; "
        "registered (présence pas encore saisie) ; waitlisted ; not_registered."
    )
    minutes_summary: str | None
    minutes_published_at: datetime | None
    minutes_documents: list[DocumentOut]

    @classmethod
    def of(cls, row: dict[str, Any]) -> HistoryInstance:
        registration = row["registration"]
        status = registration["status"] if registration else None
        participation: Participation
        if row["present"]:
            participation = "present"
        elif status == "confirmed":
            participation = "absent" if row["present"] is False else "registered"
        elif status == "waitlisted":
            participation = "waitlisted"
        else:
            participation = "not_registered"
        data = {
            **row,
            "participation": participation,
            "minutes_documents": [DocumentOut.of(d) for d in row["minutes_documents"]],
        }
        return cls.model_validate(data)


class MyHistory(BaseModel):
    instances: list[HistoryInstance] = Field(description="Instances passées, la plus récente d'abord.")
    registrations: list[MyRegistration] = Field(
        description="Toutes mes inscriptions, la plus récente d'abord."
    )


class AttendanceIn(_In):
    present_member_ids: list[uuid.UUID] = Field(max_length=2000)


class AttendanceRow(BaseModel):
    member_id: uuid.UUID
    council_id: uuid.UUID | None
    registered: bool


class MinutesIn(_In):
    summary: str = Field(min_length=2, max_length=20_000)


OutcomeStatus = Literal["proposed", "in_progress", "done", "abandoned"]


class OutcomeIn(_In):
    kind: Literal["proposal", "commitment"]
    text: str = Field(min_length=2, max_length=5000)
    made_by: str = Field(
        min_length=2,
        max_length=300,
        description="Le conseil qui propose, ou l'élu·e (fonction) qui s'engage.",
    )
    made_on: date
    council_id: uuid.UUID | None = None
    instance_id: uuid.UUID | None = None
    theme: str | None = None
    status: OutcomeStatus = "proposed"


class OutcomeUpdateIn(_In):
    status: OutcomeStatus
    note: str = Field(min_length=2, max_length=5000)


class OutcomeUpdateOut(BaseModel):
    status: str
    note: str
    at: datetime


class OutcomeOut(BaseModel):
    id: uuid.UUID
    kind: str
    text: str
    made_by: str
    made_on: date
    council_id: uuid.UUID | None
    instance_id: uuid.UUID | None
    theme: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    history: list[OutcomeUpdateOut]


# --------------------------------------------------------------------------- instance types and instances


@router.get("/instance-types", tags=["instances"], summary="Types d'instance et leurs règles")
async def instance_types(service: Service, _user: AnyUser) -> list[InstanceTypeOut]:
    return [InstanceTypeOut.model_validate(kind.model_dump()) for kind in service.territory.instance_types]


@router.post(
    "/instances",
    tags=["instances"],
    summary="Programmer une instance (ou aperçu avec dry_run, réponse 200)",
    status_code=201,
    response_model=InstanceOut | PreviewOut,
)
async def create_instance(
    body: InstanceIn, response: Response, service: Service, _staff: Staff
) -> InstanceOut | PreviewOut:
    if body.dry_run:
        response.status_code = 200  # nothing created
        return PreviewOut.of(await service.preview(body.draft()), body.starts_at, service.timezone)
    return InstanceOut.of(
        await service.create_instance(body.draft(), as_draft=body.as_draft),
        staff=True,
        timezone=service.timezone,
    )


@router.post("/instances/{instance_id}/schedule", tags=["instances"], summary="Programmer un brouillon")
async def schedule_draft(instance_id: uuid.UUID, service: Service, _staff: Staff) -> InstanceOut:
    return InstanceOut.of(await service.schedule_draft(instance_id), staff=True, timezone=service.timezone)


@router.post(
    "/instances/{instance_id}/reschedule",
    tags=["instances"],
    summary="Déplacer une instance (ou aperçu avec dry_run)",
    response_model=InstanceOut | PreviewOut,
)
async def reschedule(
    instance_id: uuid.UUID, body: RescheduleIn, service: Service, _staff: Staff
) -> InstanceOut | PreviewOut:
    if body.dry_run:
        return PreviewOut.of(
            await service.preview_reschedule(instance_id, body.starts_at, body.ends_at),
            body.starts_at,
            service.timezone,
        )
    return InstanceOut.of(
        await service.reschedule(instance_id, body.starts_at, body.ends_at, body.location),
        staff=True,
        timezone=service.timezone,
    )


@router.post("/instances/{instance_id}/cancel", tags=["instances"], summary="Annuler une instance")
async def cancel(instance_id: uuid.UUID, body: CancelIn, service: Service, _staff: Staff) -> InstanceOut:
    return InstanceOut.of(
        await service.cancel(instance_id, body.reason), staff=True, timezone=service.timezone
    )


@router.get("/instances", tags=["instances"], summary="Instances à venir (les miennes pour un conseiller)")
async def list_instances(
    service: Service,
    user: AnyUser,
    starts_from: Annotated[datetime | None, Query(alias="from")] = None,
    starts_before: Annotated[datetime | None, Query(alias="to")] = None,
) -> list[InstanceSummary]:
    if starts_from is None and not user.is_staff:
        starts_from = service.clock()
    rows = await service.list_instances(
        starts_from=starts_from,
        starts_before=starts_before,
        member_id=None if user.is_staff else _member_id(user),
    )
    return [
        InstanceSummary.of(
            row,
            timezone=service.timezone,
            closes_at=domain.registration_closes_at(
                service.instance_type(row["instance_type"]), row["starts_at"]
            ),
        )
        for row in rows
    ]


@router.get("/instances/{instance_id}", tags=["instances"], summary="Détail d'une instance")
async def get_instance(instance_id: uuid.UUID, service: Service, user: AnyUser) -> InstanceOut:
    row = await service.get_instance(instance_id)
    if row["status"] == "draft" and not user.is_staff:
        raise DomainError("Instance introuvable.", code="introuvable", status_code=404)
    return InstanceOut.of(row, staff=user.is_staff, timezone=service.timezone)


# --------------------------------------------------------------------------- registrations


@router.post(
    "/instances/{instance_id}/registrations",
    tags=["inscriptions"],
    summary="M'inscrire comme participant·e ou observateur·rice",
)
async def register(
    instance_id: uuid.UUID, body: RegistrationIn, service: Service, user: Councillor
) -> RegistrationOut:
    return RegistrationOut.of(await service.register(instance_id, _member_id(user), body.mode))


@router.delete(
    "/instances/{instance_id}/registrations/me", tags=["inscriptions"], summary="Annuler mon inscription"
)
async def unregister(instance_id: uuid.UUID, service: Service, user: Councillor) -> RegistrationOut:
    return RegistrationOut.of(await service.cancel_registration(instance_id, _member_id(user)))


@router.delete(
    "/instances/{instance_id}/registrations/{member_id}",
    tags=["inscriptions"],
    summary="Annuler l'inscription d'un conseiller (équipe du territoire)",
)
async def unregister_member(
    instance_id: uuid.UUID, member_id: uuid.UUID, service: Service, _staff: Staff
) -> RegistrationOut:
    return RegistrationOut.of(await service.cancel_registration(instance_id, member_id))


@router.get("/me/registrations", tags=["inscriptions"], summary="Mes inscriptions")
async def my_registrations(service: Service, user: Councillor) -> list[MyRegistration]:
    rows = await service.member_registrations(_member_id(user))
    return [MyRegistration.model_validate(row) for row in rows]


@router.get(
    "/me/history",
    tags=["inscriptions"],
    summary="Mon historique : instances passées, inscription, présence, comptes rendus",
)
async def my_history(service: Service, user: Councillor) -> MyHistory:
    history = await service.member_history(_member_id(user))
    return MyHistory(
        instances=[HistoryInstance.of(row) for row in history["instances"]],
        registrations=[MyRegistration.model_validate(row) for row in history["registrations"]],
    )


@router.get(
    "/instances/{instance_id}/registrations/my-council",
    tags=["inscriptions"],
    summary="Inscrits de mon conseil (ce que tout membre du conseil peut voir)",
)
async def my_council_registrations(
    instance_id: uuid.UUID, service: Service, user: Councillor
) -> list[RegistrationRow]:
    if user.council_id is None:
        raise Forbidden("Réservé aux membres d'un conseil citoyen.")
    return [
        RegistrationRow.model_validate(row)
        for row in await service.instance_registrations(instance_id)
        if row["council_id"] == user.council_id and row["status"] != "cancelled"
    ]


@router.get(
    "/instances/{instance_id}/registrations", tags=["inscriptions"], summary="Inscrits (équipe du territoire)"
)
async def instance_registrations(
    instance_id: uuid.UUID, service: Service, _staff: Staff
) -> list[RegistrationRow]:
    return [RegistrationRow.model_validate(row) for row in await service.instance_registrations(instance_id)]


# --------------------------------------------------------------------------- documents, dossier, minutes


@router.post(
    "/instances/{instance_id}/documents",
    tags=["dossiers"],
    summary="Déposer un document (dossier ou compte rendu)",
    status_code=201,
)
async def upload_document(
    instance_id: uuid.UUID,
    service: Service,
    _staff: Staff,
    file: Annotated[UploadFile, File(description="pdf, odt, docx, xlsx, ods, png, jpeg ou txt")],
    kind: Annotated[Literal["dossier", "minutes"], Form()] = "dossier",
) -> DocumentOut:
    limit = service.settings.max_document_bytes
    content = await file.read(limit + 1)
    return DocumentOut.of(await service.add_document(instance_id, kind, file.filename or "document", content))


@router.post(
    "/instances/{instance_id}/dossier/publish",
    tags=["dossiers"],
    summary="Publier le dossier (nouvelle version)",
)
async def publish_dossier(instance_id: uuid.UUID, service: Service, _staff: Staff) -> InstanceOut:
    return InstanceOut.of(await service.publish_dossier(instance_id), staff=True, timezone=service.timezone)


@router.get(
    "/documents/{document_id}/download",
    tags=["dossiers"],
    summary="Télécharger un document",
    response_class=FileResponse,
)
async def download(document_id: uuid.UUID, service: Service, user: AnyUser) -> FileResponse:
    row, path = await service.document_for_download(document_id, staff=user.is_staff)
    return FileResponse(path, media_type=row["media_type"], filename=row["filename"])


@router.post("/instances/{instance_id}/attendance", tags=["présence"], summary="Enregistrer les présents")
async def record_attendance(
    instance_id: uuid.UUID, body: AttendanceIn, service: Service, _staff: Staff
) -> InstanceOut:
    return InstanceOut.of(
        await service.record_attendance(instance_id, body.present_member_ids),
        staff=True,
        timezone=service.timezone,
    )


@router.get("/instances/{instance_id}/attendance", tags=["présence"], summary="Feuille d'émargement")
async def attendance(instance_id: uuid.UUID, service: Service, _staff: Staff) -> list[AttendanceRow]:
    return [AttendanceRow.model_validate(row) for row in await service.attendance(instance_id)]


@router.post("/instances/{instance_id}/minutes", tags=["présence"], summary="Publier le compte rendu")
async def publish_minutes(
    instance_id: uuid.UUID, body: MinutesIn, service: Service, _staff: Staff
) -> InstanceOut:
    return InstanceOut.of(
        await service.publish_minutes(instance_id, body.summary), staff=True, timezone=service.timezone
    )


# --------------------------------------------------------------------------- forum outcomes


@router.get("/outcomes", tags=["engagements"], summary="Propositions des conseils et engagements des élus")
async def list_outcomes(
    service: Service, _user: AnyUser, kind: Literal["proposal", "commitment"] | None = None
) -> list[OutcomeOut]:
    return [OutcomeOut.model_validate(row) for row in await service.list_outcomes(kind)]


@router.post(
    "/outcomes", tags=["engagements"], summary="Enregistrer une proposition ou un engagement", status_code=201
)
async def add_outcome(body: OutcomeIn, service: Service, _staff: Staff) -> OutcomeOut:
    row = await service.add_outcome(**body.model_dump())
    return OutcomeOut.model_validate(row)


@router.post("/outcomes/{outcome_id}/updates", tags=["engagements"], summary="Faire évoluer le statut")
async def update_outcome(
    outcome_id: uuid.UUID, body: OutcomeUpdateIn, service: Service, _staff: Staff
) -> OutcomeOut:
    return OutcomeOut.model_validate(await service.update_outcome(outcome_id, body.status, body.note))


# --------------------------------------------------------------------------- bilan


@router.get(
    "/bilan",
    tags=["bilan"],
    summary="Bilan de participation sur une période (JSON, CSV ou HTML)",
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
async def bilan(
    request: Request,
    service: Service,
    _staff: Staff,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",  # noqa: A002
) -> Response:
    async with service.database.sessionmaker() as session:
        result = await reports.load_bilan(session, service.territory, period_from, period_to)
    if format == "csv":
        name = f"bilan-{period_from}-{period_to}.csv"
        return Response(
            "\ufeff" + bilan_outputs.bilan_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if format == "html":
        return HTMLResponse(bilan_outputs.bilan_html(result, service.territory.territory.name))
    from fastapi.responses import JSONResponse

    return JSONResponse(result.as_dict())
