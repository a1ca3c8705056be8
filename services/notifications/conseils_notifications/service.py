"""Use cases of the notifications service. Each runs in one transaction: read
models, deliveries, reminders and outbox events change together."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications import repository as repo
from conseils_notifications import tables as t
from conseils_notifications.domain import (
    KIND_CATEGORY,
    Recipient,
    RegistrationKind,
    change_recipients,
    concerned_councils,
    councils_without_registrant,
    invitation_recipients,
    merge_recipients,
    minutes_recipients,
    plan_deliveries,
    registration_kind,
    registration_recipients,
    reminder_due_times,
    reminder_recipients,
)
from conseils_notifications.mail import subject_for
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime import Database, Outbox
from conseils_runtime.database import after_commit
from conseils_runtime.registry_view import RegistryView
from conseils_runtime.territory import TerritoryConfig
from conseils_runtime.times import as_utc
from conseils_schemas import (
    AttendanceRecorded,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MemberContactCard,
    MemberErased,
    MinutesPublished,
    StaffAlertRaised,
    ThemeLeftWithoutReferent,
)

Clock = Callable[[], datetime]


_DIGEST_CHUNK = 2_000
"""Rows per statement when writing digests (well under SQLite's bound-parameter limit)."""


def system_clock() -> datetime:
    return datetime.now(UTC)


class NotificationsService:
    """What happens when an event arrives or a reminder falls due."""

    def __init__(
        self, settings: NotificationsSettings, database: Database, outbox: Outbox, clock: Clock = system_clock
    ) -> None:
        self.settings = settings
        self.sessionmaker = database.sessionmaker
        self.territory: TerritoryConfig = settings.territory_config
        self.outbox = outbox
        self.clock = clock
        self.on_new_deliveries: list[Callable[[], None]] = []
        self.registry_view = RegistryView(t.registry_view, self.territory.territory.timezone)

    def today(self) -> date:
        """The territory's calendar date now: memberships and referent terms are local dates."""
        return self.registry_view.local_date(self.clock())

    # ----------------------------------------------------------------- contacts and registry

    async def record_contact(self, session: AsyncSession, card: MemberContactCard) -> None:
        await repo.upsert(
            session,
            t.contacts,
            {"member_id": card.member_id},
            {
                "display_name": card.display_name,
                "email": card.email,
                "phone": card.phone,
                "language": card.language,
                "updated_at": self.clock(),
            },
        )

    async def forget_contact(self, session: AsyncSession, member_id: UUID) -> None:
        """Tombstone: the contact card is gone; pending messages to that person cannot go out."""
        await session.execute(delete(t.contacts).where(t.contacts.c.member_id == member_id))

    async def apply_registry_fact(
        self, session: AsyncSession, event: Event, occurred_at: datetime | None = None
    ) -> None:
        """Councils, members and referents: the shared temporal read model (same code as meetings).
        `occurred_at` is the fact's `ce_time` (default: now)."""
        await self.registry_view.apply(session, event, occurred_at or self.clock())
        if isinstance(event, MemberErased):
            await repo.erase_member(session, event.member_id)

    # ----------------------------------------------------------------- instances

    def snapshot(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """What an email about the instance shows, frozen at the time of the event."""
        type_name = next(
            (kind.name for kind in self.territory.instance_types if kind.slug == row["instance_type"]),
            row["instance_type"],
        )
        theme_name = next((theme.name for theme in self.territory.themes if theme.slug == row["theme"]), None)
        return {
            "instance_id": str(row["instance_id"]),
            "title": row["title"],
            "instance_type": row["instance_type"],
            "type_name": type_name,
            "theme": row["theme"],
            "theme_name": theme_name,
            "starts_at": _iso(row["starts_at"]),
            "ends_at": _iso(row["ends_at"]),
            "location": row["location"],
            "sequence": row["sequence"],
            "status": row["status"],
        }

    async def _notify(
        self,
        session: AsyncSession,
        *,
        source_event_id: str,
        kind: str,
        instance_id: UUID | None,
        recipients: Sequence[Recipient],
        context: Mapping[str, Any],
    ) -> int:
        preferences = await repo.preferences_of(session, [r.member_id for r in recipients])
        planned = plan_deliveries(recipients, kind, preferences)
        for callback in self.on_new_deliveries:  # the sender need not wait for its next poll
            after_commit(session, callback)
        return await repo.add_deliveries(
            session,
            source_event_id=source_event_id,
            kind=kind,
            category=KIND_CATEGORY[kind],
            instance_id=instance_id,
            planned=planned,
            context=context,
            now=self.clock(),
        )

    async def instance_scheduled(self, session: AsyncSession, event: InstanceScheduled, event_id: str) -> int:
        values = {
            "instance_type": event.instance_type,
            "title": event.title,
            "theme": event.theme,
            "city_code": event.city_code,
            "scope": event.scope,
            "council_ids": [str(value) for value in event.council_ids],
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "location": event.location,
            "sequence": event.sequence,
            "status": "scheduled",
        }
        await repo.upsert(session, t.instances, {"instance_id": event.instance_id}, values)
        row = await repo.instance(session, event.instance_id)
        assert row is not None
        await self._plan_reminders(session, event.instance_id, event.instance_type, event.starts_at)
        directory = await repo.directory(session, self.today())
        recipients = invitation_recipients(repo.instance_view(row), directory)
        return await self._notify(
            session,
            source_event_id=event_id,
            kind="scheduled",
            instance_id=event.instance_id,
            recipients=recipients,
            context={"instance": self.snapshot(row)},
        )

    async def _plan_reminders(
        self, session: AsyncSession, instance_id: UUID, instance_type: str, starts_at: datetime
    ) -> None:
        """Reminders and staff checks for an instance, (re)placed from its start time."""
        now = self.clock()
        wanted: dict[tuple[str, int], datetime] = {
            ("reminder", days): due
            for days, due in reminder_due_times(
                starts_at, self.territory.notifications.reminder_days, now
            ).items()
        }
        alert_days = self.territory.notifications.nobody_registered_alert_days
        for days, due in reminder_due_times(starts_at, [alert_days], now).items():
            wanted[("registration_check", days)] = due
        kind = next((k for k in self.territory.instance_types if k.slug == instance_type), None)
        if kind is not None:
            for days, due in reminder_due_times(starts_at, [kind.dossier_notice_days], now).items():
                wanted[("dossier_check", days)] = due
        existing = {
            (row.kind, row.days_before): row
            for row in await session.execute(
                select(t.reminders).where(t.reminders.c.instance_id == instance_id)
            )
        }
        for key, old in existing.items():
            if key not in wanted:
                await session.execute(delete(t.reminders).where(t.reminders.c.reminder_id == old.reminder_id))
        for (kind_name, days), due in wanted.items():
            row = existing.get((kind_name, days))
            if row is None:
                await session.execute(
                    t.reminders.insert().values(
                        reminder_id=uuid.uuid4(),
                        instance_id=instance_id,
                        kind=kind_name,
                        days_before=days,
                        due_at=due,
                        done_at=None,
                        round=0,
                    )
                )
            elif as_utc(row.due_at) != due:
                # Moved: due again at the new time; a new round means a new reminder email.
                await session.execute(
                    update(t.reminders)
                    .where(t.reminders.c.reminder_id == row.reminder_id)
                    .values(due_at=due, done_at=None, round=row.round + (1 if row.done_at else 0))
                )

    async def _change(
        self, session: AsyncSession, instance_id: UUID, event_id: str, kind: str, extra: Mapping[str, Any]
    ) -> int:
        row = await repo.instance(session, instance_id)
        if row is None:
            return 0
        told = await repo.told_before(session, instance_id)
        registered = await repo.registrants(session, instance_id, confirmed_only=False)
        recipients = change_recipients(told, registered)
        return await self._notify(
            session,
            source_event_id=event_id,
            kind=kind,
            instance_id=instance_id,
            recipients=recipients,
            context={"instance": self.snapshot(row), **extra},
        )

    async def instance_rescheduled(
        self, session: AsyncSession, event: InstanceRescheduled, event_id: str
    ) -> int:
        row = await repo.instance(session, event.instance_id)
        if row is None:
            return 0  # never heard of it: nobody to tell
        await session.execute(
            update(t.instances)
            .where(t.instances.c.instance_id == event.instance_id)
            .values(
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                location=event.location,
                sequence=max(event.sequence, row["sequence"]),
                status="scheduled",
            )
        )
        await self._plan_reminders(session, event.instance_id, row["instance_type"], event.starts_at)
        return await self._change(
            session,
            event.instance_id,
            event_id,
            "rescheduled",
            {"previous_starts_at": _iso(event.previous_starts_at)},
        )

    async def instance_cancelled(self, session: AsyncSession, event: InstanceCancelled, event_id: str) -> int:
        row = await repo.instance(session, event.instance_id)
        if row is None:
            return 0
        await session.execute(
            update(t.instances)
            .where(t.instances.c.instance_id == event.instance_id)
            .values(status="cancelled", sequence=max(event.sequence, row["sequence"]))
        )
        await session.execute(delete(t.reminders).where(t.reminders.c.instance_id == event.instance_id))
        return await self._change(
            session, event.instance_id, event_id, "cancelled", {"reason_text": event.reason}
        )

    async def instance_held(self, session: AsyncSession, event: InstanceHeld) -> None:
        await session.execute(
            update(t.instances).where(t.instances.c.instance_id == event.instance_id).values(status="held")
        )
        await session.execute(delete(t.reminders).where(t.reminders.c.instance_id == event.instance_id))

    async def dossier_published(self, session: AsyncSession, event: DossierPublished, event_id: str) -> int:
        row = await repo.instance(session, event.instance_id)
        if row is None:
            return 0
        await session.execute(
            update(t.instances)
            .where(t.instances.c.instance_id == event.instance_id)
            .values(dossier_published_at=event.published_at)
        )
        directory = await repo.directory(session, self.today())
        registered = await repo.registrants(session, event.instance_id, confirmed_only=False)
        recipients = merge_recipients(
            change_recipients([], registered), invitation_recipients(repo.instance_view(row), directory)
        )
        return await self._notify(
            session,
            source_event_id=event_id,
            kind="dossier",
            instance_id=event.instance_id,
            recipients=recipients,
            context={"instance": self.snapshot(row), "documents": [d.filename for d in event.documents]},
        )

    async def minutes_published(self, session: AsyncSession, event: MinutesPublished, event_id: str) -> int:
        row = await repo.instance(session, event.instance_id)
        if row is None:
            return 0
        directory = await repo.directory(session, self.today())
        registered = await repo.registrants(session, event.instance_id, confirmed_only=False)
        present = await repo.attendees(session, event.instance_id)
        recipients = minutes_recipients(repo.instance_view(row), directory, registered, present)
        return await self._notify(
            session,
            source_event_id=event_id,
            kind="minutes",
            instance_id=event.instance_id,
            recipients=recipients,
            context={"instance": self.snapshot(row), "summary": event.summary},
        )

    async def attendance_recorded(self, session: AsyncSession, event: AttendanceRecorded) -> None:
        await session.execute(delete(t.attendance).where(t.attendance.c.instance_id == event.instance_id))
        if event.present_member_ids:
            await session.execute(
                t.attendance.insert(),
                [{"instance_id": event.instance_id, "member_id": m} for m in set(event.present_member_ids)],
            )

    async def registration(
        self,
        session: AsyncSession,
        *,
        registration_id: UUID,
        instance_id: UUID,
        member_id: UUID,
        council_id: UUID,
        mode: str,
        status: str,
        event_id: str | None = None,
        kind: RegistrationKind | None = None,
        position: int | None = None,
    ) -> int:
        """Record a registration's status and tell its member what changed for her.

        `kind` (registered, waitlisted, promoted, unregistered) and `event_id` come from the
        event when the caller has them; otherwise the change is read from the status known
        before (waitlisted -> confirmed is a promotion; the same status again tells nothing)
        and the deliveries are keyed by the registration and its count of changes told.
        `position` is the rank on the waiting list. A cancellation caused by the instance's
        own cancellation is not told twice: the instance-cancelled email already says it.
        """
        previous = None
        if kind is None:  # only then is the change read from the status known before
            previous = (
                await session.execute(
                    select(t.registrations.c.status).where(
                        t.registrations.c.registration_id == registration_id
                    )
                )
            ).scalar_one_or_none()
        await repo.upsert(
            session,
            t.registrations,
            {"registration_id": registration_id},
            {
                "instance_id": instance_id,
                "member_id": member_id,
                "council_id": council_id,
                "mode": mode,
                "status": status,
            },
        )
        change = kind or registration_kind(previous, status)
        if change is None:
            return 0
        row = await repo.instance(session, instance_id)
        if row is None or row["status"] == "cancelled":
            return 0  # unknown, or cancelled: the instance-cancelled email already told her
        source_event_id = event_id or await self._registration_source_id(session, registration_id, change)
        return await self._notify(
            session,
            source_event_id=source_event_id,
            kind=change,
            instance_id=instance_id,
            recipients=registration_recipients(member_id),
            context={"instance": self.snapshot(row), "mode": mode, "position": position},
        )

    @staticmethod
    async def _registration_source_id(session: AsyncSession, registration_id: UUID, change: str) -> str:
        """`registration:<id>:<n>:<change>`, n = changes of this registration already told:
        unique per change, so a registration cancelled then confirmed again is told again."""
        prefix = f"registration:{registration_id}:"
        told = (
            await session.execute(
                select(func.count(distinct(t.deliveries.c.source_event_id))).where(
                    t.deliveries.c.source_event_id.startswith(prefix, autoescape=True)
                )
            )
        ).scalar_one()
        return f"{prefix}{told}:{change}"

    # ----------------------------------------------------------------- reminders, checks, digest

    async def run_due_reminders(self, session: AsyncSession, limit: int = 100) -> int:
        """Handle reminders and checks due now; each is marked done in the same transaction."""
        now = self.clock()
        due = (
            await session.execute(
                select(t.reminders)
                .where(t.reminders.c.done_at.is_(None), t.reminders.c.due_at <= now)
                .order_by(t.reminders.c.due_at)
                .limit(limit)
            )
        ).all()
        for reminder in due:
            row = await repo.instance(session, reminder.instance_id)
            if row is not None and row["status"] == "scheduled":
                await self._run_reminder(session, reminder, row)
            await session.execute(
                update(t.reminders)
                .where(t.reminders.c.reminder_id == reminder.reminder_id)
                .values(done_at=now)
            )
        return len(due)

    async def _run_reminder(self, session: AsyncSession, reminder: Any, row: Mapping[str, Any]) -> None:
        view = repo.instance_view(row)
        directory = await repo.directory(session, self.today())
        registered = await repo.registrants(session, view.instance_id, confirmed_only=True)
        if reminder.kind == "reminder":
            await self._notify(
                session,
                source_event_id=f"reminder:{reminder.reminder_id}:{reminder.round}",
                kind="reminder",
                instance_id=view.instance_id,
                recipients=reminder_recipients(view, directory, registered),
                context={"instance": self.snapshot(row), "days_before": reminder.days_before},
            )
        elif reminder.kind == "registration_check":
            for council_id in councils_without_registrant(view, directory, registered):
                await self._alert(
                    session,
                    "nobody_registered",
                    council_id,
                    f"Aucun membre du conseil n'est inscrit à « {row['title']} » "
                    f"({reminder.days_before} jours avant l'instance).",
                )
        elif reminder.kind == "dossier_check" and row["dossier_published_at"] is None:
            await self._alert(
                session,
                "dossier_late",
                view.instance_id,
                f"Le dossier de « {row['title']} » n'est pas publié à {reminder.days_before} jours "
                "de l'instance (délai de prévenance).",
            )

    async def theme_left_without_referent(
        self, session: AsyncSession, event: ThemeLeftWithoutReferent
    ) -> None:
        """Staff read one alerts topic: the registry's fact becomes an alert with a French message."""
        council = (
            await session.execute(
                select(t.councils.c.name).where(t.councils.c.council_id == event.council_id)
            )
        ).first()
        theme = next((item.name for item in self.territory.themes if item.slug == event.theme), event.theme)
        name = council[0] if council is not None else "Un conseil citoyen"
        await self._alert(
            session,
            "theme_without_referent",
            event.council_id,
            f"{name} n'a plus de référent·e pour la thématique « {theme} ».",
        )

    async def record_staff_alert(self, session: AsyncSession, alert: StaffAlertRaised) -> None:
        """Keep an alert (raised here or by another service) for the staff's alerts page."""
        exists = await session.scalar(
            select(t.staff_alerts.c.alert_id).where(t.staff_alerts.c.alert_id == alert.alert_id)
        )
        if exists is None:
            await session.execute(
                t.staff_alerts.insert().values(
                    alert_id=alert.alert_id,
                    kind=alert.kind,
                    subject_id=alert.subject_id,
                    message_fr=alert.message_fr,
                    raised_at=alert.raised_at,
                )
            )

    async def _alert(self, session: AsyncSession, kind: Any, subject_id: UUID, message: str) -> None:
        await self.outbox.add(
            session,
            StaffAlertRaised(
                alert_id=uuid.uuid4(),
                kind=kind,
                subject_id=subject_id,
                message_fr=message,
                raised_at=self.clock(),
            ),
        )

    async def run_weekly_digest(self, session: AsyncSession, week: str) -> int:
        """One digest per member with deferred items: cost follows those members, not all members.

        The deferred items are read in one query and the digests written in a few bulk
        statements (not three statements per member): 40,000 members take seconds.
        """
        now = self.clock()
        source_event_id = f"digest:{week}"
        already = select(t.deliveries.c.member_id).where(t.deliveries.c.source_event_id == source_event_id)
        items_by_member: dict[UUID, list[Any]] = {}
        for item in await session.execute(
            select(
                t.deliveries.c.delivery_id,
                t.deliveries.c.member_id,
                t.deliveries.c.kind,
                t.deliveries.c.context,
            )
            .where(t.deliveries.c.status == "digest", t.deliveries.c.member_id.not_in(already))
            .order_by(t.deliveries.c.created_at)
        ):
            items_by_member.setdefault(item.member_id, []).append(item)
        digests = [
            {
                "delivery_id": uuid.uuid4(),
                "source_event_id": source_event_id,
                "member_id": member_id,
                "channel": "email",
                "category": "digest",
                "kind": "digest",
                "instance_id": None,
                "reason": "follows_theme",
                "context": {
                    "items": [
                        {
                            "kind": item.kind,
                            "subject": subject_for(item.kind, item.context),
                            "instance_id": item.context["instance"]["instance_id"],
                        }
                        for item in items
                    ]
                },
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for member_id, items in items_by_member.items()
        ]
        digested = [item.delivery_id for items in items_by_member.values() for item in items]
        for start in range(0, len(digests), _DIGEST_CHUNK):
            await session.execute(t.deliveries.insert(), digests[start : start + _DIGEST_CHUNK])
        for start in range(0, len(digested), _DIGEST_CHUNK):
            await session.execute(
                update(t.deliveries)
                .where(t.deliveries.c.delivery_id.in_(digested[start : start + _DIGEST_CHUNK]))
                .values(status="digested")
            )
        return len(digests)

    # ----------------------------------------------------------------- feeds

    async def feed_instances(
        self,
        session: AsyncSession,
        *,
        council_id: UUID | None = None,
        theme: str | None = None,
        member_id: UUID | None = None,
        horizon_days: int = 400,
    ) -> list[dict[str, Any]]:
        """Instances of a feed: recent past and future, filtered by council, theme or member."""
        since = self.clock() - timedelta(days=60)
        query = select(t.instances).where(
            t.instances.c.starts_at >= since,
            t.instances.c.starts_at <= self.clock() + timedelta(days=horizon_days),
        )
        if theme is not None:
            query = query.where(t.instances.c.theme == theme)
        rows = [
            dict(row) for row in (await session.execute(query.order_by(t.instances.c.starts_at))).mappings()
        ]
        if council_id is not None:
            directory = await repo.directory(session, self.today())
            rows = [
                row for row in rows if council_id in concerned_councils(repo.instance_view(row), directory)
            ]
        if member_id is not None:
            mine = {
                row[0]
                for row in await session.execute(
                    select(t.deliveries.c.instance_id).where(t.deliveries.c.member_id == member_id).distinct()
                )
            }
            registered = {
                row[0]
                for row in await session.execute(
                    select(t.registrations.c.instance_id).where(
                        t.registrations.c.member_id == member_id, t.registrations.c.status != "cancelled"
                    )
                )
            }
            rows = [row for row in rows if row["instance_id"] in mine | registered]
        return [self.snapshot(row) for row in rows]

    async def rotate_feed_token(self, session: AsyncSession, member_id: UUID) -> str:
        token = secrets.token_urlsafe(24)
        await repo.set_feed_token(session, member_id, token)
        return token


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat()
