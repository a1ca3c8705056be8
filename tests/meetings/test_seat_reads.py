"""The agenda's and the instance page's hot reads (`Repository.seats_of`, `seats`, `concerned`)
go through the driver's rows with the ids as text (`raw_reads`): the same seats and councils,
as `UUID`s, as SQLAlchemy's typed rows give, on SQLite and PostgreSQL (whose text form of an id
differs); and a council's id read again is not parsed again (issue 17: 1,200 councils on every
territory-wide instance, 1,800 ids on an agenda page)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from conseils_cli.bench.dataset import Scale, generate
from conseils_cli.bench.seeders import seed_meetings
from conseils_meetings import tables
from conseils_meetings.domain import Seat
from conseils_meetings.raw_reads import known_id
from conseils_meetings.repository import Repository
from conseils_runtime import Database

pytestmark = pytest.mark.postgres


async def test_seats_and_councils_read_raw_are_sqlalchemys(database_url: str, tmp_path: Path) -> None:
    data = generate(
        Scale(councils=8, members=80, instances=16, registrations=120, cities=2), slug="seat-reads"
    )
    await seed_meetings(database_url, data)
    r, ic = tables.registrations.c, tables.instance_councils.c
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session:
            repo = Repository(session)
            ids = [instance.id for instance in data.instances]
            typed = (
                await session.execute(
                    select(r.instance_id, r.id, r.council_id, r.mode, r.status, r.waitlist_seq).where(
                        r.status != "cancelled"
                    )
                )
            ).all()
            expected: dict[uuid.UUID, set[Seat]] = {i: set() for i in ids}
            for instance_id, seat_id, council_id, mode, status, seq in typed:
                expected[instance_id].add(Seat(seat_id, council_id, mode, status, seq))
            assert sum(len(seats) for seats in expected.values()) > 50
            got = await repo.seats_of(ids)
            assert {i: set(seats) for i, seats in got.items()} == expected
            assert all(type(seat.council_id) is uuid.UUID for seats in got.values() for seat in seats)
            one = ids[0]
            assert set(await repo.seats(one)) == expected[one]
            assert await repo.seats_of([]) == {}

            widest = max(data.instances, key=lambda instance: len(instance.council_ids))
            councils = (
                (
                    await session.execute(
                        select(ic.council_id).where(ic.instance_id == widest.id).order_by(ic.council_id)
                    )
                )
                .scalars()
                .all()
            )
            assert await repo.concerned(widest.id) == list(councils) == sorted(widest.council_ids)
            before = known_id.cache_info()
            assert await repo.concerned(widest.id) == list(councils)
            after = known_id.cache_info()
            assert after.misses == before.misses  # every id of the second read was known
            assert after.hits - before.hits == len(councils)
    finally:
        await database.dispose()
