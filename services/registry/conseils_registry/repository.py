"""Typed queries on the registry's tables (one session = one transaction, owned by the caller)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_registry import tables as t
from conseils_registry.domain import (
    CouncilState,
    MemberState,
    ReferentAssignment,
    search_terms,
)
from conseils_runtime.times import as_utc

aware = as_utc


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


class RegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ reference data
    async def theme_slugs(self) -> list[str]:
        rows = await self.session.execute(select(t.themes.c.slug).order_by(t.themes.c.position))
        return [row[0] for row in rows]

    async def themes(self) -> Sequence[RowMapping]:
        return (await self.session.execute(select(t.themes).order_by(t.themes.c.position))).mappings().all()

    async def cities(self) -> Sequence[RowMapping]:
        return (await self.session.execute(select(t.cities).order_by(t.cities.c.name))).mappings().all()

    async def neighbourhoods(self) -> Sequence[RowMapping]:
        query = select(t.neighbourhoods).order_by(t.neighbourhoods.c.city_code, t.neighbourhoods.c.code)
        return (await self.session.execute(query)).mappings().all()

    async def neighbourhood(self, code: str) -> RowMapping | None:
        query = select(t.neighbourhoods).where(t.neighbourhoods.c.code == code)
        return (await self.session.execute(query)).mappings().first()

    async def city(self, code: str) -> RowMapping | None:
        return (
            (await self.session.execute(select(t.cities).where(t.cities.c.code == code))).mappings().first()
        )

    async def territory(self) -> RowMapping | None:
        return (await self.session.execute(select(t.territories))).mappings().first()

    # ------------------------------------------------------------------ councils
    def _council_query(self) -> Any:
        return (
            select(
                t.councils,
                t.cities.c.name.label("city"),
                t.neighbourhoods.c.name.label("neighbourhood"),
            )
            .join(t.cities, t.cities.c.code == t.councils.c.city_code)
            .join(t.neighbourhoods, t.neighbourhoods.c.code == t.councils.c.neighbourhood_code)
        )

    async def council(self, council_id: uuid.UUID, *, lock: bool = False) -> CouncilRecord | None:
        query = self._council_query().where(t.councils.c.id == council_id)
        if lock:
            query = query.with_for_update(of=t.councils)
        row = (await self.session.execute(query)).mappings().first()
        return CouncilRecord(**row) if row else None

    async def council_by_slug(self, slug: str) -> CouncilRecord | None:
        row = (await self.session.execute(self._council_query().where(t.councils.c.slug == slug))).mappings()
        first = row.first()
        return CouncilRecord(**first) if first else None

    async def councils(self, *, city_code: str | None = None) -> list[CouncilRecord]:
        query = self._council_query().order_by(t.councils.c.name)
        if city_code:
            query = query.where(t.councils.c.city_code == city_code)
        return [CouncilRecord(**row) for row in (await self.session.execute(query)).mappings()]

    # ------------------------------------------------------------------ members
    def _member_query(self) -> Any:
        return select(
            t.members,
            t.member_contacts.c.display_name,
            t.member_contacts.c.email,
            t.member_contacts.c.phone,
            t.member_contacts.c.language,
            t.member_contacts.c.consent_given_at,
        ).outerjoin(t.member_contacts, t.member_contacts.c.member_id == t.members.c.id)

    @staticmethod
    def _member(row: RowMapping) -> MemberRecord:
        values = dict(row)
        values["erased_at"] = aware(values["erased_at"])
        values["consent_given_at"] = aware(values["consent_given_at"])
        values["themes_followed"] = list(values["themes_followed"] or [])
        return MemberRecord(**values)

    async def member(self, member_id: uuid.UUID) -> MemberRecord | None:
        row = (await self.session.execute(self._member_query().where(t.members.c.id == member_id))).mappings()
        first = row.first()
        return self._member(first) if first else None

    async def members(
        self, *, council_id: uuid.UUID | None = None, include_left: bool = False, email: str | None = None
    ) -> list[MemberRecord]:
        query = self._member_query().order_by(t.members.c.council_id, t.member_contacts.c.display_name)
        if council_id is not None:
            query = query.where(t.members.c.council_id == council_id)
        if email is not None:
            query = query.where(func.lower(t.member_contacts.c.email) == email.strip().lower())
        if not include_left:
            query = query.where(t.members.c.left_on.is_(None), t.members.c.erased_at.is_(None))
        return [self._member(row) for row in (await self.session.execute(query)).mappings()]

    async def active_emails_by_council(self) -> dict[uuid.UUID, set[str]]:
        query = (
            select(t.members.c.council_id, t.member_contacts.c.email)
            .join(t.member_contacts, t.member_contacts.c.member_id == t.members.c.id)
            .where(t.members.c.left_on.is_(None), t.members.c.erased_at.is_(None))
        )
        result: dict[uuid.UUID, set[str]] = {}
        for council_id, email in await self.session.execute(query):
            result.setdefault(council_id, set()).add(email)
        return result

    async def active_member_by_email(self, council_id: uuid.UUID, email: str) -> MemberRecord | None:
        query = self._member_query().where(
            t.members.c.council_id == council_id,
            t.member_contacts.c.email == email.lower(),
            t.members.c.left_on.is_(None),
            t.members.c.erased_at.is_(None),
        )
        first = (await self.session.execute(query)).mappings().first()
        return self._member(first) if first else None

    # ------------------------------------------------------------------ referents
    async def referents(
        self,
        *,
        council_id: uuid.UUID | None = None,
        active_only: bool = True,
        member_id: uuid.UUID | None = None,
    ) -> list[ReferentRecord]:
        query = select(t.referents).order_by(t.referents.c.theme, t.referents.c.since)
        if council_id is not None:
            query = query.where(t.referents.c.council_id == council_id)
        if member_id is not None:
            query = query.where(t.referents.c.member_id == member_id)
        if active_only:
            query = query.where(t.referents.c.until.is_(None))
        return [ReferentRecord(**row) for row in (await self.session.execute(query)).mappings()]

    async def active_referent(self, council_id: uuid.UUID, theme: str) -> ReferentRecord | None:
        query = select(t.referents).where(
            and_(
                t.referents.c.council_id == council_id,
                t.referents.c.theme == theme,
                t.referents.c.until.is_(None),
            )
        )
        row = (await self.session.execute(query)).mappings().first()
        return ReferentRecord(**row) if row else None

    async def active_assignments(self, member_id: uuid.UUID) -> list[ReferentAssignment]:
        return [
            ReferentAssignment(council_id=r.council_id, theme=r.theme, member_id=r.member_id)
            for r in await self.referents(member_id=member_id)
        ]

    # ------------------------------------------------------------------ staff and directory
    async def staff_accounts(self, email: str | None = None) -> Sequence[RowMapping]:
        query = select(t.staff_accounts).order_by(t.staff_accounts.c.organisation, t.staff_accounts.c.name)
        if email is not None:
            query = query.where(t.staff_accounts.c.email == email.strip().lower())
        return (await self.session.execute(query)).mappings().all()

    async def staff_by_email(self, email: str) -> RowMapping | None:
        query = select(t.staff_accounts).where(t.staff_accounts.c.email == email.lower())
        return (await self.session.execute(query)).mappings().first()

    async def directory_entry(self, entry_id: uuid.UUID) -> RowMapping | None:
        query = select(t.directory_entries).where(t.directory_entries.c.id == entry_id)
        return (await self.session.execute(query)).mappings().first()

    async def search_directory(
        self,
        *,
        query: str = "",
        theme: str | None = None,
        kind: str | None = None,
        entry_type: str | None = None,
        limit: int = 100,
    ) -> Sequence[RowMapping]:
        table = t.directory_entries
        statement = select(table).order_by(table.c.entry_type, table.c.name).limit(limit)
        for term in search_terms(query):
            # terms are [a-z0-9] only (see normalise_search): no LIKE wildcard to escape
            statement = statement.where(table.c.search_text.like(f"%{term}%"))
        if theme:
            statement = statement.where(table.c.themes_text.like(f"% {theme} %"))
        if kind:
            statement = statement.where(table.c.kind == kind)
        if entry_type:
            statement = statement.where(table.c.entry_type == entry_type)
        return (await self.session.execute(statement)).mappings().all()
