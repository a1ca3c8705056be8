"""How the facts of the rotation scenario are applied to `rotas` and `rotation_turns`: the one
writer, used by the live service (through `projection.apply`) and by the replay. Idempotent: a
turn already held is not applied twice; a rota older than the one held changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.rota_tables import rotas, rotation_turns, substitute_terms
from conseils_runtime.territory import TerritoryConfig
from conseils_runtime.times import as_utc
from conseils_schemas.events import (
    RotaSet,
    RotationTurnAssigned,
    RotationTurnVacant,
    SubstituteDesignated,
    SubstituteWithdrawn,
)


async def _rota_set(event: RotaSet, session: AsyncSession, at: datetime, _t: TerritoryConfig) -> None:
    del at
    held = (await session.execute(select(rotas).where(rotas.c.council_id == event.council_id))).first()
    if held is not None and as_utc(held.set_at) > event.set_at:
        return
    values = {
        "member_ids": [str(member) for member in event.member_ids],
        "position": 0,
        "owed": {},
        "set_at": event.set_at,
    }
    if held is None:
        await session.execute(insert(rotas).values(council_id=event.council_id, **values))
    else:
        await session.execute(update(rotas).where(rotas.c.council_id == event.council_id).values(**values))


async def _turn(
    session: AsyncSession, event: RotationTurnAssigned | RotationTurnVacant, member: Any, swapped: Any
) -> bool:
    """Write the council's turn at the instance; False when this very fact was applied already."""
    key = (rotation_turns.c.instance_id == event.instance_id) & (
        rotation_turns.c.council_id == event.council_id
    )
    held = (await session.execute(select(rotation_turns).where(key))).first()
    when = event.assigned_at if isinstance(event, RotationTurnAssigned) else event.noted_at
    if held is not None and as_utc(held.assigned_at) > when:
        return False
    await session.execute(delete(rotation_turns).where(key))
    await session.execute(
        insert(rotation_turns).values(
            instance_id=event.instance_id,
            council_id=event.council_id,
            member_id=member,
            swapped_with=swapped,
            assigned_at=when,
        )
    )
    return True


async def _assigned(
    event: RotationTurnAssigned, session: AsyncSession, at: datetime, _t: TerritoryConfig
) -> None:
    del at
    if not await _turn(session, event, event.member_id, event.swapped_with):
        return
    rota = (await session.execute(select(rotas).where(rotas.c.council_id == event.council_id))).first()
    if rota is None:
        return
    owed = dict(rota.owed)
    position = rota.position
    if event.swapped_with is not None:  # she took this turn: her next natural one goes back
        owed[str(event.member_id)] = str(event.swapped_with)
    else:
        position = event.next_position
        if event.settles_swap_of is not None:
            owed.pop(str(event.settles_swap_of), None)
    await session.execute(
        update(rotas).where(rotas.c.council_id == event.council_id).values(position=position, owed=owed)
    )


async def _vacant(
    event: RotationTurnVacant, session: AsyncSession, at: datetime, _t: TerritoryConfig
) -> None:
    del at
    await _turn(session, event, None, None)


async def _substitute(
    event: SubstituteDesignated | SubstituteWithdrawn,
    session: AsyncSession,
    at: datetime,
    _t: TerritoryConfig,
) -> None:
    """The registry's substitutes, temporal: a designation opens a term (closing the former one),
    a withdrawal closes hers; the same fact twice changes nothing."""
    del at
    terms = substitute_terms
    same_theme = (terms.c.council_id == event.council_id) & (terms.c.theme == event.theme)
    if isinstance(event, SubstituteWithdrawn):
        await session.execute(
            update(terms)
            .where(same_theme & (terms.c.member_id == event.member_id) & terms.c.until.is_(None))
            .values(until=event.until)
        )
        return
    held = (
        await session.execute(
            select(terms).where(
                same_theme & (terms.c.member_id == event.member_id) & (terms.c.since == event.since)
            )
        )
    ).first()
    if held is not None:
        return
    await session.execute(
        update(terms)
        .where(same_theme & terms.c.until.is_(None) & (terms.c.since <= event.since))
        .values(until=event.since)
    )
    await session.execute(
        insert(terms).values(
            council_id=event.council_id, theme=event.theme, member_id=event.member_id, since=event.since
        )
    )


ROTA_APPLY: dict[type[Any], Any] = {
    SubstituteDesignated: _substitute,
    SubstituteWithdrawn: _substitute,
    RotaSet: _rota_set,
    RotationTurnAssigned: _assigned,
    RotationTurnVacant: _vacant,
}
"""The rotation facts' apply functions, merged into `projection.APPLY`."""
