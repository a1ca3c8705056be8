"""Poison of any size, on the real broker: whatever arrives, the consumer moves on
within its retry budget. A dead letter that would exceed the broker's record limit
is stored truncated, with the original size and SHA-256 in headers; one the broker
still refuses is given up loudly (log and metric) instead of jamming the partition."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import MessageSizeTooLargeError

from conseils_runtime import metrics
from conseils_schemas import CouncilRegistered, EventMetadata, dlq_topic, to_kafka_headers, topic_name, topics
from tests.runtime.test_consumer_and_outbox import Probe, council, read_topic

pytestmark = [pytest.mark.kafka]

BROKER_LIMIT = 1_048_588  # Kafka's default message.max.bytes (the record batch, headers included)
CONSUMER_LIMIT = 256 * 1024  # the runtime's max_event_bytes


@pytest.fixture
async def probe(kafka_bootstrap: str, tmp_path: object, territory: str) -> AsyncIterator[Probe]:
    service = Probe(kafka_bootstrap, f"sqlite+aiosqlite:///{tmp_path}/probe.db", territory)
    await service.runtime.start()
    try:
        yield service
    finally:
        await service.runtime.stop()


def envelope(event_type: str = CouncilRegistered.event_type) -> list[tuple[str, bytes]]:
    return list(to_kafka_headers(EventMetadata(source="/attaque", type=event_type)))


async def publish_largest(producer: AIOKafkaProducer, topic: str, key: bytes) -> tuple[int, int]:
    """Publish the largest value the broker accepts on `topic` (a record at its limit).

    Returns its size and how many records the search published."""
    low, high = BROKER_LIMIT - 4096, BROKER_LIMIT  # low is accepted, high is not
    published = 0
    while high - low > 1:
        size = (low + high) // 2
        try:
            await producer.send_and_wait(topic, b"x" * size, key=key, headers=envelope())
        except MessageSizeTooLargeError:
            high = size
        else:
            low, published = size, published + 1
    return low, published


async def refused_by_broker(kafka: str, topic: str, timeout: float = 30) -> None:
    """Wait until the broker refuses a small record on `topic` (a config change takes a moment)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            try:
                await producer.send_and_wait(topic, b"p" * 200)
            except MessageSizeTooLargeError:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{topic} still accepts records")
    finally:
        await producer.stop()


async def test_records_of_any_size_are_dead_lettered_and_the_partition_moves_on(
    probe: Probe, kafka_bootstrap: str, territory: str
) -> None:
    source = topic_name(territory, "registry.councils")
    council_id = uuid.uuid4()
    key = str(council_id).encode()  # one key: one partition, the poison before the valid event
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=4 * BROKER_LIMIT)
    await producer.start()
    try:
        await producer.send_and_wait(source, b"a" * (CONSUMER_LIMIT + 1), key=key, headers=envelope())
        await producer.send_and_wait(source, b"b" * 1_040_000, key=key, headers=envelope())  # just under 1 MB
        # Small value, huge header: the copied headers alone would not fit either.
        await producer.send_and_wait(
            source, b"{}", key=key, headers=[*envelope(), ("x-junk", b"j" * 1_000_000)]
        )
        at_limit, searched = await publish_largest(producer, source, key)
    finally:
        await producer.stop()
    async with probe.runtime.database.sessionmaker() as session, session.begin():
        await probe.runtime.outbox.add(session, council("after the poison", council_id))

    assert await probe.wait_for_effects(1, timeout=90) == ["after the poison"]
    assert probe.calls == ["after the poison"]

    letters = await read_topic(kafka_bootstrap, dlq_topic(source), 3 + searched, timeout=30)
    assert len(letters) == 3 + searched
    by_size = {}
    for letter in letters:
        headers = {name: value.decode() for name, value in letter.headers}
        assert headers[topics.DLQ_ORIGIN_TOPIC] == source
        assert headers[topics.DLQ_ATTEMPTS] == "1"
        assert headers[topics.DLQ_ERROR].startswith(("payload too large", "invalid payload"))
        by_size[int(headers.get(topics.DLQ_ORIGINAL_SIZE, len(letter.value)))] = (letter, headers)
    assert {CONSUMER_LIMIT + 1, 1_040_000, at_limit, 2} <= set(by_size)

    whole, headers = by_size[CONSUMER_LIMIT + 1]  # over the consumer's limit, under the broker's: kept whole
    assert whole.value == b"a" * (CONSUMER_LIMIT + 1)
    assert topics.DLQ_TRUNCATED not in headers
    for size, filler in ((1_040_000, b"b"), (at_limit, b"x")):
        letter, headers = by_size[size]
        assert headers[topics.DLQ_TRUNCATED] == "true"
        assert headers[topics.DLQ_ORIGINAL_SHA256] == hashlib.sha256(filler * size).hexdigest()
        assert 0 < len(letter.value) < size
        assert letter.value == filler * len(letter.value)
        assert headers["ce_type"] == CouncilRegistered.event_type  # the envelope is kept
    junk, headers = by_size[2]  # the small value with a huge header: the header is cut, the value kept
    assert junk.value == b"{}"
    assert headers[topics.DLQ_TRUNCATED] == "true"
    assert 0 < len(headers["x-junk"]) <= 1024


async def test_a_dead_letter_the_broker_refuses_is_given_up_loudly_and_the_partition_moves_on(
    probe: Probe, kafka_bootstrap: str, territory: str
) -> None:
    source = topic_name(territory, "registry.councils")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:  # a dead-letter topic that refuses any record: even the smallest dead letter cannot be stored
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, dlq_topic(source), {"max.message.bytes": "64"})]
        )
    finally:
        await admin.close()
    await refused_by_broker(kafka_bootstrap, dlq_topic(source))  # the new limit is in force
    lost = metrics.DEAD_LETTERS.labels(probe.runtime.consumers[0].name, source, "lost")
    before = lost._value.get()
    council_id = uuid.uuid4()
    async with probe.runtime.database.sessionmaker() as session, session.begin():
        await probe.runtime.outbox.add(session, council("poison", council_id))
        await probe.runtime.outbox.add(session, council("after", council_id))

    assert await probe.wait_for_effects(1, timeout=60) == ["after"]
    assert probe.calls == ["poison", "poison", "poison", "after"]
    assert lost._value.get() == before + 1
