"""The councils' voice as the site uses it (the meetings service): projects of an instance with
the councils' opinions and decisions, and the councils' participation choices."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import ApiModel, Caller, Endpoint, RequestModel, ServiceClient


class Opinion(ApiModel):
    council_id: uuid.UUID
    stance: str
    text: str
    given_at: datetime
    revisions: int = 1


class Project(ApiModel):
    id: uuid.UUID
    title: str
    promoter: str
    theme: str | None = None
    place: str | None = None
    amount_requested_euros: int
    document_id: uuid.UUID | None = None
    document_filename: str | None = None
    opinion_deadline: datetime
    opinions_open: bool
    decision: str | None = None
    amount_granted_euros: int | None = None
    decision_note: str | None = None
    opinions: list[Opinion] = Field(default_factory=list)


class NewProject(RequestModel):
    title: str
    promoter: str
    theme: str | None = None
    place: str | None = None
    amount_requested_euros: int
    document_id: uuid.UUID | None = None


class OpinionRequest(RequestModel):
    stance: str
    text: str


class DecisionRequest(RequestModel):
    decision: str
    amount_granted_euros: int | None = None
    note: str = ""


class Choice(ApiModel):
    council_id: uuid.UUID
    instance_type: str
    choice: str
    chosen_at: datetime


class ChoiceRequest(RequestModel):
    choice: str


class CouncilOpinion(ApiModel):
    """A council's opinion on a project, for its public page."""

    instance_id: uuid.UUID
    instance_title: str
    instance_starts_at: datetime
    project_title: str
    promoter: str
    stance: str
    text: str
    given_at: datetime
    decision: str | None = None


class VoiceClient(ServiceClient):
    service = "meetings"

    COUNCIL_OPINIONS = Endpoint("GET", "/councils/{council_id}/opinions", TypeAdapter(list[CouncilOpinion]))
    PROJECTS = Endpoint("GET", "/instances/{instance_id}/projects", TypeAdapter(list[Project]))
    SUBMIT = Endpoint("POST", "/instances/{instance_id}/projects", TypeAdapter(Project), body=NewProject)
    OPINION = Endpoint(
        "PUT",
        "/instances/{instance_id}/projects/{project_id}/opinion",
        TypeAdapter(Project),
        body=OpinionRequest,
    )
    DECISION = Endpoint(
        "PUT",
        "/instances/{instance_id}/projects/{project_id}/decision",
        TypeAdapter(Project),
        body=DecisionRequest,
    )
    ALL_CHOICES = Endpoint("GET", "/participation-choices", TypeAdapter(list[Choice]))
    COUNCIL_CHOICES = Endpoint("GET", "/councils/{council_id}/participation", TypeAdapter(list[Choice]))
    CHOOSE = Endpoint(
        "PUT",
        "/councils/{council_id}/participation/{instance_type}",
        TypeAdapter(list[Choice]),
        body=ChoiceRequest,
    )

    async def council_opinions(self, token: Caller, council_id: object) -> list[CouncilOpinion]:
        return await self.call(self.COUNCIL_OPINIONS, token, path={"council_id": council_id})

    async def projects(self, token: Caller, instance_id: object) -> list[Project]:
        return await self.call(self.PROJECTS, token, path={"instance_id": instance_id})

    async def submit(self, token: Caller, instance_id: object, project: NewProject) -> Project:
        return await self.call(self.SUBMIT, token, path={"instance_id": instance_id}, body=project)

    async def give_opinion(
        self, token: Caller, instance_id: object, project_id: object, stance: str, text: str
    ) -> Project:
        return await self.call(
            self.OPINION,
            token,
            path={"instance_id": instance_id, "project_id": project_id},
            body=OpinionRequest(stance=stance, text=text),
        )

    async def decide(
        self, token: Caller, instance_id: object, project_id: object, decision: DecisionRequest
    ) -> Project:
        return await self.call(
            self.DECISION, token, path={"instance_id": instance_id, "project_id": project_id}, body=decision
        )

    async def all_choices(self, token: Caller) -> list[Choice]:
        return await self.call(self.ALL_CHOICES, token)

    async def council_choices(self, token: Caller, council_id: object) -> list[Choice]:
        return await self.call(self.COUNCIL_CHOICES, token, path={"council_id": council_id})

    async def choose(
        self, token: Caller, council_id: object, instance_type: str, choice: str
    ) -> list[Choice]:
        return await self.call(
            self.CHOOSE,
            token,
            path={"council_id": council_id, "instance_type": instance_type},
            body=ChoiceRequest(choice=choice),
        )
