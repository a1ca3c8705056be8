"""HTTP API of the councils' voice: the projects of an instance with the councils' opinions and
the decisions (staff submit and decide; a council's coordinator or delegate gives its opinion),
and the councils' participation choices per instance type (its coordinator states them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from conseils_meetings.api_access import AnyUser, Councillor, Service, Staff, member_id_of
from conseils_meetings.api_models import _In
from conseils_meetings.voice import ProjectDraft
from conseils_meetings.voice_records import CouncilOpinionRecord, ParticipationChoiceRecord, ProjectRecord
from conseils_runtime.http import Forbidden

router = APIRouter()


class ProjectIn(_In):
    title: str = Field(min_length=2, max_length=300)
    promoter: str = Field(min_length=2, max_length=300, description="Organisation porteuse du projet.")
    theme: str | None = None
    place: str | None = Field(default=None, max_length=300, description="Quartier ou ville.")
    amount_requested_euros: int = Field(ge=0, le=1_000_000_000, description="Euros (entiers).")
    document_id: uuid.UUID | None = Field(default=None, description="Une pièce du dossier de l'instance.")


class OpinionIn(_In):
    stance: Literal["favourable", "reserve", "defavorable"]
    text: str = Field(min_length=1, max_length=2000)


class DecisionIn(_In):
    decision: Literal["retenu", "ajourne", "refuse"]
    amount_granted_euros: int | None = Field(
        default=None, ge=0, le=1_000_000_000, description="Euros (entiers)."
    )
    note: str = Field(default="", max_length=2000)


class ChoiceIn(_In):
    choice: Literal["participant", "observer", "none"]


class OpinionOut(BaseModel):
    council_id: uuid.UUID
    stance: str
    text: str
    given_at: datetime
    revisions: int


class ProjectOut(BaseModel):
    id: uuid.UUID
    instance_id: uuid.UUID
    title: str
    promoter: str
    theme: str | None
    place: str | None
    amount_requested_euros: int
    document_id: uuid.UUID | None
    document_filename: str | None
    opinion_deadline: datetime
    opinions_open: bool
    decision: str | None
    amount_granted_euros: int | None
    decision_note: str | None
    decided_at: datetime | None
    opinions: list[OpinionOut]

    @classmethod
    def of(cls, project: ProjectRecord, now: datetime) -> ProjectOut:
        document = project.document or {}
        return cls(
            id=project.id,
            instance_id=project.instance_id,
            title=project.title,
            promoter=project.promoter,
            theme=project.theme,
            place=project.place,
            amount_requested_euros=project.amount_requested,
            document_id=document.get("document_id"),
            document_filename=document.get("filename"),
            opinion_deadline=project.opinion_deadline,
            opinions_open=now < project.opinion_deadline,
            decision=project.decision,
            amount_granted_euros=project.amount_granted,
            decision_note=project.decision_note,
            decided_at=project.decided_at,
            opinions=[
                OpinionOut(
                    council_id=o.council_id,
                    stance=o.stance,
                    text=o.text,
                    given_at=o.given_at,
                    revisions=o.revisions,
                )
                for o in project.opinions
            ],
        )


class ChoiceOut(BaseModel):
    council_id: uuid.UUID
    instance_type: str
    choice: str
    chosen_at: datetime

    @classmethod
    def of(cls, record: ParticipationChoiceRecord) -> ChoiceOut:
        return cls(
            council_id=record.council_id,
            instance_type=record.instance_type,
            choice=record.choice,
            chosen_at=record.chosen_at,
        )


@router.get(
    "/instances/{instance_id}/projects", tags=["avis"], summary="Projets, avis des conseils, décisions"
)
async def projects(instance_id: uuid.UUID, service: Service, _user: AnyUser) -> list[ProjectOut]:
    now = service.clock()
    return [ProjectOut.of(p, now) for p in await service.projects(instance_id)]


@router.post(
    "/instances/{instance_id}/projects",
    tags=["avis"],
    summary="Soumettre un projet à l'avis des conseils",
    status_code=201,
)
async def submit_project(
    instance_id: uuid.UUID, body: ProjectIn, service: Service, _staff: Staff
) -> ProjectOut:
    project = await service.submit_project(instance_id, ProjectDraft(**body.model_dump()))
    return ProjectOut.of(project, service.clock())


@router.put(
    "/instances/{instance_id}/projects/{project_id}/opinion",
    tags=["avis"],
    summary="Donner (ou remplacer) l'avis de mon conseil",
)
async def give_opinion(
    instance_id: uuid.UUID, project_id: uuid.UUID, body: OpinionIn, service: Service, user: Councillor
) -> ProjectOut:
    project = await service.give_opinion(instance_id, project_id, member_id_of(user), body.stance, body.text)
    return ProjectOut.of(project, service.clock())


@router.put(
    "/instances/{instance_id}/projects/{project_id}/decision",
    tags=["avis"],
    summary="Enregistrer la décision prise sur un projet",
)
async def decide(
    instance_id: uuid.UUID, project_id: uuid.UUID, body: DecisionIn, service: Service, _staff: Staff
) -> ProjectOut:
    project = await service.decide_project(
        instance_id, project_id, body.decision, body.amount_granted_euros, body.note
    )
    return ProjectOut.of(project, service.clock())


class CouncilOpinionOut(BaseModel):
    """A council's opinion as its public page shows it (no one's name: the council speaks)."""

    instance_id: uuid.UUID
    instance_title: str
    instance_starts_at: datetime
    project_title: str
    promoter: str
    stance: Literal["favourable", "reserve", "defavorable"]
    text: str
    given_at: datetime
    decision: Literal["retenu", "ajourne", "refuse"] | None = None

    @classmethod
    def of(cls, record: CouncilOpinionRecord) -> CouncilOpinionOut:
        return cls.model_validate(record, from_attributes=True)


@router.get("/councils/{council_id}/opinions", tags=["avis"], summary="Les avis donnés par un conseil")
async def council_opinions(
    council_id: uuid.UUID, service: Service, _user: AnyUser
) -> list[CouncilOpinionOut]:
    return [CouncilOpinionOut.of(record) for record in await service.council_opinions(council_id)]


@router.get("/participation-choices", tags=["avis"], summary="Choix de participation de tous les conseils")
async def all_choices(service: Service, _staff: Staff) -> list[ChoiceOut]:
    return [ChoiceOut.of(c) for c in await service.participation_choices()]


@router.get(
    "/councils/{council_id}/participation", tags=["avis"], summary="Choix de participation de mon conseil"
)
async def council_choices(council_id: uuid.UUID, service: Service, user: AnyUser) -> list[ChoiceOut]:
    if not user.is_staff and user.council_id != council_id:
        raise Forbidden("Réservé aux membres de ce conseil.")
    return [ChoiceOut.of(c) for c in await service.participation_choices(council_id)]


@router.put(
    "/councils/{council_id}/participation/{instance_type}",
    tags=["avis"],
    summary="Dire comment mon conseil veut participer à un type d'instance",
)
async def choose(
    council_id: uuid.UUID, instance_type: str, body: ChoiceIn, service: Service, user: Councillor
) -> list[ChoiceOut]:
    if user.role != "coordinator":  # and of this council: checked on the read model
        raise Forbidden("Seule la coordinatrice ou le coordinateur du conseil choisit sa participation.")
    records = await service.choose_participation(council_id, member_id_of(user), instance_type, body.choice)
    return [ChoiceOut.of(c) for c in records]
