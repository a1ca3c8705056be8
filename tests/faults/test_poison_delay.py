"""A poison message costs the messages behind it on its partition no more than
its retry budget: with the production defaults (3 attempts, 0.2 s exponential
backoff: 0.2 + 0.4 s of pauses) the next message on the same partition is
handled barely later than it would have been without the poison, and the
poison is in the dead-letter topic after exactly 3 attempts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
from conseils_schemas import CouncilRegistered, dlq_topic, topic_name
from tests.faults.harness import Publisher, probe_identity, read_topic
from tests.runtime.test_consumer_and_outbox import council

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

RETRY_PAUSES = 0.2 + 0.4  # ServiceSettings defaults: backoff 0.2 s, doubled, between 3 attempts
SLACK = 2.0  # scheduling on a shared 2-core machine


class TimedProbe:
    def __init__(self, kafka: str, database_url: str, territory: str) -> None:
        metadata = MetaData()
        self.effects = Table(
            "effects",
            metadata,
            Column("name", String(200), primary_key=True),
            Column("at", DateTime(timezone=True)),
        )
        settings = ServiceSettings(
            **probe_identity(kafka),
            territory=territory,
            kafka_bootstrap_servers=kafka,
            database_url=database_url,
            log_json=False,
        )
        assert settings.max_attempts == 3
        assert settings.retry_backoff_seconds == pytest.approx(0.2)
        self.runtime = ServiceRuntime(settings, metadata)
        self.publisher = Publisher(kafka, territory)  # written as `registry`, consumed as `meetings`
        self.handled: dict[str, float] = {}
        consumer = self.runtime.consumer("probe")

        @consumer.on(CouncilRegistered)
        async def record(event: CouncilRegistered, context: EventContext) -> None:
            if event.name.startswith("poison"):
                raise RuntimeError("cannot handle this one")
            await context.session.execute(insert(self.effects).values(name=event.name))
            self.handled[event.name] = asyncio.get_running_loop().time()

    async def names(self) -> set[str]:
        async with self.runtime.database.sessionmaker() as session:
            return set((await session.scalars(select(self.effects.c.name))).all())

    async def publish_and_time(self, *events: CouncilRegistered) -> float:
        """Seconds from the publication of `events` to the effect of the last one."""
        started = asyncio.get_running_loop().time()
        await self.publisher.send(events)
        last = events[-1].name
        for _ in range(600):
            if last in self.handled and last in await self.names():
                return self.handled[last] - started
            await asyncio.sleep(0.02)
        raise AssertionError(f"{last} never handled")


@pytest.fixture
async def probe(kafka_bootstrap: str, postgres_url: str, territory: str) -> AsyncIterator[TimedProbe]:
    service = TimedProbe(kafka_bootstrap, postgres_url, territory)
    await service.runtime.start()
    try:
        yield service
    finally:
        await service.runtime.stop()


async def test_a_poison_message_delays_the_next_one_by_its_retry_budget_only(
    probe: TimedProbe, kafka_bootstrap: str, territory: str
) -> None:
    key = uuid.uuid4()  # one key: one partition, the poison right before the victim
    await probe.publish_and_time(council("warm-up", key))
    baseline = min([await probe.publish_and_time(council(f"plain-{i}", key)) for i in range(3)])

    behind_poison = await probe.publish_and_time(council("poison", key), council("behind-the-poison", key))

    print(f"baseline {baseline:.2f} s, behind the poison {behind_poison:.2f} s")
    assert behind_poison - baseline < RETRY_PAUSES + SLACK, (baseline, behind_poison)
    dead = await read_topic(kafka_bootstrap, dlq_topic(topic_name(territory, "registry.councils")), 1)
    assert [dict(record.headers)["dlq_attempts"] for record in dead] == [b"3"]
