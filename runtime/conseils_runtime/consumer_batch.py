"""The records of one poll, processed in one database transaction (see `conseils_runtime.consumer`)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from faststream.message import StreamMessage
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime import metrics
from conseils_runtime.bulk_sql import executemany
from conseils_runtime.consumer_context import (
    _VERSION_SUFFIX,
    BatchHandler,
    ConsumerCore,
    EventContext,
    Handler,
    _is_infrastructure_error,
)
from conseils_runtime.logs import correlation_id_var, describe_error, get_logger
from conseils_schemas import (
    Event,
    EventMetadata,
    InvalidEnvelope,
    UnknownEventType,
    parse_event,
)
from conseils_schemas.envelope_fast import read_kafka_headers

log = get_logger("conseils_runtime.consumer")


async def _raw_body(message: StreamMessage[Any]) -> Any:
    """Keep the bodies as bytes: the consumer validates each one against its event model."""
    return message.body


async def _parse_batch(
    records: tuple[ConsumerRecord[Any, Any], ...],
    default: Callable[[tuple[ConsumerRecord[Any, Any], ...]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream's batch parser decodes every header as strict UTF-8: one malformed header would
    fail the whole poll before the consumer sees it, and the records after it would be committed
    past it. It gets the records without headers; the consumer reads the envelope from the records
    themselves (and dead-letters an invalid one). Only the first and the last record are handed
    to it, for the message's id and path: the consumer reads the bodies from `raw_message`, so
    copying and decoding every record of the poll would be work thrown away."""
    ends = records if len(records) <= 2 else (records[0], records[-1])
    message = await default(tuple(dataclasses.replace(record, headers=()) for record in ends))
    message.raw_message = records
    return message


class _PolledRecord:
    """One record of a poll: its ack commits its own offset only, its nack rewinds its partition."""

    __slots__ = ("consumer", "nacked", "raw_message")

    def __init__(self, record: ConsumerRecord[Any, Any], consumer: Any) -> None:
        self.raw_message = record
        self.consumer = consumer
        self.nacked = False

    async def ack(self) -> None:
        record = self.raw_message
        await self.consumer.commit({TopicPartition(record.topic, record.partition): record.offset + 1})

    async def nack(self) -> None:
        record = self.raw_message
        self.consumer.seek(TopicPartition(record.topic, record.partition), record.offset)
        self.nacked = True


@dataclass
class _Pending:
    """A record of a poll that may run in the poll's transaction."""

    message: _PolledRecord
    kind: str  # "event", "tombstone" or "ignored"
    metadata: EventMetadata | None = None
    event: Event | None = None
    handler: Handler | None = None

    @property
    def record(self) -> ConsumerRecord[Any, Any]:
        return self.message.raw_message


class _HandlerFailed(Exception):
    """The handler of the `index`-th record of a batch raised `error`."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


class _BulkFailed(Exception):
    """A batch handler raised: the chunk is run again with one handler call per record, which
    tells which record fails (the bulk attempt is not counted as one of its attempts)."""


class BatchPath(ConsumerCore):
    """The poll's path of `EventConsumer`."""

    async def _handle_poll(self, records: Sequence[ConsumerRecord[Any, Any]], consumer: Any) -> None:
        if consumer is not None:
            self._kafka = consumer
        chunk: list[_Pending] = []
        for index, record in enumerate(records):
            message = _PolledRecord(record, consumer)
            pending = self._batchable(message)
            if pending is not None:
                chunk.append(pending)
                continue
            # Dead-lettered at once: what comes before it is processed first (order is kept).
            stopped = await self._flush(chunk)
            if stopped is not None:
                self._rewind([p.record for p in chunk[stopped:]], records[index:])
                return
            chunk = []
            await self._handle(message)
            if message.nacked:
                self._rewind(records[index:])
                return
        stopped = await self._flush(chunk)
        if stopped is not None:
            self._rewind([p.record for p in chunk[stopped:]])

    def _rewind(self, *unhandled: Sequence[ConsumerRecord[Any, Any]]) -> None:
        """Each partition back to its first record not handled (they come back with the next polls)."""
        earliest: dict[TopicPartition, int] = {}
        for records in unhandled:
            for record in records:
                partition = TopicPartition(record.topic, record.partition)
                if partition not in earliest or record.offset < earliest[partition]:
                    earliest[partition] = record.offset
        if self._kafka is not None:
            for partition, offset in earliest.items():
                self._kafka.seek(partition, offset)

    def _batchable(self, message: _PolledRecord) -> _Pending | None:
        """What the record needs in the poll's transaction, or None when it is to be dead-lettered."""
        record = message.raw_message
        if record.value is None and record.topic in self._tombstone_handlers:
            return _Pending(message, "tombstone")
        try:
            metadata = read_kafka_headers(record.headers)
        except InvalidEnvelope:
            return None
        handler = self._handlers.get(metadata.type)
        if handler is None:
            if _VERSION_SUFFIX.sub("", metadata.type) in self._families:
                return None
            return _Pending(message, "ignored", metadata)  # another consumer's event on a shared topic
        if len(record.value or b"") > self._max_event_bytes:
            return None
        try:
            event = parse_event(metadata.type, record.value or b"")
        except (ValidationError, UnknownEventType, ValueError):
            return None
        return _Pending(message, "event", metadata, event, handler)

    async def _flush(self, chunk: Sequence[_Pending]) -> int | None:
        """Process `chunk` in one transaction; around a failing handler, as described in the module
        docstring. Returns the index of the record whose partition was rewound (the processing
        stops there), or None when every record is handled."""
        if not chunk:
            return None
        try:
            try:
                await self._run_batch(chunk)
            except _BulkFailed as bulk_failure:
                log.info(
                    "batch handler failed, one handler call per record",
                    consumer=self.name,
                    records=len(chunk),
                    error=describe_error(bulk_failure.__cause__ or bulk_failure),
                )
                await self._run_batch(chunk, bulk=False)
            return None
        except _HandlerFailed as failure:
            failed = failure
        except Exception as batch_error:
            log.info(
                "batch failed, one record at a time",
                consumer=self.name,
                records=len(chunk),
                error=describe_error(batch_error),
            )
            for index, pending in enumerate(chunk):
                await self._handle(pending.message)
                if pending.message.nacked:
                    return index
            return None
        index, cause = failed.index, failed.error
        log.info(
            "handler failed in a batch, isolating its record",
            consumer=self.name,
            records=len(chunk),
            position=index,
            error=describe_error(cause),
        )
        stopped = await self._flush(chunk[:index])
        if stopped is not None:
            return stopped
        failing = chunk[index].message
        await self._handle(failing, failed_once=None if _is_infrastructure_error(cause) else cause)
        if failing.nacked:
            return index
        stopped = await self._flush(chunk[index + 1 :])
        return None if stopped is None else index + 1 + stopped

    async def _run_batch(self, chunk: Sequence[_Pending], *, bulk: bool = True) -> None:
        """One transaction for the whole chunk; then metrics and offsets. Raises `_HandlerFailed`
        when a handler raised, `_BulkFailed` when a batch handler did (the transaction is rolled
        back). With `bulk`, consecutive events of one batch handler are handed to it at once."""
        processed = self._processed
        outcomes: list[str] = []
        durations: list[float] = []
        if any(pending.kind != "ignored" for pending in chunk):
            ids = [p.metadata.id for p in chunk if p.kind == "event" and p.metadata is not None]
            async with self._database.sessionmaker() as session, session.begin():
                seen: set[str] = set()
                for start in range(0, len(ids), 500):
                    rows = await session.execute(
                        select(processed.c.event_id).where(
                            processed.c.consumer == self.group_id,
                            processed.c.event_id.in_(ids[start : start + 500]),
                        )
                    )
                    seen.update(row[0] for row in rows)
                now = datetime.now(UTC)
                new_rows: list[dict[str, Any]] = []
                group: list[tuple[Any, EventContext]] = []
                group_handler: BatchHandler | None = None
                for index, pending in enumerate(chunk):
                    batch_handler = self._batch_handler_of(pending) if bulk else None
                    if group and batch_handler is not group_handler and pending.kind != "ignored":
                        await self._run_group(group_handler, group, durations)
                        group = []
                    metadata = pending.metadata
                    if batch_handler is not None and metadata is not None and metadata.id not in seen:
                        seen.add(metadata.id)
                        group.append((pending.event, self._context_of(pending, session)))
                        group_handler = batch_handler
                        outcomes.append("processed")
                        continue
                    outcomes.append(await self._run_in_batch(index, pending, session, seen, durations))
                if group:
                    await self._run_group(group_handler, group, durations)
                for pending, outcome in zip(chunk, outcomes, strict=True):
                    if outcome == "processed" and pending.kind == "event":
                        assert pending.metadata is not None
                        new_rows.append(
                            {
                                "consumer": self.group_id,
                                "event_id": pending.metadata.id,
                                "event_type": pending.metadata.type,
                                "processed_at": now,
                            }
                        )
                if new_rows:  # compiled once, rows in the driver's types (see conseils_runtime.bulk_sql)
                    await executemany(session, ("processed_events", "insert"), processed.insert, new_rows)
        else:
            outcomes = ["ignored"] * len(chunk)
        if durations:
            handler_seconds = metrics.HANDLER_SECONDS.labels(self.name)
            for seconds in durations:
                handler_seconds.observe(seconds)
        counts: dict[tuple[str, str], int] = {}
        done = self._done_offsets
        for pending, outcome in zip(chunk, outcomes, strict=True):
            event_type = "tombstone" if pending.kind == "tombstone" else pending.metadata.type  # type: ignore[union-attr]
            counts[event_type, outcome] = counts.get((event_type, outcome), 0) + 1
            record = pending.record
            done[TopicPartition(record.topic, record.partition)] = record.offset + 1
        for (event_type, outcome), count in counts.items():  # one increment per kind of the poll
            metrics.EVENTS_CONSUMED.labels(self.name, event_type, outcome).inc(count)
        self._done_count += len(chunk)
        if (
            self._commit_every <= 1
            or self._done_count >= self._commit_every
            or time.monotonic() - self._last_commit >= self._commit_interval
        ):
            await self._commit_done()

    async def _run_in_batch(
        self,
        index: int,
        pending: _Pending,
        session: AsyncSession,
        seen: set[str],
        durations: list[float],
    ) -> str:
        record = pending.record
        if pending.kind == "ignored":
            return "ignored"
        if pending.kind == "tombstone":
            key = record.key.decode("utf-8", "replace") if isinstance(record.key, bytes) else str(record.key)
            try:
                await self._tombstone_handlers[record.topic](key, session)
            except Exception as error:
                raise _HandlerFailed(index, error) from error
            return "processed"
        metadata, handler, event = pending.metadata, pending.handler, pending.event
        assert metadata is not None
        assert handler is not None
        assert event is not None
        if metadata.id in seen:
            return "duplicate"
        seen.add(metadata.id)
        context = self._context_of(pending, session)
        correlation_token = correlation_id_var.set(metadata.correlationid)
        started = time.perf_counter()
        try:
            await handler(event, context)
        except Exception as error:
            raise _HandlerFailed(index, error) from error
        finally:
            correlation_id_var.reset(correlation_token)
        durations.append(time.perf_counter() - started)
        return "processed"

    def _batch_handler_of(self, pending: _Pending) -> BatchHandler | None:
        if pending.kind != "event" or pending.metadata is None:
            return None
        return self._batch_handlers.get(pending.metadata.type)

    def _context_of(self, pending: _Pending, session: AsyncSession) -> EventContext:
        record = pending.record
        assert pending.metadata is not None
        return EventContext(
            session=session,
            metadata=pending.metadata,
            outbox=self._outbox,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )

    @staticmethod
    async def _run_group(
        handler: BatchHandler | None, group: Sequence[tuple[Any, EventContext]], durations: list[float]
    ) -> None:
        """Consecutive events of one batch handler, in one call (each costs an equal share of it)."""
        assert handler is not None
        correlation_token = correlation_id_var.set(group[0][1].metadata.correlationid)
        started = time.perf_counter()
        try:
            await handler(group)
        except Exception as error:
            raise _BulkFailed from error
        finally:
            correlation_id_var.reset(correlation_token)
        durations.extend([(time.perf_counter() - started) / len(group)] * len(group))
