"""Small helpers shared by the scenarios: produce events as a service would (CloudEvents
binary headers), count rows in a service's table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from conseils_runtime import Database
from conseils_runtime.kafka_security import aiokafka_kwargs
from conseils_schemas import Event, EventMetadata, source_for, to_kafka_headers, topic_name


async def produce_events(bootstrap: str, territory: str, service: str, events: Sequence[Event]) -> None:
    """Send ``events`` on the territory's topics with their CloudEvents headers (acks=all)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=512 * 1024, **aiokafka_kwargs()
    )
    await producer.start()
    try:
        source = source_for(territory, service)
        pending = []
        for event in events:
            metadata = EventMetadata.for_event(event, source=source)
            pending.append(
                await producer.send(
                    topic_name(territory, event.topic),
                    event.model_dump_json().encode(),
                    key=event.partition_key().encode(),
                    headers=to_kafka_headers(metadata),
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def count_rows(database: Database, table: str, where: str = "") -> int:
    async with database.engine.connect() as connection:
        query = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")  # noqa: S608 - our own names
        return int((await connection.execute(text(query))).scalar_one())


async def wait_rows(
    database: Database, table: str, at_least: int, timeout: float = 60, where: str = ""
) -> float:
    """Poll until ``table`` has ``at_least`` rows; returns the time it took."""
    started = time.perf_counter()
    while await count_rows(database, table, where) < at_least:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{table}: fewer than {at_least} rows after {timeout} s")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


OWN_NAMES: set[str] = set()
"""Every territory slug or topic name this process's benchmarks made (``own_name``): the run
deletes only their topics at its end, never those of another run on the same broker."""


def own_name(prefix: str, length: int = 6) -> str:
    """A fresh name (``prefix`` + random hex) recorded as this process's own."""
    import uuid

    name = f"{prefix}{uuid.uuid4().hex[:length]}"
    OWN_NAMES.add(name)
    return name


def is_own_topic(topic: str) -> bool:
    """A topic named by ``own_name``: the name itself, or one of that territory's topics."""
    return any(topic == name or topic.startswith(f"{name}.") for name in OWN_NAMES)


async def list_topics(bootstrap: str) -> set[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **aiokafka_kwargs())
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, names: set[str], batch: int = 50) -> None:
    """Delete the benchmark's own topics so a shared broker does not pile them up."""
    from aiokafka.admin import AIOKafkaAdminClient

    if not names:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=60_000, **aiokafka_kwargs())
    await admin.start()
    try:
        ordered = sorted(names)
        for start in range(0, len(ordered), batch):
            await admin.delete_topics(ordered[start : start + batch], timeout_ms=60_000)
    finally:
        await admin.close()
