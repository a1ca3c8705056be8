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

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from conseils_meetings import projection
from conseils_runtime import Database
from conseils_runtime.kafka_security import aiokafka_kwargs
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import (
    EVENT_TYPES,
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
APPLIED_TYPES = frozenset(name for name, model in EVENT_TYPES.items() if model in APPLIED)
SLICE = 2_000
"""Events parsed and applied together: the log keeps raw bytes, only a slice is ever parsed."""

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


class ReplayLog:
    """The replayable records of a territory, oldest first (``ce_time``, then offset), kept as
    their raw bytes: each is parsed by pydantic only when it is applied, a slice at a time, so a
    national year's log holds its bytes rather than 150,000 models (the rebuild's peak RSS was
    422 MB when the whole log was parsed first). ``len`` counts the records of a replayed type;
    iterating yields ``(ce_time, event)`` and skips a body that does not parse (it was
    dead-lettered at the time, as the live consumer did)."""

    def __init__(self, entries: list[tuple[datetime, int, str, bytes]]) -> None:
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[datetime, Event]]:
        for occurred_at, _offset, event_type, value in self._entries:
            try:
                event = parse_event(event_type, value)
            except (UnknownEventType, ValueError):
                continue
            yield occurred_at, event

    def slices(self, size: int = SLICE) -> Iterator[list[tuple[datetime, Event]]]:
        batch: list[tuple[datetime, Event]] = []
        for item in self:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


async def read_log(bootstrap_servers: str, territory_slug: str) -> ReplayLog:
    """Every replayable record of the territory, oldest first (parsed when applied)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **aiokafka_kwargs(),  # SASL from CONSEILS_KAFKA_* on a secured broker
    )
    entries: list[tuple[datetime, int, str, bytes]] = []
    try:
        await consumer.start()  # inside: a broker that refuses it still gets the consumer closed
        partitions = await replayed_partitions(bootstrap_servers, territory_slug)
        if not partitions:
            return ReplayLog([])
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
                    entry = _entry(record)
                    if entry is not None:
                        entries.append(entry)
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return ReplayLog(entries)


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


def _entry(record: Any) -> tuple[datetime, int, str, bytes] | None:
    if record.value is None:
        return None
    try:
        metadata = from_kafka_headers(record.headers)
    except (InvalidEnvelope, ValueError):
        return None  # not ours to replay (or dead-lettered at the time)
    if metadata.type not in APPLIED_TYPES:
        return None
    return metadata.time, record.offset, metadata.type, bytes(record.value)


async def rebuild(
    database: Database, territory: TerritoryConfig, events: ReplayLog | list[tuple[datetime, Event]]
) -> int:
    """Apply the events to the (empty) database, in one transaction, a slice at a time; returns
    how many were applied."""
    slices = events.slices() if isinstance(events, ReplayLog) else [events]
    applied = 0
    async with database.sessionmaker() as session, session.begin():
        for part in slices:
            await projection.apply_many(
                session, [(event, occurred_at) for occurred_at, event in part], territory
            )
            applied += len(part)
    return applied
