"""« Je viens » as the site uses it (meetings service): she confirms she is coming; staff read
who confirmed (the head-count); she reads the instances she confirmed."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import TypeAdapter

from conseils_web.clients.base import ApiModel, Caller, Endpoint, ServiceClient


class Confirmation(ApiModel):
    outcome: str
    message: str


class ConfirmedAttendance(ApiModel):
    instance_id: uuid.UUID
    member_id: uuid.UUID
    confirmed_at: datetime


class ConfirmationsClient(ServiceClient):
    service = "meetings"

    CONFIRM = Endpoint("POST", "/instances/{instance_id}/attendance-confirmations", TypeAdapter(Confirmation))
    OF_INSTANCE = Endpoint(
        "GET", "/instances/{instance_id}/attendance-confirmations", TypeAdapter(list[ConfirmedAttendance])
    )
    MINE = Endpoint("GET", "/me/attendance-confirmations", TypeAdapter(list[ConfirmedAttendance]))

    async def confirm(self, token: Caller, instance_id: object) -> Confirmation:
        return await self.call(self.CONFIRM, token, path={"instance_id": instance_id})

    async def of_instance(self, token: Caller, instance_id: object) -> list[ConfirmedAttendance]:
        return await self.call(self.OF_INSTANCE, token, path={"instance_id": instance_id})

    async def mine(self, token: Caller) -> list[ConfirmedAttendance]:
        return await self.call(self.MINE, token)
