"""Typed queries on the meetings tables (one session, the caller's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from conseils_meetings import tables
from conseils_meetings.domain import Seat
from conseils_meetings.outcomes import latest_position
from conseils_meetings.raw_reads import Uuids, known_id, raw, rows
from conseils_meetings.read_model_queries import ReadModelQueries
from conseils_meetings.records import (
    AttendanceRecord,
    DocumentRecord,
    InstanceRecord,
    MemberRegistrationRecord,
    OutcomeRecord,
    OutcomeUpdateRecord,
    RegistrationRecord,
)
from conseils_meetings.voice_queries import VoiceQueries


class Repository(ReadModelQueries, VoiceQueries):
    """The SQL of the meetings service, on one session (the caller's transaction): it returns
    typed records (`records.py`); the registry read model's queries are in `read_model_queries.py`."""

    async def has_instances(self) -> bool:
        return bool(await self.session.scalar(select(func.count()).select_from(tables.instances)))

    async def outbox_size(self) -> int:
        """Rows in the runtime's outbox table (relayed or not), 0 when it is not on this metadata."""
        table = tables.metadata.tables.get("outbox_messages")
        if table is None:
            return 0
        return int(await self.session.scalar(select(func.count()).select_from(table)) or 0)

    # ------------------------------------------------------------------ instances
    async def instance(self, instance_id: uuid.UUID, *, lock: bool = False) -> InstanceRecord | None:
        query = select(tables.instances).where(tables.instances.c.id == instance_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else InstanceRecord.of(row)

    async def insert_instance(self, **values: Any) -> None:
        await self.session.execute(tables.instances.insert().values(**values))

    async def update_instance(self, instance_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(
            update(tables.instances).where(tables.instances.c.id == instance_id).values(**values)
        )

    async def concerned(self, instance_id: uuid.UUID) -> list[uuid.UUID]:
        # 1,200 councils for a territory-wide instance: driver tuples, each id parsed once a process
        concerned = tables.instance_councils.c
        query = (
            select(raw(concerned.council_id))
            .where(concerned.instance_id == instance_id)
            .order_by(concerned.council_id)
        )
        return [known_id(council_id) for (council_id,) in await rows(self.session, query)]

    async def set_concerned(self, instance_id: uuid.UUID, council_ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(
            tables.instance_councils.delete().where(tables.instance_councils.c.instance_id == instance_id)
        )
        if council_ids:
            await self.session.execute(
                tables.instance_councils.insert(),
                [{"instance_id": instance_id, "council_id": council_id} for council_id in council_ids],
            )

    async def list_instances(
        self,
        *,
        starts_from: datetime | None,
        starts_before: datetime | None,
        council_id: uuid.UUID | None = None,
        themes: Sequence[str] = (),
        include_drafts: bool = True,
    ) -> list[InstanceRecord]:
        query = select(tables.instances).order_by(tables.instances.c.starts_at)
        if starts_from is not None:
            query = query.where(tables.instances.c.starts_at >= starts_from)
        if starts_before is not None:
            query = query.where(tables.instances.c.starts_at < starts_before)
        if not include_drafts:
            query = query.where(tables.instances.c.status != "draft")
        if council_id is not None:
            concerned = select(tables.instance_councils.c.instance_id).where(
                tables.instance_councils.c.council_id == council_id
            )
            condition: ColumnElement[bool] = tables.instances.c.id.in_(concerned)
            if themes:
                condition = or_(condition, tables.instances.c.theme.in_(list(themes)))
            query = query.where(condition)
        return [InstanceRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    async def agenda_instances(
        self,
        *,
        starts_from: datetime | None,
        starts_before: datetime | None,
        council_id: uuid.UUID | None = None,
        themes: Sequence[str] | None = None,
        city_code: str | None = None,
        instance_type: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[InstanceRecord]:
        """A councillor's agenda (never drafts): the instances that concern `council_id`, OR are
        on one of `themes`, OR are in `city_code` (those given; none given: all of them), of
        `instance_type` if given, in the window, by start (newest first for the past)."""
        table = tables.instances
        order = table.c.starts_at.desc() if newest_first else table.c.starts_at
        query = select(table).where(table.c.status != "draft").order_by(order, table.c.id)
        if starts_from is not None:
            query = query.where(table.c.starts_at >= starts_from)
        if starts_before is not None:
            query = query.where(table.c.starts_at < starts_before)
        if instance_type is not None:
            query = query.where(table.c.instance_type == instance_type)
        conditions: list[ColumnElement[bool]] = []
        if council_id is not None:
            conditions.append(
                table.c.id.in_(
                    select(tables.instance_councils.c.instance_id).where(
                        tables.instance_councils.c.council_id == council_id
                    )
                )
            )
        if themes is not None:
            conditions.append(table.c.theme.in_(list(themes)))
        if city_code is not None:
            conditions.append(table.c.city_code == city_code)
        if conditions:
            query = query.where(or_(*conditions))
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        return [InstanceRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    async def concerning(self, instance_ids: Sequence[uuid.UUID], council_id: uuid.UUID) -> set[uuid.UUID]:
        """Which of these instances concern `council_id` (by the council's index: a
        territory-wide instance's 1,200 councils are not read)."""
        if not instance_ids:
            return set()
        links = tables.instance_councils
        result = await self.session.execute(
            select(links.c.instance_id).where(
                links.c.council_id == council_id, links.c.instance_id.in_(list(instance_ids))
            )
        )
        return set(result.scalars())

    async def seats_of(self, instance_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Seat]]:
        """The active registrations (seats) of each of these instances."""
        found: dict[uuid.UUID, list[Seat]] = {instance_id: [] for instance_id in instance_ids}
        if not instance_ids:
            return found
        seats = tables.registrations.c
        # only the seat's columns (no member id, dates or texts parsed for nothing), as the
        # driver's tuples with the ids as text: an instance's or council's id is parsed once
        ids = Uuids({text: i for i in instance_ids for text in (i.hex, str(i))})  # SQLite's, PostgreSQL's
        for instance_id, seat_id, council_id, mode, status, waitlist_seq in await rows(
            self.session,
            select(
                raw(seats.instance_id),
                raw(seats.id),
                raw(seats.council_id),
                seats.mode,
                seats.status,
                seats.waitlist_seq,
            ).where(seats.instance_id.in_(list(instance_ids)), seats.status != "cancelled"),
        ):
            found[ids[instance_id]].append(
                Seat(uuid.UUID(seat_id), known_id(council_id), mode, status, waitlist_seq)
            )
        return found

    # ------------------------------------------------------------------ registrations
    async def seats(self, instance_id: uuid.UUID) -> list[Seat]:
        return (await self.seats_of([instance_id]))[instance_id]

    async def registration(self, instance_id: uuid.UUID, member_id: uuid.UUID) -> RegistrationRecord | None:
        result = await self.session.execute(
            select(tables.registrations).where(
                tables.registrations.c.instance_id == instance_id,
                tables.registrations.c.member_id == member_id,
            )
        )
        row = result.mappings().first()
        return None if row is None else RegistrationRecord.of(row)

    async def registration_or_none(self, registration_id: uuid.UUID) -> RegistrationRecord | None:
        result = await self.session.execute(
            select(tables.registrations).where(tables.registrations.c.id == registration_id)
        )
        row = result.mappings().first()
        return None if row is None else RegistrationRecord.of(row)

    async def insert_registration(self, **values: Any) -> None:
        await self.session.execute(tables.registrations.insert().values(**values))

    async def registration_by_id(self, registration_id: uuid.UUID) -> RegistrationRecord:
        result = await self.session.execute(
            select(tables.registrations).where(tables.registrations.c.id == registration_id)
        )
        return RegistrationRecord.of(result.mappings().one())

    async def update_registration(self, registration_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(
            update(tables.registrations).where(tables.registrations.c.id == registration_id).values(**values)
        )

    async def registrations_of_instance(self, instance_id: uuid.UUID) -> list[RegistrationRecord]:
        result = await self.session.execute(
            select(tables.registrations)
            .where(tables.registrations.c.instance_id == instance_id)
            .order_by(tables.registrations.c.created_at)
        )
        return [RegistrationRecord.of(row) for row in result.mappings()]

    async def registrations_of_member(self, member_id: uuid.UUID) -> list[MemberRegistrationRecord]:
        result = await self.session.execute(
            select(
                tables.registrations,
                tables.instances.c.title,
                tables.instances.c.starts_at,
                tables.instances.c.ends_at,
                tables.instances.c.cancel_reason,
                tables.instances.c.minutes_published_at,
                tables.instances.c.status.label("instance_status"),
            )
            .join(tables.instances, tables.instances.c.id == tables.registrations.c.instance_id)
            .where(tables.registrations.c.member_id == member_id)
            .order_by(tables.instances.c.starts_at)
        )
        return [MemberRegistrationRecord.of(row) for row in result.mappings()]

    async def attendance_of_member(self, member_id: uuid.UUID) -> dict[uuid.UUID, bool]:
        """The instances where she was marked present → whether she was registered then."""
        result = await self.session.execute(
            select(tables.attendance.c.instance_id, tables.attendance.c.registered).where(
                tables.attendance.c.member_id == member_id
            )
        )
        return {row.instance_id: bool(row.registered) for row in result}

    async def instances_by_ids(
        self, instance_ids: Sequence[uuid.UUID], *, starts_before: datetime
    ) -> list[InstanceRecord]:
        """Instances (not drafts) among `instance_ids` that started before `starts_before`."""
        if not instance_ids:
            return []
        result = await self.session.execute(
            select(tables.instances).where(
                tables.instances.c.id.in_(list(instance_ids)),
                tables.instances.c.starts_at < starts_before,
                tables.instances.c.status != "draft",
            )
        )
        return [InstanceRecord.of(row) for row in result.mappings()]

    async def open_instances_of_member(
        self, member_id: uuid.UUID, open_statuses: Iterable[str]
    ) -> list[uuid.UUID]:
        """The instances (in `open_statuses`) where she holds a registration not cancelled."""
        result = await self.session.execute(
            select(tables.registrations.c.instance_id)
            .join(tables.instances, tables.instances.c.id == tables.registrations.c.instance_id)
            .where(
                tables.registrations.c.member_id == member_id,
                tables.registrations.c.status != "cancelled",
                tables.instances.c.status.in_(sorted(open_statuses)),
            )
        )
        return [row[0] for row in result]

    async def instances_without_dossier(self, *, starts_after: datetime) -> list[InstanceRecord]:
        """Scheduled instances still to come whose late dossier was never alerted (locked, skipping
        rows another worker holds)."""
        query = (
            select(tables.instances)
            .where(
                tables.instances.c.status.in_(["scheduled", "rescheduled"]),
                tables.instances.c.dossier_late_alerted_at.is_(None),
                tables.instances.c.starts_at > starts_after,
            )
            .with_for_update(skip_locked=True)
        )
        return [InstanceRecord.of(row) for row in (await self.session.execute(query)).mappings().all()]

    async def attendance_of_instance(self, instance_id: uuid.UUID) -> list[AttendanceRecord]:
        result = await self.session.execute(
            select(tables.attendance).where(tables.attendance.c.instance_id == instance_id)
        )
        return [AttendanceRecord.of(row) for row in result.mappings()]

    async def replace_attendance(self, instance_id: uuid.UUID, rows: Sequence[AttendanceRecord]) -> None:
        """Who was present, as a whole (each attendance fact replaces the previous one)."""
        await self.session.execute(
            tables.attendance.delete().where(tables.attendance.c.instance_id == instance_id)
        )
        if rows:
            await self.session.execute(tables.attendance.insert(), [row.as_dict() for row in rows])

    async def replace_convened(
        self, instance_id: uuid.UUID, members: Mapping[uuid.UUID, Sequence[uuid.UUID]]
    ) -> None:
        """Who was convened, per council (frozen with the attendance)."""
        await self.session.execute(
            tables.convened.delete().where(tables.convened.c.instance_id == instance_id)
        )
        rows = [
            {"instance_id": instance_id, "council_id": council_id, "member_id": member_id}
            for council_id, member_ids in members.items()
            for member_id in member_ids
        ]
        if rows:
            await self.session.execute(tables.convened.insert(), rows)

    async def registration_counts(self, instance_id: uuid.UUID) -> dict[str, int]:
        result = await self.session.execute(
            select(tables.registrations.c.mode, tables.registrations.c.status, func.count())
            .where(tables.registrations.c.instance_id == instance_id)
            .group_by(tables.registrations.c.mode, tables.registrations.c.status)
        )
        counts = {"participants": 0, "observers": 0, "waitlisted": 0}
        for mode, status, count in result:
            if status == "confirmed":
                counts["participants" if mode == "participant" else "observers"] += int(count)
            elif status == "waitlisted":
                counts["waitlisted"] += int(count)
        return counts

    # ------------------------------------------------------------------ documents
    async def documents(self, instance_id: uuid.UUID, kind: str | None = None) -> list[DocumentRecord]:
        query = (
            select(tables.documents)
            .where(tables.documents.c.instance_id == instance_id)
            .order_by(tables.documents.c.filename, tables.documents.c.version)
        )
        if kind is not None:
            query = query.where(tables.documents.c.kind == kind)
        return [DocumentRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    async def latest_documents(self, instance_id: uuid.UUID, kind: str) -> list[DocumentRecord]:
        latest: dict[str, DocumentRecord] = {}
        for document in await self.documents(instance_id, kind):
            latest[document.filename] = document  # ordered by version: the last one wins
        return list(latest.values())

    async def document(self, document_id: uuid.UUID) -> DocumentRecord | None:
        result = await self.session.execute(
            select(tables.documents).where(tables.documents.c.id == document_id)
        )
        row = result.mappings().first()
        return None if row is None else DocumentRecord.of(row)

    async def mark_documents_published(self, document_ids: Sequence[uuid.UUID], at: datetime) -> None:
        if document_ids:
            await self.session.execute(
                update(tables.documents)
                .where(tables.documents.c.id.in_(list(document_ids)))
                .values(published_at=at)
            )

    async def insert_document(self, **values: Any) -> None:
        await self.session.execute(tables.documents.insert().values(**values))

    async def delete_document(self, document_id: uuid.UUID) -> None:
        await self.session.execute(tables.documents.delete().where(tables.documents.c.id == document_id))

    async def next_document_version(self, instance_id: uuid.UUID, kind: str, filename: str) -> int:
        result = await self.session.scalar(
            select(func.max(tables.documents.c.version)).where(
                and_(
                    tables.documents.c.instance_id == instance_id,
                    tables.documents.c.kind == kind,
                    tables.documents.c.filename == filename,
                )
            )
        )
        return int(result or 0) + 1

    # ------------------------------------------------------------------ forum outcomes
    async def outcome(self, outcome_id: uuid.UUID) -> OutcomeRecord | None:
        """The outcome with its history (oldest step first)."""
        result = await self.session.execute(select(tables.outcomes).where(tables.outcomes.c.id == outcome_id))
        row = result.mappings().first()
        if row is None:
            return None
        return replace(OutcomeRecord.of(row), history=tuple(await self.outcome_history(outcome_id)))

    async def outcome_status(self, outcome_id: uuid.UUID, *, lock: bool = False) -> str | None:
        query = select(tables.outcomes.c.status).where(tables.outcomes.c.id == outcome_id)
        if lock:
            query = query.with_for_update()
        status: str | None = await self.session.scalar(query)
        return status

    async def latest_outcome_position(self, outcome_id: uuid.UUID) -> int:
        return await latest_position(self.session, outcome_id)

    async def outcome_history(self, outcome_id: uuid.UUID) -> list[OutcomeUpdateRecord]:
        result = await self.session.execute(
            select(tables.outcome_updates)
            .where(tables.outcome_updates.c.outcome_id == outcome_id)
            .order_by(tables.outcome_updates.c.position)
        )
        return [OutcomeUpdateRecord.of(row) for row in result.mappings()]

    async def outcome_ids(self, kind: str | None = None) -> list[uuid.UUID]:
        query = select(tables.outcomes.c.id).order_by(tables.outcomes.c.made_on)
        if kind is not None:
            query = query.where(tables.outcomes.c.kind == kind)
        return [row[0] for row in await self.session.execute(query)]
