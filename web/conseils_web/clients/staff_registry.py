"""The registry as the staff's forms use it: councils created, changed, dissolved; members
added, changed, their contact card, departure, move to another council and erasure; the
members CSV (template, preview, import, export)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import (
    DOWNLOAD,
    NO_CONTENT,
    ApiModel,
    Caller,
    Download,
    Endpoint,
    RequestModel,
    ServiceClient,
)
from conseils_web.clients.registry import ImportReport, Member


class CouncilRow(ApiModel):
    """A council as staff manage it (CouncilOut)."""

    id: uuid.UUID
    name: str
    slug: str
    city: str
    city_code: str
    neighbourhood: str
    neighbourhood_code: str
    status: str
    dissolved_on: date | None = None


class NewCouncil(RequestModel):
    slug: str
    name: str
    neighbourhood_code: str


class CouncilChange(RequestModel):
    name: str | None = None
    neighbourhood_code: str | None = None


class Dissolution(RequestModel):
    dissolved_on: date | None = None


class NewMember(RequestModel):
    council_id: str
    display_name: str
    email: str
    phone: str | None = None
    consent: bool = False
    college: str = "habitants"
    drawn_by_lot: bool = False
    role: str = "member"
    themes_followed: list[str] = Field(default_factory=list)


class MemberChange(RequestModel):
    college: str | None = None
    drawn_by_lot: bool | None = None
    role: str | None = None
    themes_followed: list[str] | None = None


class Contact(RequestModel):
    display_name: str
    email: str
    phone: str | None = None
    consent: bool = False


class Departure(RequestModel):
    left_on: date | None = None


class Move(RequestModel):
    council_id: str
    on: date | None = None


class RegistryStaffClient(ServiceClient):
    service = "registry"

    COUNCILS = Endpoint("GET", "/councils", TypeAdapter(list[CouncilRow]))
    COUNCIL = Endpoint("GET", "/councils/{council_id}", TypeAdapter(CouncilRow))
    CREATE_COUNCIL = Endpoint("POST", "/councils", TypeAdapter(CouncilRow), body=NewCouncil)
    UPDATE_COUNCIL = Endpoint("PATCH", "/councils/{council_id}", TypeAdapter(CouncilRow), body=CouncilChange)
    DISSOLVE = Endpoint(
        "POST", "/councils/{council_id}/dissolution", TypeAdapter(CouncilRow), body=Dissolution
    )
    JOIN = Endpoint("POST", "/members", TypeAdapter(Member), body=NewMember)
    CHANGE = Endpoint("PATCH", "/members/{member_id}", TypeAdapter(Member), body=MemberChange)
    CONTACT = Endpoint("PUT", "/members/{member_id}/contact", TypeAdapter(Member), body=Contact)
    LEAVE = Endpoint("POST", "/members/{member_id}/leave", TypeAdapter(Member), body=Departure)
    MOVE = Endpoint("POST", "/members/{member_id}/move", TypeAdapter(Member), body=Move)
    ERASE = Endpoint("DELETE", "/members/{member_id}", NO_CONTENT)
    IMPORT = Endpoint(
        "POST", "/members/import", TypeAdapter(ImportReport), query=("dry_run",), form=("file",)
    )
    TEMPLATE = Endpoint("GET", "/members/import/template", DOWNLOAD, raw=True)
    EXPORT = Endpoint("GET", "/members/export.csv", DOWNLOAD, query=("include_left",), raw=True)

    async def councils(self, token: Caller) -> list[CouncilRow]:
        return await self.call(self.COUNCILS, token)

    async def council(self, token: Caller, council_id: object) -> CouncilRow:
        return await self.call(self.COUNCIL, token, path={"council_id": council_id})

    async def create_council(self, token: Caller, council: NewCouncil) -> CouncilRow:
        return await self.call(self.CREATE_COUNCIL, token, body=council)

    async def update_council(self, token: Caller, council_id: object, change: CouncilChange) -> CouncilRow:
        return await self.call(self.UPDATE_COUNCIL, token, path={"council_id": council_id}, body=change)

    async def dissolve(self, token: Caller, council_id: object, on: date | None) -> CouncilRow:
        body = Dissolution(dissolved_on=on) if on else Dissolution()
        return await self.call(self.DISSOLVE, token, path={"council_id": council_id}, body=body)

    async def join(self, token: Caller, member: NewMember) -> Member:
        return await self.call(self.JOIN, token, body=member)

    async def change(self, token: Caller, member_id: object, change: MemberChange) -> Member:
        return await self.call(self.CHANGE, token, path={"member_id": member_id}, body=change)

    async def contact(self, token: Caller, member_id: object, contact: Contact) -> Member:
        return await self.call(self.CONTACT, token, path={"member_id": member_id}, body=contact)

    async def leave(self, token: Caller, member_id: object, on: date | None) -> Member:
        body = Departure(left_on=on) if on else Departure()
        return await self.call(self.LEAVE, token, path={"member_id": member_id}, body=body)

    async def move(self, token: Caller, member_id: object, council_id: str, on: date | None) -> Member:
        body = Move(council_id=council_id, on=on) if on else Move(council_id=council_id)
        return await self.call(self.MOVE, token, path={"member_id": member_id}, body=body)

    async def erase(self, token: Caller, member_id: object) -> None:
        await self.call(self.ERASE, token, path={"member_id": member_id})

    async def import_members(
        self, token: Caller, filename: str, content: bytes, *, dry_run: bool
    ) -> ImportReport:
        return await self.call(
            self.IMPORT,
            token,
            query={"dry_run": "true" if dry_run else "false"},
            files={"file": (filename, content, "text/csv")},
        )

    async def template(self, token: Caller) -> Download:
        return await self.call(self.TEMPLATE, token)

    async def export(self, token: Caller, *, include_left: bool) -> Download:
        return await self.call(
            self.EXPORT, token, query={"include_left": "true" if include_left else "false"}
        )
