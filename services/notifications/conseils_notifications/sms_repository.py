"""All the SQL of the SMS channel (tables `sms_standing` and `sms_messages`), on the session of
the unit of work it runs in (beside `NotificationsRepository`, same transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import tables as t
from conseils_notifications.sms_rules import SmsStanding


@dataclass(frozen=True)
class SmsMessageRecord:
    """An SMS handed to the gateway and its delivery report (once)."""

    delivery_id: UUID
    member_id: UUID
    septets: int
    submitted_at: datetime
    report: str | None
    reported_at: datetime | None


class SmsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def standing(self, member_id: UUID) -> SmsStanding:
        query = select(t.sms_standing.c.opted_out_at).where(t.sms_standing.c.member_id == member_id)
        row = (await self.session.execute(query)).first()
        return SmsStanding(opted_out_at=row[0]) if row is not None else SmsStanding()

    async def save_card(self, member_id: UUID, *, phone_key: str | None, now: datetime) -> None:
        """From her contact card: her number's hash; a STOP she sent is kept."""
        values = {"phone_key": phone_key, "updated_at": now}
        changed = await self.session.execute(
            update(t.sms_standing).where(t.sms_standing.c.member_id == member_id).values(**values)
        )
        if not getattr(changed, "rowcount", 0):
            await self.session.execute(insert(t.sms_standing).values(member_id=member_id, **values))

    async def members_with_phone(self, phone_key: str) -> list[UUID]:
        query = select(t.sms_standing.c.member_id).where(t.sms_standing.c.phone_key == phone_key)
        return [row[0] for row in await self.session.execute(query)]

    async def set_opted_out(self, member_ids: list[UUID], at: datetime | None, now: datetime) -> None:
        if member_ids:
            await self.session.execute(
                update(t.sms_standing)
                .where(t.sms_standing.c.member_id.in_(member_ids))
                .values(opted_out_at=at, updated_at=now)
            )

    async def forget(self, member_id: UUID) -> None:
        """Erasure: everything the SMS channel knows of her."""
        for table in (t.sms_standing, t.sms_messages):
            await self.session.execute(delete(table).where(table.c.member_id == member_id))

    async def add_message(self, delivery_id: UUID, member_id: UUID, septets: int, now: datetime) -> None:
        exists = await self.session.execute(
            select(t.sms_messages.c.delivery_id).where(t.sms_messages.c.delivery_id == delivery_id)
        )
        if exists.first() is None:
            await self.session.execute(
                insert(t.sms_messages).values(
                    delivery_id=delivery_id, member_id=member_id, septets=septets, submitted_at=now
                )
            )

    async def apply_report(self, delivery_id: UUID, report: str, now: datetime) -> bool:
        """True the first time a final report arrives for that message; False after (idempotent)."""
        changed = await self.session.execute(
            update(t.sms_messages)
            .where(t.sms_messages.c.delivery_id == delivery_id, t.sms_messages.c.reported_at.is_(None))
            .values(report=report, reported_at=now)
        )
        return bool(getattr(changed, "rowcount", 0))

    async def message(self, delivery_id: UUID) -> SmsMessageRecord | None:
        query = select(t.sms_messages).where(t.sms_messages.c.delivery_id == delivery_id)
        row = (await self.session.execute(query)).mappings().first()
        return SmsMessageRecord(**dict(row)) if row is not None else None
