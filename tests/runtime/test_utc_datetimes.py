"""Aware timestamps keep their instant on SQLite as on PostgreSQL (18:30 in
Paris stays 17:30 UTC, not 18:30 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from conseils_runtime.database import Database, UtcDateTime

pytestmark = pytest.mark.postgres


async def test_an_aware_time_comes_back_as_the_same_instant_in_utc(database_url: str) -> None:
    metadata = MetaData()
    moments = Table("moments", metadata, Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    database = Database(database_url)
    paris = datetime(2026, 12, 8, 18, 30, tzinfo=ZoneInfo("Europe/Paris"))
    try:
        await database.create_all(metadata)
        async with database.sessionmaker() as session, session.begin():
            await session.execute(insert(moments).values(id=1, at=paris))
            await session.execute(
                insert(moments).values(id=2, at=datetime(2026, 12, 8, 17, 30))
            )  # naive = UTC
        async with database.sessionmaker() as session:
            stored = (await session.scalars(select(moments.c.at).order_by(moments.c.id))).all()
    finally:
        await database.dispose()
    assert stored == [datetime(2026, 12, 8, 17, 30, tzinfo=UTC)] * 2
    assert all(value.tzinfo == UTC for value in stored)
