"""The registry's SQL of a person's rights: erasure requests and the members due for erasure
once the retention period after leaving is over (a part of `RegistryRepository`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_registry import tables as t
from conseils_registry.records import ErasureRequestRecord
from conseils_runtime.times import as_utc


class PrivacyQueries:
    session: AsyncSession

    async def add_erasure_request(self, member_id: uuid.UUID, now: datetime) -> ErasureRequestRecord:
        request_id = uuid.uuid4()
        await self.session.execute(
            t.erasure_requests.insert().values(id=request_id, member_id=member_id, requested_at=now)
        )
        return ErasureRequestRecord(request_id, member_id, now, None, None)

    async def erasure_requests(
        self, *, pending_only: bool, member_id: uuid.UUID | None = None
    ) -> list[ErasureRequestRecord]:
        table = t.erasure_requests
        query = select(table).order_by(table.c.requested_at)
        if pending_only:
            query = query.where(table.c.confirmed_at.is_(None))
        if member_id is not None:
            query = query.where(table.c.member_id == member_id)
        return [
            ErasureRequestRecord(
                row["id"],
                row["member_id"],
                as_utc(row["requested_at"]),
                as_utc(row["confirmed_at"]) if row["confirmed_at"] else None,
                row["confirmed_by"],
            )
            for row in (await self.session.execute(query)).mappings()
        ]

    async def confirm_erasure_request(self, request_id: uuid.UUID, by: str, now: datetime) -> None:
        await self.session.execute(
            update(t.erasure_requests)
            .where(t.erasure_requests.c.id == request_id)
            .values(confirmed_at=now, confirmed_by=by)
        )

    async def left_before(self, day: date, limit: int) -> list[uuid.UUID]:
        """Members who left before `day` and are not erased yet (oldest departures first)."""
        query = (
            select(t.members.c.id)
            .where(t.members.c.left_on < day, t.members.c.erased_at.is_(None))
            .order_by(t.members.c.left_on)
            .limit(limit)
        )
        return [row[0] for row in await self.session.execute(query)]
