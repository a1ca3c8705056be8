"""The unit of work every service uses: one transaction, its repository, its outbox.

A use case of any service reads and writes through `unit.repo` (the service's
repository, which owns the SQL) and publishes with `unit.emit(event)`: the event
goes to the outbox table in the same transaction as the state change, so both
commit or neither does. HTTP use cases open one with `units.begin()`; consumers
wrap the transaction the consumer already holds (its idempotency row is written
in it) with `units.within(context)`, so the use case code is the same on both
paths::

    units = UnitsOfWork(database, outbox, Repository)

    async def cancel(units, instance_id, reason) -> InstanceRecord:
        async with units.begin() as unit:
            instance = await unit.repo.instance(instance_id, lock=True)
            ...
            await unit.emit(InstanceCancelled(...))
            return instance

    @consumer.on(MemberLeft)
    async def on_left(event, context):
        await use_case(units.within(context), event)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_schemas import Event, EventMetadata

if TYPE_CHECKING:
    from conseils_runtime.consumer import EventContext
    from conseils_runtime.database import Database
    from conseils_runtime.outbox import Outbox

R = TypeVar("R")

# Called for every emitted event inside the transaction (e.g. meetings applies its
# own facts to its read model with the one apply function the replay uses).
OnEmit = Callable[[AsyncSession, Event], Awaitable[None]]


@dataclass
class UnitOfWork(Generic[R]):
    """One transaction: its session, the service's repository on it, and what it emitted."""

    session: AsyncSession
    repo: R
    outbox: Outbox
    correlation_id: str | None = None
    on_emit: OnEmit | None = None
    events: list[Event] = field(default_factory=list)

    async def emit(self, event: Event) -> EventMetadata:
        """Publish `event` with this transaction (outbox), keeping the correlation id."""
        metadata = await self.outbox.add(self.session, event, correlation_id=self.correlation_id)
        if self.on_emit is not None:
            await self.on_emit(self.session, event)
        self.events.append(event)
        return metadata


class UnitsOfWork(Generic[R]):
    """Opens units of work for one service: `begin()` to write, `reading()` to read."""

    def __init__(
        self,
        database: Database,
        outbox: Outbox,
        repository: Callable[[AsyncSession], R],
        *,
        on_emit: OnEmit | None = None,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.repository = repository
        self.on_emit = on_emit

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[UnitOfWork[R]]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with self.database.sessionmaker() as session, session.begin():
            yield UnitOfWork(
                session=session, repo=self.repository(session), outbox=self.outbox, on_emit=self.on_emit
            )

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[R]:
        """A read-only transaction (one consistent snapshot for the whole block; on SQLite a
        deferred BEGIN, without the writer's lock: nothing in the block may write)."""
        async with self.database.read_sessionmaker() as session, session.begin():
            yield self.repository(session)

    def within(self, context: EventContext) -> UnitOfWork[R]:
        """The consumer's own transaction as a unit of work (same session, same correlation id)."""
        return UnitOfWork(
            session=context.session,
            repo=self.repository(context.session),
            outbox=self.outbox,
            correlation_id=context.metadata.correlationid,
            on_emit=self.on_emit,
        )

    def on(self, session: AsyncSession, *, correlation_id: str | None = None) -> UnitOfWork[R]:
        """A unit of work on a transaction the caller already holds (tasks, migrations, seeds)."""
        return UnitOfWork(
            session=session,
            repo=self.repository(session),
            outbox=self.outbox,
            correlation_id=correlation_id,
            on_emit=self.on_emit,
        )
