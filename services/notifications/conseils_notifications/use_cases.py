"""What every use case of the notifications service shares: its dependencies (units of work
over `NotificationsRepository`, settings, clock), the snapshot of an instance an email shows,
and the shared steps: planning deliveries (`_notify`), placing an instance's reminders
(`_plan_reminders`) and raising a staff alert (`_alert`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from conseils_notifications import tables as t
from conseils_notifications.contact_channels import reachable_preferences, without_email
from conseils_notifications.domain import KIND_CATEGORY, Recipient, plan_deliveries, reminder_plan
from conseils_notifications.records import InstanceRecord
from conseils_notifications.reminder_sequence import sequence_reminders
from conseils_notifications.repository import NotificationsRepository
from conseils_notifications.settings import NotificationsSettings
from conseils_runtime import Database, Outbox
from conseils_runtime.database import after_commit
from conseils_runtime.registry_view import RegistryView
from conseils_runtime.territory import TerritoryConfig
from conseils_runtime.times import as_utc
from conseils_runtime.unit_of_work import UnitOfWork, UnitsOfWork
from conseils_schemas import StaffAlertRaised

Clock = Callable[[], datetime]
Unit = UnitOfWork[NotificationsRepository]
"""One transaction of this service: `unit.repo` (all the SQL), `unit.emit(event)` (the outbox)."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    return as_utc(value).isoformat()


class NotificationsCore:
    """Dependencies and shared steps of every use case (the service is composed of these).

    Use cases driven by an event or a worker take the `Unit` they run in (a consumer's
    `units.within(context)`, a worker's `units.begin()`); those called over HTTP open their own.
    """

    def __init__(
        self, settings: NotificationsSettings, database: Database, outbox: Outbox, clock: Clock = system_clock
    ) -> None:
        self.settings = settings
        self.units = UnitsOfWork(database, outbox, NotificationsRepository)
        self.territory: TerritoryConfig = settings.territory_config
        self.outbox = outbox
        self.clock = clock
        self.on_new_deliveries: list[Callable[[], None]] = []
        self.on_new_alert_mails: list[Callable[[], None]] = []
        self.registry_view = RegistryView(t.registry_view, self.territory.territory.timezone)

    def today(self) -> date:
        """The territory's calendar date now: memberships and referent terms are local dates."""
        return self.registry_view.local_date(self.clock())

    def snapshot(self, row: InstanceRecord) -> dict[str, Any]:
        """What an email about the instance shows, frozen at the time of the event."""
        kind = next((kind for kind in self.territory.instance_types if kind.slug == row.instance_type), None)
        type_name = kind.name if kind else row.instance_type
        theme_name = next((theme.name for theme in self.territory.themes if theme.slug == row.theme), None)
        closes_at = row.starts_at - timedelta(hours=kind.registration_closes_hours) if kind else row.starts_at
        return {
            "instance_id": str(row.instance_id),
            "title": row.title,
            "instance_type": row.instance_type,
            "type_name": type_name,
            "theme": row.theme,
            "theme_name": theme_name,
            "starts_at": iso(row.starts_at),
            "ends_at": iso(row.ends_at),
            "location": row.location,
            "sequence": row.sequence,
            "status": row.status,
            # For the emails' action links: what she may do, and until when.
            "observers_allowed": kind.observers_allowed if kind else True,
            "registration_closes_at": iso(closes_at),
        }

    async def _notify(
        self,
        unit: Unit,
        *,
        source_event_id: str,
        kind: str,
        instance_id: UUID | None,
        recipients: Sequence[Recipient],
        context: Mapping[str, Any],
    ) -> int:
        """Plan the deliveries of one source event (preferences applied); a redelivered event
        adds none (`deliveries` is unique per event, member and channel)."""
        ids = [r.member_id for r in recipients]
        preferences = reachable_preferences(  # no email on her card: SMS (contact_channels.py)
            await unit.repo.preferences_of(ids), await without_email(unit.session, ids)
        )
        planned = plan_deliveries(recipients, kind, preferences)
        for callback in self.on_new_deliveries:  # the sender need not wait for its next poll
            after_commit(unit.session, callback)
        return await unit.repo.add_deliveries(
            source_event_id=source_event_id,
            kind=kind,
            category=KIND_CATEGORY[kind],
            instance_id=instance_id,
            planned=planned,
            context=context,
            now=self.clock(),
        )

    async def _alert(self, unit: Unit, kind: Any, subject_id: UUID, message: str) -> None:
        """A staff alert, published with the transaction (kept when it comes back on the topic)."""
        await unit.emit(
            StaffAlertRaised(
                alert_id=uuid.uuid4(),
                kind=kind,
                subject_id=subject_id,
                message_fr=message,
                raised_at=self.clock(),
            )
        )

    async def _plan_reminders(
        self, unit: Unit, instance_id: UUID, instance_type: str, starts_at: datetime
    ) -> None:
        """Reminders and staff checks for an instance, (re)placed from its start time."""
        del instance_type  # every type has the same reminders and checks
        wanted = reminder_plan(
            starts_at,
            reminder_days=self.territory.notifications.reminder_days,
            alert_days=self.territory.notifications.nobody_registered_alert_days,
            now=self.clock(),
        )
        wanted.update(await sequence_reminders(self, unit, instance_id))  # morning, presence prompt
        existing = {(row.kind, row.days_before): row for row in await unit.repo.reminders_of(instance_id)}
        for key, old in existing.items():
            if key not in wanted:
                await unit.repo.delete_reminder(old.reminder_id)
        for (kind_name, days), due in wanted.items():
            row = existing.get((kind_name, days))
            if row is None:
                await unit.repo.add_reminder(instance_id, kind_name, days, due)
            elif as_utc(row.due_at) != due:
                # Moved: due again at the new time; a new round means a new reminder email.
                await unit.repo.update_reminder(
                    row.reminder_id, due_at=due, done_at=None, round=row.round + (1 if row.done_at else 0)
                )
