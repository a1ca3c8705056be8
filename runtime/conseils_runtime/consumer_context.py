"""What an event consumer's parts share: the handler's context, the kinds of handler, the errors
that are the infrastructure's and not the message's, and the consumer's state (`ConsumerCore`).

The consumer (:mod:`conseils_runtime.consumer`) is built of three paths over that state: the
poll's batch (:mod:`.consumer_batch`), one record at a time (:mod:`.consumer_single`) and dead
letters (:mod:`.dead_letters`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aiokafka import ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker
from sqlalchemy import Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_runtime.database import Database
from conseils_runtime.outbox import Outbox
from conseils_schemas import Event, EventMetadata

_VERSION_SUFFIX = re.compile(r"\.v\d+$")


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
BatchHandler = Callable[[Sequence[tuple[Any, EventContext]]], Awaitable[None]]
"""Handles consecutive events of a poll at once, in their order, all on the poll's session; called
with a single event on the one-at-a-time path. Same effects as one call per event."""


def _is_infrastructure_error(error: BaseException) -> bool:
    if isinstance(error, RetryLater | ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


class RecordMessage(Protocol):
    """One record as the one-at-a-time path sees it: acked (its offset committed) or nacked
    (its partition rewound to it, so it comes back)."""

    @property
    def raw_message(self) -> ConsumerRecord[Any, Any]: ...

    async def ack(self) -> None: ...

    async def nack(self) -> None: ...


class ConsumerCore:
    """The state every path of `EventConsumer` reads (set by its `__init__`)."""

    name: str
    group_id: str
    _territory: str
    _database: Database
    _processed: Table
    _broker: KafkaBroker
    _outbox: Outbox
    _max_attempts: int
    _backoff: float
    _infrastructure_pause: float
    _max_event_bytes: int
    _max_dead_letter_bytes: int
    _dead_letter_attempts: int
    _dead_letter_failures: dict[tuple[str, int, int], int]
    _commit_every: int
    _batch_size: int
    _poll_timeout_ms: int
    _commit_interval: float
    _done_offsets: dict[TopicPartition, int]
    _done_count: int
    _last_commit: float
    _kafka: Any
    _processing: asyncio.Lock | None
    _flusher: asyncio.Task[None] | None
    _handlers: dict[str, Handler]
    _batch_handlers: dict[str, BatchHandler]
    _tombstone_handlers: dict[str, TombstoneHandler]
    event_classes: list[type[Event]]
    _families: set[str]
    _topics: set[str]

    if TYPE_CHECKING:  # each defined by one of the paths

        async def _handle(self, message: RecordMessage, *, failed_once: Exception | None = None) -> None: ...

        async def _done(self, message: RecordMessage) -> None: ...

        async def _commit_done(self) -> None: ...

        async def _dead_letter(
            self,
            message: RecordMessage,
            record: ConsumerRecord[Any, Any],
            error: str,
            *,
            attempts: int,
            reason: str,
        ) -> None: ...
