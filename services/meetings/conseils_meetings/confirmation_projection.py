"""How the meetings service applies `AttendanceConfirmed` (live and on replay, through
`projection.apply`): one row per instance and member, the first confirmation kept; and how a
cancelled registration takes its confirmation away (`forgets_confirmation`, wrapped around the
registrations' own apply), so « Je ne viens plus » after « Je viens » leaves no head-count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.confirmation_tables import attendance_confirmations
from conseils_meetings.repository import Repository
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import RegistrationCancelled
from conseils_schemas.events import AttendanceConfirmed, Event

Apply = Callable[[Any, AsyncSession, datetime, TerritoryConfig], Awaitable[None]]


async def _confirmed(
    event: AttendanceConfirmed, session: AsyncSession, at: datetime, territory: TerritoryConfig
) -> None:
    del at, territory
    if await Repository(session).instance(event.instance_id) is None:
        return
    table = attendance_confirmations
    known = await session.execute(
        select(table.c.member_id).where(
            table.c.instance_id == event.instance_id, table.c.member_id == event.member_id
        )
    )
    if known.first() is None:  # a redelivery changes nothing
        await session.execute(
            table.insert().values(
                instance_id=event.instance_id,
                member_id=event.member_id,
                registration_id=event.registration_id,
                confirmed_at=event.confirmed_at,
            )
        )


def forgets_confirmation(apply: Apply) -> Apply:
    """`RegistrationCancelled` applied as before, then her confirmation of that instance goes."""

    async def applied(
        event: RegistrationCancelled, session: AsyncSession, at: datetime, territory: TerritoryConfig
    ) -> None:
        await apply(event, session, at, territory)
        table = attendance_confirmations
        await session.execute(
            delete(table).where(
                table.c.instance_id == event.instance_id, table.c.member_id == event.member_id
            )
        )

    return applied


CONFIRMATION_APPLY: dict[type[Event], Any] = {AttendanceConfirmed: _confirmed}
