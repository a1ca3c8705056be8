"""All the SQL of the registry: typed reads and writes on its tables.

One repository = one session = one transaction, owned by the caller (a unit of
work of `conseils_runtime.unit_of_work`). Reads return the frozen records of
`records.py`, never a database row; writes take plain values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import RowMapping, Table, and_, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_registry import tables as t
from conseils_registry.domain import ContactCard, ReferentAssignment, WithdrawalReason, search_terms
from conseils_registry.privacy_queries import PrivacyQueries
from conseils_registry.records import (
    CityRecord,
    CouncilRecord,
    DirectoryEntryRecord,
    MemberRecord,
    NeighbourhoodRecord,
    ReferentRecord,
    StaffAccountRecord,
    TerritoryRecord,
    ThemeRecord,
)
from conseils_runtime.times import as_utc as aware

Upserted = Literal["created", "updated", "unchanged"]
"""What an upsert of reference data did (the seed counts them)."""


class RegistryRepository(PrivacyQueries):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _first(self, query: Any) -> RowMapping | None:
        return (await self.session.execute(query)).mappings().first()

    async def _all(self, query: Any) -> list[RowMapping]:
        return list((await self.session.execute(query)).mappings().all())

    # ------------------------------------------------------------------ reference data
    async def theme_slugs(self) -> list[str]:
        rows = await self.session.execute(select(t.themes.c.slug).order_by(t.themes.c.position))
        return [row[0] for row in rows]

    async def themes(self) -> list[ThemeRecord]:
        return [ThemeRecord(**row) for row in await self._all(select(t.themes).order_by(t.themes.c.position))]

    async def cities(self) -> list[CityRecord]:
        return [CityRecord(**row) for row in await self._all(select(t.cities).order_by(t.cities.c.name))]

    async def neighbourhoods(self) -> list[NeighbourhoodRecord]:
        query = select(t.neighbourhoods).order_by(t.neighbourhoods.c.city_code, t.neighbourhoods.c.code)
        return [NeighbourhoodRecord(**row) for row in await self._all(query)]

    async def neighbourhood(self, code: str) -> NeighbourhoodRecord | None:
        row = await self._first(select(t.neighbourhoods).where(t.neighbourhoods.c.code == code))
        return NeighbourhoodRecord(**row) if row else None

    async def city(self, code: str) -> CityRecord | None:
        row = await self._first(select(t.cities).where(t.cities.c.code == code))
        return CityRecord(**row) if row else None

    async def territory(self) -> TerritoryRecord | None:
        row = await self._first(select(t.territories))
        return TerritoryRecord(**row) if row else None

    async def _upsert(self, table: Table, key: str, values: Mapping[str, Any]) -> Upserted:
        column = table.c[key]
        existing = await self._first(select(table).where(column == values[key]))
        if existing is None:
            await self.session.execute(insert(table).values(**values))
            return "created"
        if any(existing[name] != value for name, value in values.items()):
            await self.session.execute(update(table).where(column == values[key]).values(**values))
            return "updated"
        return "unchanged"

    async def upsert_territory(self, slug: str, name: str, kind: str, timezone: str) -> Upserted:
        values = {"slug": slug, "name": name, "kind": kind, "timezone": timezone}
        return await self._upsert(t.territories, "slug", values)

    async def upsert_city(self, code: str, name: str) -> Upserted:
        return await self._upsert(t.cities, "code", {"code": code, "name": name})

    async def upsert_neighbourhood(self, code: str, city_code: str, name: str) -> Upserted:
        values = {"code": code, "city_code": city_code, "name": name}
        return await self._upsert(t.neighbourhoods, "code", values)

    async def upsert_theme(self, slug: str, name: str, position: int) -> Upserted:
        return await self._upsert(t.themes, "slug", {"slug": slug, "name": name, "position": position})

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
        row = await self._first(query)
        return CouncilRecord(**row) if row else None

    async def council_by_slug(self, slug: str) -> CouncilRecord | None:
        row = await self._first(self._council_query().where(t.councils.c.slug == slug))
        return CouncilRecord(**row) if row else None

    async def councils(self, *, city_code: str | None = None) -> list[CouncilRecord]:
        query = self._council_query().order_by(t.councils.c.name)
        if city_code:
            query = query.where(t.councils.c.city_code == city_code)
        return [CouncilRecord(**row) for row in await self._all(query)]

    async def add_council(
        self,
        council_id: uuid.UUID,
        *,
        slug: str,
        name: str,
        city_code: str,
        neighbourhood_code: str,
        status: str,
        created_on: date,
    ) -> CouncilRecord:
        values = {"slug": slug, "name": name, "status": status, "created_on": created_on}
        values.update(city_code=city_code, neighbourhood_code=neighbourhood_code)
        await self.session.execute(insert(t.councils).values(id=council_id, **values))
        return await self._council_now(council_id)

    async def change_council(
        self,
        council_id: uuid.UUID,
        *,
        name: str | None = None,
        status: str | None = None,
        city_code: str | None = None,
        neighbourhood_code: str | None = None,
    ) -> CouncilRecord:
        """Change the given columns (None = unchanged) and return the council as it now is."""
        given = {
            "name": name,
            "status": status,
            "city_code": city_code,
            "neighbourhood_code": neighbourhood_code,
        }
        values = {key: value for key, value in given.items() if value is not None}
        if values:
            await self.session.execute(
                update(t.councils).where(t.councils.c.id == council_id).values(**values)
            )
        return await self._council_now(council_id)

    async def dissolve_council(self, council_id: uuid.UUID, dissolved_on: date) -> CouncilRecord:
        await self.session.execute(
            update(t.councils).where(t.councils.c.id == council_id).values(dissolved_on=dissolved_on)
        )
        return await self._council_now(council_id)

    async def _council_now(self, council_id: uuid.UUID) -> CouncilRecord:
        council = await self.council(council_id)
        assert council is not None, council_id
        return council

    # ------------------------------------------------------------------ members
    def _member_query(self) -> Any:
        return select(
            t.members,
            t.member_contacts.c.display_name,
            t.member_contacts.c.email,
            t.member_contacts.c.phone,
            t.member_contacts.c.language,
            t.member_contacts.c.consent_given_at,
            t.member_contacts.c.shown_to_councillors,
        ).outerjoin(t.member_contacts, t.member_contacts.c.member_id == t.members.c.id)

    @staticmethod
    def _member(row: RowMapping) -> MemberRecord:
        values = dict(row)
        values["erased_at"] = aware(values["erased_at"])
        values["consent_given_at"] = aware(values["consent_given_at"])
        values["themes_followed"] = list(values["themes_followed"] or [])
        values["shown_to_councillors"] = bool(values["shown_to_councillors"])  # no card: not shown
        return MemberRecord(**values)

    async def member(self, member_id: uuid.UUID) -> MemberRecord | None:
        row = await self._first(self._member_query().where(t.members.c.id == member_id))
        return self._member(row) if row else None

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
        return [self._member(row) for row in await self._all(query)]

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
        row = await self._first(query)
        return self._member(row) if row else None

    async def add_member(
        self,
        member_id: uuid.UUID,
        *,
        council_id: uuid.UUID,
        college: str,
        drawn_by_lot: bool,
        role: str,
        joined_on: date,
        themes_followed: list[str],
        contact: ContactCard,
        consent_given_at: datetime | None,
        now: datetime,
    ) -> MemberRecord:
        """A member and their contact card (the only table with their name, email and phone)."""
        membership = {"council_id": council_id, "college": college, "drawn_by_lot": drawn_by_lot}
        membership.update(role=role, joined_on=joined_on, themes_followed=themes_followed)
        await self.session.execute(insert(t.members).values(id=member_id, **membership))
        card = asdict(contact)  # display_name, email, phone, language: the columns' names
        await self.session.execute(
            insert(t.member_contacts).values(
                member_id=member_id, consent_given_at=consent_given_at, updated_at=now, **card
            )
        )
        return await self._member_now(member_id)

    async def change_member(self, member_id: uuid.UUID, values: Mapping[str, Any]) -> MemberRecord:
        """Change membership columns (college, drawn_by_lot, role, themes_followed)."""
        if values:
            await self.session.execute(update(t.members).where(t.members.c.id == member_id).values(**values))
        return await self._member_now(member_id)

    async def replace_contact(
        self, member_id: uuid.UUID, contact: ContactCard, *, consent_given_at: datetime | None, now: datetime
    ) -> MemberRecord:
        await self.session.execute(
            update(t.member_contacts)
            .where(t.member_contacts.c.member_id == member_id)
            .values(consent_given_at=consent_given_at, updated_at=now, **asdict(contact))
        )
        return await self._member_now(member_id)

    async def show_to_councillors(self, member_id: uuid.UUID, shown: bool, now: datetime) -> MemberRecord:
        """Her choice: her name shown (or not) to the councillors of the other councils."""
        await self.session.execute(
            update(t.member_contacts)
            .where(t.member_contacts.c.member_id == member_id)
            .values(shown_to_councillors=shown, updated_at=now)
        )
        return await self._member_now(member_id)

    async def mark_left(self, member_id: uuid.UUID, left_on: date) -> None:
        await self.session.execute(
            update(t.members).where(t.members.c.id == member_id).values(left_on=left_on)
        )

    async def erase_member(self, member_id: uuid.UUID, erased_at: datetime) -> None:
        """Delete the contact card, keep the ids and dates (history) without followed themes."""
        await self.session.execute(
            delete(t.member_contacts).where(t.member_contacts.c.member_id == member_id)
        )
        await self.session.execute(
            update(t.members)
            .where(t.members.c.id == member_id)
            .values(erased_at=erased_at, themes_followed=[])
        )

    async def _member_now(self, member_id: uuid.UUID) -> MemberRecord:
        member = await self.member(member_id)
        assert member is not None, member_id
        return member

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
        return [ReferentRecord(**row) for row in await self._all(query)]

    async def active_referent(self, council_id: uuid.UUID, theme: str) -> ReferentRecord | None:
        query = select(t.referents).where(
            and_(
                t.referents.c.council_id == council_id,
                t.referents.c.theme == theme,
                t.referents.c.until.is_(None),
            )
        )
        row = await self._first(query)
        return ReferentRecord(**row) if row else None

    async def active_assignments(self, member_id: uuid.UUID) -> list[ReferentAssignment]:
        return [
            ReferentAssignment(council_id=r.council_id, theme=r.theme, member_id=r.member_id)
            for r in await self.referents(member_id=member_id)
        ]

    async def add_referent(self, assignment: ReferentAssignment, since: date) -> None:
        await self.session.execute(
            insert(t.referents).values(id=uuid.uuid4(), since=since, **asdict(assignment))
        )

    async def end_referent(
        self, assignment: ReferentAssignment, until: date, reason: WithdrawalReason
    ) -> None:
        referents = t.referents
        await self.session.execute(
            update(referents)
            .where(
                referents.c.council_id == assignment.council_id,
                referents.c.theme == assignment.theme,
                referents.c.member_id == assignment.member_id,
                referents.c.until.is_(None),
            )
            .values(until=until, end_reason=reason)
        )

    # ------------------------------------------------------------------ staff accounts
    async def staff_accounts(self, email: str | None = None) -> list[StaffAccountRecord]:
        query = select(t.staff_accounts).order_by(t.staff_accounts.c.organisation, t.staff_accounts.c.name)
        if email is not None:
            query = query.where(t.staff_accounts.c.email == email.strip().lower())
        return [StaffAccountRecord(**row) for row in await self._all(query)]

    async def staff_by_email(self, email: str) -> StaffAccountRecord | None:
        row = await self._first(select(t.staff_accounts).where(t.staff_accounts.c.email == email.lower()))
        return StaffAccountRecord(**row) if row else None

    async def add_staff_account(
        self, account_id: uuid.UUID, *, email: str, name: str, organisation: str, kind: str, role: str
    ) -> None:
        values = {"email": email, "name": name, "organisation": organisation, "kind": kind, "role": role}
        await self.session.execute(insert(t.staff_accounts).values(id=account_id, **values))

    async def upsert_staff_account(
        self, *, email: str, name: str, organisation: str, kind: str, role: str
    ) -> Upserted:
        """Found again by email (lower case); a new account gets a new id."""
        values = {
            "email": email.lower(),
            "name": name,
            "organisation": organisation,
            "kind": kind,
            "role": role,
        }
        existing = await self.staff_by_email(email)
        if existing is None:
            await self.add_staff_account(uuid.uuid4(), **values)
            return "created"
        if any(getattr(existing, key) != value for key, value in values.items()):
            await self.session.execute(
                update(t.staff_accounts).where(t.staff_accounts.c.id == existing.id).values(**values)
            )
            return "updated"
        return "unchanged"

    # ------------------------------------------------------------------ directory
    @staticmethod
    def _entry(row: RowMapping) -> DirectoryEntryRecord:
        values = dict(row)
        values["themes"] = list(values["themes"] or [])
        values["updated_at"] = aware(values["updated_at"])
        return DirectoryEntryRecord(**values)

    async def directory_entry(self, entry_id: uuid.UUID) -> DirectoryEntryRecord | None:
        row = await self._first(select(t.directory_entries).where(t.directory_entries.c.id == entry_id))
        return self._entry(row) if row else None

    async def search_directory(
        self,
        *,
        query: str = "",
        theme: str | None = None,
        kind: str | None = None,
        entry_type: str | None = None,
        limit: int = 100,
    ) -> list[DirectoryEntryRecord]:
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
        return [self._entry(row) for row in await self._all(statement)]

    async def put_directory_entry(self, entry_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        """The whole row of an entry (insert or replace): see `projection.entry_values`."""
        table = t.directory_entries
        exists = await self.session.scalar(select(table.c.id).where(table.c.id == entry_id))
        if exists is None:
            await self.session.execute(insert(table).values(id=entry_id, **values))
        else:
            await self.session.execute(update(table).where(table.c.id == entry_id).values(**values))

    async def remove_directory_entry(self, entry_id: uuid.UUID) -> None:
        table = t.directory_entries
        await self.session.execute(delete(table).where(table.c.id == entry_id))
