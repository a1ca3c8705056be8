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

The parts: :mod:`.consumer_context` (the handler's context and the shared state),
:mod:`.consumer_batch` (a poll in one transaction), :mod:`.consumer_single` (one record at a time)
and :mod:`.dead_letters`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiokafka import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage

from conseils_runtime.consumer_batch import BatchPath, _parse_batch, _raw_body
from conseils_runtime.consumer_context import (
    _VERSION_SUFFIX,
    BatchHandler,
    EventContext,
    Handler,
    RecordMessage,
    RetryLater,
    TombstoneHandler,
)
from conseils_runtime.consumer_single import SinglePath
from conseils_runtime.database import Database, RuntimeTables
from conseils_runtime.dead_letters import DEFAULT_MAX_DEAD_LETTER_BYTES, DLQ_HEADERS, DeadLetter, DeadLetters
from conseils_runtime.logs import describe_error, get_logger
from conseils_runtime.outbox import Outbox
from conseils_schemas import Event, topic_name

__all__ = [
    "DEFAULT_MAX_DEAD_LETTER_BYTES",
    "DLQ_HEADERS",
    "BatchHandler",
    "DeadLetter",
    "EventConsumer",
    "EventContext",
    "Handler",
    "RecordMessage",
    "RetryLater",
    "TombstoneHandler",
    "_parse_batch",
    "_raw_body",
]

log = get_logger(__name__)

E = TypeVar("E", bound=Event)


class EventConsumer(BatchPath, SinglePath, DeadLetters):
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
        self._batch_handlers: dict[str, BatchHandler] = {}
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

    def on_batch(self, *event_classes: type[Event]) -> Callable[[BatchHandler], BatchHandler]:
        """Register one handler of several event types that takes consecutive events of a poll at
        once (`BatchHandler`): in a poll's transaction it gets them together, in their order; on
        the one-at-a-time path, one at a time. Its effects must be those of one call per event."""

        def register(handler: BatchHandler) -> BatchHandler:
            async def one(event: Any, context: EventContext) -> None:
                await handler([(event, context)])

            for event_class in event_classes:
                self.on(event_class)(one)
                self._batch_handlers[event_class.event_type] = handler
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

        # declare=False: the topics exist before any consumer starts (ensure_topics, or the secured
        # broker's provisioning), and a service's principal may not create topics: FastStream's own
        # creation attempt was refused with one TopicAuthorizationFailed warning per topic.
        @self._broker.subscriber(
            *(Topic(name, declare=False) for name in self.topics),
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
