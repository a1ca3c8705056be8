"""The bench dataset (:mod:`conseils_cli.bench.dataset`) as the events the services publish,
and a bulk publisher for them (raw aiokafka, not timed as ours).

The registry's facts (councils, members, referents) come first, on the first day of the year;
then each instance's life: scheduled a month before it starts, its registrations (a few
cancelled), cancelled two days before or recorded as held with its attendance. Every event
gets its own ``ce_time`` (one microsecond apart at least), so the replay's order (``ce_time``,
then offset) is the order in which they are built. Attendance records carry no ``convened``
list (as records written before it existed): the bench's seeded database has none either, so
both give the same invited figures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from conseils_cli.bench.dataset import Dataset, Instance, Registration
from conseils_runtime.kafka_security import aiokafka_kwargs
from conseils_schemas import (
    AttendanceRecorded,
    CouncilRegistered,
    Event,
    EventMetadata,
    InstanceCancelled,
    InstanceHeld,
    InstanceScheduled,
    MemberJoined,
    ReferentDesignated,
    RegistrationCancelled,
    RegistrationConfirmed,
    source_for,
    to_kafka_headers,
    topic_name,
)

TICK = timedelta(microseconds=1)
Timed = tuple[datetime, str, Event]
"""(ce_time, producing service, event)."""


def registry_events(data: Dataset) -> Iterator[Timed]:
    at = datetime.combine(data.year_from, datetime.min.time(), UTC) - timedelta(days=1)
    for council in data.councils:
        at += TICK
        yield (
            at,
            "registry",
            CouncilRegistered(
                council_id=council.id,
                territory=data.slug,
                city=council.city_name,
                city_code=council.city_code,
                neighbourhood=council.neighbourhood,
                name=council.name,
            ),
        )
    for member in data.members:
        at += TICK
        yield (
            at,
            "registry",
            MemberJoined(
                member_id=member.id,
                council_id=member.council_id,
                college="habitants",
                role=member.role,
                joined_on=data.year_from,
                themes_followed=member.themes,
            ),
        )
    for council_id, theme, member_id in data.referents:
        at += TICK
        yield (
            at,
            "registry",
            ReferentDesignated(council_id=council_id, theme=theme, member_id=member_id, since=data.year_from),
        )


def _instance_events(instance: Instance, registrations: list[Registration]) -> Iterator[Timed]:
    scheduled_at = instance.starts_at - timedelta(days=30)
    ends_at = instance.starts_at + timedelta(hours=2)
    yield (
        scheduled_at,
        "meetings",
        InstanceScheduled(
            instance_id=instance.id,
            instance_type=instance.instance_type,
            title=instance.title,
            theme=instance.theme,
            city_code=instance.city_code,
            council_ids=instance.council_ids,
            scope=instance.scope,
            starts_at=instance.starts_at,
            ends_at=ends_at,
            location="Maison de quartier",
            is_political=instance.instance_type == "copil",
            is_evening=True,
            observers_allowed=instance.instance_type != "formation",
            timezone="Europe/Paris",
        ),
    )
    at = scheduled_at + timedelta(days=1)
    for registration in registrations:
        at += timedelta(seconds=1)
        yield at, "meetings", RegistrationConfirmed(**_registration(registration))
    at = instance.starts_at - timedelta(days=10)
    for registration in registrations:
        if registration.status == "cancelled":
            at += timedelta(seconds=1)
            yield at, "meetings", RegistrationCancelled(**_registration(registration))
    if instance.status == "cancelled":
        yield (
            instance.starts_at - timedelta(days=2),
            "meetings",
            InstanceCancelled(
                instance_id=instance.id,
                reason="Salle indisponible",
                sequence=1,
                title=instance.title,
                starts_at=instance.starts_at,
            ),
        )
    elif instance.status == "held":
        present = [r.member_id for r in registrations if r.present]
        yield (
            ends_at,
            "meetings",
            AttendanceRecorded(instance_id=instance.id, present_member_ids=present, recorded_at=ends_at),
        )
        yield ends_at + TICK, "meetings", InstanceHeld(instance_id=instance.id, held_at=ends_at)


def _registration(registration: Registration) -> dict[str, object]:
    return {
        "registration_id": registration.id,
        "instance_id": registration.instance_id,
        "member_id": registration.member_id,
        "council_id": registration.council_id,
        "mode": registration.mode,
    }


def meetings_events(data: Dataset) -> Iterator[Timed]:
    by_instance: dict[object, list[Registration]] = {}
    for registration in data.registrations:
        by_instance.setdefault(registration.instance_id, []).append(registration)
    for instance in data.instances:
        yield from _instance_events(instance, by_instance.get(instance.id, []))


def year_of_events(data: Dataset) -> list[Timed]:
    """Every event of the dataset's year, oldest first (distinct times)."""
    events = sorted([*registry_events(data), *meetings_events(data)], key=lambda item: item[0])
    timed: list[Timed] = []
    previous: datetime | None = None
    for built_at, service, event in events:
        at = built_at if previous is None or built_at > previous else previous + TICK
        timed.append((at, service, event))
        previous = at
    return timed


async def publish(bootstrap: str, territory: str, events: list[Timed]) -> int:
    """Send the events as the outbox relay does (key, CloudEvents headers, JSON value), in bulk."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=20,
        max_batch_size=1024 * 1024,
        compression_type=None,
        **aiokafka_kwargs(),
    )
    sources = {service: source_for(territory, service) for service in ("registry", "meetings")}
    await producer.start()
    try:
        pending: list[asyncio.Future[object]] = []
        for at, service, event in events:
            metadata = EventMetadata.for_event(event, source=sources[service], time=at)
            pending.append(
                await producer.send(
                    topic_name(territory, event.topic),
                    event.model_dump_json().encode(),
                    key=event.partition_key().encode(),
                    headers=to_kafka_headers(metadata),
                )
            )
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return len(events)
