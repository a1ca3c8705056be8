"""The bilan reads its large queries through the driver's rows (`raw_reads.rows`: no
SQLAlchemy `Row`): the same values as SQLAlchemy's rows, a `Date` still a `date` on SQLite
(where the driver returns text) and NULL still `None`, ids as text parsed to their UUIDs, in the
session's transaction (it sees the rows the transaction wrote), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from conseils_cli.bench.dataset import Scale, generate, write_territory_file
from conseils_cli.bench.seeders import seed_meetings
from conseils_meetings import tables
from conseils_meetings.bilan_history import Keys
from conseils_meetings.projection import registry_view_of
from conseils_meetings.raw_reads import raw, rows
from conseils_runtime import Database
from conseils_runtime.territory import load_territory

pytestmark = pytest.mark.postgres


async def test_the_driver_rows_are_sqlalchemys_values(database_url: str, tmp_path: Path) -> None:
    data = generate(
        Scale(councils=6, members=60, instances=12, registrations=80, cities=2), slug="bilan-rows"
    )
    territory = load_territory(write_territory_file(data, tmp_path / "territory.yaml"))
    await seed_meetings(database_url, data)
    p = registry_view_of(territory).t.member_periods
    periods = select(raw(p.c.member_id), raw(p.c.council_id), p.c.since, p.c.until).order_by(
        p.c.member_id, p.c.council_id, p.c.since
    )
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            expected = [tuple(row) for row in (await session.execute(periods)).all()]
            got = [tuple(row) for row in await rows(session, periods)]
            assert got == expected
            assert all(type(since) is date for _m, _c, since, _u in got)
            assert all(until is None or type(until) is date for *_, until in got)
            uid = Keys()  # the raw ids parse to the UUIDs SQLAlchemy gives
            typed = (await session.execute(select(p.c.member_id).order_by(p.c.member_id))).scalars().all()
            assert sorted(uid.uuids[uid[m]] for m, *_ in got) == sorted(typed)
            # written in this transaction, not committed: read by the same connection
            instance_id = (await session.execute(select(tables.instances.c.id).limit(1))).scalar_one()
            council_id = uuid.uuid4()
            await session.execute(
                insert(tables.instance_councils).values(instance_id=instance_id, council_id=council_id)
            )
            ic = tables.instance_councils
            written = await rows(
                session,
                select(raw(ic.c.instance_id), raw(ic.c.council_id)).where(ic.c.council_id == council_id),
            )
            assert [(uid[i], uid[c]) for i, c in written] == [(instance_id.int, council_id.int)]
    finally:
        await database.dispose()
