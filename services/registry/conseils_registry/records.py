"""What the repository returns: frozen records of the registry's rows (plain Python, no SQL).

Callers never see a database row; the API maps these records to its response
models (`from_attributes`), the use cases read their `state` for the domain rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from conseils_registry.domain import CouncilState, EntryType, MemberState


@dataclass(frozen=True)
class TerritoryRecord:
    slug: str
    name: str
    kind: str
    timezone: str


@dataclass(frozen=True)
class CityRecord:
    code: str
    name: str


@dataclass(frozen=True)
class NeighbourhoodRecord:
    code: str
    city_code: str
    name: str


@dataclass(frozen=True)
class ThemeRecord:
    slug: str
    name: str
    position: int


@dataclass(frozen=True)
class CouncilRecord:
    id: uuid.UUID
    slug: str
    name: str
    city_code: str
    city: str
    neighbourhood_code: str
    neighbourhood: str
    status: str
    created_on: date
    dissolved_on: date | None

    @property
    def state(self) -> CouncilState:
        status = self.status if self.status in ("forming", "active", "suspended") else "active"
        return CouncilState(id=self.id, status=status, dissolved_on=self.dissolved_on)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MemberRecord:
    id: uuid.UUID
    council_id: uuid.UUID
    college: str
    drawn_by_lot: bool
    role: str
    joined_on: date
    left_on: date | None
    themes_followed: list[str]
    erased_at: datetime | None
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    consent_given_at: datetime | None = None
    shown_to_councillors: bool = False

    @property
    def state(self) -> MemberState:
        return MemberState(
            id=self.id,
            council_id=self.council_id,
            college="habitants" if self.college == "habitants" else "acteurs_locaux",
            drawn_by_lot=self.drawn_by_lot,
            role="coordinator" if self.role == "coordinator" else "member",
            joined_on=self.joined_on,
            left_on=self.left_on,
            erased=self.erased_at is not None,
        )


@dataclass(frozen=True)
class ReferentRecord:
    id: uuid.UUID
    council_id: uuid.UUID
    theme: str
    member_id: uuid.UUID
    since: date
    until: date | None
    end_reason: str | None


@dataclass(frozen=True)
class StaffAccountRecord:
    id: uuid.UUID
    email: str
    name: str
    organisation: str
    kind: str
    role: str


@dataclass(frozen=True)
class DirectoryEntryRecord:
    id: uuid.UUID
    entry_type: EntryType
    name: str
    kind: str | None
    themes: list[str]
    themes_text: str
    contact_role: str | None
    contact_email: str | None
    city_code: str | None
    address: str | None
    url: str | None
    description: str
    search_text: str
    updated_at: datetime


@dataclass(frozen=True)
class ReferentShown:
    """A theme's referent as every councillor sees it: her name only where she agreed."""

    theme: str
    name: str | None


@dataclass(frozen=True)
class CouncilOverviewRecord:
    """A council as the councillors of the whole territory see it (the councils page)."""

    council: CouncilRecord
    members: int
    referents: list[ReferentShown]
    vacant_themes: list[str]
    names_shown: list[str]


@dataclass(frozen=True)
class ErasureRequestRecord:
    """A person asked to be erased (on the site); staff confirm, then the erasure runs."""

    id: uuid.UUID
    member_id: uuid.UUID
    requested_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None
