"""A past year of the demo territory, played through the real use cases.

On a first `conseils up` the meetings database is empty: no agenda, no
history, every bilan at zero, and staff cannot create past instances. This
module plays a plausible school year (from 1 September to early July) and a
few upcoming instances by calling the `MeetingsService` use cases with its
clock set to the right past instants, so every fact goes through the outbox
to the Kafka log like any other, and `conseils bilan --replay` gives the same
figures as the live service.

This module seeds it (is the database empty, is the registry's seed in the
read model, how many facts were recorded); the year itself, what happens and
when, is in `demo_year.py`.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from conseils_meetings import tables
from conseils_meetings.demo_year import SEED, Player, demo_period, play_year
from conseils_meetings.service import MeetingsService

__all__ = [
    "SEED",
    "demo_period",
    "has_instances",
    "members_by_council",
    "play_demo_year",
    "play_on_first_run",
    "wait_for_read_model",
]


async def has_instances(service: MeetingsService) -> bool:
    async with service.database.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(tables.instances))
    return bool(count)


async def members_by_council(service: MeetingsService) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Active members of each active council, from the meetings read model (sorted by id)."""
    async with service.database.sessionmaker() as session:
        councils = (
            await session.execute(
                select(tables.councils.c.council_id).where(tables.councils.c.active.is_(True))
            )
        ).scalars()
        result: dict[uuid.UUID, list[uuid.UUID]] = {council_id: [] for council_id in councils}
        rows = await session.execute(
            select(tables.members.c.member_id, tables.members.c.council_id).where(
                tables.members.c.active.is_(True)
            )
        )
        for member_id, council_id in rows:
            if council_id in result:
                result[council_id].append(member_id)
    return {council_id: sorted(ids) for council_id, ids in sorted(result.items()) if ids}


async def wait_for_read_model(
    service: MeetingsService, *, councils: int, members: int, referent_terms: int, timeout: float = 60
) -> bool:
    """Wait until the registry's seed has been consumed into the read model."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with service.database.sessionmaker() as session:
            counts = [
                int(await session.scalar(select(func.count()).select_from(table)) or 0)
                for table in (tables.councils, tables.members, tables.referent_terms)
            ]
        if counts[0] >= councils and counts[1] >= members and counts[2] >= referent_terms:
            return True
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(0.2)


async def play_demo_year(
    service: MeetingsService,
    members_by_council: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    today: date,
    *,
    referents: Mapping[str, Sequence[uuid.UUID]] | None = None,
) -> int:
    """Play a past school year and a few upcoming instances; return the facts recorded.

    Does nothing (returns 0) when the meetings database already has an instance,
    or when the read model has no council. `referents` maps a theme to the
    members referent for it (read from the read model when not given). The
    service's clock is restored afterwards, even on error.
    """
    if await has_instances(service) or not members_by_council:
        return 0
    if referents is None:
        referents = await _referents(service)
    cities = await _cities(service, list(members_by_council))
    before = await _outbox_size(service)
    original = service.clock
    player = Player(service, ZoneInfo(service.timezone), members_by_council, random.Random(SEED))
    try:
        await play_year(player, today, cities, referents, original)
    finally:
        service.clock = original
    return await _outbox_size(service) - before


async def _cities(service: MeetingsService, councils: Sequence[uuid.UUID]) -> dict[str, str]:
    async with service.database.sessionmaker() as session:
        rows = await session.execute(
            select(tables.councils.c.city_code, tables.councils.c.city).where(
                tables.councils.c.council_id.in_(councils)
            )
        )
        return {str(code): str(city) for code, city in rows.all()}


async def _referents(service: MeetingsService) -> dict[str, list[uuid.UUID]]:
    """Current referents per theme (open terms of active members)."""
    terms, members = tables.referent_terms, tables.members
    async with service.database.sessionmaker() as session:
        rows = await session.execute(
            select(terms.c.theme, terms.c.member_id)
            .join(members, members.c.member_id == terms.c.member_id)
            .where(terms.c.until.is_(None), members.c.active.is_(True))
        )
        result: dict[str, list[uuid.UUID]] = {}
        for theme, member_id in rows:
            result.setdefault(theme, []).append(member_id)
    return {theme: sorted(ids) for theme, ids in sorted(result.items())}


async def _outbox_size(service: MeetingsService) -> int:
    table = tables.metadata.tables.get("outbox_messages")
    if table is None:
        return 0
    async with service.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def play_on_first_run(
    service: MeetingsService, *, councils: int, members: int, referent_terms: int, today: date | None = None
) -> str | None:
    """What `conseils up` calls: on an empty meetings database, wait for the registry's demo
    seed in the read model, play the year, and return the French line to print (else None)."""
    if await has_instances(service):
        return None
    if not await wait_for_read_model(
        service, councils=councils, members=members, referent_terms=referent_terms
    ):
        return "Démo : le registre n'est pas arrivé à temps, pas d'année passée rejouée."
    today = today or service.today()
    facts = await play_demo_year(service, await members_by_council(service), today)
    if not facts:
        return None
    start, end = demo_period(today)
    return f"Démo : une année passée rejouée ({facts} faits), du {start:%d/%m/%Y} au {end:%d/%m/%Y}."
