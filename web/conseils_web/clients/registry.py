"""The registry as the site uses it: councils, members, referents, staff accounts."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field, TypeAdapter

from conseils_web.clients.base import (
    DOWNLOAD,
    NO_CONTENT,
    ApiModel,
    Download,
    Endpoint,
    RequestModel,
    ServiceClient,
)


class Council(ApiModel):
    id: uuid.UUID
    name: str


class Member(ApiModel):
    """A member (MemberOut; a council's members may come as MemberPublic, without contact)."""

    id: uuid.UUID
    display_name: str | None = None
    council_id: uuid.UUID | None = None
    role: str | None = None
    college: str | None = None
    email: str | None = None
    left_on: date | None = None


class Referent(ApiModel):
    theme: str
    member_id: uuid.UUID


class Designation(RequestModel):
    member_id: str  # as typed in the form: the registry says when it is no member


class StaffAccount(ApiModel):
    id: uuid.UUID
    email: str
    role: str


class ImportRow(ApiModel):
    ligne: int
    statut: str
    messages: list[str] = Field(default_factory=list)


class ImportReport(ApiModel):
    """The line-by-line report of a CSV import (also the body of its 422 refusal)."""

    detail: str
    code: str
    lignes: list[ImportRow] = Field(default_factory=list)


class RegistryClient(ServiceClient):
    service = "registry"

    COUNCILS = Endpoint("GET", "/councils", TypeAdapter(list[Council]))
    COUNCIL = Endpoint("GET", "/councils/{council_id}", TypeAdapter(Council))
    COUNCIL_MEMBERS = Endpoint("GET", "/councils/{council_id}/members", TypeAdapter(list[Member]))
    COUNCIL_REFERENTS = Endpoint("GET", "/councils/{council_id}/referents", TypeAdapter(list[Referent]))
    DESIGNATE = Endpoint(
        "PUT", "/councils/{council_id}/referents/{theme}", TypeAdapter(ApiModel), body=Designation
    )
    END_DESIGNATION = Endpoint("DELETE", "/councils/{council_id}/referents/{theme}", NO_CONTENT)
    MEMBERS = Endpoint("GET", "/members", TypeAdapter(list[Member]), query=("email",))
    IMPORT_MEMBERS = Endpoint("POST", "/members/import", TypeAdapter(ImportReport), form=("file",))
    MEMBER_DATA = Endpoint("GET", "/members/{member_id}/data", DOWNLOAD, raw=True)
    STAFF_ACCOUNTS = Endpoint("GET", "/staff-accounts", TypeAdapter(list[StaffAccount]), query=("email",))

    async def councils(self, token: str) -> list[Council]:
        return await self.call(self.COUNCILS, token)

    async def council(self, token: str, council_id: object) -> Council:
        return await self.call(self.COUNCIL, token, path={"council_id": council_id})

    async def council_members(self, token: str, council_id: object) -> list[Member]:
        return await self.call(self.COUNCIL_MEMBERS, token, path={"council_id": council_id})

    async def council_referents(self, token: str, council_id: object) -> list[Referent]:
        return await self.call(self.COUNCIL_REFERENTS, token, path={"council_id": council_id})

    async def designate_referent(self, token: str, council_id: object, theme: str, member_id: str) -> None:
        await self.call(
            self.DESIGNATE,
            token,
            path={"council_id": council_id, "theme": theme},
            body=Designation(member_id=member_id),
        )

    async def end_designation(self, token: str, council_id: object, theme: str) -> None:
        await self.call(self.END_DESIGNATION, token, path={"council_id": council_id, "theme": theme})

    async def members(self, token: str, *, email: str | None = None) -> list[Member]:
        return await self.call(self.MEMBERS, token, query={"email": email} if email is not None else None)

    async def import_members(self, token: str, filename: str, content: bytes) -> ImportReport:
        return await self.call(self.IMPORT_MEMBERS, token, files={"file": (filename, content, "text/csv")})

    async def member_data(self, token: str, member_id: object) -> Download:
        return await self.call(self.MEMBER_DATA, token, path={"member_id": member_id})

    async def staff_accounts(self, token: str, *, email: str) -> list[StaffAccount]:
        return await self.call(self.STAFF_ACCOUNTS, token, query={"email": email})
