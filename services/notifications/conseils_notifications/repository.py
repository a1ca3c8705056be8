"""All the SQL of the notifications service, reads and writes, on one session (the unit of
work's transaction). It returns typed records (records.py) and domain values."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, and_, delete, distinct, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import tables as t
from conseils_notifications.alert_queries import StaffAlertQueries
from conseils_notifications.domain import (
    CATEGORIES,
    CouncilView,
    Directory,
    MemberView,
    PlannedDelivery,
    Preferences,
)
from conseils_notifications.records import (
    ContactRecord,
    DeliveryRecord,
    DigestItem,
    InstanceRecord,
    ReminderRecord,
)
from conseils_runtime.registry_view import RegistryView

CHUNK = 2_000
"""Rows per statement when writing in bulk (well under SQLite's bound-parameter limit)."""


class NotificationsRepository(StaffAlertQueries):
    """Typed queries on the notifications tables, in the caller's transaction (the staff
    alerts' in `alert_queries`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _upsert(self, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """Portable upsert (SQLite and PostgreSQL): update, insert when nothing was updated."""
        condition = and_(*(table.c[name] == value for name, value in key.items()))
        result: Any = await self.session.execute(update(table).where(condition).values(**values))
        if result.rowcount == 0:
            await self.session.execute(insert(table).values(**key, **values))

    # ----------------------------------------------------------------- contacts and registry copy

    async def save_contact(self, member_id: UUID, values: Mapping[str, Any]) -> None:
        await self._upsert(t.contacts, {"member_id": member_id}, values)

    async def delete_contact(self, member_id: UUID) -> None:
        await self.session.execute(delete(t.contacts).where(t.contacts.c.member_id == member_id))

    async def contact(self, member_id: UUID) -> ContactRecord | None:
        query = select(t.contacts).where(t.contacts.c.member_id == member_id)
        row = (await self.session.execute(query)).mappings().first()
        return ContactRecord.of(row) if row is not None else None

    async def contacts(self, member_ids: Iterable[UUID]) -> dict[UUID, ContactRecord]:
        """The contact cards of these members (those known), in chunks of `CHUNK` ids."""
        ids, found = list(set(member_ids)), {}
        for start in range(0, len(ids), CHUNK):
            query = select(t.contacts).where(t.contacts.c.member_id.in_(ids[start : start + CHUNK]))
            for row in (await self.session.execute(query)).mappings():
                found[row["member_id"]] = ContactRecord.of(row)
        return found

    async def display_names(self, member_ids: Iterable[UUID]) -> dict[UUID, str]:
        ids = set(member_ids)
        if not ids:
            return {}
        query = select(t.contacts.c.member_id, t.contacts.c.display_name).where(
            t.contacts.c.member_id.in_(ids)
        )
        return {row.member_id: row.display_name for row in await self.session.execute(query)}

    async def erase_member(self, member_id: UUID) -> None:
        """Every copy of a person's data, including the log of what we sent them."""
        # Her row in the registry read model stays, marked erased (ids only): a late fact about
        # her must not bring her back as a recipient.
        for table in (t.contacts, t.preferences, t.attendance, t.deliveries, t.registrations):
            await self.session.execute(delete(table).where(table.c.member_id == member_id))

    async def council_name(self, council_id: UUID) -> str | None:
        query = select(t.councils.c.name).where(t.councils.c.council_id == council_id)
        row = (await self.session.execute(query)).first()
        return row[0] if row is not None else None

    async def directory(self, today: date) -> Directory:
        """Who is concerned on `today` (the territory's date): current members and referents."""
        council_rows = (await self.session.execute(select(t.councils))).mappings().all()
        member_rows = (
            (await self.session.execute(select(t.members).where(t.members.c.active))).mappings().all()
        )
        preference_themes = {
            row.member_id: row.themes
            for row in (
                await self.session.execute(
                    select(t.preferences.c.member_id, t.preferences.c.themes).where(
                        t.preferences.c.themes.is_not(None)
                    )
                )
            ).all()
        }
        referents = await RegistryView(t.registry_view).current_referents(self.session, today)
        return Directory(
            councils=tuple(
                CouncilView(row["council_id"], row["city_code"], bool(row["active"])) for row in council_rows
            ),
            members=tuple(
                MemberView(
                    row["member_id"],
                    row["council_id"],
                    frozenset(preference_themes.get(row["member_id"]) or row["themes_followed"] or ()),
                )
                for row in member_rows
            ),
            referents=referents,
        )

    # ----------------------------------------------------------------- instances copy

    async def instance(self, instance_id: UUID) -> InstanceRecord | None:
        query = select(t.instances).where(t.instances.c.instance_id == instance_id)
        row = (await self.session.execute(query)).mappings().first()
        return InstanceRecord.of(row) if row is not None else None

    async def save_instance(self, instance_id: UUID, values: Mapping[str, Any]) -> None:
        await self._upsert(t.instances, {"instance_id": instance_id}, values)

    async def update_instance(self, instance_id: UUID, **values: Any) -> None:
        await self.session.execute(
            update(t.instances).where(t.instances.c.instance_id == instance_id).values(**values)
        )

    async def instances_starting(
        self, since: datetime, until: datetime, *, theme: str | None = None
    ) -> list[InstanceRecord]:
        query = select(t.instances).where(t.instances.c.starts_at >= since, t.instances.c.starts_at <= until)
        if theme is not None:
            query = query.where(t.instances.c.theme == theme)
        rows = (await self.session.execute(query.order_by(t.instances.c.starts_at))).mappings()
        return [InstanceRecord.of(row) for row in rows]

    async def registration_status(self, registration_id: UUID) -> str | None:
        query = select(t.registrations.c.status).where(t.registrations.c.registration_id == registration_id)
        status: str | None = (await self.session.execute(query)).scalar_one_or_none()
        return status

    async def save_registration(self, registration_id: UUID, values: Mapping[str, Any]) -> None:
        await self._upsert(t.registrations, {"registration_id": registration_id}, values)

    async def registrants(self, instance_id: UUID, *, confirmed_only: bool) -> dict[UUID, UUID]:
        """Member id -> council id of the instance's live registrations."""
        statuses = ("confirmed",) if confirmed_only else ("confirmed", "waitlisted")
        rows = await self.session.execute(
            select(t.registrations.c.member_id, t.registrations.c.council_id).where(
                t.registrations.c.instance_id == instance_id, t.registrations.c.status.in_(statuses)
            )
        )
        return {row.member_id: row.council_id for row in rows}

    async def registered_instances(self, member_id: UUID) -> set[UUID]:
        """The instances she is registered to (not cancelled)."""
        query = select(t.registrations.c.instance_id).where(
            t.registrations.c.member_id == member_id, t.registrations.c.status != "cancelled"
        )
        return {row[0] for row in await self.session.execute(query)}

    async def replace_attendance(self, instance_id: UUID, member_ids: Iterable[UUID]) -> None:
        await self.session.execute(delete(t.attendance).where(t.attendance.c.instance_id == instance_id))
        present = set(member_ids)
        if present:
            await self.session.execute(
                t.attendance.insert(), [{"instance_id": instance_id, "member_id": m} for m in present]
            )

    async def attendees(self, instance_id: UUID) -> list[UUID]:
        query = select(t.attendance.c.member_id).where(t.attendance.c.instance_id == instance_id)
        return [row[0] for row in await self.session.execute(query)]

    # ----------------------------------------------------------------- reminders

    async def reminders_of(self, instance_id: UUID) -> list[ReminderRecord]:
        query = select(t.reminders).where(t.reminders.c.instance_id == instance_id)
        return [ReminderRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    async def add_reminder(self, instance_id: UUID, kind: str, days_before: int, due_at: datetime) -> None:
        await self.session.execute(
            t.reminders.insert().values(
                reminder_id=uuid.uuid4(),
                instance_id=instance_id,
                kind=kind,
                days_before=days_before,
                due_at=due_at,
                done_at=None,
                round=0,
            )
        )

    async def update_reminder(self, reminder_id: UUID, **values: Any) -> None:
        await self.session.execute(
            update(t.reminders).where(t.reminders.c.reminder_id == reminder_id).values(**values)
        )

    async def delete_reminder(self, reminder_id: UUID) -> None:
        await self.session.execute(delete(t.reminders).where(t.reminders.c.reminder_id == reminder_id))

    async def delete_reminders_of(self, instance_id: UUID) -> None:
        await self.session.execute(delete(t.reminders).where(t.reminders.c.instance_id == instance_id))

    async def due_reminders(self, now: datetime, limit: int) -> list[ReminderRecord]:
        query = (
            select(t.reminders)
            .where(t.reminders.c.done_at.is_(None), t.reminders.c.due_at <= now)
            .order_by(t.reminders.c.due_at)
            .limit(limit)
        )
        return [ReminderRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    # ----------------------------------------------------------------- preferences and feed tokens

    async def preferences_of(self, member_ids: Iterable[UUID]) -> dict[UUID, Preferences]:
        ids = list(member_ids)
        if not ids:
            return {}
        query = select(t.preferences).where(t.preferences.c.member_id.in_(ids))
        return {
            row["member_id"]: Preferences(
                channels=frozenset(row["channels"]),
                categories=frozenset(row["categories"]),
                digest=bool(row["digest"]),
                themes=frozenset(row["themes"]) if row["themes"] is not None else None,
                language=row["language"],
            )
            for row in (await self.session.execute(query)).mappings()
        }

    async def save_preferences(self, member_id: UUID, prefs: Preferences) -> None:
        await self._upsert(
            t.preferences,
            {"member_id": member_id},
            {
                "channels": sorted(prefs.channels),
                "categories": [c for c in CATEGORIES if c in prefs.categories],
                "digest": prefs.digest,
                "themes": sorted(prefs.themes) if prefs.themes is not None else None,
                "language": prefs.language,
            },
        )

    async def set_feed_token(self, member_id: UUID, token: str | None) -> None:
        if member_id not in await self.preferences_of([member_id]):
            await self.save_preferences(member_id, Preferences())
        await self.session.execute(
            update(t.preferences).where(t.preferences.c.member_id == member_id).values(feed_token=token)
        )

    async def has_feed_token(self, member_id: UUID) -> bool:
        query = select(t.preferences.c.feed_token).where(t.preferences.c.member_id == member_id)
        return (await self.session.execute(query)).scalar_one_or_none() is not None

    async def member_by_feed_token(self, token: str) -> UUID | None:
        query = select(t.preferences.c.member_id).where(t.preferences.c.feed_token == token)
        row = (await self.session.execute(query)).first()
        return row[0] if row is not None else None

    # ----------------------------------------------------------------- deliveries

    async def add_deliveries(
        self,
        *,
        source_event_id: str,
        kind: str,
        category: str,
        instance_id: UUID | None,
        planned: Sequence[PlannedDelivery],
        context: Mapping[str, Any],
        now: datetime,
    ) -> int:
        """Insert the deliveries not already there (a redelivered event adds nothing)."""
        if not planned:
            return 0
        existing = {
            (row.member_id, row.channel)
            for row in await self.session.execute(
                select(t.deliveries.c.member_id, t.deliveries.c.channel).where(
                    t.deliveries.c.source_event_id == source_event_id
                )
            )
        }
        rows = [
            {
                "delivery_id": uuid.uuid4(),
                "source_event_id": source_event_id,
                "member_id": item.member_id,
                "channel": item.channel,
                "category": category,
                "kind": kind,
                "instance_id": instance_id,
                "reason": item.reason,
                "context": dict(context),
                "status": "digest" if item.deferred_to_digest else "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for item in planned
            if (item.member_id, item.channel) not in existing
        ]
        if rows:
            await self.session.execute(insert(t.deliveries), rows)
        return len(rows)

    async def insert_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Whole delivery rows, in a few bulk statements."""
        for start in range(0, len(rows), CHUNK):
            await self.session.execute(t.deliveries.insert(), list(rows[start : start + CHUNK]))

    async def told_before(self, instance_id: UUID) -> list[UUID]:
        """Members who got (or will get) a notification about this instance."""
        rows = await self.session.execute(
            select(t.deliveries.c.member_id)
            .where(
                t.deliveries.c.instance_id == instance_id,
                t.deliveries.c.status.not_in(("failed", "no_consent")),
            )
            .distinct()
        )
        return [row[0] for row in rows]

    async def instances_told_to(self, member_id: UUID) -> set[UUID]:
        query = select(t.deliveries.c.instance_id).where(t.deliveries.c.member_id == member_id).distinct()
        return {row[0] for row in await self.session.execute(query)}

    async def source_events_starting(self, prefix: str) -> int:
        """How many source events have an id starting with `prefix`."""
        query = select(func.count(distinct(t.deliveries.c.source_event_id))).where(
            t.deliveries.c.source_event_id.startswith(prefix, autoescape=True)
        )
        return int((await self.session.execute(query)).scalar_one())

    async def claim_due_deliveries(
        self, *, now: datetime, lease_until: datetime, limit: int, lock: bool
    ) -> list[DeliveryRecord]:
        """Take due deliveries for sending; a lease makes a crashed sender's rows due again later.
        `lock`: `FOR UPDATE SKIP LOCKED`, so two senders never claim the same row."""
        query = (
            select(t.deliveries)
            .where(
                or_(t.deliveries.c.status == "pending", t.deliveries.c.status == "sending"),
                t.deliveries.c.next_attempt_at <= now,
            )
            .order_by(t.deliveries.c.next_attempt_at, t.deliveries.c.created_at)
            .limit(limit)
        )
        if lock:
            query = query.with_for_update(skip_locked=True)
        rows = [DeliveryRecord.of(row) for row in (await self.session.execute(query)).mappings().all()]
        if rows:
            await self.session.execute(
                update(t.deliveries)
                .where(t.deliveries.c.delivery_id.in_([row.delivery_id for row in rows]))
                .values(status="sending", next_attempt_at=lease_until)
            )
        return rows

    async def update_delivery(self, delivery_id: UUID, **values: Any) -> None:
        await self.session.execute(
            update(t.deliveries).where(t.deliveries.c.delivery_id == delivery_id).values(**values)
        )

    async def count_deliveries(self, **where: Any) -> int:
        query = select(func.count()).select_from(t.deliveries)
        for name, value in where.items():
            query = query.where(t.deliveries.c[name] == value)
        return int((await self.session.execute(query)).scalar_one())

    async def deliveries(
        self,
        *,
        limit: int,
        instance_id: UUID | None = None,
        member_id: UUID | None = None,
        status: str | None = None,
        newest: str = "created_at",
    ) -> list[DeliveryRecord]:
        """Deliveries, newest first (by `created_at` or `sent_at`), optionally filtered."""
        query = select(t.deliveries).order_by(t.deliveries.c[newest].desc()).limit(limit)
        for column, value in (("instance_id", instance_id), ("member_id", member_id), ("status", status)):
            if value is not None:
                query = query.where(t.deliveries.c[column] == value)
        return [DeliveryRecord.of(row) for row in (await self.session.execute(query)).mappings()]

    async def deferred_to_digest(self, source_event_id: str) -> list[DigestItem]:
        """Deliveries waiting for the digest, oldest first, of members without `source_event_id` yet."""
        already = select(t.deliveries.c.member_id).where(t.deliveries.c.source_event_id == source_event_id)
        query = (
            select(
                t.deliveries.c.delivery_id,
                t.deliveries.c.member_id,
                t.deliveries.c.kind,
                t.deliveries.c.context,
            )
            .where(t.deliveries.c.status == "digest", t.deliveries.c.member_id.not_in(already))
            .order_by(t.deliveries.c.created_at)
        )
        return [DigestItem.of(row) for row in (await self.session.execute(query)).mappings()]

    async def mark_deliveries(self, delivery_ids: Sequence[UUID], status: str) -> None:
        for start in range(0, len(delivery_ids), CHUNK):
            await self.session.execute(
                update(t.deliveries)
                .where(t.deliveries.c.delivery_id.in_(delivery_ids[start : start + CHUNK]))
                .values(status=status)
            )
