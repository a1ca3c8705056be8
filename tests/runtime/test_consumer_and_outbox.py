"""The runtime's guarantees, proven on the real broker, on SQLite and PostgreSQL:
dead letters after bounded retries without blocking the partition, invalid
payloads dead-lettered at once, one effect per event id."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
from conseils_schemas import (
    CouncilRegistered,
    EventMetadata,
    dlq_topic,
    to_kafka_headers,
    topic_name,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def council(name: str, council_id: uuid.UUID | None = None) -> CouncilRegistered:
    return CouncilRegistered(
        council_id=council_id or uuid.uuid4(),
        territory="test",
        city="Saint-Denis",
        city_code="93066",
        neighbourhood="Franc-Moisin",
        name=name,
        status="active",
    )


class Probe:
    """A tiny service: one consumer that records an effect per event, or fails."""

    def __init__(self, kafka: str, database_url: str, territory: str) -> None:
        self.metadata = MetaData()
        self.effects = Table(
            "effects", self.metadata, Column("id", String(64), primary_key=True), Column("name", String(200))
        )
        settings = ServiceSettings(
            service_name="probe",
            territory=territory,
            kafka_bootstrap_servers=kafka,
            database_url=database_url,
            max_attempts=3,
            retry_backoff_seconds=0.05,
            log_json=False,
        )
        self.runtime = ServiceRuntime(settings, self.metadata)
        self.calls: list[str] = []
        consumer = self.runtime.consumer("probe")

        @consumer.on(CouncilRegistered)
        async def record(event: CouncilRegistered, context: EventContext) -> None:
            self.calls.append(event.name)
            if event.name.startswith("poison"):
                raise RuntimeError(f"cannot handle {event.name}")
            await context.session.execute(insert(self.effects).values(id=str(uuid.uuid4()), name=event.name))

    async def effect_names(self) -> list[str]:
        async with self.runtime.database.sessionmaker() as session:
            rows = await session.execute(select(self.effects.c.name).order_by(self.effects.c.name))
            return [row[0] for row in rows]

    async def wait_for_effects(self, count: int, timeout: float = 60) -> list[str]:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            names = await self.effect_names()
            if len(names) >= count:
                return names
            await asyncio.sleep(0.2)
        raise AssertionError(f"expected {count} effects, got {await self.effect_names()}")


@pytest.fixture
async def probe(kafka_bootstrap: str, database_url: str, territory: str) -> AsyncIterator[Probe]:
    service = Probe(kafka_bootstrap, database_url, territory)
    await service.runtime.start()
    try:
        yield service
    finally:
        await service.runtime.stop()


async def read_topic(kafka: str, topic: str, count: int, timeout: float = 60) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < count and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def test_failing_handler_dead_letters_after_bounded_attempts_and_partition_moves_on(
    probe: Probe, kafka_bootstrap: str, territory: str
) -> None:
    council_id = uuid.uuid4()  # same key: same partition, poison first
    async with probe.runtime.database.sessionmaker() as session, session.begin():
        await probe.runtime.outbox.add(session, council("poison", council_id))
        await probe.runtime.outbox.add(session, council("after", council_id))

    assert await probe.wait_for_effects(1) == ["after"]
    assert probe.calls == ["poison", "poison", "poison", "after"]

    source = topic_name(territory, "registry.councils")
    dead = await read_topic(kafka_bootstrap, dlq_topic(source), 1)
    assert len(dead) == 1
    headers = {name: value.decode() for name, value in dead[0].headers}
    assert headers["dlq_origin_topic"] == source
    assert headers["dlq_attempts"] == "3"
    assert headers["dlq_consumer_group"] == f"{territory}.probe.probe"
    assert "cannot handle poison" in headers["dlq_error"]
    origins = [r for r in await read_topic(kafka_bootstrap, source, 2) if b'"poison"' in (r.value or b"")]
    assert len(origins) == 1  # the poison record itself, read back from its own topic
    origin = origins[0]
    assert (headers["dlq_origin_partition"], headers["dlq_origin_offset"]) == (
        str(origin.partition),
        str(origin.offset),
    )
    assert headers["ce_type"] == CouncilRegistered.event_type
    assert dead[0].key == str(council_id).encode()


async def test_invalid_payload_goes_to_dead_letters_at_once(
    probe: Probe, kafka_bootstrap: str, territory: str
) -> None:
    source = topic_name(territory, "registry.councils")
    metadata = EventMetadata(source="/tests", type=CouncilRegistered.event_type, correlationid="c-1")
    headers = {name: value.decode() for name, value in to_kafka_headers(metadata)}
    key = str(uuid.uuid4()).encode()
    await probe.runtime.broker.publish(b'{"council_id": "not-a-uuid"', source, key=key, headers=headers)
    await probe.runtime.broker.publish(b'{"no": "envelope"}', source, key=key, headers={})
    async with probe.runtime.database.sessionmaker() as session, session.begin():
        await probe.runtime.outbox.add(session, council("valid", uuid.UUID(key.decode())))

    assert await probe.wait_for_effects(1) == ["valid"]
    dead = await read_topic(kafka_bootstrap, dlq_topic(source), 2)
    reasons = sorted({name: value.decode() for name, value in record.headers}["dlq_error"] for record in dead)
    assert len(dead) == 2
    assert reasons[0].startswith("invalid envelope")
    assert reasons[1].startswith("invalid payload")
    assert all(dict(record.headers)["dlq_attempts"] == b"1" for record in dead)
    assert probe.calls == ["valid"]  # the handler never saw the invalid ones


async def test_same_event_delivered_twice_has_one_effect(probe: Probe, territory: str) -> None:
    source = topic_name(territory, "registry.councils")
    event = council("once")
    metadata = EventMetadata(
        source="/tests", type=event.event_type, subject=event.partition_key(), correlationid="c-2"
    )
    headers = {name: value.decode() for name, value in to_kafka_headers(metadata)}
    for _ in range(2):
        await probe.runtime.broker.publish(
            event.model_dump_json().encode(), source, key=event.partition_key().encode(), headers=headers
        )
    async with probe.runtime.database.sessionmaker() as session, session.begin():
        await probe.runtime.outbox.add(session, council("sentinel", event.council_id))

    assert await probe.wait_for_effects(2) == ["once", "sentinel"]
    assert probe.calls == ["once", "sentinel"]  # the duplicate was dropped before the handler
    processed = probe.runtime.tables.processed_events
    async with probe.runtime.database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(processed).where(processed.c.event_id == metadata.id)
        )
    assert count == 1
