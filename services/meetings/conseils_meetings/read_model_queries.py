"""Queries on the registry read model (councils, members, their periods and referent terms, filled
from the registry's facts only): who is where, on a date or now. Part of `Repository`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.domain import CouncilView
from conseils_meetings.records import MemberRecord
from conseils_runtime.registry_view import covers


class ReadModelQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def council_views(self) -> list[CouncilView]:
        rows = await self.session.execute(
            select(tables.councils.c.council_id, tables.councils.c.city_code, tables.councils.c.active)
        )
        return [CouncilView(row.council_id, row.city_code, row.active) for row in rows]

    async def member(self, member_id: uuid.UUID) -> MemberRecord | None:
        result = await self.session.execute(
            select(tables.members).where(tables.members.c.member_id == member_id)
        )
        row = result.mappings().first()
        return None if row is None else MemberRecord.of(row)

    async def members_of(self, member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MemberRecord]:
        if not member_ids:
            return {}
        result = await self.session.execute(
            select(tables.members).where(tables.members.c.member_id.in_(member_ids))
        )
        return {row["member_id"]: MemberRecord.of(row) for row in result.mappings()}

    async def councils_on(
        self, member_ids: Sequence[uuid.UUID], day: date
    ) -> dict[uuid.UUID, uuid.UUID | None]:
        """Each member's council on `day` (her period), else her current council."""
        if not member_ids:
            return {}
        periods = tables.member_periods
        found: dict[uuid.UUID, uuid.UUID | None] = {}
        for row in await self.session.execute(
            select(periods.c.member_id, periods.c.council_id, periods.c.since, periods.c.until).where(
                periods.c.member_id.in_(member_ids)
            )
        ):
            if covers(row.since, row.until, day):
                found[row.member_id] = row.council_id
        for member_id, member in (await self.members_of(member_ids)).items():
            found.setdefault(member_id, member.council_id)
        return found

    async def council_city_code(self, council_id: uuid.UUID) -> str | None:
        """The city code of a council of the read model (None when unknown)."""
        code: str | None = await self.session.scalar(
            select(tables.councils.c.city_code).where(tables.councils.c.council_id == council_id)
        )
        return code

    async def council_name(self, council_id: uuid.UUID) -> str | None:
        name: str | None = await self.session.scalar(
            select(tables.councils.c.name).where(tables.councils.c.council_id == council_id)
        )
        return name

    async def referent_themes(self, member_id: uuid.UUID, today: date) -> list[str]:
        terms = tables.referent_terms
        result = await self.session.execute(
            select(terms.c.theme, terms.c.since, terms.c.until).where(terms.c.member_id == member_id)
        )
        return sorted({row.theme for row in result if covers(row.since, row.until, today)})

    async def active_members_by_council(self) -> dict[uuid.UUID, list[uuid.UUID]]:
        """Active members of each active council (councils without one left out, ids sorted)."""
        councils = (
            await self.session.execute(
                select(tables.councils.c.council_id).where(tables.councils.c.active.is_(True))
            )
        ).scalars()
        result: dict[uuid.UUID, list[uuid.UUID]] = {council_id: [] for council_id in councils}
        rows = await self.session.execute(
            select(tables.members.c.member_id, tables.members.c.council_id).where(
                tables.members.c.active.is_(True)
            )
        )
        for member_id, council_id in rows:
            if council_id in result:
                result[council_id].append(member_id)
        return {council_id: sorted(ids) for council_id, ids in sorted(result.items()) if ids}

    async def council_cities(self, council_ids: Sequence[uuid.UUID]) -> dict[str, str]:
        """City code -> city name of these councils."""
        rows = await self.session.execute(
            select(tables.councils.c.city_code, tables.councils.c.city).where(
                tables.councils.c.council_id.in_(council_ids)
            )
        )
        return {str(code): str(city) for code, city in rows.all()}

    async def current_referents(self) -> dict[str, list[uuid.UUID]]:
        """Current referents per theme (open terms of active members, ids sorted)."""
        terms, members = tables.referent_terms, tables.members
        rows = await self.session.execute(
            select(terms.c.theme, terms.c.member_id)
            .join(members, members.c.member_id == terms.c.member_id)
            .where(terms.c.until.is_(None), members.c.active.is_(True))
        )
        result: dict[str, list[uuid.UUID]] = {}
        for theme, member_id in rows:
            result.setdefault(theme, []).append(member_id)
        return {theme: sorted(ids) for theme, ids in sorted(result.items())}

    async def read_model_counts(self) -> tuple[int, int, int]:
        """How many councils, members and referent terms the read model holds."""
        councils, members, terms = [
            int(await self.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (tables.councils, tables.members, tables.referent_terms)
        ]
        return councils, members, terms
