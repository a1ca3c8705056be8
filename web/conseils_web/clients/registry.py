"""The registry as the site uses it: councils (and their overview for every councillor), members
(and a member's choice to be shown to the other councils), referents, the directory, staff accounts."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


class Council(ApiModel):
    id: uuid.UUID
    name: str


def french_order(name: str) -> str:
    """A sort key for names as a French reader orders them: case and accents aside."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (kept per object)
class CouncilNames:
    """The territory's councils, each with its name and its rank in alphabetical order
    (`french_order`: case and accents aside, "Épinay" before "Saint-Ouen"), keyed by the id's integer (hashed
    in C: 1,200 lookups for a territory-wide instance)."""

    names: dict[int, str]
    rank: dict[int, int]
    ordered: tuple[Council, ...]
    """The councils in that order (a form's list of councils)."""

    @classmethod
    def of(cls, councils: Sequence[Council]) -> CouncilNames:
        ordered = sorted(councils, key=lambda council: french_order(council.name))
        return cls(
            {council.id.int: council.name for council in councils},
            {council.id.int: index for index, council in enumerate(ordered)},
            tuple(ordered),
        )

    def sorted_names(self, ids: Iterable[uuid.UUID], unknown: str = "—") -> list[str]:
        """The names of these councils in alphabetical order; a council the registry does not
        list (dissolved, or not yet replicated) shows as `unknown`, last."""
        last, rank, names = len(self.rank), self.rank, self.names
        ranked = sorted((rank.get(key, last), key) for key in (council_id.int for council_id in ids))
        return [names.get(key, unknown) for _rank, key in ranked]


class Member(ApiModel):
    """A member (MemberOut; a council's members may come as MemberPublic, without contact)."""

    id: uuid.UUID
    display_name: str | None = None
    council_id: uuid.UUID | None = None
    role: str | None = None
    college: str | None = None
    email: str | None = None
    left_on: date | None = None
    shown_to_councillors: bool = False


class Referent(ApiModel):
    theme: str
    member_id: uuid.UUID


class CouncilCard(ApiModel):
    """A council in the overview (CouncilOut)."""

    id: uuid.UUID
    name: str
    city: str
    city_code: str
    neighbourhood: str


class ReferentShown(ApiModel):
    theme: str
    name: str | None = None  # only where she chose to be shown


class CouncilOverview(ApiModel):
    """A council as every councillor of the territory sees it (CouncilOverviewOut)."""

    council: CouncilCard
    members: int
    referents: list[ReferentShown] = Field(default_factory=list)
    vacant_themes: list[str] = Field(default_factory=list)
    names_shown: list[str] = Field(default_factory=list)


class NameShown(RequestModel):
    shown: bool


class DirectoryEntry(ApiModel):
    """A partner, scheme or place of the directory (DirectoryEntryOut)."""

    id: uuid.UUID
    entry_type: str
    name: str
    kind: str | None = None
    themes: list[str] = Field(default_factory=list)
    contact_role: str | None = None
    contact_email: str | None = None  # a functional address, never a person's
    city_code: str | None = None
    address: str | None = None
    url: str | None = None
    description: str = ""


class Designation(RequestModel):
    member_id: str  # as typed in the form: the registry says when it is no member


class StaffAccount(ApiModel):
    id: uuid.UUID
    email: str
    role: str
    name: str = ""
    organisation: str = ""


class ImportRow(ApiModel):
    ligne: int
    statut: str
    messages: list[str] = Field(default_factory=list)
    nom: str = ""
    conseil: str = ""  # the council found, for the preview


class ImportReport(ApiModel):
    """The line-by-line report of a CSV import or its preview (also the body of its 422 refusal)."""

    detail: str
    code: str
    lignes: list[ImportRow] = Field(default_factory=list)


class RegistryClient(ServiceClient):
    service = "registry"

    COUNCILS = Endpoint("GET", "/councils", TypeAdapter(list[Council]))
    COUNCILS_OVERVIEW = Endpoint("GET", "/councils/overview", TypeAdapter(list[CouncilOverview]))
    COUNCIL = Endpoint("GET", "/councils/{council_id}", TypeAdapter(Council))
    COUNCIL_MEMBERS = Endpoint("GET", "/councils/{council_id}/members", TypeAdapter(list[Member]))
    COUNCIL_REFERENTS = Endpoint("GET", "/councils/{council_id}/referents", TypeAdapter(list[Referent]))
    DESIGNATE = Endpoint(
        "PUT", "/councils/{council_id}/referents/{theme}", TypeAdapter(ApiModel), body=Designation
    )
    END_DESIGNATION = Endpoint("DELETE", "/councils/{council_id}/referents/{theme}", NO_CONTENT)
    MEMBERS = Endpoint("GET", "/members", TypeAdapter(list[Member]), query=("email",))
    MEMBER = Endpoint("GET", "/members/{member_id}", TypeAdapter(Member))
    SHOW_TO_COUNCILLORS = Endpoint(
        "PUT", "/members/{member_id}/shown-to-councillors", TypeAdapter(Member), body=NameShown
    )
    DIRECTORY = Endpoint(
        "GET", "/directory", TypeAdapter(list[DirectoryEntry]), query=("q", "theme", "section")
    )
    MEMBER_DATA = Endpoint("GET", "/members/{member_id}/data", DOWNLOAD, raw=True)
    STAFF_ACCOUNTS = Endpoint("GET", "/staff-accounts", TypeAdapter(list[StaffAccount]), query=("email",))

    COUNCILS_TTL_SECONDS = 30.0
    """How long the site reuses the list of councils (public names, the same for every caller):
    1,200 councils at national size, asked by every instance page. A change made through the
    site is seen at once (any write to the registry empties the cache), one made elsewhere
    within this time."""

    async def councils(self, token: Caller) -> list[Council]:
        if token.role is None:  # nobody signed in: the registry answers (401), never the cache
            return await self.call(self.COUNCILS, token)
        return await self._transport.cache.get(
            self.service, "councils", self.COUNCILS_TTL_SECONDS, lambda: self.call(self.COUNCILS, token)
        )

    async def council_names(self, token: Caller) -> CouncilNames:
        """The councils' names by id, in the order a page lists them, built once per list kept
        (not a `str(id)` and a case-folded sort key per council on every instance page)."""

        async def build() -> CouncilNames:
            return CouncilNames.of(await self.councils(token))

        if token.role is None:
            return await build()
        return await self._transport.cache.get(
            self.service, "council-names", self.COUNCILS_TTL_SECONDS, build
        )

    async def councils_overview(self, token: Caller) -> list[CouncilOverview]:
        return await self.call(self.COUNCILS_OVERVIEW, token)

    async def council(self, token: Caller, council_id: object) -> Council:
        return await self.call(self.COUNCIL, token, path={"council_id": council_id})

    async def council_members(self, token: Caller, council_id: object) -> list[Member]:
        return await self.call(self.COUNCIL_MEMBERS, token, path={"council_id": council_id})

    async def council_referents(self, token: Caller, council_id: object) -> list[Referent]:
        return await self.call(self.COUNCIL_REFERENTS, token, path={"council_id": council_id})

    async def designate_referent(self, token: Caller, council_id: object, theme: str, member_id: str) -> None:
        await self.call(
            self.DESIGNATE,
            token,
            path={"council_id": council_id, "theme": theme},
            body=Designation(member_id=member_id),
        )

    async def end_designation(self, token: Caller, council_id: object, theme: str) -> None:
        await self.call(self.END_DESIGNATION, token, path={"council_id": council_id, "theme": theme})

    async def members(self, token: Caller, *, email: str | None = None) -> list[Member]:
        return await self.call(self.MEMBERS, token, query={"email": email} if email is not None else None)

    async def member(self, token: Caller, member_id: object) -> Member:
        return await self.call(self.MEMBER, token, path={"member_id": member_id})

    async def show_to_councillors(self, token: Caller, member_id: object, shown: bool) -> Member:
        return await self.call(
            self.SHOW_TO_COUNCILLORS, token, path={"member_id": member_id}, body=NameShown(shown=shown)
        )

    async def directory(
        self, token: Caller, *, query: str = "", theme: str | None = None, section: str | None = None
    ) -> list[DirectoryEntry]:
        params: dict[str, str | int] = {"q": query}
        if theme:
            params["theme"] = theme
        if section:
            params["section"] = section
        return await self.call(self.DIRECTORY, token, query=params)

    async def member_data(self, token: Caller, member_id: object) -> Download:
        return await self.call(self.MEMBER_DATA, token, path={"member_id": member_id})

    async def staff_accounts(self, token: Caller, *, email: str | None = None) -> list[StaffAccount]:
        """The staff accounts (staff only: they carry addresses); `email`: the one with it."""
        return await self.call(
            self.STAFF_ACCOUNTS, token, query={"email": email} if email is not None else {}
        )
