"""Database handle (SQLAlchemy 2 async) and the runtime's own tables.

The same code runs on SQLite (embedded default, aiosqlite) and PostgreSQL
(asyncpg). On SQLite every transaction that may write starts with BEGIN IMMEDIATE: the
relay and the consumers of one process write concurrently, and a deferred
transaction that reads then writes would fail with "database is locked"
instead of waiting for the lock. A read-only transaction
(`Database.read_sessionmaker`, `UnitsOfWork.reading`) starts with a deferred
BEGIN: in WAL mode it reads one snapshot, taken at its first read, without the
writer's lock, so the API's reads neither queue behind each other nor hold
writers back (a national bilan reads for two seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    text,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored in UTC and read back aware, on every database.

    SQLite has no time zones: a plain `DateTime(timezone=True)` drops the offset
    of 18:30+01:00 and reads back 18:30 as UTC. Converting to UTC on the way in
    makes SQLite and PostgreSQL agree.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # callers should not, but a naive value is taken as UTC
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_AFTER_COMMIT = "conseils_after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call `callback` once the session's current transaction has committed
    (not on rollback): wakes a worker only when its work is really there."""
    callbacks: list[Callable[[], None]] = session.sync_session.info.setdefault(_AFTER_COMMIT, [])
    if callback not in callbacks:
        callbacks.append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit_callbacks(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_rollback")
def _forget_after_commit_callbacks(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


@dataclass(frozen=True)
class RuntimeTables:
    """The outbox and processed-event tables, defined on a service's own metadata."""

    outbox: Table
    processed_events: Table

    @classmethod
    def define(cls, metadata: MetaData) -> RuntimeTables:
        if "outbox_messages" in metadata.tables:  # a second app built on the same metadata
            return cls(
                outbox=metadata.tables["outbox_messages"],
                processed_events=metadata.tables["processed_events"],
            )
        outbox = Table(
            "outbox_messages",
            metadata,
            Column("seq", _BIG_ID, primary_key=True, autoincrement=True),
            Column("event_id", String(64), nullable=False, unique=True),
            Column("topic", String(255), nullable=False),
            Column("key", String(255), nullable=True),
            Column("headers", JSON, nullable=False),
            Column("payload", LargeBinary, nullable=True),
            Column("created_at", UtcDateTime(), nullable=False),
            Column("published_at", UtcDateTime(), nullable=True),
            Column("attempts", Integer, nullable=False, default=0),
            Column("last_error", Text, nullable=True),
            Index("ix_outbox_pending", "published_at", "seq"),
        )
        processed = Table(
            "processed_events",
            metadata,
            Column("consumer", String(255), primary_key=True),
            Column("event_id", String(64), primary_key=True),
            Column("event_type", String(255), nullable=False),
            Column("processed_at", UtcDateTime(), nullable=False),
        )
        return cls(outbox=outbox, processed_events=processed)


READ_ONLY = "conseils_read_only"
"""The execution option that marks a read-only transaction (a deferred `BEGIN` on SQLite)."""


class Database:
    """One service's database: engine, session factory, readiness probe."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine_options.setdefault("connect_args", {"timeout": 30})
        else:
            engine_options.setdefault("pool_pre_ping", True)
            engine_options.setdefault("pool_size", 10)
        self.engine: AsyncEngine = create_async_engine(url, **engine_options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )
        self.read_sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        """Sessions for read-only transactions: on SQLite a deferred `BEGIN` (a WAL snapshot taken
        at the first read, no lock), so readers neither wait for the writer nor for each other."""

    async def create_all(self, metadata: MetaData) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # deferred: a snapshot at the first read, no lock
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
