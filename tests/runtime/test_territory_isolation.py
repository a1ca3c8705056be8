"""Two territories on one Kafka cluster never see each other's events:
topics and consumer groups both carry the territory slug."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import MetaData

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings
from conseils_schemas import CouncilRegistered
from tests.runtime.test_consumer_and_outbox import council

pytestmark = [pytest.mark.kafka]


def service(kafka: str, territory: str, tmp_db: str, seen: list[str]) -> ServiceRuntime:
    settings = ServiceSettings(
        service_name="probe",
        territory=territory,
        kafka_bootstrap_servers=kafka,
        database_url=tmp_db,
        log_json=False,
    )
    runtime = ServiceRuntime(settings, MetaData())
    consumer = runtime.consumer("read-model")

    @consumer.on(CouncilRegistered)
    async def remember(event: CouncilRegistered, _context: EventContext) -> None:
        seen.append(event.name)

    return runtime


async def test_two_territories_on_one_cluster_do_not_see_each_other(
    kafka_bootstrap: str, tmp_path: object
) -> None:
    suffix = uuid.uuid4().hex[:8]
    territories = (f"nord-{suffix}", f"sud-{suffix}")
    seen: dict[str, list[str]] = {name: [] for name in territories}
    runtimes = [
        service(kafka_bootstrap, name, f"sqlite+aiosqlite:///{tmp_path}/{name}.db", seen[name])
        for name in territories
    ]
    for runtime in runtimes:
        await runtime.start()
    try:
        for runtime, name in zip(runtimes, territories, strict=True):
            async with runtime.database.sessionmaker() as session, session.begin():
                await runtime.outbox.add(session, council(f"conseil de {name}"))
        deadline = asyncio.get_running_loop().time() + 60
        while not all(seen.values()) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # leave time for a leak to show up
    finally:
        for runtime in runtimes:
            await runtime.stop()
    assert seen == {name: [f"conseil de {name}"] for name in territories}
    groups = {runtime.consumers[0].group_id for runtime in runtimes}
    assert groups == {f"{name}.probe.read-model" for name in territories}
