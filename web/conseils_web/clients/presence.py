"""The attendance code as the site uses it (meetings service): staff read the code and the
presence declared with it; a councillor types the code."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import TypeAdapter

from conseils_web.clients.base import ApiModel, Caller, Endpoint, RequestModel, ServiceClient


class PresenceCode(ApiModel):
    code: str


class DeclaredPresence(ApiModel):
    member_id: uuid.UUID
    declared_at: datetime


class PresenceDeclared(ApiModel):
    outcome: str
    message: str


class TypedCode(RequestModel):
    code: str


class PresenceClient(ServiceClient):
    service = "meetings"

    CODE = Endpoint("GET", "/instances/{instance_id}/presence-code", TypeAdapter(PresenceCode))
    DECLARED = Endpoint(
        "GET", "/instances/{instance_id}/presence-declarations", TypeAdapter(list[DeclaredPresence])
    )
    DECLARE = Endpoint(
        "POST",
        "/instances/{instance_id}/presence-declarations",
        TypeAdapter(PresenceDeclared),
        body=TypedCode,
    )

    async def code(self, token: Caller, instance_id: object) -> str:
        return (await self.call(self.CODE, token, path={"instance_id": instance_id})).code

    async def declared(self, token: Caller, instance_id: object) -> list[DeclaredPresence]:
        return await self.call(self.DECLARED, token, path={"instance_id": instance_id})

    async def declare(self, token: Caller, instance_id: object, code: str) -> PresenceDeclared:
        return await self.call(
            self.DECLARE, token, path={"instance_id": instance_id}, body=TypedCode(code=code)
        )
