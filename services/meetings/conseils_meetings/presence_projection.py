"""How the meetings service applies `PresenceDeclared` (live and on replay, through
`projection.apply`): one row per instance and member, the first declaration kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.presence_tables import presence_declarations
from conseils_meetings.repository import Repository
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas.events import Event, PresenceDeclared


async def _declared(
    event: PresenceDeclared, session: AsyncSession, at: datetime, territory: TerritoryConfig
) -> None:
    del at, territory
    if await Repository(session).instance(event.instance_id) is None:
        return
    table = presence_declarations
    known = await session.execute(
        select(table.c.member_id).where(
            table.c.instance_id == event.instance_id, table.c.member_id == event.member_id
        )
    )
    if known.first() is None:  # a redelivery changes nothing
        await session.execute(
            table.insert().values(
                instance_id=event.instance_id, member_id=event.member_id, declared_at=event.declared_at
            )
        )


PRESENCE_APPLY: dict[type[Event], Any] = {PresenceDeclared: _declared}
