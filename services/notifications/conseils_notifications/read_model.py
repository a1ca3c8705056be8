"""What the service keeps of other services' facts: the contact cards (personal data, gone
on tombstone or erasure), the registry's temporal read model, and the parts of the instances
copy that tell nobody anything (held, attendance)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from conseils_notifications.reminder_sequence import keep_presence_prompt
from conseils_notifications.sms import forget_sms, record_sms_card
from conseils_notifications.use_cases import NotificationsCore, Unit
from conseils_schemas import AttendanceRecorded, Event, InstanceHeld, MemberContactCard, MemberErased


class ReadModel(NotificationsCore):
    """Contacts copy, registry facts, instances copy."""

    async def record_contact(self, unit: Unit, card: MemberContactCard) -> None:
        await unit.repo.save_contact(
            card.member_id,
            {
                "display_name": card.display_name,
                "email": card.email,
                "phone": card.phone,
                "language": card.language,
                "consent_given_at": card.consent_given_at,
                "updated_at": self.clock(),
            },
        )
        await record_sms_card(self, unit, card)  # her number's hash (sms.py)

    async def forget_contact(self, unit: Unit, member_id: UUID) -> None:
        """Tombstone: the contact card is gone; pending messages to that person cannot go out."""
        await unit.repo.delete_contact(member_id)
        await forget_sms(unit, member_id)

    async def apply_registry_fact(
        self, unit: Unit, event: Event, occurred_at: datetime | None = None
    ) -> None:
        """Councils, members and referents: the shared temporal read model (same code as meetings).
        `occurred_at` is the fact's `ce_time` (default: now)."""
        await self.registry_view.apply(unit.session, event, occurred_at or self.clock())
        if isinstance(event, MemberErased):
            await unit.repo.erase_member(event.member_id)
            await forget_sms(unit, event.member_id)

    async def apply_registry_facts(self, unit: Unit, facts: Sequence[tuple[Event, datetime]]) -> None:
        """Several facts (each with its `ce_time`) at once: the same as one `apply_registry_fact`
        each, in a few statements (an erasure's own work runs after its fact, before the next)."""
        run: list[tuple[Event, datetime]] = []
        for event, occurred_at in facts:
            run.append((event, occurred_at))
            if isinstance(event, MemberErased):
                await self.registry_view.apply_many(unit.session, run)
                run = []
                await unit.repo.erase_member(event.member_id)
                await forget_sms(unit, event.member_id)
        await self.registry_view.apply_many(unit.session, run)

    async def instance_held(self, unit: Unit, event: InstanceHeld) -> None:
        await unit.repo.update_instance(event.instance_id, status="held")
        await keep_presence_prompt(unit, event.instance_id)  # its reminders go, not « présent·e ? »

    async def attendance_recorded(self, unit: Unit, event: AttendanceRecorded) -> None:
        await unit.repo.replace_attendance(event.instance_id, event.present_member_ids)
