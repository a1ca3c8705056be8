"""Reminders and staff checks that fall due: a reminder to the registered (and, for a council
nobody registered from, to whoever represents it: the referents; under the rotation scenario the
member whose turn it is; once a referent cancelled and her substitute was invited, the
substitute) and the "nobody of this council registered" alert for staff. Each is marked done in the
transaction that acts on it, so it never runs twice. (The late dossier is raised by the
meetings service, which owns dossiers: one alert, not two.)"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from sqlalchemy import select

from conseils_notifications import tables as t
from conseils_notifications.domain import (
    Directory,
    InstanceView,
    Recipient,
    concerned_councils,
    councils_without_registrant,
    merge_recipients,
    reminder_recipients,
)
from conseils_notifications.records import InstanceRecord, ReminderRecord
from conseils_notifications.reminder_sequence import SEQUENCE_KINDS, run_sequence_reminder, runs_for
from conseils_notifications.representation_tables import rotation_turns
from conseils_notifications.use_cases import NotificationsCore, Unit


def represented_reminder_recipients(
    instance: InstanceView,
    directory: Directory,
    registrants: Mapping[UUID, UUID],
    *,
    turns: Mapping[UUID, UUID] | None = None,
    substitutes: Mapping[UUID, UUID] | None = None,
) -> list[Recipient]:
    """Who a reminder goes to under the scenario in force: the registrants, then for each
    concerned council nobody registered from, who represents it. `turns` (council -> member,
    the rotation scenario's, None under another scenario): the member whose turn it is (the
    referents were not invited; a council without a turn gets none). `substitutes` (council ->
    member, the substitutes invited because the referent cancelled): the substitute, instead of
    the referent who said she cannot come. Otherwise the referents (`reminder_recipients`).
    Only active members of the council are reminded."""
    substitutes = substitutes or {}
    active = {(member.council_id, member.member_id) for member in directory.members}
    represented = set(registrants.values())
    standing_in: list[Recipient] = []
    replaced: set[UUID] = set()  # councils whose referents are not the ones reminded
    for council_id in concerned_councils(instance, directory):
        if council_id in represented:
            continue
        member_id = turns.get(council_id) if turns is not None else substitutes.get(council_id)
        if turns is not None or member_id is not None:
            replaced.add(council_id)
        if member_id is not None and (council_id, member_id) in active:
            standing_in.append(Recipient(member_id, "rotation_turn" if turns is not None else "substitute"))
    council_of = {member.member_id: member.council_id for member in directory.members}
    usual = reminder_recipients(instance, directory, registrants)
    registered = [r for r in usual if r.reason == "registered"]
    referents = [r for r in usual if r.reason != "registered" and council_of.get(r.member_id) not in replaced]
    return merge_recipients(registered, standing_in, referents)


class Reminders(NotificationsCore):
    """What the scheduler runs when reminders fall due."""

    async def run_due_reminders(self, unit: Unit, limit: int = 100) -> int:
        """Handle reminders and checks due now; each is marked done in the same transaction."""
        now = self.clock()
        due = await unit.repo.due_reminders(now, limit)
        for reminder in due:
            row = await unit.repo.instance(reminder.instance_id)
            if row is not None and runs_for(reminder, row):
                await self._run_reminder(unit, reminder, row)
            await unit.repo.update_reminder(reminder.reminder_id, done_at=now)
        return len(due)

    async def _run_reminder(self, unit: Unit, reminder: ReminderRecord, row: InstanceRecord) -> None:
        view = row.view()
        directory = await unit.repo.directory(self.today())
        registered = await unit.repo.registrants(view.instance_id, confirmed_only=True)
        if reminder.kind in SEQUENCE_KINDS:  # the morning of an evening instance, « Étiez-vous présent·e ? »
            recipients = await self._reminded(unit, row, view, directory, registered)
            await run_sequence_reminder(
                self, unit, reminder, row, recipients=recipients, registered=list(registered)
            )
        elif reminder.kind == "reminder":
            await self._notify(
                unit,
                source_event_id=f"reminder:{reminder.reminder_id}:{reminder.round}",
                kind="reminder",
                instance_id=view.instance_id,
                recipients=await self._reminded(unit, row, view, directory, registered),
                context={"instance": self.snapshot(row), "days_before": reminder.days_before},
            )
        elif reminder.kind == "registration_check":
            for council_id in councils_without_registrant(view, directory, registered):
                await self._alert(
                    unit,
                    "nobody_registered",
                    council_id,
                    f"Aucun membre du conseil n'est inscrit à « {row.title} » "
                    f"({reminder.days_before} jours avant l'instance).",
                )
        # A "dossier_check" row planned before this version does nothing: the late dossier is
        # the meetings service's alert (it owns dossiers), raised once, there.

    async def _reminded(
        self,
        unit: Unit,
        row: InstanceRecord,
        view: InstanceView,
        directory: Directory,
        registered: Mapping[UUID, UUID],
    ) -> list[Recipient]:
        """`represented_reminder_recipients` with the turns (under the rotation scenario of the
        instance's type on its date) and the substitutes already invited for this instance."""
        day = self.registry_view.local_date(row.starts_at)
        turns: dict[UUID, UUID] | None = None
        if self.territory.scenario_on(row.instance_type, day) == "rotation":
            rows = await unit.session.execute(
                select(rotation_turns.c.council_id, rotation_turns.c.member_id).where(
                    rotation_turns.c.instance_id == row.instance_id
                )
            )
            turns = dict(rows.all())
        invited = await unit.session.execute(
            select(t.deliveries.c.member_id)
            .where(t.deliveries.c.instance_id == row.instance_id, t.deliveries.c.reason == "substitute")
            .distinct()
        )
        council_of = {member.member_id: member.council_id for member in directory.members}
        substitutes = {council_of[m]: m for m in invited.scalars() if m in council_of}
        return represented_reminder_recipients(
            view, directory, registered, turns=turns, substitutes=substitutes
        )
