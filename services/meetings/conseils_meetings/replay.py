"""Rebuild a meetings database from the event log alone.

Reads the registry topics (councils, members, referents) and the meetings
topics (instances, registrations) of a territory from their beginning, in
the order the events were written (`ce_time`), and applies them to an empty
database: the read model through the consumers' handlers, the instances,
registrations and attendance through the projections below. The bilan
computed on such a database equals the one of the live database, except
for what never travels as an event (forum outcomes, document files).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import consumers, tables
from conseils_meetings.repository import Repository
from conseils_runtime import Database
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import (
    AttendanceRecorded,
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    InvalidEnvelope,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    MinutesPublished,
    ReferentDesignated,
    ReferentWithdrawn,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    UnknownEventType,
    from_kafka_headers,
    parse_event,
    topic_name,
)
from conseils_schemas.topics import (
    MEETINGS_INSTANCES,
    MEETINGS_REGISTRATIONS,
    REGISTRY_COUNCILS,
    REGISTRY_MEMBERS,
)

REPLAYED_TOPICS = (REGISTRY_COUNCILS, REGISTRY_MEMBERS, MEETINGS_INSTANCES, MEETINGS_REGISTRATIONS)


async def _instance_scheduled(
    event: InstanceScheduled, session: AsyncSession, territory: TerritoryConfig
) -> None:
    del territory
    values = {
        "instance_type": event.instance_type,
        "title": event.title,
        "theme": event.theme,
        "city_code": event.city_code,
        "scope": event.scope,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "location": event.location,
        "status": "scheduled",
        "is_political": event.is_political,
        "is_evening": event.is_evening,
        "observers_allowed": event.observers_allowed,
        "sequence": event.sequence,
        "policy_warnings": list(event.policy_warnings),
    }
    repo = Repository(session)
    if await repo.instance(event.instance_id) is None:
        await session.execute(
            tables.instances.insert().values(
                id=event.instance_id,
                created_at=event.starts_at,
                scheduled_at=None,
                dossier_version=0,
                waitlist_counter=0,
                **values,
            )
        )
    else:
        await repo.update_instance(event.instance_id, **values)
    await repo.set_concerned(event.instance_id, event.council_ids)


async def _instance_rescheduled(
    event: InstanceRescheduled, session: AsyncSession, territory: TerritoryConfig
) -> None:
    repo = Repository(session)
    row = await repo.instance(event.instance_id)
    if row is None:
        return
    from conseils_meetings.domain import is_evening

    rule = next((k.evening_rule for k in territory.instance_types if k.slug == row["instance_type"]), None)
    await repo.update_instance(
        event.instance_id,
        status="rescheduled",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=event.location,
        sequence=event.sequence,
        policy_warnings=list(event.policy_warnings),
        is_evening=is_evening(event.starts_at, rule, territory.territory.timezone),
    )


async def _set(session: AsyncSession, instance_id: uuid.UUID, **values: Any) -> None:
    await Repository(session).update_instance(instance_id, **values)


async def _dossier_published(event: DossierPublished, session: AsyncSession, _t: TerritoryConfig) -> None:
    row = await Repository(session).instance(event.instance_id)
    if row is None:
        return
    await _set(
        session,
        event.instance_id,
        status="dossier_published" if row["status"] in ("scheduled", "rescheduled") else row["status"],
        dossier_version=event.dossier_version,
        dossier_published_at=event.published_at,
        first_dossier_published_at=row["first_dossier_published_at"] or event.published_at,
    )


async def _attendance(event: AttendanceRecorded, session: AsyncSession, _t: TerritoryConfig) -> None:
    repo = Repository(session)
    members = await repo.members_of(event.present_member_ids)
    confirmed = {
        r["member_id"]
        for r in await repo.registrations_of_instance(event.instance_id)
        if r["status"] == "confirmed"
    }
    await session.execute(
        tables.attendance.delete().where(tables.attendance.c.instance_id == event.instance_id)
    )
    if event.present_member_ids:
        await session.execute(
            tables.attendance.insert(),
            [
                {
                    "instance_id": event.instance_id,
                    "member_id": member_id,
                    "council_id": members[member_id]["council_id"] if member_id in members else None,
                    "registered": member_id in confirmed,
                }
                for member_id in sorted(set(event.present_member_ids))
            ],
        )


async def _registration(event: Event, session: AsyncSession, _t: TerritoryConfig) -> None:
    status = {
        RegistrationConfirmed: "confirmed",
        RegistrationPromoted: "confirmed",
        RegistrationWaitlisted: "waitlisted",
        RegistrationCancelled: "cancelled",
    }[type(event)]
    fields = event.model_dump()
    exists = await session.scalar(
        select(tables.registrations.c.id).where(tables.registrations.c.id == fields["registration_id"])
    )
    values = {
        "mode": fields["mode"],
        "status": status,
        "council_id": fields["council_id"],
        "waitlist_seq": fields.get("position", 0) if status == "waitlisted" else 0,
    }
    if exists is None:
        await session.execute(
            tables.registrations.insert().values(
                id=fields["registration_id"],
                instance_id=fields["instance_id"],
                member_id=fields["member_id"],
                created_at=_epoch(),
                updated_at=_epoch(),
                **values,
            )
        )
    else:
        await session.execute(
            update(tables.registrations)
            .where(tables.registrations.c.id == fields["registration_id"])
            .values(**values)
        )


def _epoch() -> datetime:
    from datetime import UTC

    return datetime(1970, 1, 1, tzinfo=UTC)


Projection = Callable[[Any, AsyncSession, TerritoryConfig], Awaitable[None]]


def _read_model(handler: Callable[[Any, AsyncSession], Awaitable[None]]) -> Projection:
    async def apply(event: Any, session: AsyncSession, _t: TerritoryConfig) -> None:
        await handler(event, session)

    return apply


PROJECTIONS: dict[type[Event], Projection] = {
    CouncilRegistered: _read_model(consumers.on_council_registered),
    CouncilUpdated: _read_model(consumers.on_council_updated),
    CouncilDissolved: _read_model(consumers.on_council_dissolved),
    ReferentDesignated: _read_model(consumers.on_referent_designated),
    ReferentWithdrawn: _read_model(consumers.on_referent_withdrawn),
    MemberJoined: _read_model(consumers.on_member_joined),
    MemberUpdated: _read_model(consumers.on_member_updated),
    MemberLeft: _read_model(consumers.on_member_left),
    MemberErased: _read_model(consumers.on_member_erased),
    InstanceScheduled: _instance_scheduled,
    InstanceRescheduled: _instance_rescheduled,
    InstanceCancelled: lambda e, s, _t: _set(s, e.instance_id, status="cancelled", sequence=e.sequence),
    InstanceHeld: lambda e, s, _t: _set(s, e.instance_id, status="held", held_at=e.held_at),
    DossierPublished: _dossier_published,
    MinutesPublished: lambda e, s, _t: _set(
        s,
        e.instance_id,
        status="minutes_published",
        minutes_summary=e.summary,
        minutes_published_at=e.published_at,
    ),
    AttendanceRecorded: _attendance,
    RegistrationConfirmed: _registration,
    RegistrationPromoted: _registration,
    RegistrationWaitlisted: _registration,
    RegistrationCancelled: _registration,
}


async def read_log(bootstrap_servers: str, territory_slug: str) -> list[tuple[datetime, Event]]:
    """Every replayable event of the territory, oldest first."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    events: list[tuple[datetime, int, Event]] = []
    try:
        partitions = await _partitions(
            bootstrap_servers, [topic_name(territory_slug, b) for b in REPLAYED_TOPICS]
        )
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
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


async def _partitions(bootstrap_servers: str, topics: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="conseils-replay")
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
    if type(event) not in PROJECTIONS:
        return None
    return metadata.time, event


async def rebuild(
    database: Database, territory: TerritoryConfig, events: list[tuple[datetime, Event]]
) -> int:
    """Apply the events to the (empty) database; returns how many were applied."""
    async with database.sessionmaker() as session, session.begin():
        for _time, event in events:
            await PROJECTIONS[type(event)](event, session, territory)
    return len(events)
