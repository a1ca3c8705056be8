"""`RegistryView`: the only code that writes the read model (`apply`), and its "as of" queries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime.registry_view.history import RegistryHistory, covers
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

UNKNOWN_START = date(1900, 1, 1)
"""`since` of an interval whose end arrived before its start (out-of-order facts)."""

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
        if isinstance(event, CouncilRegistered):
            await self._council(
                session,
                event.council_id,
                occurred_at,
                {
                    "name": event.name,
                    "city": event.city,
                    "city_code": event.city_code,
                    "status": event.status,
                    "active": event.status != "suspended",
                },
            )
        elif isinstance(event, CouncilUpdated):
            values: dict[str, Any] = {
                name: getattr(event, name)
                for name in ("name", "city", "city_code", "status")
                if getattr(event, name) is not None
            }
            if event.status is not None:
                values["active"] = event.status != "suspended"
            await self._council(session, event.council_id, occurred_at, values)
        elif isinstance(event, CouncilDissolved):
            await self._council(
                session, event.council_id, occurred_at, {"status": "dissolved", "active": False}
            )
            # The dissolution date is a fact of its own: kept whatever arrives later.
            await session.execute(
                update(self.t.councils)
                .where(self.t.councils.c.council_id == event.council_id)
                .values(dissolved_on=event.dissolved_on)
            )
        elif isinstance(event, MemberJoined):
            await self._member(
                session,
                event.member_id,
                occurred_at,
                {
                    "council_id": event.council_id,
                    "role": event.role,
                    "themes_followed": list(event.themes_followed),
                    "active": True,
                },
            )
            await self._open_period(session, event.member_id, event.council_id, event.joined_on)
        elif isinstance(event, MemberUpdated):
            values = {"council_id": event.council_id}
            if event.role is not None:
                values["role"] = event.role
            if event.themes_followed is not None:
                values["themes_followed"] = list(event.themes_followed)
            await self._member(session, event.member_id, occurred_at, values)
            await self._move(session, event.member_id, event.council_id, self.local_date(occurred_at))
        elif isinstance(event, MemberLeft):
            await self._member(session, event.member_id, occurred_at, {"active": False})
            await self._close_period(session, event.member_id, event.council_id, event.left_on)
            await self._close_terms_of(session, event.member_id, event.left_on)
        elif isinstance(event, MemberErased):
            erased_on = self.local_date(event.erased_at)
            await self._member(session, event.member_id, occurred_at, {"active": False, "erased": True})
            # Erasure is final: whatever arrives later, she stays erased.
            await session.execute(
                update(self.t.members)
                .where(self.t.members.c.member_id == event.member_id)
                .values(active=False, erased=True)
            )
            await self._close_open_periods(session, event.member_id, erased_on)
            await self._close_terms_of(session, event.member_id, erased_on)
        elif isinstance(event, ReferentDesignated):
            await self._open_term(session, event.council_id, event.theme, event.member_id, event.since)
        elif isinstance(event, ReferentWithdrawn):
            await self._close_term(session, event.council_id, event.theme, event.member_id, event.until)

    async def _current(
        self, session: AsyncSession, table: Table, key: str, key_value: uuid.UUID, occurred_at: datetime
    ) -> tuple[bool, bool]:
        """(exists, newer): does the row exist, and is `occurred_at` not older than what it holds?"""
        row = (await session.execute(select(table.c.as_of).where(table.c[key] == key_value))).first()
        if row is None:
            return False, True
        return True, as_utc(occurred_at) >= as_utc(row.as_of)

    async def _council(
        self, session: AsyncSession, council_id: uuid.UUID, occurred_at: datetime, values: dict[str, Any]
    ) -> None:
        exists, newer = await self._current(session, self.t.councils, "council_id", council_id, occurred_at)
        if not exists:
            # A later fact seen first: keep what it says; the registration fills the rest.
            await session.execute(
                self.t.councils.insert().values(
                    council_id=council_id,
                    **{"name": "", "city": "", "city_code": "", "status": "active", "active": True, **values},
                    as_of=occurred_at,
                )
            )
        elif newer:
            await session.execute(
                update(self.t.councils)
                .where(self.t.councils.c.council_id == council_id)
                .values(**values, as_of=occurred_at)
            )
        else:  # older: only fill what is still unknown (a registration arriving after an update)
            row = (
                (
                    await session.execute(
                        select(self.t.councils).where(self.t.councils.c.council_id == council_id)
                    )
                )
                .mappings()
                .one()
            )
            missing = {name: value for name, value in values.items() if row.get(name) in ("", None)}
            if missing:
                await session.execute(
                    update(self.t.councils)
                    .where(self.t.councils.c.council_id == council_id)
                    .values(**missing)
                )

    async def _member(
        self, session: AsyncSession, member_id: uuid.UUID, occurred_at: datetime, values: dict[str, Any]
    ) -> None:
        exists, newer = await self._current(session, self.t.members, "member_id", member_id, occurred_at)
        if not exists:
            await session.execute(
                self.t.members.insert().values(
                    member_id=member_id,
                    **{"role": "member", "themes_followed": [], "active": True, "erased": False, **values},
                    as_of=occurred_at,
                )
            )
        elif newer:
            await session.execute(
                update(self.t.members)
                .where(self.t.members.c.member_id == member_id, self.t.members.c.erased.is_(False))
                .values(**values, as_of=occurred_at)
            )

    # -- member periods

    async def _periods(self, session: AsyncSession, member_id: uuid.UUID) -> list[Any]:
        p = self.t.member_periods
        result = await session.execute(select(p).where(p.c.member_id == member_id).order_by(p.c.since))
        return list(result.mappings())

    async def _open_period(
        self, session: AsyncSession, member_id: uuid.UUID, council_id: uuid.UUID, since: date
    ) -> None:
        p = self.t.member_periods
        periods = await self._periods(session, member_id)
        if any(row["since"] == since for row in periods):
            return  # duplicate
        orphan = next(
            (
                row
                for row in periods
                if row["since"] == UNKNOWN_START
                and row["council_id"] == council_id
                and (row["until"] is None or row["until"] >= since)
            ),
            None,
        )
        if orphan is not None:  # its end arrived first: now we know its start
            await session.execute(
                update(p).where(p.c.member_id == member_id, p.c.since == UNKNOWN_START).values(since=since)
            )
            return
        # A period that starts later (a later move seen first) ends this one.
        later = [row["since"] for row in periods if row["since"] > since]
        await session.execute(
            p.insert().values(
                member_id=member_id, since=since, council_id=council_id, until=min(later, default=None)
            )
        )
        # A period still open before this start ends where this one begins.
        await session.execute(
            update(p)
            .where(p.c.member_id == member_id, p.c.since < since, or_(p.c.until.is_(None), p.c.until > since))
            .values(until=since)
        )

    async def _close_period(
        self, session: AsyncSession, member_id: uuid.UUID, council_id: uuid.UUID, until: date
    ) -> None:
        p = self.t.member_periods
        periods = await self._periods(session, member_id)
        candidates = [row for row in periods if row["since"] < until or row["since"] == UNKNOWN_START]
        if not candidates:
            await session.execute(
                p.insert().values(
                    member_id=member_id, since=UNKNOWN_START, council_id=council_id, until=until
                )
            )
            return
        last = candidates[-1]
        if last["until"] is None or last["until"] > until:
            await session.execute(
                update(p).where(p.c.member_id == member_id, p.c.since == last["since"]).values(until=until)
            )

    async def _close_open_periods(self, session: AsyncSession, member_id: uuid.UUID, until: date) -> None:
        p = self.t.member_periods
        await session.execute(
            update(p)
            .where(p.c.member_id == member_id, p.c.until.is_(None), p.c.since < until)
            .values(until=until)
        )

    async def _move(
        self, session: AsyncSession, member_id: uuid.UUID, council_id: uuid.UUID, on: date
    ) -> None:
        """A MemberUpdated naming another council than the open period's: she moved on that day."""
        periods = await self._periods(session, member_id)
        current = next((row for row in reversed(periods) if covers(row["since"], row["until"], on)), None)
        if current is None or current["council_id"] == council_id:
            return
        await self._open_period(session, member_id, council_id, on)

    # -- referent terms

    async def _terms(
        self, session: AsyncSession, council_id: uuid.UUID, theme: str, member_id: uuid.UUID
    ) -> list[Any]:
        r = self.t.referent_terms
        result = await session.execute(
            select(r)
            .where(r.c.council_id == council_id, r.c.theme == theme, r.c.member_id == member_id)
            .order_by(r.c.since)
        )
        return list(result.mappings())

    def _term_key(self, council_id: uuid.UUID, theme: str, member_id: uuid.UUID) -> Any:
        r = self.t.referent_terms
        return and_(r.c.council_id == council_id, r.c.theme == theme, r.c.member_id == member_id)

    async def _open_term(
        self, session: AsyncSession, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, since: date
    ) -> None:
        r = self.t.referent_terms
        terms = await self._terms(session, council_id, theme, member_id)
        if any(row["since"] == since for row in terms):
            return
        orphan = next(
            (
                row
                for row in terms
                if row["since"] == UNKNOWN_START and (row["until"] is None or row["until"] >= since)
            ),
            None,
        )
        if orphan is not None:
            await session.execute(
                update(r)
                .where(self._term_key(council_id, theme, member_id), r.c.since == UNKNOWN_START)
                .values(since=since)
            )
            return
        await session.execute(
            r.insert().values(
                council_id=council_id, theme=theme, member_id=member_id, since=since, until=None
            )
        )

    async def _close_term(
        self, session: AsyncSession, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, until: date
    ) -> None:
        r = self.t.referent_terms
        terms = await self._terms(session, council_id, theme, member_id)
        candidates = [row for row in terms if row["since"] <= until or row["since"] == UNKNOWN_START]
        if not candidates:
            await session.execute(
                r.insert().values(
                    council_id=council_id, theme=theme, member_id=member_id, since=UNKNOWN_START, until=until
                )
            )
            return
        last = candidates[-1]
        if last["until"] is None or last["until"] > until:
            await session.execute(
                update(r)
                .where(self._term_key(council_id, theme, member_id), r.c.since == last["since"])
                .values(until=until)
            )

    async def _close_terms_of(self, session: AsyncSession, member_id: uuid.UUID, until: date) -> None:
        r = self.t.referent_terms
        await session.execute(
            update(r)
            .where(r.c.member_id == member_id, r.c.since < until, or_(r.c.until.is_(None), r.c.until > until))
            .values(until=until)
        )

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
