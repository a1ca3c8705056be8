"""`projection.apply_many` (what the replay runs) leaves the tables exactly as one `apply` per fact.

The facts mix registry facts, instance facts and runs of registration facts: confirmed,
waitlisted (on a scheduled instance and on one never scheduled), a redelivery, a promotion, a
cancellation that takes away a « Je viens », a registration made and cancelled within one run.
A run of registration facts is written in a few statements, not a few per fact.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select

from conseils_meetings import projection
from conseils_meetings.tables import metadata
from conseils_runtime import Database
from conseils_runtime.territory import TerritoryConfig, default_territory_path, load_territory
from conseils_schemas import (
    AttendanceRecorded,
    CouncilRegistered,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MemberJoined,
    MemberLeft,
    MinutesPublished,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from conseils_schemas.events import AttendanceConfirmed, InstanceUpdated

START = datetime(2027, 3, 2, 17, 30, tzinfo=UTC)


def _facts() -> list[tuple[Event, datetime]]:
    council = uuid.uuid4()
    members = [uuid.uuid4() for _ in range(6)]
    first, second, never = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    seats = {(instance, member): uuid.uuid4() for instance in (first, second, never) for member in members}

    def registration(kind: type[Event], instance: uuid.UUID, member: int, **extra: Any) -> Event:
        return kind(
            registration_id=seats[instance, members[member]],
            instance_id=instance,
            member_id=members[member],
            council_id=council,
            mode="observer" if member == 5 else "participant",
            **extra,
        )

    def scheduled(instance: uuid.UUID, title: str) -> Event:
        return InstanceScheduled(
            instance_id=instance,
            instance_type="copil",
            title=title,
            council_ids=[council],
            scope="territory",
            starts_at=START,
            ends_at=START + timedelta(hours=2),
            location="Mairie",
            is_political=True,
            is_evening=True,
        )

    events: list[Event] = [
        CouncilRegistered(
            council_id=council,
            territory="plaine-commune",
            city="Stains",
            city_code="93072",
            neighbourhood="Clos",
            name="Conseil citoyen du Clos",
        ),
        *(
            MemberJoined(member_id=m, council_id=council, college="habitants", joined_on=date(2027, 1, 4))
            for m in members
        ),
        scheduled(first, "COPIL de mars"),
        scheduled(second, "COPIL bis"),
        registration(RegistrationConfirmed, first, 0),
        registration(RegistrationConfirmed, second, 0),
        registration(RegistrationConfirmed, first, 1),
        registration(RegistrationWaitlisted, first, 2, position=1),
        registration(RegistrationWaitlisted, never, 3, position=1),  # no such instance: ignored
        registration(RegistrationConfirmed, first, 0),  # redelivered
        registration(RegistrationWaitlisted, first, 3, position=2),
        registration(RegistrationConfirmed, second, 4),
        registration(RegistrationCancelled, second, 4),  # made and undone in one run
        AttendanceConfirmed(
            instance_id=first,
            registration_id=seats[first, members[1]],
            member_id=members[1],
            confirmed_at=START - timedelta(days=1),
        ),
        registration(RegistrationCancelled, first, 1),  # takes her « Je viens » away
        registration(RegistrationPromoted, first, 2),
        registration(RegistrationWaitlisted, second, 5, position=1),
        MemberJoined(
            member_id=uuid.uuid4(), council_id=council, college="habitants", joined_on=date(2027, 2, 1)
        ),
        registration(RegistrationWaitlisted, first, 5, position=2),
        registration(RegistrationCancelled, first, 3),
        AttendanceRecorded(
            instance_id=first,
            present_member_ids=[members[0], members[2], members[4]],
            recorded_at=START + timedelta(hours=2),
        ),
        InstanceHeld(instance_id=first, held_at=START + timedelta(hours=2)),
    ]
    return [(event, START - timedelta(days=10) + timedelta(minutes=n)) for n, event in enumerate(events)]


async def _tables(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    async with database.sessionmaker() as session:
        return {
            name: sorted((tuple(row) for row in await session.execute(select(table))), key=repr)
            for name, table in metadata.tables.items()
        }


async def _built(
    url: str, territory: TerritoryConfig, facts: list[tuple[Event, datetime]], many: bool
) -> Any:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.drop_all)
        await database.create_all(metadata)
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        sa_event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        async with database.sessionmaker() as session, session.begin():
            if many:
                await projection.apply_many(session, facts, territory)
            else:
                for event, at in facts:
                    await projection.apply(session, event, at, territory)
        sa_event.remove(database.engine.sync_engine, "before_cursor_execute", count)
        return await _tables(database), statements
    finally:
        await database.dispose()


async def test_apply_many_gives_the_tables_of_one_apply_per_fact(database_url: str) -> None:
    territory = load_territory(default_territory_path())
    facts = _facts()
    one_by_one, _ = await _built(database_url, territory, facts, many=False)
    batched, _ = await _built(database_url, territory, facts, many=True)
    assert batched == one_by_one
    registrations = one_by_one["registrations"]
    assert sorted(row[5] for row in registrations) == [
        "cancelled",
        "cancelled",
        "cancelled",
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert sorted(row[6] for row in registrations if row[5] == "waitlisted") == [
        1,
        3,
    ]  # the order of the list
    assert one_by_one["attendance_confirmations"] == []
    assert len(one_by_one["attendance"]) == 3


async def test_a_run_of_registrations_is_written_in_a_few_statements(database_url: str) -> None:
    territory = load_territory(default_territory_path())
    facts = _facts()
    instance = next(event for event, _ in facts if isinstance(event, InstanceScheduled))
    council = instance.council_ids[0]
    start = facts[-1][1]
    run: list[tuple[Event, datetime]] = [
        (
            RegistrationConfirmed(
                registration_id=uuid.uuid4(),
                instance_id=instance.instance_id,
                member_id=uuid.uuid4(),
                council_id=council,
                mode="participant",
            ),
            start + timedelta(seconds=n),
        )
        for n in range(200)
    ]
    _, alone = await _built(database_url, territory, facts, many=True)
    tables_after, statements = await _built(database_url, territory, facts + run, many=True)
    assert len(tables_after["registrations"]) == 8 + 200
    assert len(statements) - len(alone) <= 5  # one SELECT, one INSERT (executemany): not 2 per fact


def _instance_facts() -> list[tuple[Event, datetime]]:
    """An instance's whole life in one run, with the facts that change nothing or come too early."""
    council, other = uuid.uuid4(), uuid.uuid4()
    members = [uuid.uuid4() for _ in range(4)]
    moved, kept, cancelled, never = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    later = START + timedelta(days=7)
    registry: list[Event] = [
        CouncilRegistered(
            council_id=council,
            territory="plaine-commune",
            city="Stains",
            city_code="93072",
            neighbourhood="Clos",
            name="Conseil citoyen du Clos",
        ),
        *(
            MemberJoined(member_id=m, council_id=council, college="habitants", joined_on=date(2027, 1, 4))
            for m in members[:3]
        ),
        MemberLeft(member_id=members[2], council_id=council, left_on=START.date() + timedelta(days=3)),
        MemberJoined(
            member_id=members[2],
            council_id=other,
            college="habitants",
            joined_on=START.date() + timedelta(days=3),
        ),
    ]

    def scheduled(instance: uuid.UUID, title: str) -> Event:
        return InstanceScheduled(
            instance_id=instance,
            instance_type="copil",
            title=title,
            council_ids=[council, other],
            scope="territory",
            starts_at=START,
            ends_at=START + timedelta(hours=2),
            location="Mairie",
            is_political=True,
            is_evening=True,
        )

    def attendance(instance: uuid.UUID, present: list[int], **extra: Any) -> Event:
        return AttendanceRecorded(
            instance_id=instance,
            present_member_ids=[members[n] for n in present],
            recorded_at=later + timedelta(hours=2),
            **extra,
        )

    run: list[Event] = [
        InstanceHeld(instance_id=moved, held_at=START),  # before it is scheduled: nothing to apply it to
        scheduled(moved, "COPIL déplacé"),
        scheduled(kept, "COPIL tenu"),
        scheduled(cancelled, "COPIL annulé"),
        InstanceCancelled(instance_id=never, reason="?", sequence=1),
        scheduled(moved, "COPIL redélivré"),  # redelivered: changes nothing
        InstanceUpdated(instance_id=kept, title="COPIL tenu (titre)", theme="emploi", updated_at=START),
        InstanceRescheduled(
            instance_id=moved,
            starts_at=later,
            ends_at=later + timedelta(hours=2),
            location="Salle des fêtes",
            previous_starts_at=START,
            sequence=1,
        ),
        InstanceRescheduled(  # an older move arriving late
            instance_id=moved,
            starts_at=START,
            ends_at=START + timedelta(hours=2),
            location="Mairie",
            previous_starts_at=START,
            sequence=1,
        ),
        InstanceCancelled(instance_id=cancelled, reason="Salle indisponible", sequence=1),
        InstanceCancelled(instance_id=cancelled, reason="Encore", sequence=2),
        attendance(kept, [0, 1, 2], other_attendees=[]),
        attendance(
            moved,
            [0, 2, 3],  # 2 changed council before the new date; 3 is unknown to the read model
            convened=[{"council_id": council, "member_ids": [members[0], members[1]]}],
            other_attendees=[{"category": "elected", "organisation": "Ville", "role": "maire", "count": 1}],
        ),
        InstanceHeld(instance_id=moved, held_at=later + timedelta(hours=2)),
        attendance(kept, [1]),  # the latest record replaces the first
        InstanceHeld(instance_id=kept, held_at=START + timedelta(hours=2)),
        MinutesPublished(instance_id=kept, summary="Relevé.", published_at=later),
        attendance(never, [0]),
    ]
    at = START - timedelta(days=30)
    facts = [(event, at + timedelta(seconds=n)) for n, event in enumerate(registry)]
    return facts + [(event, START + timedelta(minutes=n)) for n, event in enumerate(run)]


async def test_a_run_of_instance_facts_gives_the_tables_of_one_apply_per_fact(database_url: str) -> None:
    territory = load_territory(default_territory_path())
    facts = _instance_facts()
    one_by_one, alone = await _built(database_url, territory, facts, many=False)
    batched, statements = await _built(database_url, territory, facts, many=True)
    assert batched == one_by_one
    assert len(statements) < len(alone) / 2
    by_title = {row[2]: row for row in one_by_one["instances"]}
    assert sorted(by_title) == ["COPIL annulé", "COPIL déplacé", "COPIL tenu (titre)"]
    assert [by_title[t][10] for t in sorted(by_title)] == ["cancelled", "held", "minutes_published"]
    assert len(one_by_one["attendance"]) == 3 + 1  # moved: 3 present; kept: the latest record only
    assert len(one_by_one["convened"]) == 2
    assert len(one_by_one["instance_councils"]) == 6
