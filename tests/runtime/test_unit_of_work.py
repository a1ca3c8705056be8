"""The one unit of work of all three services: the state change and its outbox rows
commit together or not at all; a consumer's transaction is reused, with its
correlation id; `on_emit` sees every event inside the transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime.database import Database, RuntimeTables
from conseils_runtime.outbox import Outbox
from conseils_runtime.unit_of_work import UnitsOfWork
from conseils_schemas import CouncilRegistered, Event
from tests.support.factories import council_registered

metadata = MetaData()
effects = Table("effects", metadata, Column("id", String(64), primary_key=True))
tables = RuntimeTables.define(metadata)


class Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, effect_id: str) -> None:
        await self.session.execute(insert(effects).values(id=effect_id))

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(effects))).scalar_one())


def council() -> CouncilRegistered:
    return council_registered()


async def outbox_rows(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(tables.outbox))).scalar_one())


@pytest.fixture
async def database(tmp_path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'uow.db'}")
    await db.create_all(metadata)
    return db


async def test_state_and_events_commit_together_or_not_at_all(database: Database) -> None:
    seen: list[Event] = []

    async def on_emit(_session: AsyncSession, event: Event) -> None:
        seen.append(event)

    units = UnitsOfWork(
        database,
        Outbox(tables, territory="test", service_name="probe", declared=[CouncilRegistered]),
        Repo,
        on_emit=on_emit,
    )
    async with units.begin() as unit:
        await unit.repo.add("a")
        await unit.emit(council())
    assert len(unit.events) == 1
    assert len(seen) == 1

    async def broken_use_case() -> None:
        async with units.begin() as unit:
            await unit.repo.add("b")
            await unit.emit(council())
            raise RuntimeError("rule broken after the write")

    with pytest.raises(RuntimeError):
        await broken_use_case()

    async with units.reading() as repo:
        assert await repo.count() == 1
    assert await outbox_rows(database) == 1


async def test_a_unit_on_a_held_transaction_keeps_its_correlation_id(database: Database) -> None:
    units = UnitsOfWork(
        database, Outbox(tables, territory="test", service_name="probe", declared=[CouncilRegistered]), Repo
    )
    async with database.sessionmaker() as session, session.begin():
        unit = units.on(session, correlation_id="corr-1")
        await unit.repo.add("c")
        metadata_ = await unit.emit(council())
    assert metadata_.correlationid == "corr-1"
    async with units.reading() as repo:
        assert await repo.count() == 1


async def test_every_record_names_its_json_schema(database: Database) -> None:
    """`ce_dataschema` on every record: the served schema when the deployment says where, else its `$id`."""
    for base, expected in (
        (None, "urn:conseils:schema:" + CouncilRegistered.event_type),
        (
            "https://conseils.example.fr/schemas/",
            f"https://conseils.example.fr/schemas/{CouncilRegistered.event_type}.json",
        ),
    ):
        outbox = Outbox(tables, territory="test", service_name="probe", schema_base_url=base)
        units = UnitsOfWork(database, outbox, Repo)
        async with units.begin() as unit:
            metadata_ = await unit.emit(council())
        assert metadata_.dataschema == expected
        async with database.sessionmaker() as session:
            headers = (
                (await session.execute(select(tables.outbox.c.headers).order_by(tables.outbox.c.seq.desc())))
                .scalars()
                .first()
            )
        assert ["ce_dataschema", expected] in [list(h) for h in headers]
