"""How a council is represented, as the site uses it: the substitutes of its theme referents
(the registry) and its rota, the turns of an instance and who represents each council (meetings)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import NO_CONTENT, ApiModel, Caller, Endpoint, RequestModel, ServiceClient


class Substitute(ApiModel):
    council_id: uuid.UUID
    theme: str
    member_id: uuid.UUID
    since: date


class SubstituteRequest(RequestModel):
    member_id: str


class SubstitutesClient(ServiceClient):
    service = "registry"

    LIST = Endpoint("GET", "/councils/{council_id}/substitutes", TypeAdapter(list[Substitute]))
    DESIGNATE = Endpoint(
        "PUT",
        "/councils/{council_id}/substitutes/{theme}",
        TypeAdapter(dict[str, object]),
        body=SubstituteRequest,
    )
    WITHDRAW = Endpoint("DELETE", "/councils/{council_id}/substitutes/{theme}", NO_CONTENT)

    async def substitutes(self, token: Caller, council_id: object) -> list[Substitute]:
        return await self.call(self.LIST, token, path={"council_id": council_id})

    async def designate(self, token: Caller, council_id: object, theme: str, member_id: str) -> None:
        await self.call(
            self.DESIGNATE,
            token,
            path={"council_id": council_id, "theme": theme},
            body=SubstituteRequest(member_id=member_id),
        )

    async def withdraw(self, token: Caller, council_id: object, theme: str) -> None:
        await self.call(self.WITHDRAW, token, path={"council_id": council_id, "theme": theme})


class Rota(ApiModel):
    council_id: uuid.UUID
    member_ids: list[uuid.UUID] = Field(default_factory=list)
    next_member_id: uuid.UUID | None = None


class RotaRequest(RequestModel):
    member_ids: list[str]


class SwapRequest(RequestModel):
    member_id: str


class CouncilRepresentation(ApiModel):
    council_id: uuid.UUID
    member_ids: list[uuid.UUID] = Field(default_factory=list)
    swapped_with: uuid.UUID | None = None
    vacant: bool = False


class Representation(ApiModel):
    instance_id: uuid.UUID
    scenario: str
    councils: list[CouncilRepresentation] = Field(default_factory=list)


class RotaClient(ServiceClient):
    service = "meetings"

    ROTA = Endpoint("GET", "/councils/{council_id}/rota", TypeAdapter(Rota))
    SET_ROTA = Endpoint("PUT", "/councils/{council_id}/rota", TypeAdapter(Rota), body=RotaRequest)
    SWAP = Endpoint(
        "POST",
        "/instances/{instance_id}/rotation/{council_id}/swap",
        TypeAdapter(Representation),
        body=SwapRequest,
    )
    REPRESENTATION = Endpoint("GET", "/instances/{instance_id}/representation", TypeAdapter(Representation))

    async def rota(self, token: Caller, council_id: object) -> Rota:
        return await self.call(self.ROTA, token, path={"council_id": council_id})

    async def set_rota(self, token: Caller, council_id: object, member_ids: list[str]) -> Rota:
        return await self.call(
            self.SET_ROTA, token, path={"council_id": council_id}, body=RotaRequest(member_ids=member_ids)
        )

    async def swap(
        self, token: Caller, instance_id: object, council_id: object, member_id: str
    ) -> Representation:
        return await self.call(
            self.SWAP,
            token,
            path={"instance_id": instance_id, "council_id": council_id},
            body=SwapRequest(member_id=member_id),
        )

    async def representation(self, token: Caller, instance_id: object) -> Representation:
        return await self.call(self.REPRESENTATION, token, path={"instance_id": instance_id})
