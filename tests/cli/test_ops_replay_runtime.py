"""A real dead letter of the runtime, replayed by ``conseils ops``, reaches the consumer that
failed once the cause is fixed, and has its effect exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select

from conseils_runtime import EventContext, ServiceRuntime, ServiceSettings, flows
from conseils_schemas import CouncilRegistered, dlq_topic, topic_name

pytestmark = pytest.mark.kafka


async def wait_for(condition: str, check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {condition}")


async def caught_up(kafka: str, territory: str, group: str) -> bool:
    status = await flows.collect_status(kafka, territory, window=0)
    lags = [g.lag_messages for g in status.groups if g.group == group]
    return bool(lags) and sum(lags) == 0


async def test_replayed_dead_letter_is_handled_once_the_cause_is_fixed(
    kafka_bootstrap: str, territory: str, tmp_path: Path
) -> None:
    metadata = MetaData()
    effects = Table("effects", metadata, Column("id", String(64), primary_key=True))
    settings = ServiceSettings(
        service_name="probe",
        territory=territory,
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}",
        max_attempts=2,
        retry_backoff_seconds=0.05,
        log_json=False,
    )
    runtime = ServiceRuntime(settings, metadata)
    smtp_down = True
    calls: list[str] = []

    @runtime.consumer("probe").on(CouncilRegistered)
    async def record(event: CouncilRegistered, context: EventContext) -> None:
        calls.append(context.metadata.id)
        if smtp_down:
            raise RuntimeError("SMTP indisponible")
        await context.session.execute(insert(effects).values(id=context.metadata.id))

    async def effect_ids() -> list[str]:
        async with runtime.database.sessionmaker() as session:
            return [row[0] for row in await session.execute(select(effects.c.id))]

    source = topic_name(territory, "registry.councils")
    dlq = dlq_topic(source)
    await runtime.start()
    try:
        event = CouncilRegistered(
            council_id=uuid.uuid4(),
            territory=territory,
            city="Saint-Denis",
            city_code="93066",
            neighbourhood="Franc-Moisin",
            name="Conseil citoyen Franc-Moisin",
            status="active",
        )
        async with runtime.database.sessionmaker() as session, session.begin():
            await runtime.outbox.add(session, event)

        async def dead_lettered() -> bool:
            return (await flows.plan_replay(kafka_bootstrap, territory, dlq)).pending == 1

        await wait_for("the dead letter", dead_lettered)
        assert len(calls) == 2  # max_attempts
        assert await effect_ids() == []

        smtp_down = False  # the operator fixed the cause
        result = await flows.replay_dead_letters(
            kafka_bootstrap, territory, await flows.plan_replay(kafka_bootstrap, territory, dlq)
        )
        assert [r["to_topic"] for r in result.replayed] == [source]

        async def handled() -> bool:
            return len(await effect_ids()) == 1

        await wait_for("the replayed event's effect", handled)
        assert await effect_ids() == [calls[0]]  # same ce_id as the original event

        # Replaying again publishes nothing; replaying everything is absorbed by idempotence.
        assert (await flows.plan_replay(kafka_bootstrap, territory, dlq)).pending == 0
        again = await flows.replay_dead_letters(
            kafka_bootstrap,
            territory,
            await flows.plan_replay(kafka_bootstrap, territory, dlq, include_replayed=True),
        )
        assert len(again.replayed) == 1
        status = await flows.collect_status(kafka_bootstrap, territory, window=0)
        await wait_for(
            "the probe to consume the second replay",
            lambda: caught_up(kafka_bootstrap, territory, f"{territory}.probe.probe"),
        )
        assert await effect_ids() == [calls[0]]
        assert len(calls) == 3  # two failed attempts, one success; the duplicate never reached the handler
        assert (status.dead_letters[dlq], status.dead_letters_not_replayed[dlq]) == (1, 0)
        assert sum(status.dead_letters.values()) == 1
    finally:
        await runtime.stop()
