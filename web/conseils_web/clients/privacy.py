"""A person's rights as the site uses them: her data from every service (registry, meetings,
notifications) as they answer it, and erasure requests (she asks, staff confirm)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import TypeAdapter

from conseils_web.clients.base import (
    DOWNLOAD,
    NO_CONTENT,
    ApiModel,
    Caller,
    Download,
    Endpoint,
    ServiceClient,
)


class ErasureRequest(ApiModel):
    id: uuid.UUID
    member_id: uuid.UUID
    requested_at: datetime
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None


class PendingErasure(ErasureRequest):
    """A request waiting for staff, with the person's name and council."""

    display_name: str | None = None
    council_id: uuid.UUID | None = None


class RegistryPrivacyClient(ServiceClient):
    service = "registry"

    MEMBER_DATA = Endpoint("GET", "/members/{member_id}/data", DOWNLOAD, raw=True)
    REQUEST_ERASURE = Endpoint("POST", "/members/{member_id}/erasure-request", TypeAdapter(ErasureRequest))
    ERASURE_REQUESTS_OF = Endpoint(
        "GET", "/members/{member_id}/erasure-requests", TypeAdapter(list[ErasureRequest])
    )
    PENDING_ERASURES = Endpoint("GET", "/erasure-requests", TypeAdapter(list[PendingErasure]))
    CONFIRM_ERASURE = Endpoint("POST", "/erasure-requests/{request_id}/confirm", NO_CONTENT)

    async def member_data(self, token: Caller, member_id: object) -> Download:
        return await self.call(self.MEMBER_DATA, token, path={"member_id": member_id})

    async def request_erasure(self, token: Caller, member_id: object) -> ErasureRequest:
        return await self.call(self.REQUEST_ERASURE, token, path={"member_id": member_id})

    async def erasure_requests_of(self, token: Caller, member_id: object) -> list[ErasureRequest]:
        return await self.call(self.ERASURE_REQUESTS_OF, token, path={"member_id": member_id})

    async def pending_erasures(self, token: Caller) -> list[PendingErasure]:
        return await self.call(self.PENDING_ERASURES, token)

    async def confirm_erasure(self, token: Caller, request_id: object) -> None:
        await self.call(self.CONFIRM_ERASURE, token, path={"request_id": request_id})


class MeetingsPrivacyClient(ServiceClient):
    service = "meetings"

    MY_REGISTRATIONS = Endpoint("GET", "/me/registrations", DOWNLOAD, raw=True)
    MY_HISTORY = Endpoint("GET", "/me/history", DOWNLOAD, raw=True)

    async def my_registrations(self, token: Caller) -> Download:
        return await self.call(self.MY_REGISTRATIONS, token)

    async def my_history(self, token: Caller) -> Download:
        return await self.call(self.MY_HISTORY, token)


class NotificationsPrivacyClient(ServiceClient):
    service = "notifications"

    MEMBER_DATA = Endpoint("GET", "/notifications/members/{member_id}/data", DOWNLOAD, raw=True)

    async def member_data(self, token: Caller, member_id: object) -> Download:
        return await self.call(self.MEMBER_DATA, token, path={"member_id": member_id})
