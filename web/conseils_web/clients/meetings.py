"""The meetings service as the site uses it: instances and their life, registrations,
attendance, documents, a councillor's own registrations and history, outcomes, the bilan."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import (
    DOWNLOAD,
    ApiModel,
    Caller,
    Download,
    Endpoint,
    RequestModel,
    ServiceClient,
)


class ModeAccess(ApiModel):
    """Whether she may register in one mode, and why, in French (ModeAccessOut)."""

    allowed: bool
    code: str
    reason: str


class RegistrationAccess(ApiModel):
    """Who may register how: the signed-in councillor (RegistrationAccessOut)."""

    concerned: bool
    participant: ModeAccess
    observer: ModeAccess


class InstanceSummary(ApiModel):
    """An instance in a list (InstanceSummary: no deadline on older services, no councils;
    `access` for a councillor only)."""

    id: uuid.UUID
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    instance_type: str | None = None
    theme: str | None = None
    registration_closes_at: datetime | None = None
    cancel_reason: str | None = None
    minutes_published_at: datetime | None = None
    access: RegistrationAccess | None = None


class AgendaQuery(RequestModel):
    """The agenda's filters, as the meetings API takes them (GET /instances)."""

    scope: str = "mine"
    type: str | None = None
    when: str = "upcoming"
    limit: int | None = None  # one page of the agenda (None: all of it)
    offset: int | None = None


class Instance(InstanceSummary):
    """One instance (InstanceOut); `my_presence` for a councillor, once attendance is recorded."""

    concerned_council_ids: list[uuid.UUID] = Field(default_factory=list)
    my_presence: str | None = None


class Preview(ApiModel):
    """What scheduling or moving an instance would do (PreviewOut, `dry_run`)."""

    refused: bool
    reason: str | None = None
    concerned_council_ids: list[uuid.UUID] = Field(default_factory=list)


class NewInstance(RequestModel):
    instance_type: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    theme: str | None = None
    city_code: str | None = None
    council_id: str | None = None  # as chosen in the form: the service says when it is no council
    dry_run: bool = False


class Reschedule(RequestModel):
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    dry_run: bool = False


class Cancellation(RequestModel):
    reason: str


class AttendanceSheet(RequestModel):
    present_member_ids: list[str]


class Minutes(RequestModel):
    summary: str


class CouncilRegistration(ApiModel):
    """A registration as a council's members see it (RegistrationRow)."""

    member_id: uuid.UUID
    mode: str
    status: str
    position: int | None = None


class Registration(CouncilRegistration):
    """A registration in the staff's list (RegistrationRow)."""

    council_id: uuid.UUID
    created_at: datetime


class Attendance(ApiModel):
    member_id: uuid.UUID


class RegistrationRequest(RequestModel):
    mode: str


class RegistrationOutcome(ApiModel):
    """What registering or unregistering did, in French (RegistrationOut)."""

    message: str


class MyRegistration(ApiModel):
    instance_id: uuid.UUID
    mode: str
    status: str
    position: int | None = None
    starts_at: datetime
    instance_status: str | None = None
    cancel_reason: str | None = None
    minutes_published_at: datetime | None = None
    present: bool | None = None


class HistoryRegistration(ApiModel):
    mode: str
    status: str


class HistoryInstance(ApiModel):
    """One past instance of a councillor's history, with her registration and presence."""

    status: str
    present: bool | None = None
    cancel_reason: str | None = None
    registration: HistoryRegistration | None = None


class MyHistory(ApiModel):
    instances: list[HistoryInstance]
    registrations: list[ApiModel]


class OutcomeUpdate(ApiModel):
    status: str
    note: str
    at: datetime | None = None


class Outcome(ApiModel):
    """A proposal of a council or a commitment of an elected person, with its history."""

    id: uuid.UUID
    kind: str
    text: str
    made_by: str
    made_on: date
    status: str
    council_id: uuid.UUID | None = None
    instance_id: uuid.UUID | None = None  # the instance it came from
    theme: str | None = None
    history: list[OutcomeUpdate] = Field(default_factory=list)


class NewOutcome(RequestModel):
    kind: str
    text: str
    made_by: str
    made_on: date
    council_id: str | None = None  # as chosen in the form: the service says when it is no council
    theme: str | None = None


class StatusChange(RequestModel):
    status: str
    note: str


class MeetingsClient(ServiceClient):
    service = "meetings"

    AGENDA = Endpoint(
        "GET",
        "/instances",
        TypeAdapter(list[InstanceSummary]),
        query=("scope", "type", "when", "limit", "offset"),
    )
    PREVIEW = Endpoint("POST", "/instances", TypeAdapter(Preview), body=NewInstance)
    SCHEDULE = Endpoint("POST", "/instances", TypeAdapter(Instance), body=NewInstance)
    INSTANCE = Endpoint("GET", "/instances/{instance_id}", TypeAdapter(Instance))
    REGISTRATIONS = Endpoint("GET", "/instances/{instance_id}/registrations", TypeAdapter(list[Registration]))
    COUNCIL_REGISTRATIONS = Endpoint(
        "GET", "/instances/{instance_id}/registrations/my-council", TypeAdapter(list[CouncilRegistration])
    )
    ATTENDANCE = Endpoint("GET", "/instances/{instance_id}/attendance", TypeAdapter(list[Attendance]))
    RECORD_ATTENDANCE = Endpoint(
        "POST", "/instances/{instance_id}/attendance", TypeAdapter(Instance), body=AttendanceSheet
    )
    PREVIEW_MOVE = Endpoint(
        "POST", "/instances/{instance_id}/reschedule", TypeAdapter(Preview), body=Reschedule
    )
    RESCHEDULE = Endpoint(
        "POST", "/instances/{instance_id}/reschedule", TypeAdapter(Instance), body=Reschedule
    )
    CANCEL = Endpoint("POST", "/instances/{instance_id}/cancel", TypeAdapter(Instance), body=Cancellation)
    UPLOAD = Endpoint(
        "POST", "/instances/{instance_id}/documents", TypeAdapter(ApiModel), form=("file", "kind")
    )
    PUBLISH_DOSSIER = Endpoint("POST", "/instances/{instance_id}/dossier/publish", TypeAdapter(Instance))
    PUBLISH_MINUTES = Endpoint(
        "POST", "/instances/{instance_id}/minutes", TypeAdapter(Instance), body=Minutes
    )
    REGISTER = Endpoint(
        "POST",
        "/instances/{instance_id}/registrations",
        TypeAdapter(RegistrationOutcome),
        body=RegistrationRequest,
    )
    UNREGISTER = Endpoint(
        "DELETE", "/instances/{instance_id}/registrations/me", TypeAdapter(RegistrationOutcome)
    )
    DOCUMENT = Endpoint("GET", "/documents/{document_id}/download", DOWNLOAD, raw=True)
    MY_REGISTRATIONS = Endpoint("GET", "/me/registrations", TypeAdapter(list[MyRegistration]))
    MY_HISTORY = Endpoint("GET", "/me/history", TypeAdapter(MyHistory))
    OUTCOMES = Endpoint("GET", "/outcomes", TypeAdapter(list[Outcome]))
    ADD_OUTCOME = Endpoint("POST", "/outcomes", TypeAdapter(Outcome), body=NewOutcome)
    UPDATE_OUTCOME = Endpoint(
        "POST", "/outcomes/{outcome_id}/updates", TypeAdapter(Outcome), body=StatusChange
    )
    BILAN = Endpoint("GET", "/bilan", DOWNLOAD, query=("from", "to", "format"), raw=True)

    async def agenda(self, token: Caller, filters: AgendaQuery) -> list[InstanceSummary]:
        """The territory's agenda as a councillor filters it (each instance with her `access`)."""
        query = {key: value for key, value in filters.model_dump().items() if value is not None}
        return await self.call(self.AGENDA, token, query=query)

    async def preview(self, token: Caller, draft: NewInstance) -> Preview:
        return await self.call(self.PREVIEW, token, body=draft.model_copy(update={"dry_run": True}))

    async def schedule(self, token: Caller, draft: NewInstance) -> Instance:
        return await self.call(self.SCHEDULE, token, body=draft)

    async def instance(self, token: Caller, instance_id: object) -> Instance:
        return await self.call(self.INSTANCE, token, path={"instance_id": instance_id})

    async def registrations(self, token: Caller, instance_id: object) -> list[Registration]:
        return await self.call(self.REGISTRATIONS, token, path={"instance_id": instance_id})

    async def council_registrations(self, token: Caller, instance_id: object) -> list[CouncilRegistration]:
        return await self.call(self.COUNCIL_REGISTRATIONS, token, path={"instance_id": instance_id})

    async def attendance(self, token: Caller, instance_id: object) -> list[Attendance]:
        return await self.call(self.ATTENDANCE, token, path={"instance_id": instance_id})

    async def record_attendance(self, token: Caller, instance_id: object, present: list[str]) -> Instance:
        return await self.call(
            self.RECORD_ATTENDANCE,
            token,
            path={"instance_id": instance_id},
            body=AttendanceSheet(present_member_ids=present),
        )

    async def preview_move(self, token: Caller, instance_id: object, move: Reschedule) -> Preview:
        return await self.call(
            self.PREVIEW_MOVE,
            token,
            path={"instance_id": instance_id},
            body=move.model_copy(update={"dry_run": True}),
        )

    async def reschedule(self, token: Caller, instance_id: object, move: Reschedule) -> Instance:
        return await self.call(self.RESCHEDULE, token, path={"instance_id": instance_id}, body=move)

    async def cancel(self, token: Caller, instance_id: object, reason: str) -> Instance:
        return await self.call(
            self.CANCEL, token, path={"instance_id": instance_id}, body=Cancellation(reason=reason)
        )

    async def upload(
        self, token: Caller, instance_id: object, kind: str, file: tuple[str, bytes, str]
    ) -> ApiModel:
        return await self.call(
            self.UPLOAD, token, path={"instance_id": instance_id}, files={"file": file}, form={"kind": kind}
        )

    async def publish_dossier(self, token: Caller, instance_id: object) -> Instance:
        return await self.call(self.PUBLISH_DOSSIER, token, path={"instance_id": instance_id})

    async def publish_minutes(self, token: Caller, instance_id: object, summary: str) -> Instance:
        return await self.call(
            self.PUBLISH_MINUTES, token, path={"instance_id": instance_id}, body=Minutes(summary=summary)
        )

    async def register(self, token: Caller, instance_id: object, mode: str) -> RegistrationOutcome:
        return await self.call(
            self.REGISTER, token, path={"instance_id": instance_id}, body=RegistrationRequest(mode=mode)
        )

    async def unregister(self, token: Caller, instance_id: object) -> RegistrationOutcome:
        return await self.call(self.UNREGISTER, token, path={"instance_id": instance_id})

    async def document(self, token: Caller, document_id: object) -> Download:
        return await self.call(self.DOCUMENT, token, path={"document_id": document_id})

    async def my_registrations(self, token: Caller) -> list[MyRegistration]:
        return await self.call(self.MY_REGISTRATIONS, token)

    async def my_history(self, token: Caller) -> MyHistory:
        return await self.call(self.MY_HISTORY, token)

    async def outcomes(self, token: Caller) -> list[Outcome]:
        return await self.call(self.OUTCOMES, token)

    async def add_outcome(self, token: Caller, outcome: NewOutcome) -> Outcome:
        return await self.call(self.ADD_OUTCOME, token, body=outcome)

    async def update_outcome(self, token: Caller, outcome_id: object, status: str, note: str) -> Outcome:
        return await self.call(
            self.UPDATE_OUTCOME,
            token,
            path={"outcome_id": outcome_id},
            body=StatusChange(status=status, note=note),
        )

    async def bilan(
        self, token: Caller, start: str, end: str, fmt: str, *, if_none_match: str | None = None
    ) -> Download:
        """The bilan of a period; with `if_none_match` (an ETag it gave), `not_modified` when unchanged."""
        return await self.call(
            self.BILAN,
            token,
            query={"from": start, "to": end, "format": fmt},
            headers={"If-None-Match": if_none_match} if if_none_match else None,
        )
