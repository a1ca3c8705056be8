"""HTTP API of the meetings service (JSON; French error messages).

Staff schedule, reschedule and cancel instances (with `dry_run` to see the
policy warnings first), manage dossiers, attendance, minutes and forum
outcomes, and produce the bilan. Councillors browse the territory's agenda (their
council's and themes' instances by default, their city's or all of them), are told
who may register how and why, register themselves and cancel.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter

from conseils_meetings import api_dossiers, bilan_outputs, domain
from conseils_meetings.agenda import AgendaPeriod, AgendaScope
from conseils_meetings.api_access import AnyUser, Councillor, Service, Staff, member_id_of
from conseils_meetings.api_models import (
    CancelIn,
    InstanceEditIn,
    InstanceIn,
    InstanceOut,
    InstanceSummary,
    InstanceTypeOut,
    PreviewOut,
    RescheduleIn,
)
from conseils_meetings.api_outcome_models import OutcomeIn, OutcomeOut, OutcomeUpdateIn
from conseils_meetings.api_participation_models import (
    HistoryInstance,
    MyHistory,
    MyRegistration,
    RegistrationIn,
    RegistrationOut,
    RegistrationRow,
)
from conseils_meetings.bilan import Bilan
from conseils_meetings.records import InstanceRecord
from conseils_meetings.service import MeetingsService
from conseils_runtime.http import DomainError, Forbidden

router = APIRouter()


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


@router.patch("/instances/{instance_id}", tags=["instances"], summary="Modifier titre, thème, description")
async def edit_instance(
    instance_id: uuid.UUID, body: InstanceEditIn, service: Service, _staff: Staff
) -> InstanceOut:
    """Title, theme and description of an instance (InstanceUpdated); a draft's place too. The
    date and place of a scheduled instance change by /reschedule, which tells the people."""
    return InstanceOut.of(
        await service.edit_instance(instance_id, body.edit()), staff=True, timezone=service.timezone
    )


@router.post("/instances/{instance_id}/cancel", tags=["instances"], summary="Annuler une instance")
async def cancel(instance_id: uuid.UUID, body: CancelIn, service: Service, _staff: Staff) -> InstanceOut:
    return InstanceOut.of(
        await service.cancel(instance_id, body.reason), staff=True, timezone=service.timezone
    )


@router.get(
    "/instances",
    response_model=list[InstanceSummary],
    tags=["instances"],
    summary="Instances : toutes pour l'équipe ; l'agenda du territoire pour un conseiller",
    description=(
        "Pour une conseillère ou un conseiller : `scope` choisit les instances (mine : celles de son "
        "conseil et de ses thématiques, par défaut ; council ; themes ; city : celles de la ville de "
        "son conseil ; all : tout le territoire), `type` un type d'instance, `when` à venir (par "
        "défaut, de la plus proche à la plus lointaine) ou passées (de la plus récente à la plus "
        "ancienne) ; chacune dit, dans `access`, si elle peut s'inscrire comme participant·e et "
        "comme observateur·rice, et pourquoi. Pour l'équipe : `from` et `to` seulement. "
        "`limit` et `offset` (facultatifs) donnent une page de la liste, dans le même ordre."
    ),
)
async def list_instances(
    *,
    service: Service,
    user: AnyUser,
    starts_from: Annotated[datetime | None, Query(alias="from")] = None,
    starts_before: Annotated[datetime | None, Query(alias="to")] = None,
    scope: Annotated[AgendaScope, Query()] = "mine",
    instance_type: Annotated[str | None, Query(alias="type", max_length=64)] = None,
    when: Annotated[AgendaPeriod, Query()] = "upcoming",
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    if user.is_staff:
        rows = await service.list_instances(starts_from=starts_from, starts_before=starts_before)
        end = None if limit is None else offset + limit
        return _json(SUMMARIES_JSON, [_summary(service, row) for row in rows[offset:end]])
    entries = await service.agenda(
        member_id_of(user),
        scope=scope,
        instance_type=instance_type,
        period=when,
        starts_from=starts_from,
        starts_before=starts_before,
        limit=limit,
        offset=offset,
    )
    return _json(SUMMARIES_JSON, [_summary(service, entry.instance, entry.access) for entry in entries])


SUMMARIES_JSON: TypeAdapter[list[InstanceSummary]] = TypeAdapter(list[InstanceSummary])
INSTANCE_JSON: TypeAdapter[InstanceOut] = TypeAdapter(InstanceOut)


def _json(adapter: TypeAdapter[Any], value: Any) -> Response:
    """Serialised once by pydantic-core: the same bytes as the response model gives (checked by
    tests/meetings/test_api_json.py), without FastAPI validating the answer again and then
    encoding it a second time (2,400 summaries: 33 → 7 ms of CPU)."""
    return Response(adapter.dump_json(value), media_type="application/json")


def _summary(
    service: MeetingsService, row: InstanceRecord, access: domain.RegistrationAccess | None = None
) -> InstanceSummary:
    kind = service.instance_type(row.instance_type)
    return InstanceSummary.of(
        row,
        timezone=service.timezone,
        closes_at=domain.registration_closes_at(kind, row.starts_at),
        access=access,
    )


@router.get(
    "/instances/{instance_id}",
    response_model=InstanceOut,
    tags=["instances"],
    summary="Détail d'une instance",
)
async def get_instance(instance_id: uuid.UUID, service: Service, user: AnyUser) -> Response:
    detail = await service.get_instance(instance_id)
    if detail.status == "draft" and not user.is_staff:
        raise DomainError("Instance introuvable.", code="introuvable", status_code=404)
    mine = None
    if not user.is_staff and user.member_id is not None:
        mine = await service.member_view(instance_id, user.member_id)
    return _json(
        INSTANCE_JSON, InstanceOut.of(detail, staff=user.is_staff, timezone=service.timezone, mine=mine)
    )


# --------------------------------------------------------------------------- registrations


@router.post(
    "/instances/{instance_id}/registrations",
    tags=["inscriptions"],
    summary="M'inscrire comme participant·e ou observateur·rice",
)
async def register(
    instance_id: uuid.UUID, body: RegistrationIn, service: Service, user: Councillor
) -> RegistrationOut:
    return RegistrationOut.of(await service.register(instance_id, member_id_of(user), body.mode))


@router.delete(
    "/instances/{instance_id}/registrations/me", tags=["inscriptions"], summary="Annuler mon inscription"
)
async def unregister(instance_id: uuid.UUID, service: Service, user: Councillor) -> RegistrationOut:
    return RegistrationOut.of(await service.cancel_registration(instance_id, member_id_of(user)))


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
    rows = await service.member_registrations(member_id_of(user))
    return [MyRegistration.model_validate(row.as_dict()) for row in rows]


@router.get(
    "/me/history",
    tags=["inscriptions"],
    summary="Mon historique : instances passées, inscription, présence, comptes rendus",
)
async def my_history(service: Service, user: Councillor) -> MyHistory:
    history = await service.member_history(member_id_of(user))
    return MyHistory(
        instances=[HistoryInstance.of(entry.as_dict()) for entry in history.instances],
        registrations=[MyRegistration.model_validate(row.as_dict()) for row in history.registrations],
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
        RegistrationRow.model_validate(row.as_dict())
        for row in await service.instance_registrations(instance_id)
        if row.council_id == user.council_id and row.status != "cancelled"
    ]


@router.get(
    "/instances/{instance_id}/registrations", tags=["inscriptions"], summary="Inscrits (équipe du territoire)"
)
async def instance_registrations(
    instance_id: uuid.UUID, service: Service, _staff: Staff
) -> list[RegistrationRow]:
    return [
        RegistrationRow.model_validate(row.as_dict())
        for row in await service.instance_registrations(instance_id)
    ]


# --------------------------------------------------------------------------- forum outcomes


@router.get("/outcomes", tags=["engagements"], summary="Propositions des conseils et engagements des élus")
async def list_outcomes(
    service: Service, _user: AnyUser, kind: Literal["proposal", "commitment"] | None = None
) -> list[OutcomeOut]:
    return [OutcomeOut.model_validate(row.as_dict()) for row in await service.list_outcomes(kind)]


@router.post(
    "/outcomes", tags=["engagements"], summary="Enregistrer une proposition ou un engagement", status_code=201
)
async def add_outcome(body: OutcomeIn, service: Service, _staff: Staff) -> OutcomeOut:
    outcome = await service.add_outcome(**body.model_dump())
    return OutcomeOut.model_validate(outcome.as_dict())


@router.post("/outcomes/{outcome_id}/updates", tags=["engagements"], summary="Faire évoluer le statut")
async def update_outcome(
    outcome_id: uuid.UUID, body: OutcomeUpdateIn, service: Service, _staff: Staff
) -> OutcomeOut:
    outcome = await service.update_outcome(outcome_id, body.status, body.note)
    return OutcomeOut.model_validate(outcome.as_dict())


# --------------------------------------------------------------------------- bilan


@router.get(
    "/bilan",
    tags=["bilan"],
    summary="Bilan de participation sur une période (JSON, CSV ou HTML)",
    responses={
        200: {"content": {"text/csv": {}, "text/html": {}}},
        304: {"description": "Inchangé : le bilan a toujours l'étiquette (ETag) donnée dans If-None-Match"},
    },
)
async def bilan(
    request: Request,
    service: Service,
    _staff: Staff,
    period_from: Annotated[date, Query(alias="from")],
    period_to: Annotated[date, Query(alias="to")],
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",  # noqa: A002
) -> Response:
    # rendered once for each state of the data (`bilan_cache`); the HTML says when it was
    # produced, to the minute: rendered again when the minute changes. Each answer carries its
    # entity tag: a client that holds the same bytes (If-None-Match) is answered 304, no body.
    headers: dict[str, str] = {}
    if format == "csv":
        name = f"bilan-{period_from}-{period_to}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        body, tag = await service.bilan_tagged_output(period_from, period_to, "csv", _bilan_csv)
        media_type = "text/csv; charset=utf-8"
    elif format == "html":
        territory = service.territory.territory

        def render(bilan: Bilan) -> bytes:
            return bilan_outputs.bilan_html(bilan, territory.name, territory.timezone).encode("utf-8")

        minute = _minute(territory.timezone)
        body, tag = await service.bilan_tagged_output(period_from, period_to, "html", render, minute)
        media_type = "text/html; charset=utf-8"
    else:
        body, tag = await service.bilan_tagged_output(period_from, period_to, "json", _bilan_json)
        media_type = "application/json"
    headers["ETag"] = tag
    headers["Cache-Control"] = "private, no-cache"  # staff only; always revalidated
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 §13.1.2: `*`, or the tag among the listed ones (weak comparison)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    listed = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return tag in listed


def _minute(timezone: str) -> str:
    """The minute the HTML says it was produced in ("Produit le … à 18 h 30")."""
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _bilan_csv(bilan: Bilan) -> bytes:
    return ("\ufeff" + bilan_outputs.bilan_csv(bilan)).encode("utf-8")


def _bilan_json(bilan: Bilan) -> bytes:
    return bytes(JSONResponse(bilan.as_dict()).body)  # the bytes JSONResponse sends


router.include_router(api_dossiers.router)
