"""Database unavailable: readiness turns red, the consumer stops committing,
and once the database is back every event has exactly one effect.

The outage is a TCP proxy cut between the service and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
from conseils_schemas import CouncilRegistered, EventMetadata, to_kafka_headers, topic_name
from tests.faults.harness import client_kwargs, ops_kwargs, probe_identity
from tests.runtime.test_consumer_and_outbox import council
from tests.support.proxy import TcpProxy

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
async def proxied_postgres_url(postgres_url: str) -> AsyncIterator[tuple[str, TcpProxy]]:
    database_url = postgres_url
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    try:
        yield database_url.replace(f":{parts.port}/", f":{proxy.port}/"), proxy
    finally:
        await proxy.cut()


async def committed_offset(kafka: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(**ops_kwargs(kafka))  # the operator sees every group's offsets
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset >= 0)


async def test_consumer_waits_for_the_database_and_loses_nothing(
    kafka_bootstrap: str, proxied_postgres_url: tuple[str, TcpProxy], territory: str
) -> None:
    url, proxy = proxied_postgres_url
    metadata = MetaData()
    effects = Table("effects", metadata, Column("name", String(100), primary_key=True))
    runtime = ServiceRuntime(
        ServiceSettings(
            **probe_identity(kafka_bootstrap),
            territory=territory,
            kafka_bootstrap_servers=kafka_bootstrap,
            database_url=url,
            log_json=False,
        ),
        metadata,
    )
    consumer = runtime.consumer("probe")

    @consumer.on(CouncilRegistered)
    async def record(event: CouncilRegistered, context: EventContext) -> None:
        await context.session.execute(insert(effects).values(name=event.name))

    topic = topic_name(territory, "registry.councils")
    producer = AIOKafkaProducer(
        **client_kwargs(kafka_bootstrap, "registry"), enable_idempotence=True, acks="all"
    )
    await producer.start()

    async def publish(name: str) -> None:
        event = council(name, uuid.UUID(int=1))  # one key: one partition, in order
        meta = EventMetadata(source="/tests", type=event.event_type, subject=event.partition_key())
        await producer.send_and_wait(
            topic,
            event.model_dump_json().encode(),
            key=event.partition_key().encode(),
            headers=to_kafka_headers(meta),
        )

    async def effect_count() -> int:
        async with runtime.database.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(effects)) or 0)

    await runtime.start()
    try:
        await publish("before")
        for _ in range(200):
            if await effect_count() == 1:
                break
            await asyncio.sleep(0.1)
        assert await effect_count() == 1
        # Offsets are committed after the effect, by small batches: wait for "before" to be.
        for _ in range(100):
            if await committed_offset(kafka_bootstrap, consumer.group_id, topic) == 1:
                break
            await asyncio.sleep(0.1)
        offset_before = await committed_offset(kafka_bootstrap, consumer.group_id, topic)
        assert offset_before == 1

        await proxy.cut()
        for index in range(5):
            await publish(f"during-{index}")
        await asyncio.sleep(4)
        readiness = await runtime.readiness()
        assert readiness["database"] != "ok"
        assert readiness["kafka"] == "ok"
        assert await committed_offset(kafka_bootstrap, consumer.group_id, topic) == offset_before

        await proxy.restore()
        for _ in range(300):
            if await effect_count() == 6:
                break
            await asyncio.sleep(0.1)
        async with runtime.database.sessionmaker() as session:
            names = sorted((await session.scalars(select(effects.c.name))).all())
        assert names == sorted(["before", *(f"during-{i}" for i in range(5))])
        assert (await runtime.readiness())["database"] == "ok"
    finally:
        await producer.stop()
        await runtime.stop()
