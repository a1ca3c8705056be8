"""`RegistryView`: the only code that writes the read model (`apply`, `apply_many`), and its "as of"
queries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime.registry_view import bulk
from conseils_runtime.registry_view.history import RegistryHistory, covers
from conseils_runtime.registry_view.rules import Rules
from conseils_runtime.registry_view.tables import RegistryViewTables
from conseils_runtime.times import as_utc
from conseils_schemas import (
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    Event,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    ReferentDesignated,
    ReferentWithdrawn,
)

REGISTRY_VIEW_EVENTS: tuple[type[Event], ...] = (
    CouncilRegistered,
    CouncilUpdated,
    CouncilDissolved,
    MemberJoined,
    MemberUpdated,
    MemberLeft,
    MemberErased,
    ReferentDesignated,
    ReferentWithdrawn,
)


class RegistryView:
    """Applies registry facts to the read model and answers "as of" questions."""

    def __init__(self, tables: RegistryViewTables, timezone: str = "Europe/Paris") -> None:
        self.t = tables
        self.zone = ZoneInfo(timezone)

    def local_date(self, instant: datetime) -> date:
        return as_utc(instant).astimezone(self.zone).date()

    # ------------------------------------------------------------------ writing

    async def apply(self, session: AsyncSession, event: Event, occurred_at: datetime) -> None:
        """Apply one registry fact; `occurred_at` is its `ce_time`. Idempotent, order-tolerant."""
        await self.apply_many(session, [(event, occurred_at)])

    async def apply_many(self, session: AsyncSession, facts: Sequence[tuple[Event, datetime]]) -> None:
        """Apply facts in their order, with the same result as one `apply` each, in a few statements:
        the rows they touch are read at once, the facts applied to them in memory, and what
        changed written back in bulk (:mod:`.bulk`, the rules in :mod:`.rules`)."""
        facts = [(event, at) for event, at in facts if isinstance(event, REGISTRY_VIEW_EVENTS)]
        if not facts:
            return
        working = await bulk.read(session, self.t, facts)
        before = bulk.snapshot(working)
        rules = Rules(working, self.local_date)
        for event, occurred_at in facts:
            rules.apply(event, occurred_at)
        await bulk.write(session, self.t, before, working)

    # ------------------------------------------------------------------ reading

    async def member(self, session: AsyncSession, member_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            (await session.execute(select(self.t.members).where(self.t.members.c.member_id == member_id)))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    async def current_referents(
        self, session: AsyncSession, today: date
    ) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
        """(council, theme) -> the referent on `today` (the latest designated if several)."""
        r = self.t.referent_terms
        result = await session.execute(
            select(r).where(or_(r.c.until.is_(None), r.c.until > today)).order_by(r.c.since)
        )
        return {
            (row.council_id, row.theme): row.member_id
            for row in result
            if covers(row.since, row.until, today)
        }

    async def history(
        self, session: AsyncSession, council_ids: Iterable[uuid.UUID] | None = None
    ) -> RegistryHistory:
        """Every interval (optionally of some councils), to answer many "as of" questions in memory."""
        p, r = self.t.member_periods, self.t.referent_terms
        period_query = select(p.c.member_id, p.c.council_id, p.c.since, p.c.until)
        term_query = select(r.c.council_id, r.c.theme, r.c.member_id, r.c.since, r.c.until)
        if council_ids is not None:
            wanted = sorted(set(council_ids))
            period_query = period_query.where(p.c.council_id.in_(wanted))
            term_query = term_query.where(r.c.council_id.in_(wanted))
        periods = [tuple(row) for row in await session.execute(period_query)]
        terms = [tuple(row) for row in await session.execute(term_query)]
        councils = {
            row.council_id: (row.name, row.city, row.city_code, row.dissolved_on)
            for row in await session.execute(
                select(
                    self.t.councils.c.council_id,
                    self.t.councils.c.name,
                    self.t.councils.c.city,
                    self.t.councils.c.city_code,
                    self.t.councils.c.dissolved_on,
                )
            )
        }
        return RegistryHistory(periods, terms, councils)
