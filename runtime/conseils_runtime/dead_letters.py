"""Dead letters: a record that cannot be handled goes to its topic's dead-letter topic, with its
origin in headers, whole when it fits in `max_dead_letter_bytes`, else truncated (then minimal)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    ProducerClosed,
    RecordListTooLargeError,
    RecordTooLargeError,
)

from conseils_runtime import metrics
from conseils_runtime.consumer_context import ConsumerCore, RecordMessage
from conseils_runtime.logs import describe_error, get_logger
from conseils_schemas import dlq_topic, topics

log = get_logger("conseils_runtime.consumer")

DLQ_HEADERS = topics.DLQ_HEADER_NAMES
DEFAULT_MAX_DEAD_LETTER_BYTES = 1_000_000
"""Under Kafka's default record limits (producer 1 MiB, broker 1 048 588 bytes), with a margin
for the record batch's own framing."""
_RECORD_OVERHEAD = 128  # batch header, record framing, varints
_HEADER_OVERHEAD = 10
_TRUNCATED_HEADER_VALUE = 1024  # a copied header value, in a truncated dead letter
_TRUNCATED_HEADERS_TOTAL = 16 * 1024  # all copied headers, in a truncated dead letter
_MINIMAL_HEADER_VALUE = 256
_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


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


class DeadLetters(ConsumerCore):
    """The dead-letter path of `EventConsumer`."""

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
