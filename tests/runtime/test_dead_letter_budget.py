"""Unit tests of the dead-letter budget and of error descriptions (no broker):
a dead letter always fits in `max_dead_letter_bytes`, a broker that keeps failing
the dead-letter publish gets a bounded number of tries before the record is given
up (logged, counted, committed), and error texts keep kinds and field names only."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    TopicAuthorizationFailedError,
)
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc

from conseils_runtime import metrics
from conseils_runtime.consumer import EventConsumer
from conseils_runtime.logs import describe_error
from conseils_schemas import InvalidEnvelope, topics

NAME, PHONE = "Aïcha Benali", "06 12 34 56 78"


class FailingBroker:
    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.published: list[tuple[Any, str, dict[str, str]]] = []

    async def publish(self, value: Any, topic: str, *, key: Any, headers: dict[str, str]) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.published.append((value, topic, headers))


class Message:
    def __init__(self, record: ConsumerRecord[Any, Any]) -> None:
        self.raw_message = record
        self.acks = 0
        self.nacks = 0

    async def ack(self) -> None:
        self.acks += 1

    async def nack(self) -> None:
        self.nacks += 1


def record(value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic="t.registry.councils",
        partition=1,
        offset=42,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value or b""),
        headers=headers or [("ce_type", b"fr.conseils.registry.council.registered.v1")],
    )


def consumer(broker: FailingBroker, **options: Any) -> EventConsumer:
    stub: Any = None
    return EventConsumer(
        "budget",
        group_id="t.probe.budget",
        territory="t",
        database=stub,
        tables=type("Tables", (), {"processed_events": None})(),  # type: ignore[arg-type]
        broker=broker,  # type: ignore[arg-type]
        outbox=stub,
        commit_every_events=1,
        infrastructure_pause_seconds=0,
        **options,
    )


@pytest.mark.parametrize("size", [0, 10, 999_000, 1_000_000, 1_048_576, 5_000_000])
def test_a_dead_letter_always_fits_and_says_when_it_was_truncated(size: int) -> None:
    value = b"v" * size
    letter = consumer(FailingBroker()).dead_letter_of(
        record(value, [("ce_type", b"x"), ("x-junk", b"j" * 2_000_000)] if size == 10 else None),
        "payload too large",
        attempts=1,
    )
    assert letter.size <= 1_000_000
    if size < 999_000:
        assert letter.value == value
    if letter.value != value or size == 10:
        assert letter.headers[topics.DLQ_TRUNCATED] == "true"
        assert letter.headers[topics.DLQ_ORIGINAL_SIZE] == str(size)
        assert letter.headers[topics.DLQ_ORIGINAL_SHA256] == hashlib.sha256(value).hexdigest()
        assert value.startswith(letter.value or b"")
    else:
        assert topics.DLQ_TRUNCATED not in letter.headers


async def test_a_broker_that_keeps_failing_gets_a_bounded_number_of_tries_then_the_record_is_given_up() -> (
    None
):
    broker = FailingBroker(*(KafkaConnectionError() for _ in range(100)))
    events = consumer(broker, dead_letter_attempts=4)
    message = Message(record(b"{}"))
    lost = metrics.DEAD_LETTERS.labels("budget", "t.registry.councils", "lost")
    before = lost._value.get()
    for _ in range(10):  # each redelivery of the record tries the dead letter again
        await events._dead_letter(message, message.raw_message, "boom", attempts=1, reason="failed")  # type: ignore[arg-type]
        if message.acks:
            break
    assert message.nacks == 3  # redelivered three times...
    assert message.acks == 1  # ...then committed: the partition moves on
    assert lost._value.get() == before + 1


async def test_a_broker_back_before_the_budget_is_spent_gets_the_dead_letter() -> None:
    broker = FailingBroker(KafkaConnectionError(), KafkaTimeoutError())  # away, then timing out
    events = consumer(broker, dead_letter_attempts=4)
    message = Message(record(b"{}"))
    for _ in range(3):
        await events._dead_letter(message, message.raw_message, "boom", attempts=1, reason="failed")  # type: ignore[arg-type]
    assert (message.nacks, message.acks, len(broker.published)) == (2, 1, 1)


async def test_a_too_large_refusal_falls_back_to_the_minimal_letter_and_a_refusal_is_not_retried() -> None:
    broker = FailingBroker(MessageSizeTooLargeError())
    message = Message(record(b"v" * 500))
    await consumer(broker)._dead_letter(message, message.raw_message, "boom", attempts=1, reason="failed")  # type: ignore[arg-type]
    [(value, topic, headers)] = broker.published
    assert (value, topic, message.acks) == (b"", "t.registry.councils.dlq", 1)
    assert headers[topics.DLQ_ORIGINAL_SIZE] == "500"

    refusing = FailingBroker(TopicAuthorizationFailedError())
    message = Message(record(b"{}"))
    await consumer(refusing)._dead_letter(message, message.raw_message, "boom", attempts=1, reason="failed")  # type: ignore[arg-type]
    assert (message.nacks, message.acks, refusing.published) == (0, 1, [])


class Card(BaseModel):
    display_name: int
    phone: int


def test_error_descriptions_keep_kinds_and_field_names_never_values() -> None:
    with pytest.raises(ValidationError) as invalid:
        Card.model_validate({"display_name": NAME, "phone": PHONE})
    assert describe_error(invalid.value) == (
        "ValidationError: 2 error(s): display_name (int_parsing); phone (int_parsing)"
    )
    envelope = InvalidEnvelope(f"ce_time is not an RFC 3339 timestamp: {NAME + ' ' + PHONE!r}")
    assert describe_error(envelope) == "InvalidEnvelope: ce_time is not an RFC 3339 timestamp: <masqué>"
    assert describe_error(InvalidEnvelope("header 'ce_id' appears more than once")) == (
        "InvalidEnvelope: header 'ce_id' appears more than once"
    )
    statement = sa_exc.IntegrityError(
        "INSERT INTO cards VALUES (?, ?)", (NAME, PHONE), Exception(f"Key (phone)=({PHONE}) already exists")
    )
    assert describe_error(statement) == "IntegrityError (Exception)"
    assert describe_error(KeyError(NAME)) == "KeyError: <masqué>"
    assert describe_error(RuntimeError("cannot handle poison")) == "RuntimeError: cannot handle poison"
    for error in (invalid.value, envelope, statement, KeyError(NAME)):
        assert NAME not in describe_error(error)
        assert PHONE not in describe_error(error)
