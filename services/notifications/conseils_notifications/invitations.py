"""Who must hear about what: an instance scheduled, moved, cancelled, its dossier and minutes
published, a member's own registration changed. Each keeps the local copy up to date and plans
the deliveries, keyed by the source event so a redelivered event adds none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from conseils_notifications.domain import (
    Directory,
    Recipient,
    RegistrationKind,
    change_recipients,
    invitation_recipients,
    merge_recipients,
    minutes_recipients,
    registration_kind,
    registration_recipients,
)
from conseils_notifications.records import InstanceRecord
from conseils_notifications.representation import rotation_members
from conseils_notifications.use_cases import NotificationsCore, Unit, iso
from conseils_schemas import (
    DossierPublished,
    InstanceCancelled,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
)


class Invitations(NotificationsCore):
    """The meetings service's facts, and who is told of each."""

    def open_pool(self, row: InstanceRecord) -> bool:
        """The instance's type runs an open pool (vivier ouvert) on its date (territory file)."""
        day = self.registry_view.local_date(row.starts_at)
        return self.territory.scenario_on(row.instance_type, day) == "vivier_ouvert"

    async def invited(self, unit: Unit, row: InstanceRecord, directory: Directory) -> list[Recipient]:
        """Who the instance's invitation invites under the scenario of its type on its date: under
        the rotation scenario the members whose turn it is (their turn's fact invites them first)."""
        day = self.registry_view.local_date(row.starts_at)
        if self.territory.scenario_on(row.instance_type, day) == "rotation":
            return [Recipient(m, "rotation_turn") for m in await rotation_members(unit, row.instance_id)]
        return invitation_recipients(row.view(open_pool=self.open_pool(row)), directory)

    async def instance_scheduled(self, unit: Unit, event: InstanceScheduled, event_id: str) -> int:
        await unit.repo.save_instance(
            event.instance_id,
            {
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
            },
        )
        row = await unit.repo.instance(event.instance_id)
        assert row is not None
        await self._plan_reminders(unit, event.instance_id, event.instance_type, event.starts_at)
        directory = await unit.repo.directory(self.today())
        return await self._notify(
            unit,
            source_event_id=event_id,
            kind="scheduled",
            instance_id=event.instance_id,
            recipients=await self.invited(unit, row, directory),
            context={"instance": self.snapshot(row)},
        )

    async def _change(
        self, unit: Unit, instance_id: UUID, event_id: str, kind: str, extra: Mapping[str, Any]
    ) -> int:
        row = await unit.repo.instance(instance_id)
        if row is None:
            return 0
        told = await unit.repo.told_before(instance_id)
        registered = await unit.repo.registrants(instance_id, confirmed_only=False)
        return await self._notify(
            unit,
            source_event_id=event_id,
            kind=kind,
            instance_id=instance_id,
            recipients=change_recipients(told, registered),
            context={"instance": self.snapshot(row), **extra},
        )

    async def instance_rescheduled(self, unit: Unit, event: InstanceRescheduled, event_id: str) -> int:
        row = await unit.repo.instance(event.instance_id)
        if row is None:
            return 0  # never heard of it: nobody to tell
        await unit.repo.update_instance(
            event.instance_id,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            location=event.location,
            sequence=max(event.sequence, row.sequence),
            status="scheduled",
        )
        await self._plan_reminders(unit, event.instance_id, row.instance_type, event.starts_at)
        return await self._change(
            unit,
            event.instance_id,
            event_id,
            "rescheduled",
            # What changed, old -> new, for the email's first lines (the row before the update).
            {
                "previous_starts_at": iso(event.previous_starts_at),
                "previous_ends_at": iso(row.ends_at),
                "previous_location": row.location,
            },
        )

    async def instance_cancelled(self, unit: Unit, event: InstanceCancelled, event_id: str) -> int:
        row = await unit.repo.instance(event.instance_id)
        if row is None:
            return 0
        await unit.repo.update_instance(
            event.instance_id, status="cancelled", sequence=max(event.sequence, row.sequence)
        )
        await unit.repo.delete_reminders_of(event.instance_id)
        return await self._change(
            unit, event.instance_id, event_id, "cancelled", {"reason_text": event.reason}
        )

    async def dossier_published(self, unit: Unit, event: DossierPublished, event_id: str) -> int:
        row = await unit.repo.instance(event.instance_id)
        if row is None:
            return 0
        await unit.repo.update_instance(event.instance_id, dossier_published_at=event.published_at)
        directory = await unit.repo.directory(self.today())
        registered = await unit.repo.registrants(event.instance_id, confirmed_only=False)
        recipients = merge_recipients(
            change_recipients([], registered),
            await self.invited(unit, row, directory),
        )
        return await self._notify(
            unit,
            source_event_id=event_id,
            kind="dossier",
            instance_id=event.instance_id,
            recipients=recipients,
            context={
                "instance": self.snapshot(row),
                "documents": [d.filename for d in event.documents],
                "easy_read": [  # offered first (mail.easy_read_links)
                    {"document_id": str(d.document_id), "filename": d.filename, "media_type": d.media_type}
                    for d in event.easy_read_documents
                ],
            },
        )

    async def minutes_published(self, unit: Unit, event: MinutesPublished, event_id: str) -> int:
        row = await unit.repo.instance(event.instance_id)
        if row is None:
            return 0
        directory = await unit.repo.directory(self.today())
        registered = await unit.repo.registrants(event.instance_id, confirmed_only=False)
        present = await unit.repo.attendees(event.instance_id)
        return await self._notify(
            unit,
            source_event_id=event_id,
            kind="minutes",
            instance_id=event.instance_id,
            recipients=minutes_recipients(row.view(), directory, registered, present),
            context={"instance": self.snapshot(row), "summary": event.summary},
        )

    async def registration(
        self,
        unit: Unit,
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
        # Only without `kind` is the change read from the status known before.
        previous = await unit.repo.registration_status(registration_id) if kind is None else None
        await unit.repo.save_registration(
            registration_id,
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
        row = await unit.repo.instance(instance_id)
        if row is None or row.status == "cancelled":
            return 0  # unknown, or cancelled: the instance-cancelled email already told her
        source_event_id = event_id or await self._registration_source_id(unit, registration_id, change)
        return await self._notify(
            unit,
            source_event_id=source_event_id,
            kind=change,
            instance_id=instance_id,
            recipients=registration_recipients(member_id),
            context={"instance": self.snapshot(row), "mode": mode, "position": position},
        )

    @staticmethod
    async def _registration_source_id(unit: Unit, registration_id: UUID, change: str) -> str:
        """`registration:<id>:<n>:<change>`, n = changes of this registration already told:
        unique per change, so a registration cancelled then confirmed again is told again."""
        prefix = f"registration:{registration_id}:"
        told = await unit.repo.source_events_starting(prefix)
        return f"{prefix}{told}:{change}"
