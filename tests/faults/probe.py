"""A tiny service for the runtime's fault tests: one consumer of registry.councils that records an
effect per event, or fails on a name starting with "poison". It runs under the meetings principal
(harness.probe_identity) so that, on the secured broker, its reads, commits and dead letters go
through the ACLs a real consumer of that topic has."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import Column, MetaData, String, Table, insert, select

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
from conseils_schemas import CouncilRegistered
from tests.faults.harness import probe_identity


class Probe:
    def __init__(self, kafka: str, database_url: str, territory: str) -> None:
        self.metadata = MetaData()
        self.effects = Table(
            "effects", self.metadata, Column("id", String(64), primary_key=True), Column("name", String(200))
        )
        settings = ServiceSettings(
            **probe_identity(kafka),
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
