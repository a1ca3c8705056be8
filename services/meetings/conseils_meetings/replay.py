"""Rebuild a meetings database from the event log alone.

Reads the registry topics (councils, members, referents) and the meetings
topics (instances, registrations, outcomes) of a territory from their
beginning, in the order the events were written (`ce_time`, then offset), and
applies them to an empty database with `projection.apply`: the same code the
live service and consumers use, so the bilan computed on the rebuilt database
equals the live one. Document files are not in the log (only their metadata).

A topic whose beginning was deleted (retention) cannot be replayed: the
replay refuses (`TruncatedLog`) rather than print a bilan that would be wrong.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from conseils_meetings import projection
from conseils_runtime import Database
from conseils_runtime.kafka_security import aiokafka_kwargs
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import (
    Event,
    InvalidEnvelope,
    UnknownEventType,
    from_kafka_headers,
    parse_event,
    topic_name,
)
from conseils_schemas.topics import (
    MEETINGS_INSTANCES,
    MEETINGS_OUTCOMES,
    MEETINGS_REGISTRATIONS,
    MEETINGS_VOICE,
    REGISTRY_COUNCILS,
    REGISTRY_MEMBERS,
)

APPLIED = frozenset(projection.APPLIED_EVENTS)

REPLAYED_TOPICS = (
    REGISTRY_COUNCILS,
    REGISTRY_MEMBERS,
    MEETINGS_INSTANCES,
    MEETINGS_REGISTRATIONS,
    MEETINGS_OUTCOMES,
    MEETINGS_VOICE,
)


class TruncatedLog(RuntimeError):
    """A replayed topic no longer starts at offset 0: its beginning was deleted (retention)."""


async def read_log(bootstrap_servers: str, territory_slug: str) -> list[tuple[datetime, Event]]:
    """Every replayable event of the territory, oldest first."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **aiokafka_kwargs(),  # SASL from CONSEILS_KAFKA_* on a secured broker
    )
    await consumer.start()
    events: list[tuple[datetime, int, Event]] = []
    try:
        partitions = await replayed_partitions(bootstrap_servers, territory_slug)
        if not partitions:
            return []
        consumer.assign(partitions)
        starts = await consumer.beginning_offsets(partitions)
        truncated = sorted(
            f"{tp.topic}[{tp.partition}] starts at {starts[tp]}" for tp in partitions if starts[tp] > 0
        )
        if truncated:
            raise TruncatedLog(
                "Le journal ne commence plus au début (rétention) : "
                + ", ".join(truncated)
                + ". Un bilan recalculé serait faux ; vérifiez la rétention des topics (docs/operations.md)."
            )
        for tp in partitions:
            consumer.seek(tp, 0)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    event = _parse(record)
                    if event is not None:
                        events.append((event[0], record.offset, event[1]))
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    events.sort(key=lambda item: (item[0], item[1]))
    return [(time, event) for time, _offset, event in events]


async def replayed_partitions(bootstrap_servers: str, territory_slug: str) -> list[TopicPartition]:
    """The partitions of the territory's replayed topics that exist (a missing topic is not created)."""
    topics = [topic_name(territory_slug, base) for base in REPLAYED_TOPICS]
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="conseils-replay", **aiokafka_kwargs()
    )
    await admin.start()
    try:
        # Describe only existing topics: a metadata request may create missing ones.
        existing = set(await admin.list_topics())
        wanted = [topic for topic in topics if topic in existing]
        described = await admin.describe_topics(wanted) if wanted else []
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic["error_code"] == 0
        for partition in sorted(topic["partitions"], key=lambda p: int(p["partition"]))
    ]


def _parse(record: Any) -> tuple[datetime, Event] | None:
    if record.value is None:
        return None
    try:
        metadata = from_kafka_headers(record.headers)
        event = parse_event(metadata.type, record.value)
    except (InvalidEnvelope, UnknownEventType, ValueError):
        return None  # not ours to replay (or dead-lettered at the time)
    if type(event) not in APPLIED:
        return None
    return metadata.time, event


async def rebuild(
    database: Database, territory: TerritoryConfig, events: list[tuple[datetime, Event]]
) -> int:
    """Apply the events to the (empty) database; returns how many were applied."""
    async with database.sessionmaker() as session, session.begin():
        await projection.apply_many(
            session, [(event, occurred_at) for occurred_at, event in events], territory
        )
    return len(events)
