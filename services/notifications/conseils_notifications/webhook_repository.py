"""All the SQL of the outgoing webhooks, on the unit of work's session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import tables as t
from conseils_notifications.webhook_records import AttemptRecord, EndpointRecord, MessageRecord

OPEN = ("pending", "sending")


class WebhooksRepository:
    """Endpoints, messages (the sender's outbox) and attempts, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ----------------------------------------------------------------- endpoints

    async def add_endpoint(self, endpoint: EndpointRecord) -> None:
        await self.session.execute(t.webhook_endpoints.insert().values(**endpoint.__dict__))

    async def endpoint(self, endpoint_id: UUID, *, lock: bool = False) -> EndpointRecord | None:
        query = select(t.webhook_endpoints).where(t.webhook_endpoints.c.endpoint_id == endpoint_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return EndpointRecord.of(row) if row is not None else None

    async def endpoints(self, *, active_only: bool = False) -> list[EndpointRecord]:
        query = select(t.webhook_endpoints).order_by(t.webhook_endpoints.c.created_at)
        if active_only:
            query = query.where(t.webhook_endpoints.c.status == "active")
        return [EndpointRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    async def update_endpoint(self, endpoint_id: UUID, **values: Any) -> None:
        await self.session.execute(
            update(t.webhook_endpoints)
            .where(t.webhook_endpoints.c.endpoint_id == endpoint_id)
            .values(**values)
        )

    # ----------------------------------------------------------------- messages

    async def add_message_once(self, message: MessageRecord) -> bool:
        """Queue a message unless it is already there (same endpoint and event): False then."""
        exists = await self.session.scalar(
            select(t.webhook_messages.c.message_id).where(
                t.webhook_messages.c.message_id == message.message_id
            )
        )
        if exists is not None:
            return False
        await self.session.execute(t.webhook_messages.insert().values(**message.__dict__))
        return True

    async def message(self, message_id: UUID) -> MessageRecord | None:
        query = select(t.webhook_messages).where(t.webhook_messages.c.message_id == message_id)
        row = (await self.session.execute(query)).mappings().first()
        return MessageRecord.of(row) if row is not None else None

    async def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int, lock: bool
    ) -> list[tuple[MessageRecord, EndpointRecord]]:
        """Due messages of active endpoints, marked `sending` until the lease ends (due again if
        the sender died); `lock` (PostgreSQL): `FOR UPDATE SKIP LOCKED`, one sender per row."""
        m, e = t.webhook_messages, t.webhook_endpoints
        query = (
            select(m)
            .join(e, e.c.endpoint_id == m.c.endpoint_id)
            .where(m.c.status.in_(OPEN), m.c.next_attempt_at <= now, e.c.status == "active")
            .order_by(m.c.next_attempt_at, m.c.created_at)
            .limit(limit)
        )
        if lock:
            query = query.with_for_update(of=m, skip_locked=True)
        messages = [MessageRecord.of(row) for row in (await self.session.execute(query)).mappings()]
        if not messages:
            return []
        await self.session.execute(
            update(m)
            .where(m.c.message_id.in_([row.message_id for row in messages]))
            .values(status="sending", next_attempt_at=lease_until)
        )
        ids = {row.endpoint_id for row in messages}
        rows = (await self.session.execute(select(e).where(e.c.endpoint_id.in_(ids)))).mappings()
        endpoints = {row["endpoint_id"]: EndpointRecord.of(row) for row in rows}
        return [(message, endpoints[message.endpoint_id]) for message in messages]

    async def update_message(self, message_id: UUID, **values: Any) -> None:
        await self.session.execute(
            update(t.webhook_messages).where(t.webhook_messages.c.message_id == message_id).values(**values)
        )

    async def cancel_open_messages(self, endpoint_id: UUID, reason: str) -> None:
        await self.session.execute(
            update(t.webhook_messages)
            .where(t.webhook_messages.c.endpoint_id == endpoint_id, t.webhook_messages.c.status.in_(OPEN))
            .values(status="cancelled", last_error=reason)
        )

    async def replay(
        self, endpoint_id: UUID, *, now: datetime, message_id: UUID | None, since: datetime | None,
        until: datetime | None,
    ) -> int:  # fmt: skip
        """Send again (a new round of the schedule) one message or those of a period."""
        m = t.webhook_messages
        where = [m.c.endpoint_id == endpoint_id, m.c.status.not_in(OPEN)]
        if message_id is not None:
            where.append(m.c.message_id == message_id)
        if since is not None:
            where.append(m.c.event_time >= since)
        if until is not None:
            where.append(m.c.event_time < until)
        result: Any = await self.session.execute(
            update(m).where(and_(*where)).values(status="pending", attempts=0, next_attempt_at=now)
        )
        return int(result.rowcount or 0)

    async def messages(self, endpoint_id: UUID, limit: int) -> list[MessageRecord]:
        m = t.webhook_messages
        query = select(m).where(m.c.endpoint_id == endpoint_id).order_by(m.c.created_at.desc()).limit(limit)
        return [MessageRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    # ----------------------------------------------------------------- attempts

    async def add_attempt(self, **values: Any) -> None:
        await self.session.execute(t.webhook_attempts.insert().values(attempt_id=uuid.uuid4(), **values))

    async def attempts(self, message_ids: Sequence[UUID]) -> list[AttemptRecord]:
        a = t.webhook_attempts
        query = select(a).where(a.c.message_id.in_(list(message_ids))).order_by(a.c.at)
        return [AttemptRecord.of(row) for row in (await self.session.execute(query)).mappings()]
