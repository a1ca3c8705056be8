"""One record at a time, in its own transaction, with bounded retries (see `conseils_runtime.consumer`)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import insert, select

from conseils_runtime import metrics
from conseils_runtime.consumer_context import (
    _VERSION_SUFFIX,
    ConsumerCore,
    EventContext,
    Handler,
    RecordMessage,
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


class SinglePath(ConsumerCore):
    """The one-at-a-time path of `EventConsumer`."""

    async def _handle(self, message: RecordMessage, *, failed_once: Exception | None = None) -> None:
        """The one-at-a-time path; `failed_once`: the error of its first attempt, made in a batch."""
        record: ConsumerRecord[Any, Any] = message.raw_message
        if record.value is None and record.topic in self._tombstone_handlers:
            await self._handle_tombstone(message, record, failed_once=failed_once)
            return
        try:
            metadata = read_kafka_headers(record.headers)
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
