"""The outbox's batch paths used by the delivery sender's group commit: `Outbox.add_many` writes
the same rows as one `add` each (order, headers, correlation id, relay woken once the
transaction commits), `emit_all` keeps a unit's `on_emit` projection per event, the relay reads
a SQLite file's pending rows without waiting for the writer lock, and `write_queue` lets one
writer at a time into a SQLite database of the process."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime.database import Database, RuntimeTables
from conseils_runtime.outbox import Outbox, OutboxRelay, emit_all
from conseils_runtime.unit_of_work import UnitsOfWork
from conseils_runtime.write_queue import write_queue
from conseils_schemas import CouncilRegistered, Event


def council(name: str) -> CouncilRegistered:
    return CouncilRegistered(
        council_id=uuid.uuid4(),
        territory="test",
        city="Saint-Denis",
        city_code="93066",
        neighbourhood="Franc-Moisin",
        name=name,
        status="active",
    )


async def _outbox(database_url: str) -> tuple[Database, RuntimeTables, Outbox]:
    metadata = MetaData()
    tables = RuntimeTables.define(metadata)
    database = Database(database_url)
    await database.create_all(metadata)
    return database, tables, Outbox(tables, territory="test", service_name="probe")


async def _rows(database: Database, tables: RuntimeTables) -> list[Any]:
    async with database.sessionmaker() as session:
        query = select(tables.outbox).order_by(tables.outbox.c.seq)
        return list((await session.execute(query)).mappings().all())


async def test_add_many_writes_the_rows_of_one_add_each_in_order(database_url: str) -> None:
    database, tables, outbox = await _outbox(database_url)
    woken: list[int] = []
    outbox.on_commit(lambda: woken.append(1))
    events = [council(f"Conseil {index}") for index in range(3)]
    try:
        async with database.sessionmaker() as session, session.begin():
            one = await outbox.add(session, events[0], correlation_id="corr-1")
        async with database.sessionmaker() as session, session.begin():
            many = await outbox.add_many(session, events, correlation_id="corr-1")
            assert woken == [1]  # not before the commit
        async with database.sessionmaker() as session, session.begin():
            assert await outbox.add_many(session, [], correlation_id="corr-1") == []
        assert woken == [1, 1]  # once per committed transaction; the empty one wrote nothing

        rows = await _rows(database, tables)
        assert len(rows) == 4
        assert [row["event_id"] for row in rows] == [one.id, *(metadata.id for metadata in many)]
        assert [row["payload"] for row in rows[1:]] == [event.model_dump_json().encode() for event in events]
        assert rows[0]["payload"] == rows[1]["payload"]
        for row, metadata in zip(rows[1:], many, strict=True):
            headers = dict(row["headers"])
            assert headers["ce_id"] == metadata.id
            assert headers["ce_correlationid"] == "corr-1"
            assert headers["ce_type"] == CouncilRegistered.event_type
            assert row["topic"] == rows[0]["topic"]
            assert row["key"] == metadata.subject
            assert row["published_at"] is None
            assert row["attempts"] == 0
        assert set(dict(rows[0]["headers"])) == set(dict(rows[1]["headers"]))
    finally:
        await database.dispose()


async def test_add_many_refuses_an_undeclared_event_before_writing_anything(tmp_path: Path) -> None:
    database, tables, _ = await _outbox(f"sqlite+aiosqlite:///{tmp_path / 'o.db'}")
    outbox = Outbox(tables, territory="test", service_name="probe", declared=[CouncilRegistered])

    class Undeclared(CouncilRegistered):
        event_type = "test.undeclared"

    try:
        with pytest.raises(ValueError, match="not declared"):
            async with database.sessionmaker() as session, session.begin():
                await outbox.add_many(session, [council("A"), Undeclared(**council("B").model_dump())])
        assert await _rows(database, tables) == []
    finally:
        await database.dispose()


async def test_emit_all_keeps_the_projection_of_each_event_after_its_own_row(tmp_path: Path) -> None:
    database, tables, outbox = await _outbox(f"sqlite+aiosqlite:///{tmp_path / 'o.db'}")
    seen: list[tuple[str, int]] = []

    async def project(session: AsyncSession, event: Event) -> None:
        assert isinstance(event, CouncilRegistered)
        count = len((await session.execute(select(tables.outbox.c.seq))).all())
        seen.append((event.name, count))

    events = [council("A"), council("B")]
    try:
        projected = UnitsOfWork(database, outbox, lambda session: None, on_emit=project)
        async with projected.begin() as unit:
            await emit_all(unit, events)
            assert unit.events == events
        assert seen == [("A", 1), ("B", 2)]  # as `unit.emit` one at a time

        plain = UnitsOfWork(database, outbox, lambda session: None)
        async with plain.begin() as unit:
            metadata = await emit_all(unit, events)
            assert unit.events == events
        assert [row["event_id"] for row in (await _rows(database, tables))[2:]] == [m.id for m in metadata]
    finally:
        await database.dispose()


class RecordingBroker:
    def __init__(self) -> None:
        self.published: list[bytes] = []

    async def publish(self, payload: bytes, topic: str, **_: Any) -> asyncio.Future[None]:
        self.published.append(payload)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_the_relay_reads_a_sqlite_file_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    database, tables, outbox = await _outbox(f"sqlite+aiosqlite:///{path}")
    broker = RecordingBroker()
    relay = OutboxRelay(database, tables, broker, batch_size=10)  # type: ignore[arg-type]
    events = [council("A"), council("B")]
    async with database.sessionmaker() as session, session.begin():
        await outbox.add_many(session, events)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # e.g. the sender's group commit, mid-transaction
        relaying = asyncio.create_task(relay.relay_once())
        for _ in range(500):  # read and published without waiting for the writer lock
            if len(broker.published) == 2 or relaying.done():
                break
            await asyncio.sleep(0.01)
        assert broker.published == [event.model_dump_json().encode() for event in events]
        assert not relaying.done()  # the mark, a write, waits for the lock
        writer.execute("COMMIT")
        assert await asyncio.wait_for(relaying, timeout=30) == 2
        assert all(row["published_at"] is not None for row in await _rows(database, tables))
        assert await relay.relay_once() == 0
    finally:
        writer.close()
        await relay.stop()
        await database.dispose()


async def test_write_queue_lets_one_writer_at_a_time_on_sqlite_and_none_wait_on_postgresql(
    tmp_path: Path,
) -> None:
    sqlite = Database(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    postgres = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connected
    inside: list[int] = []
    most = 0

    async def write(database: Database) -> None:
        nonlocal most
        async with write_queue(database):
            inside.append(1)
            most = max(most, len(inside))
            await asyncio.sleep(0.005)
            inside.pop()

    try:
        await asyncio.gather(*(write(sqlite) for _ in range(5)))
        assert most == 1
        most = 0
        await asyncio.gather(*(write(postgres) for _ in range(5)))
        assert most == 5  # PostgreSQL: concurrent writers, no queue
    finally:
        await sqlite.dispose()
        await postgres.dispose()
