"""Idempotent event consumers with bounded retry and dead letters.

A message is committed to Kafka only after its effect is committed to the
database, together with a `processed_events` row keyed by (consumer, event
id): a redelivered event finds that row and has no second effect.

Failures are sorted in three kinds:
- an invalid envelope or payload, or an unknown version of a handled type:
  dead-lettered at once, since retrying cannot help;
- a failing handler: retried `max_attempts` times with exponential backoff,
  then dead-lettered with its origin in headers, so it never blocks its
  partition for longer than the backoff;
- the database or broker being unavailable (or `RetryLater`): not the
  message's fault, so it is neither dead-lettered nor committed; the
  consumer seeks back and tries again after a pause.

Records are processed by polls (`batch_size` at most): the events of one poll run in ONE
database transaction (a processed-events lookup for all of them, each handler on the shared
session, the processed-events rows in bulk), committed once, and only then are their offsets
committed. When a handler fails, the transaction is rolled back; the records before it are
processed again in one transaction, the failing one alone through the one-at-a-time path
(the batch attempt counts as its first attempt), and the records after it as a new batch, so
a poison record is still isolated within its retry budget. Any other failure of the batch
(the database away, the commit refused) sends its records through the one-at-a-time path.
A record to dead-letter at once (invalid envelope or payload, unknown version, too large)
ends the batch before it: order within each partition is kept, and a record whose partition
is rewound (`nack`) stops the poll, every partition rewound to its first unhandled record.

Whatever arrives, the consumer moves on within its retry budget. A dead letter
that would not fit in a broker record (`max_dead_letter_bytes`) is stored
truncated, with the original size and SHA-256 in headers; one that the broker
still refuses, or cannot take after `dead_letter_attempts` tries, is given up
with an error log and `conseils_dead_letters_total{reason="lost"}`, and the
partition moves on. Error texts (dead-letter headers and logs) keep the kind
of the error and the names of the fields, never their values (`describe_error`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    ProducerClosed,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime import metrics
from conseils_runtime.database import Database, RuntimeTables
from conseils_runtime.logs import correlation_id_var, describe_error, get_logger
from conseils_runtime.outbox import Outbox
from conseils_schemas import (
    Event,
    EventMetadata,
    InvalidEnvelope,
    UnknownEventType,
    dlq_topic,
    from_kafka_headers,
    parse_event,
    topic_name,
    topics,
)

log = get_logger(__name__)

E = TypeVar("E", bound=Event)

DLQ_HEADERS = topics.DLQ_HEADER_NAMES
_VERSION_SUFFIX = re.compile(r"\.v\d+$")

DEFAULT_MAX_DEAD_LETTER_BYTES = 1_000_000
"""Under Kafka's default record limits (producer 1 MiB, broker 1 048 588 bytes), with a margin
for the record batch's own framing."""
_RECORD_OVERHEAD = 128  # batch header, record framing, varints
_HEADER_OVERHEAD = 10
_TRUNCATED_HEADER_VALUE = 1024  # a copied header value, in a truncated dead letter
_TRUNCATED_HEADERS_TOTAL = 16 * 1024  # all copied headers, in a truncated dead letter
_MINIMAL_HEADER_VALUE = 256
_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


class RetryLater(Exception):
    """Raised by a handler when a dependency is temporarily unavailable."""


@dataclass
class EventContext:
    """What a handler gets beside the event: its transaction and the outbox."""

    session: AsyncSession
    metadata: EventMetadata
    outbox: Outbox
    topic: str
    partition: int
    offset: int

    async def publish(self, event: Event) -> EventMetadata:
        """Publish an event in the handler's transaction, keeping the correlation id."""
        return await self.outbox.add(self.session, event, correlation_id=self.metadata.correlationid)


Handler = Callable[[Any, EventContext], Awaitable[None]]
TombstoneHandler = Callable[[str, AsyncSession], Awaitable[None]]


@dataclass(frozen=True)
class DeadLetter:
    """The record to publish on a dead-letter topic."""

    value: bytes | None
    key: bytes | None
    headers: dict[str, str]
    minimal: bool = False

    @property
    def size(self) -> int:
        return _record_size(self.value, self.key, self.headers)


def _record_size(value: bytes | None, key: bytes | None, headers: dict[str, str]) -> int:
    return (
        _RECORD_OVERHEAD
        + len(value or b"")
        + len(key or b"")
        + sum(len(name.encode()) + len(text.encode()) + _HEADER_OVERHEAD for name, text in headers.items())
    )


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (on a character boundary)."""
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _is_retriable_publish_error(error: BaseException) -> bool:
    """The broker is away or busy (try again later), as opposed to a refusal of this record.
    A timeout is the broker being away, though aiokafka does not mark it retriable."""
    if isinstance(error, KafkaTimeoutError | ProducerClosed):
        return True
    if isinstance(error, KafkaError):
        return bool(error.retriable)
    return isinstance(error, ConnectionError | TimeoutError | OSError)


def _is_infrastructure_error(error: BaseException) -> bool:
    if isinstance(error, RetryLater | ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


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
    themselves (and dead-letters an invalid one)."""
    message = await default(tuple(dataclasses.replace(record, headers=()) for record in records))
    message.raw_message = records
    return message


class RecordMessage(Protocol):
    """One record as the one-at-a-time path sees it: acked (its offset committed) or nacked
    (its partition rewound to it, so it comes back)."""

    @property
    def raw_message(self) -> ConsumerRecord[Any, Any]: ...

    async def ack(self) -> None: ...

    async def nack(self) -> None: ...


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


class EventConsumer:
    """One consumer group: handlers per event type, on one or more topics."""

    def __init__(
        self,
        name: str,
        *,
        group_id: str,
        territory: str,
        database: Database,
        tables: RuntimeTables,
        broker: KafkaBroker,
        outbox: Outbox,
        max_attempts: int = 3,
        retry_backoff_seconds: float = 0.2,
        infrastructure_pause_seconds: float = 1.0,
        max_event_bytes: int = 256 * 1024,
        max_dead_letter_bytes: int = DEFAULT_MAX_DEAD_LETTER_BYTES,
        dead_letter_attempts: int = 5,
        commit_every_events: int = 1,
        commit_interval_seconds: float = 0.5,
        batch_size: int = 100,
        poll_timeout_ms: int = 10,
    ) -> None:
        self.name = name
        self.group_id = group_id
        self._territory = territory
        self._database = database
        self._processed = tables.processed_events
        self._broker = broker
        self._outbox = outbox
        self._max_attempts = max_attempts
        self._backoff = retry_backoff_seconds
        self._infrastructure_pause = infrastructure_pause_seconds
        # Events carry ids and short fields; anything this large is a producer bug or an attack.
        self._max_event_bytes = max_event_bytes
        # A dead letter is the record plus its origin headers: it may not fit where the record did.
        self._max_dead_letter_bytes = max_dead_letter_bytes
        # Dead-letter publishes that failed, per origin record: bounded, then the record is given up.
        self._dead_letter_attempts = max(1, dead_letter_attempts)
        self._dead_letter_failures: dict[tuple[str, int, int], int] = {}
        # Offsets are committed after the effect is; committing every event costs a broker
        # round trip each, so they may be committed by batches (at most `commit_every_events`
        # events or `commit_interval_seconds` late). A crash then redelivers up to that many
        # processed events, which the processed-events table turns into no-ops.
        self._commit_every = commit_every_events
        # The records of one poll (at most `batch_size`) are processed in one transaction.
        self._batch_size = max(1, batch_size)
        # FastStream's batch subscriber sleeps as long again after an empty poll: a record that
        # arrives then waits up to twice this before it is handled (the event hop's latency).
        self._poll_timeout_ms = max(1, poll_timeout_ms)
        self._commit_interval = commit_interval_seconds
        self._done_offsets: dict[TopicPartition, int] = {}
        self._done_count = 0
        self._last_commit = time.monotonic()
        self._kafka: Any = None  # the aiokafka consumer, from the first message
        self._processing: asyncio.Lock | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._handlers: dict[str, Handler] = {}
        self._tombstone_handlers: dict[str, TombstoneHandler] = {}
        self.event_classes: list[type[Event]] = []
        self._families: set[str] = set()
        self._topics: set[str] = set()

    def on(self, event_class: type[E]) -> Callable[[Callable[[E, EventContext], Awaitable[None]]], Handler]:
        """Register the handler of one event type; its topic is subscribed."""

        def register(handler: Callable[[E, EventContext], Awaitable[None]]) -> Handler:
            self._handlers[event_class.event_type] = handler
            self.event_classes.append(event_class)
            self._families.add(_VERSION_SUFFIX.sub("", event_class.event_type))
            self._topics.add(topic_name(self._territory, event_class.topic))
            return handler

        return register

    def on_tombstone(self, base_topic: str) -> Callable[[TombstoneHandler], TombstoneHandler]:
        """Register what a null value (a tombstone on a compacted topic) means for a key.

        Tombstones carry no CloudEvents headers and no id: the handler must be
        idempotent by itself (deleting what is keyed is).
        """

        def register(handler: TombstoneHandler) -> TombstoneHandler:
            topic = topic_name(self._territory, base_topic)
            self._tombstone_handlers[topic] = handler
            self._topics.add(topic)
            return handler

        return register

    @property
    def topics(self) -> list[str]:
        return sorted(self._topics)

    def subscribe(self) -> None:
        """Attach this consumer to the broker; call once all handlers are registered."""
        if not self._topics:
            raise RuntimeError(f"consumer {self.name} has no handler")

        @self._broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            batch=True,
            max_records=self._batch_size,
            batch_timeout_ms=self._poll_timeout_ms,
            parser=_parse_batch,
            decoder=_raw_body,
            no_reply=True,
            title=f"{self.group_id}:subscribe",
        )
        async def consume(body: Any, message: KafkaMessage) -> None:
            await self.handle_records(message.raw_message, getattr(message, "consumer", None))

    async def handle_records(self, records: Sequence[ConsumerRecord[Any, Any]], consumer: Any) -> None:
        """Process the records of one poll (in order) and commit their offsets after their effects."""
        if self._processing is None:
            self._processing = asyncio.Lock()
        async with self._processing:
            await self._handle_poll(records, consumer)
        if self._commit_every > 1 and self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_periodically(), name=f"{self.group_id}-commits")

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
            metadata = from_kafka_headers(record.headers)
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
            await self._run_batch(chunk)
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

    async def _run_batch(self, chunk: Sequence[_Pending]) -> None:
        """One transaction for the whole chunk; then metrics and offsets. Raises `_HandlerFailed`
        when a handler raised (the transaction is rolled back)."""
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
                for index, pending in enumerate(chunk):
                    outcome = await self._run_in_batch(index, pending, session, seen, durations)
                    outcomes.append(outcome)
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
                if new_rows:
                    await session.execute(insert(processed), new_rows)
        else:
            outcomes = ["ignored"] * len(chunk)
        for seconds in durations:
            metrics.HANDLER_SECONDS.labels(self.name).observe(seconds)
        for pending, outcome in zip(chunk, outcomes, strict=True):
            event_type = "tombstone" if pending.kind == "tombstone" else pending.metadata.type  # type: ignore[union-attr]
            metrics.EVENTS_CONSUMED.labels(self.name, event_type, outcome).inc()
            record = pending.record
            self._done_offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
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
        context = EventContext(
            session=session,
            metadata=metadata,
            outbox=self._outbox,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
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

    async def _handle(self, message: RecordMessage, *, failed_once: Exception | None = None) -> None:
        """The one-at-a-time path; `failed_once`: the error of its first attempt, made in a batch."""
        record: ConsumerRecord[Any, Any] = message.raw_message
        if record.value is None and record.topic in self._tombstone_handlers:
            await self._handle_tombstone(message, record, failed_once=failed_once)
            return
        try:
            metadata = from_kafka_headers(record.headers)
        except InvalidEnvelope as error:
            await self._dead_letter(
                message, record, f"invalid envelope: {describe_error(error)}", attempts=1, reason="invalid"
            )
            return
        correlation_token = correlation_id_var.set(metadata.correlationid)
        try:
            await self._handle_event(message, record, metadata, failed_once=failed_once)
        finally:
            correlation_id_var.reset(correlation_token)

    async def _handle_event(
        self,
        message: RecordMessage,
        record: ConsumerRecord[Any, Any],
        metadata: EventMetadata,
        *,
        failed_once: Exception | None = None,
    ) -> None:
        handler = self._handlers.get(metadata.type)
        if handler is None:
            if _VERSION_SUFFIX.sub("", metadata.type) in self._families:
                await self._dead_letter(
                    message,
                    record,
                    f"unsupported event version: {metadata.type}",
                    attempts=1,
                    reason="version",
                )
            else:  # another consumer's event on a shared topic
                metrics.EVENTS_CONSUMED.labels(self.name, metadata.type, "ignored").inc()
                await self._done(message)
            return
        size = len(record.value or b"")
        if size > self._max_event_bytes:
            await self._dead_letter(
                message, record, f"payload too large: {size} bytes", attempts=1, reason="invalid"
            )
            return
        try:
            event = parse_event(metadata.type, record.value or b"")
        except (ValidationError, UnknownEventType, ValueError) as error:
            await self._dead_letter(
                message, record, f"invalid payload: {describe_error(error)}", attempts=1, reason="invalid"
            )
            return

        context_args = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        first = 1
        if failed_once is not None:  # its first attempt was made in a batch
            if self._max_attempts <= 1:
                await self._give_up(message, record, metadata, failed_once, attempts=1)
                return
            self._retrying(metadata, failed_once, attempt=1)
            await asyncio.sleep(self._backoff)
            first = 2
        for attempt in range(first, self._max_attempts + 1):
            started = time.perf_counter()
            try:
                outcome = await self._run_once(handler, event, metadata, context_args)
            except Exception as error:
                if _is_infrastructure_error(error):
                    metrics.INFRASTRUCTURE_ERRORS.labels(self.name).inc()
                    log.warning(
                        "infrastructure unavailable, message will be redelivered",
                        consumer=self.name,
                        event_id=metadata.id,
                        error=describe_error(error),
                    )
                    await asyncio.sleep(self._infrastructure_pause)
                    await message.nack()
                    return
                if attempt == self._max_attempts:
                    await self._give_up(message, record, metadata, error, attempts=attempt)
                    return
                self._retrying(metadata, error, attempt=attempt)
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
                continue
            metrics.HANDLER_SECONDS.labels(self.name).observe(time.perf_counter() - started)
            metrics.EVENTS_CONSUMED.labels(self.name, metadata.type, outcome).inc()
            await self._done(message)
            return

    def _retrying(self, metadata: EventMetadata, error: Exception, *, attempt: int) -> None:
        metrics.HANDLER_RETRIES.labels(self.name).inc()
        log.info(
            "handler failed, retrying",
            consumer=self.name,
            event_id=metadata.id,
            attempt=attempt,
            error=describe_error(error),
        )

    async def _give_up(
        self,
        message: RecordMessage,
        record: ConsumerRecord[Any, Any],
        metadata: EventMetadata,
        error: Exception,
        *,
        attempts: int,
    ) -> None:
        log.error(
            "handler failed, dead-lettering",
            consumer=self.name,
            event_id=metadata.id,
            event_type=metadata.type,
            attempts=attempts,
            error=describe_error(error),
        )
        await self._dead_letter(message, record, describe_error(error), attempts=attempts, reason="failed")

    async def _done(self, message: RecordMessage) -> None:
        """The message's effect is committed: its offset may be, now or with the next batch."""
        if self._commit_every <= 1:
            await message.ack()
            return
        record: ConsumerRecord[Any, Any] = message.raw_message
        self._kafka = getattr(message, "consumer", self._kafka)
        self._done_offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
        self._done_count += 1
        if (
            self._done_count >= self._commit_every
            or time.monotonic() - self._last_commit >= self._commit_interval
        ):
            await self._commit_done()

    async def _commit_done(self) -> None:
        # Explicit offsets of processed messages only: the consumer's position may
        # already be past a message fetched but not handled yet.
        offsets, self._done_offsets = self._done_offsets, {}
        self._done_count, self._last_commit = 0, time.monotonic()
        if not offsets or self._kafka is None:
            return
        try:
            await self._kafka.commit(offsets)
        except Exception as error:  # rebalance or broker away: the events come back, as no-ops
            log.warning("offset commit failed", consumer=self.name, error=describe_error(error))

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._commit_interval)
            if self._processing is not None and self._done_offsets:
                async with self._processing:
                    if time.monotonic() - self._last_commit >= self._commit_interval:
                        await self._commit_done()

    async def close(self) -> None:
        """Commit what is done and stop the periodic commits (before the broker stops)."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        if self._done_offsets:
            await self._commit_done()

    async def _handle_tombstone(
        self,
        message: RecordMessage,
        record: ConsumerRecord[Any, Any],
        *,
        failed_once: Exception | None = None,
    ) -> None:
        if failed_once is not None:  # a tombstone gets one attempt: it was made in a batch
            await self._dead_letter(message, record, describe_error(failed_once), attempts=1, reason="failed")
            return
        key = record.key.decode("utf-8", "replace") if isinstance(record.key, bytes) else str(record.key)
        try:
            async with self._database.sessionmaker() as session, session.begin():
                await self._tombstone_handlers[record.topic](key, session)
        except Exception as error:
            if not _is_infrastructure_error(error):
                await self._dead_letter(message, record, describe_error(error), attempts=1, reason="failed")
                return
            metrics.INFRASTRUCTURE_ERRORS.labels(self.name).inc()
            log.warning(
                "tombstone not applied, will be redelivered", consumer=self.name, error=describe_error(error)
            )
            await asyncio.sleep(self._infrastructure_pause)
            await message.nack()
            return
        metrics.EVENTS_CONSUMED.labels(self.name, "tombstone", "processed").inc()
        await self._done(message)

    async def _run_once(
        self, handler: Handler, event: Event, metadata: EventMetadata, context_args: dict[str, Any]
    ) -> str:
        processed = self._processed
        async with self._database.sessionmaker() as session, session.begin():
            already = await session.execute(
                select(processed.c.event_id).where(
                    processed.c.consumer == self.group_id, processed.c.event_id == metadata.id
                )
            )
            if already.first() is not None:
                return "duplicate"
            context = EventContext(session=session, metadata=metadata, outbox=self._outbox, **context_args)
            await handler(event, context)
            await session.execute(
                insert(processed).values(
                    consumer=self.group_id,
                    event_id=metadata.id,
                    event_type=metadata.type,
                    processed_at=datetime.now(UTC),
                )
            )
        return "processed"

    def dead_letter_of(
        self, record: ConsumerRecord[Any, Any], error: str, *, attempts: int, minimal: bool = False
    ) -> DeadLetter:
        """The dead letter of `record`: whole when it fits in `max_dead_letter_bytes`, else truncated
        (copied headers, key and value cut) with the original size and SHA-256 in headers. A
        `minimal` one keeps only the envelope, the origin and the hash: no value."""
        value: bytes | None = record.value
        key: bytes | None = record.key
        copied = [(name, (raw or b"").decode("utf-8", "replace")) for name, raw in record.headers or ()]
        origin = {
            topics.DLQ_ORIGIN_TOPIC: record.topic,
            topics.DLQ_ORIGIN_PARTITION: str(record.partition),
            topics.DLQ_ORIGIN_OFFSET: str(record.offset),
            topics.DLQ_CONSUMER_GROUP: self.group_id,
            topics.DLQ_ERROR: _cut(error, 2000),
            topics.DLQ_ATTEMPTS: str(attempts),
            topics.DLQ_FAILED_AT: datetime.now(UTC).isoformat(),
        }
        whole = {**dict(copied), **origin}
        if not minimal and _record_size(value, key, whole) <= self._max_dead_letter_bytes:
            return DeadLetter(value, key, whole)

        headers: dict[str, str] = {}
        total = 0
        per_header = _MINIMAL_HEADER_VALUE if minimal else _TRUNCATED_HEADER_VALUE
        for name, text in copied:
            if minimal and not name.startswith("ce_"):
                continue
            cut_name, cut_text = _cut(name, 64), _cut(text, per_header)
            total += len(cut_name.encode()) + len(cut_text.encode()) + _HEADER_OVERHEAD
            if total > _TRUNCATED_HEADERS_TOTAL:
                break
            headers[cut_name] = cut_text
        original = value or b""
        headers.update(origin)
        headers.update(
            {
                topics.DLQ_TRUNCATED: "true",
                topics.DLQ_ORIGINAL_SIZE: str(len(original)),
                topics.DLQ_ORIGINAL_SHA256: hashlib.sha256(original).hexdigest(),
            }
        )
        key = key[:_TRUNCATED_HEADER_VALUE] if key is not None else None
        if minimal:
            return DeadLetter(b"", key, headers, minimal=True)
        room = max(0, self._max_dead_letter_bytes - _record_size(b"", key, headers))
        return DeadLetter(original[:room], key, headers)

    async def _dead_letter(
        self,
        message: RecordMessage,
        record: ConsumerRecord[Any, Any],
        error: str,
        *,
        attempts: int,
        reason: str,
    ) -> None:
        letter = self.dead_letter_of(record, error, attempts=attempts)
        origin = (record.topic, record.partition, record.offset)
        while True:
            try:
                await self._broker.publish(
                    letter.value, dlq_topic(record.topic), key=letter.key, headers=letter.headers
                )
                break
            except Exception as publish_error:
                if isinstance(publish_error, _TOO_LARGE) and not letter.minimal:
                    log.warning(
                        "dead letter refused as too large, publishing its minimal form",
                        consumer=self.name,
                        topic=record.topic,
                        size=letter.size,
                    )
                    letter = self.dead_letter_of(record, error, attempts=attempts, minimal=True)
                    continue
                failures = self._dead_letter_failures.get(origin, 0) + 1
                if _is_retriable_publish_error(publish_error) and failures < self._dead_letter_attempts:
                    # The broker is away: not the message's fault, try again later (bounded).
                    if len(self._dead_letter_failures) > 1000:
                        self._dead_letter_failures.clear()
                    self._dead_letter_failures[origin] = failures
                    metrics.INFRASTRUCTURE_ERRORS.labels(self.name).inc()
                    log.warning(
                        "dead-letter publish failed, message will be redelivered",
                        consumer=self.name,
                        failures=failures,
                        error=describe_error(publish_error),
                    )
                    await asyncio.sleep(self._infrastructure_pause)
                    await message.nack()
                    return
                self._dead_letter_failures.pop(origin, None)
                log.error(
                    "dead letter could not be stored: record given up, the partition moves on",
                    consumer=self.name,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    original_size=len(record.value or b""),
                    original_sha256=hashlib.sha256(record.value or b"").hexdigest(),
                    failures=failures,
                    error=describe_error(publish_error),
                )
                metrics.DEAD_LETTERS.labels(self.name, record.topic, "lost").inc()
                await self._done(message)
                return
        self._dead_letter_failures.pop(origin, None)
        metrics.DEAD_LETTERS.labels(self.name, record.topic, reason).inc()
        ce_type = letter.headers.get("ce_type", "unknown")
        metrics.EVENTS_CONSUMED.labels(self.name, ce_type, "dead_lettered").inc()
        await self._done(message)
