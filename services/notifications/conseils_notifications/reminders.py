"""Reminders and staff checks that fall due: a reminder to the registered (and the referents)
and the "nobody of this council registered" alert for staff. Each is marked done in the
transaction that acts on it, so it never runs twice. (The late dossier is raised by the
meetings service, which owns dossiers: one alert, not two.)"""

from __future__ import annotations

from conseils_notifications.domain import councils_without_registrant, reminder_recipients
from conseils_notifications.records import InstanceRecord, ReminderRecord
from conseils_notifications.reminder_sequence import SEQUENCE_KINDS, run_sequence_reminder, runs_for
from conseils_notifications.use_cases import NotificationsCore, Unit


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
            recipients = reminder_recipients(view, directory, registered)
            await run_sequence_reminder(
                self, unit, reminder, row, recipients=recipients, registered=list(registered)
            )
        elif reminder.kind == "reminder":
            await self._notify(
                unit,
                source_event_id=f"reminder:{reminder.reminder_id}:{reminder.round}",
                kind="reminder",
                instance_id=view.instance_id,
                recipients=reminder_recipients(view, directory, registered),
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
