"""Transactional outbox: events are written in the same transaction as the
state change, then relayed to Kafka by `OutboxRelay`.

Delivery is at least once: a crash between the broker's acknowledgement and
the `published_at` update re-sends a batch with the same CloudEvents id, and
consumers drop it by that id. Rows are relayed in `seq` order, so the events
of one aggregate (one key, one partition) keep their order.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faststream.kafka import KafkaBroker
from sqlalchemy import RowMapping, Select, delete, func, insert, make_url, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from conseils_runtime import metrics
from conseils_runtime.database import Database, RuntimeTables, after_commit
from conseils_runtime.logs import correlation_id_var, get_logger
from conseils_runtime.tasks import WorkerLoop
from conseils_runtime.write_queue import write_queue
from conseils_schemas import Event, EventMetadata, to_kafka_headers, topic_name
from conseils_schemas.jsonschema import schema_filename, schema_id

if TYPE_CHECKING:
    from conseils_runtime.unit_of_work import UnitOfWork

log = get_logger(__name__)


class Outbox:
    """Writes events to the outbox table inside the caller's transaction."""

    def __init__(
        self,
        tables: RuntimeTables,
        *,
        territory: str,
        service_name: str,
        declared: Sequence[type[Event]] = (),
        schema_base_url: str | None = None,
    ) -> None:
        self._table = tables.outbox
        # CloudEvents `dataschema` of every record: the JSON Schema served by the site at
        # `<public URL>/schemas/<type>.json` when the deployment says where; its `$id` otherwise.
        self._schema_base_url = schema_base_url.rstrip("/") if schema_base_url else None
        # Declared events are the service's published contract (its AsyncAPI
        # document); publishing anything else is a programming error.
        self._declared = {event_class.event_type for event_class in declared}
        self.territory = territory
        self.source = f"/conseils/{territory}/{service_name}"
        self._wake_callbacks: list[Callable[[], None]] = []

    def dataschema(self, event_type: str) -> str:
        """URI of the JSON Schema of `event_type`, sent as `ce_dataschema`."""
        if self._schema_base_url:
            return f"{self._schema_base_url}/{schema_filename(event_type)}"
        return schema_id(event_type)

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Called after each commit that wrote to the outbox (the relay wakes up)."""
        self._wake_callbacks.append(callback)

    async def add(
        self,
        session: AsyncSession,
        event: Event,
        *,
        correlation_id: str | None = None,
    ) -> EventMetadata:
        metadata, values = self._row(event, correlation_id)
        await self._insert(session, [values])
        return metadata

    async def add_many(
        self,
        session: AsyncSession,
        events: Sequence[Event],
        *,
        correlation_id: str | None = None,
    ) -> list[EventMetadata]:
        """`add` for each event, in order, the rows written by one executemany (one round trip
        to the database): same rows, same `seq` order, same headers as one `add` each."""
        rows = [self._row(event, correlation_id) for event in events]
        if rows:
            await self._insert(session, [values for _, values in rows])
        return [metadata for metadata, _ in rows]

    def _row(self, event: Event, correlation_id: str | None) -> tuple[EventMetadata, dict[str, Any]]:
        if self._declared and event.event_type not in self._declared:
            raise ValueError(f"{event.event_type} is not declared in this service's `produces`")
        metadata = EventMetadata(
            source=self.source,
            type=event.event_type,
            subject=event.partition_key(),
            correlationid=correlation_id or correlation_id_var.get() or str(uuid.uuid4()),
            dataschema=self.dataschema(event.event_type),
        )
        return metadata, {
            "event_id": metadata.id,
            "topic": topic_name(self.territory, event.topic),
            "key": event.partition_key(),
            "headers": [[name, value.decode()] for name, value in to_kafka_headers(metadata)],
            "payload": event.model_dump_json().encode(),
        }

    async def add_tombstone(self, session: AsyncSession, base_topic: str, key: str) -> None:
        """A null value for `key` on a compacted topic: Kafka drops the key's history."""
        await self._insert(
            session,
            [
                {
                    "event_id": f"tombstone-{uuid.uuid4()}",
                    "topic": topic_name(self.territory, base_topic),
                    "key": key,
                    "headers": [],
                    "payload": None,
                }
            ],
        )

    async def purge(self, session: AsyncSession, base_topic: str, key: str) -> None:
        """Delete every outbox row of `key` on a topic (relayed or not), e.g. the
        contact cards of a person being erased: no copy may stay behind."""
        await session.execute(
            delete(self._table).where(
                self._table.c.topic == topic_name(self.territory, base_topic), self._table.c.key == key
            )
        )

    async def _insert(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        if len(rows) == 1:
            await session.execute(insert(self._table).values(created_at=now, attempts=0, **rows[0]))
        else:  # executemany: one statement, the rows in their order
            await session.execute(
                insert(self._table), [{"created_at": now, "attempts": 0, **row} for row in rows]
            )
        for callback in self._wake_callbacks:
            after_commit(session, callback)


def _is_sqlite_file(url: str) -> bool:
    database = make_url(url).database
    return bool(database) and database != ":memory:" and "mode=memory" not in url


async def emit_all(unit: UnitOfWork[Any], events: Sequence[Event]) -> list[EventMetadata]:
    """`unit.emit(event)` for each event, the outbox rows written by one executemany
    (`Outbox.add_many`): same rows and correlation id; a unit with an `on_emit` projection
    emits them one at a time, so each event is applied right after its own row as before."""
    if unit.on_emit is not None:
        return [await unit.emit(event) for event in events]
    metadata = await unit.outbox.add_many(unit.session, events, correlation_id=unit.correlation_id)
    unit.events.extend(events)
    return metadata


class OutboxRelay(WorkerLoop):
    """Moves committed outbox rows to Kafka, oldest first."""

    name = "outbox-relay"

    def __init__(
        self,
        database: Database,
        tables: RuntimeTables,
        broker: KafkaBroker,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__(poll_seconds)
        self._database = database
        self._table = tables.outbox
        self._broker = broker
        self._batch_size = batch_size
        self._reader: AsyncEngine | None = None  # SQLite file: reads without the writer lock

    async def stop(self) -> None:
        await super().stop()
        if self._reader is not None:
            await self._reader.dispose()
            self._reader = None

    async def run_once(self) -> int:
        return await self.relay_once()

    def on_failure(self, error: Exception) -> None:
        metrics.OUTBOX_RELAY_FAILURES.inc()

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many were published."""
        query = (
            select(self._table)
            .where(self._table.c.published_at.is_(None))
            .order_by(self._table.c.seq)
            .limit(self._batch_size)
        )
        if self._database.is_sqlite:
            # One process writes a SQLite file: read, publish, then mark, in separate short steps
            # so producers are never blocked by Kafka. The read takes no lock (`_read_pending`):
            # only the mark is a write, so the relay that every commit wakes no longer takes the
            # writer lock twice per batch (a writer that finds it taken sleeps in SQLite's busy
            # handler: 1, 2, 5, 10 ms...).
            rows = await self._read_pending(query)
            if rows:
                await self._publish(rows)
                async with (
                    write_queue(self._database),
                    self._database.sessionmaker() as session,
                    session.begin(),
                ):
                    await self._mark_published(session, [row["seq"] for row in rows])
        else:
            # Several replicas may relay one PostgreSQL outbox: lock the batch.
            async with self._database.sessionmaker() as session, session.begin():
                rows = (await session.execute(query.with_for_update(skip_locked=True))).mappings().all()
                if rows:
                    await self._publish(rows)
                    await self._mark_published(session, [row["seq"] for row in rows])
        if rows:
            metrics.OUTBOX_RELAYED.inc(len(rows))
        return len(rows)

    async def _read_pending(self, query: Select[Any]) -> Sequence[RowMapping]:
        """The pending rows of a SQLite database, read outside any write transaction: on a file
        (WAL) through an engine of the relay's own whose SELECT runs in autocommit (a snapshot
        of what is committed, no lock taken); in memory (one connection) as before."""
        if self._reader is None and _is_sqlite_file(self._database.url):
            self._reader = create_async_engine(self._database.url, connect_args={"timeout": 30})
        rows: Sequence[RowMapping]
        if self._reader is None:
            async with self._database.sessionmaker() as session, session.begin():
                rows = (await session.execute(query)).mappings().all()
        else:
            async with self._reader.connect() as connection:
                rows = (await connection.execute(query)).mappings().all()
        return rows

    async def _publish(self, rows: Any) -> None:
        futures = []
        for row in rows:
            headers = dict(row["headers"])
            future = await self._broker.publish(
                row["payload"],
                row["topic"],
                key=row["key"].encode() if row["key"] is not None else None,
                headers=headers,
                correlation_id=headers.get("ce_correlationid"),
                no_confirm=True,
            )
            futures.append(future)
        # No timeout of our own: cancelling would not recall records already in
        # the producer's buffer, and they would go out twice. The producer fails
        # them itself after its request timeout, and the rows stay pending.
        await asyncio.gather(*futures)

    async def _mark_published(self, session: AsyncSession, seqs: list[int]) -> None:
        await session.execute(
            update(self._table).where(self._table.c.seq.in_(seqs)).values(published_at=datetime.now(UTC))
        )

    async def pending_count(self) -> int:
        async with self._database.sessionmaker() as session:
            result = await session.execute(
                select(func.count()).select_from(self._table).where(self._table.c.published_at.is_(None))
            )
            return int(result.scalar_one())
