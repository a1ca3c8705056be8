"""A run of instance facts and attendance records applied at once, with the result of one
`projection.apply` each.

`projection._instance_fact` reads the instance, lets `domain.InstanceAggregate.changes` say what
the fact sets and writes it back (and the concerned councils when it is scheduled);
`projection._attendance` reads the instance and its registrations, then replaces the attendance
and the convened list. On a replay these facts come by the dozen, so `apply_instance_facts`
reads every instance of the run with one SELECT (a draft inserted first for each instance
scheduled for the first time, as `_instance_fact` does), applies the facts to the rows in
memory in their order — the same `changes`, the same attendance rules — and writes back, per
table, what the run changed: the last values of each instance, the last attendance and convened
lists of each, in one statement per kind. The registrations and the registry read model are not
written by these facts, so they are read once for the run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.records import AttendanceRecord, InstanceRecord
from conseils_meetings.registration_batch import CHUNK
from conseils_meetings.repository import Repository
from conseils_schemas import (
    AttendanceRecorded,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
)
from conseils_schemas.events import InstanceUpdated

INSTANCE_FACTS: tuple[type[Event], ...] = (
    InstanceScheduled,
    InstanceRescheduled,
    InstanceCancelled,
    InstanceHeld,
    MinutesPublished,
    InstanceUpdated,
    AttendanceRecorded,
)
Draft = Callable[[InstanceScheduled], dict[str, Any]]


async def _rows(session: AsyncSession, table: Any, key: Any, ids: set[uuid.UUID]) -> list[Any]:
    ordered = sorted(ids)
    rows: list[Any] = []
    for start in range(0, len(ordered), CHUNK):
        query = select(table).where(key.in_(ordered[start : start + CHUNK]))
        rows.extend((await session.execute(query)).mappings())
    return rows


async def _delete_in(session: AsyncSession, table: Any, ids: Sequence[uuid.UUID]) -> None:
    for start in range(0, len(ids), CHUNK):
        await session.execute(table.delete().where(table.c.instance_id.in_(ids[start : start + CHUNK])))


class _Run:
    def __init__(self, facts: Sequence[tuple[Any, datetime]]) -> None:
        self.facts = facts
        self.rows: dict[uuid.UUID, dict[str, Any]] = {}
        self.born: dict[uuid.UUID, int] = {}  # instances drafted by the run: the index of the fact
        self.changed: dict[uuid.UUID, dict[str, Any]] = {}
        self.concerned: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.attendance: dict[uuid.UUID, list[AttendanceRecord]] = {}
        self.convened: dict[uuid.UUID, dict[uuid.UUID, list[uuid.UUID]]] = {}

    async def read(self, session: AsyncSession, draft: Draft) -> None:
        i = tables.instances
        ids = {event.instance_id for event, _ in self.facts}
        self.rows = {row["id"]: dict(row) for row in await _rows(session, i, i.c.id, ids)}
        drafts: dict[uuid.UUID, dict[str, Any]] = {}
        for index, (event, at) in enumerate(self.facts):
            key = event.instance_id
            if isinstance(event, InstanceScheduled) and key not in self.rows and key not in drafts:
                self.born[key] = index
                drafts[key] = {
                    "id": key,
                    "status": "draft",
                    "created_at": at,
                    "sequence": 0,
                    "dossier_version": 0,
                    "waitlist_counter": 0,
                    **draft(event),
                }
        if drafts:
            await session.execute(i.insert(), list(drafts.values()))
            self.rows.update({row["id"]: dict(row) for row in await _rows(session, i, i.c.id, set(drafts))})

    def row(self, index: int, instance_id: uuid.UUID) -> dict[str, Any] | None:
        if index < self.born.get(instance_id, -1):
            return None  # not drafted yet at this fact: `_instance_fact` finds no instance
        return self.rows.get(instance_id)

    def set(self, instance_id: uuid.UUID, values: dict[str, Any]) -> None:
        self.rows[instance_id].update(values)
        self.changed.setdefault(instance_id, {}).update(values)

    async def write(self, session: AsyncSession) -> None:
        i = tables.instances
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key, values in self.changed.items():
            columns = tuple(sorted(values))
            by_columns.setdefault(columns, []).append({"b_id": key, **{f"b_{c}": values[c] for c in columns}})
        for columns, params in by_columns.items():
            statement = (
                update(i).where(i.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in columns})
            )
            await session.execute(statement, params)
        await self._replace(
            session,
            tables.instance_councils,
            self.concerned,
            lambda k, v: [{"instance_id": k, "council_id": council_id} for council_id in v],
        )
        await self._replace(
            session, tables.attendance, self.attendance, lambda _k, v: [r.as_dict() for r in v]
        )
        await self._replace(
            session,
            tables.convened,
            self.convened,
            lambda k, v: [
                {"instance_id": k, "council_id": council_id, "member_id": member_id}
                for council_id, member_ids in v.items()
                for member_id in member_ids
            ],
        )

    @staticmethod
    async def _replace(session: AsyncSession, table: Any, lists: dict[uuid.UUID, Any], rows: Any) -> None:
        if not lists:
            return
        await _delete_in(session, table, sorted(lists))
        values = [row for key, value in lists.items() for row in rows(key, value)]
        if values:
            await session.execute(table.insert(), values)


class _Councils:
    """`Repository.councils_on` for the run's records: a member's council on a day does not depend
    on who else is asked, so the members of one day are asked together."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.wanted: dict[date, set[uuid.UUID]] = {}
        self.asked: dict[date, set[uuid.UUID]] = {}
        self.found: dict[date, dict[uuid.UUID, uuid.UUID | None]] = {}

    def expect(self, day: date, member_ids: Sequence[uuid.UUID]) -> None:
        self.wanted.setdefault(day, set()).update(member_ids)

    async def fetch(self, day: date, member_ids: Sequence[uuid.UUID]) -> None:
        asked = self.asked.setdefault(day, set())
        if asked.issuperset(member_ids):
            return
        missing = sorted((self.wanted.pop(day, set()) | set(member_ids)) - asked)
        self.found.setdefault(day, {}).update(await self.repo.councils_on(missing, day))
        asked.update(missing)

    def of(self, day: date, member_id: uuid.UUID) -> uuid.UUID | None:
        return self.found.get(day, {}).get(member_id)


async def apply_instance_facts(
    session: AsyncSession,
    facts: Sequence[tuple[Any, datetime]],
    timezone: str,
    local_date: Callable[[datetime], date],
    draft: Draft,
) -> None:
    """Apply `INSTANCE_FACTS` in their order; `draft` gives a new instance's values (`_draft_values`)."""
    if not facts:
        return
    run = _Run(facts)
    await run.read(session, draft)
    attended = [event for event, _ in facts if isinstance(event, AttendanceRecorded)]
    confirmed: dict[uuid.UUID, set[uuid.UUID]] = {}
    if attended:
        r = tables.registrations
        for row in await _rows(session, r, r.c.instance_id, {event.instance_id for event in attended}):
            if row["status"] == "confirmed":
                confirmed.setdefault(row["instance_id"], set()).add(row["member_id"])
    councils = _Councils(Repository(session))
    for event in attended:  # the days as the run starts: one query a day, not one a record
        row = run.rows.get(event.instance_id)
        if row is not None:
            councils.expect(local_date(InstanceRecord.of(row).starts_at), event.present_member_ids)
    for index, (event, at) in enumerate(facts):
        row = run.row(index, event.instance_id)
        if row is None:
            continue
        if isinstance(event, AttendanceRecorded):
            present = sorted(set(event.present_member_ids))
            day = local_date(InstanceRecord.of(row).starts_at)
            await councils.fetch(day, present)
            mine = confirmed.get(event.instance_id, set())
            run.attendance.pop(event.instance_id, None)  # the latest record last, as one replace each
            run.attendance[event.instance_id] = [
                AttendanceRecord(event.instance_id, member_id, councils.of(day, member_id), member_id in mine)
                for member_id in present
            ]
            run.set(
                event.instance_id,
                {"other_attendees": [g.model_dump(mode="json") for g in event.other_attendees or ()]},
            )
            if event.convened is not None:
                run.convened.pop(event.instance_id, None)
                run.convened[event.instance_id] = {
                    group.council_id: sorted(set(group.member_ids)) for group in event.convened
                }
            continue
        changes = InstanceRecord.of(row).aggregate().changes(event, at, timezone)
        if changes:
            run.set(event.instance_id, changes)
            if isinstance(event, InstanceScheduled):
                run.concerned.pop(event.instance_id, None)
                run.concerned[event.instance_id] = list(event.council_ids)
    await run.write(session)
