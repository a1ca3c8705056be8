"""The meetings service as the staff's forms use it, beside the everyday client: an instance's
title, theme, place and description edited, drafts saved and scheduled, a document removed
before publication, the attendance sheet with the other participants, the staff's list of
instances (filtered, counted and paged by the service)."""

from __future__ import annotations

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import NO_CONTENT, ApiModel, Caller, Endpoint, RequestModel, ServiceClient
from conseils_web.clients.meetings import Instance, InstanceSummary, NewInstance


class InstanceEdit(RequestModel):
    """The fields staff change (a scheduled instance's place changes by /reschedule)."""

    title: str | None = None
    theme: str | None = None
    description: str | None = None
    location: str | None = None


class Draft(NewInstance):
    as_draft: bool = True


class OtherAttendees(RequestModel):
    """Participants who are not councillors, counted by organisation and role (no names)."""

    category: str
    organisation: str
    role: str
    count: int = 1


class FullAttendance(RequestModel):
    present_member_ids: list[str]
    others: list[OtherAttendees] = Field(default_factory=list)


class StaffInstanceList(ApiModel):
    """One page of the staff's list (StaffInstanceList): how many instances (not drafts) match
    the filters, the page asked, and every draft that matches."""

    total: int
    instances: list[InstanceSummary]
    drafts: list[InstanceSummary]


class MeetingsStaffClient(ServiceClient):
    service = "meetings"

    EDIT = Endpoint("PATCH", "/instances/{instance_id}", TypeAdapter(Instance), body=InstanceEdit)
    SAVE_DRAFT = Endpoint("POST", "/instances", TypeAdapter(Instance), body=Draft)
    SCHEDULE_DRAFT = Endpoint("POST", "/instances/{instance_id}/schedule", TypeAdapter(Instance))
    REMOVE_DOCUMENT = Endpoint("DELETE", "/instances/{instance_id}/documents/{document_id}", NO_CONTENT)
    RECORD_ATTENDANCE = Endpoint(
        "POST", "/instances/{instance_id}/attendance", TypeAdapter(Instance), body=FullAttendance
    )
    INSTANCE_LIST = Endpoint(
        "GET",
        "/staff/instances",
        TypeAdapter(StaffInstanceList),
        query=("type", "theme", "status", "city", "from", "to", "limit", "offset"),
    )
    FILTER_LENGTH = 64
    """The longest filter value the service takes (no longer value can match an instance)."""

    async def instance_list(self, token: Caller, query: dict[str, str | int]) -> StaffInstanceList:
        """The instances that match the filters in `query` (its names are INSTANCE_LIST's)."""
        return await self.call(self.INSTANCE_LIST, token, query=query)

    async def edit(self, token: Caller, instance_id: object, edit: InstanceEdit) -> Instance:
        return await self.call(self.EDIT, token, path={"instance_id": instance_id}, body=edit)

    async def save_draft(self, token: Caller, draft: NewInstance) -> Instance:
        body = Draft.model_validate(draft.model_dump(exclude_unset=True, exclude={"dry_run"}))
        return await self.call(self.SAVE_DRAFT, token, body=body.model_copy(update={"as_draft": True}))

    async def schedule_draft(self, token: Caller, instance_id: object) -> Instance:
        return await self.call(self.SCHEDULE_DRAFT, token, path={"instance_id": instance_id})

    async def remove_document(self, token: Caller, instance_id: object, document_id: object) -> None:
        await self.call(
            self.REMOVE_DOCUMENT, token, path={"instance_id": instance_id, "document_id": document_id}
        )

    async def record_attendance(
        self, token: Caller, instance_id: object, present: list[str], others: list[OtherAttendees]
    ) -> Instance:
        return await self.call(
            self.RECORD_ATTENDANCE,
            token,
            path={"instance_id": instance_id},
            body=FullAttendance(present_member_ids=present, others=others),
        )
