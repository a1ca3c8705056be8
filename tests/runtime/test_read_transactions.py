"""On SQLite a read-only transaction (`UnitsOfWork.reading`, `Database.read_sessionmaker`)
starts with a deferred BEGIN: it reads one WAL snapshot without the writer's lock. Before, every
transaction began IMMEDIATE, so an API read held back every writer (the relay, the consumers)
and every other reader until it ended: a national bilan held them for two seconds, and 50
concurrent pages queued one behind the other (issue 17)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from conseils_runtime.database import Database


async def _count(session: object) -> int:
    return int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())  # type: ignore[attr-defined]


async def test_a_reader_holds_back_no_writer_and_keeps_its_snapshot(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    try:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))

        async def write() -> None:
            async with database.sessionmaker() as writer, writer.begin():
                await writer.execute(text("INSERT INTO t VALUES (2)"))

        async with database.read_sessionmaker() as reader, reader.begin():
            assert await _count(reader) == 1
            await asyncio.wait_for(write(), timeout=5)  # committed while the reader is open
            assert await _count(reader) == 1  # the reader's snapshot: one block, one state
        async with database.read_sessionmaker() as reader, reader.begin():
            assert await _count(reader) == 2
    finally:
        await database.dispose()


async def test_readers_do_not_wait_for_each_other(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    try:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        first_open = asyncio.Event()
        release = asyncio.Event()

        async def long_reader() -> None:
            async with database.read_sessionmaker() as reader, reader.begin():
                await _count(reader)
                first_open.set()
                await release.wait()

        holder = asyncio.create_task(long_reader())
        await first_open.wait()
        async with database.read_sessionmaker() as other, other.begin():
            assert await asyncio.wait_for(_count(other), timeout=5) == 0
        release.set()
        await holder
    finally:
        await database.dispose()


async def test_a_writing_transaction_still_takes_the_lock_at_begin(tmp_path: Path) -> None:
    """Writers keep BEGIN IMMEDIATE: a second writer waits for the first instead of failing
    with "database is locked" when it reads then writes."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    try:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        order: list[str] = []
        first_in = asyncio.Event()

        async def first() -> None:
            async with database.sessionmaker() as writer, writer.begin():
                await writer.execute(text("INSERT INTO t VALUES (1)"))
                first_in.set()
                await asyncio.sleep(0.3)
                order.append("first commits")

        async def second() -> None:
            await first_in.wait()
            async with database.sessionmaker() as writer, writer.begin():
                n = await _count(writer)  # its BEGIN IMMEDIATE waits for the first writer
                order.append("second reads")
                await writer.execute(text("INSERT INTO t VALUES (:n)"), {"n": n + 1})

        await asyncio.gather(first(), second())
        assert order == ["first commits", "second reads"]
        async with database.read_sessionmaker() as reader, reader.begin():
            assert await _count(reader) == 2
    finally:
        await database.dispose()
