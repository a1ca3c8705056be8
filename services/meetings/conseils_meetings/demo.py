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
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from conseils_meetings.demo_year import SEED, Player, demo_period, play_year
from conseils_meetings.service import MeetingsService

__all__ = [
    "SEED",
    "demo_period",
    "demo_school_year",
    "has_instances",
    "members_by_council",
    "play_demo_year",
    "play_on_first_run",
    "wait_for_read_model",
]


def demo_school_year(today: date) -> tuple[date, date]:
    """The school year (1 September to 31 August) the demo's past year is played into: what the
    bilan of the demo covers (its upcoming instances come after, in the current year)."""
    start = demo_period(today)[0]
    return start, date(start.year + 1, 8, 31)


async def has_instances(service: MeetingsService) -> bool:
    async with service.units.reading() as repo:
        return await repo.has_instances()


async def members_by_council(service: MeetingsService) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Active members of each active council, from the meetings read model (sorted by id)."""
    async with service.units.reading() as repo:
        return await repo.active_members_by_council()


async def wait_for_read_model(
    service: MeetingsService, *, councils: int, members: int, referent_terms: int, timeout: float = 60
) -> bool:
    """Wait until the registry's seed has been consumed into the read model."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with service.units.reading() as repo:
            counts = await repo.read_model_counts()
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
    async with service.units.reading() as repo:
        return await repo.council_cities(councils)


async def _referents(service: MeetingsService) -> dict[str, list[uuid.UUID]]:
    """Current referents per theme (open terms of active members)."""
    async with service.units.reading() as repo:
        return await repo.current_referents()


async def _outbox_size(service: MeetingsService) -> int:
    async with service.units.reading() as repo:
        return await repo.outbox_size()


async def play_on_first_run(
    service: MeetingsService,
    *,
    councils: int,
    members: int,
    referent_terms: int,
    today: date | None = None,
    played: Callable[[date, date], None] | None = None,
) -> str | None:
    """What `conseils up` calls: on an empty meetings database, wait for the registry's demo
    seed in the read model, play the year, and return the French line to print (else None).
    `played` is told the school year played (`demo_school_year`), for the bilan page."""
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
    start, end = demo_school_year(today)
    if played is not None:
        played(start, end)
    return (
        f"Démo : l'année scolaire {start.year}-{end.year} rejouée ({facts} faits) ; son bilan : "
        f"conseils bilan --from {start.isoformat()} --to {end.isoformat()}, "
        "ou « Année de démonstration » sur /equipe/bilan."
    )
