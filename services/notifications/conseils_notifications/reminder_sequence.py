"""Reminders that ask: beyond the J-N reminders (`notifications.reminder_days`, default J-7
and J-1), the morning of an evening instance, and one hour after its end « Étiez-vous
présent·e ? » to those registered. Set per territory in `notifications.reminders` (defaults
below); planned with the others (`_plan_reminders`), moved with a reschedule, and the
presence prompt outlives the instance being marked held.

The prompt's answer is her signed « present » link (conseils_runtime.action_links): the
email's button (`mail.action_links`), and its short form in the SMS
(`sms_channel.presence_short_link`), both to the site's page where she types the attendance
code. `presence_link` (the instance page) is kept in the delivery's context as the fallback."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete

from conseils_notifications import tables as t
from conseils_notifications.domain import Recipient
from conseils_notifications.records import InstanceRecord, ReminderRecord
from conseils_runtime.territory import TerritoryConfig

if TYPE_CHECKING:  # use_cases.py calls this module: no import cycle at run time
    from conseils_notifications.use_cases import NotificationsCore, Unit

MORNING = "morning"
PRESENCE = "presence_prompt"
SEQUENCE_KINDS = frozenset({MORNING, PRESENCE})


class ReminderSequence(BaseModel):
    """`notifications.reminders` in a territory file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    morning_of_evening: bool = Field(default=True, description="Un rappel le matin d'une instance du soir.")
    morning_at: time = time(8, 0)
    evening_from: time = Field(
        default=time(18, 0), description="Une instance du soir commence à cette heure."
    )
    presence_prompt_minutes: int | None = Field(
        default=60, ge=0, le=24 * 60, description="« Étiez-vous présent·e ? » après la fin ; null : jamais."
    )


def territory_reminder_sequence(territory: TerritoryConfig) -> ReminderSequence:
    section: Any = getattr(territory.notifications, "reminders", None)
    if section is None:
        return ReminderSequence()
    if isinstance(section, ReminderSequence):
        return section
    return ReminderSequence.model_validate(
        section.model_dump() if isinstance(section, BaseModel) else section
    )


def sequence_plan(
    sequence: ReminderSequence, *, starts_at: datetime, ends_at: datetime, timezone: str, now: datetime
) -> dict[tuple[str, int], datetime]:
    """(kind, 0) -> due time of the morning reminder and the presence prompt still ahead."""
    zone = ZoneInfo(timezone)
    local = starts_at.astimezone(zone)
    wanted: dict[tuple[str, int], datetime] = {}
    if sequence.morning_of_evening and local.time() >= sequence.evening_from:
        due = datetime.combine(local.date(), sequence.morning_at, zone).astimezone(UTC)
        if now < due < starts_at:
            wanted[(MORNING, 0)] = due
    if sequence.presence_prompt_minutes is not None:
        due = ends_at.astimezone(UTC) + timedelta(minutes=sequence.presence_prompt_minutes)
        if due > now:
            wanted[(PRESENCE, 0)] = due
    return wanted


def presence_link(public_base_url: str, instance_id: UUID | str) -> str:
    """The instance page (signed in), where she can also say she came: the fallback of the
    prompt's own signed links."""
    return f"{public_base_url.rstrip('/')}/instances/{instance_id}#presence"


async def sequence_reminders(
    core: NotificationsCore, unit: Unit, instance_id: UUID
) -> dict[tuple[str, int], datetime]:
    """Called by `_plan_reminders` with the instance's copy already up to date."""
    row = await unit.repo.instance(instance_id)
    if row is None:
        return {}
    return sequence_plan(
        territory_reminder_sequence(core.territory),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=core.territory.territory.timezone,
        now=core.clock(),
    )


def runs_for(reminder: ReminderRecord, row: InstanceRecord) -> bool:
    """A reminder runs for a scheduled instance; the presence prompt also once it is held."""
    return row.status == "scheduled" or (reminder.kind == PRESENCE and row.status == "held")


async def keep_presence_prompt(unit: Unit, instance_id: UUID) -> None:
    """An instance held: its reminders go, not the prompt that asks who came."""
    await unit.session.execute(
        delete(t.reminders).where(t.reminders.c.instance_id == instance_id, t.reminders.c.kind != PRESENCE)
    )


async def run_sequence_reminder(
    core: NotificationsCore,
    unit: Unit,
    reminder: ReminderRecord,
    row: InstanceRecord,
    *,
    recipients: list[Recipient],
    registered: list[UUID],
) -> None:
    """The morning reminder (to those a reminder goes to) or the presence prompt (to those
    registered, confirmed)."""
    snapshot = core.snapshot(row)
    if reminder.kind == MORNING:
        kind, context, told = "reminder", {"instance": snapshot, "days_before": 0}, recipients
    else:
        link = presence_link(core.settings.resolved_public_base_url(), row.instance_id)
        kind, context = "presence", {"instance": snapshot, "presence_url": link}
        told = [Recipient(member_id, "registered") for member_id in registered]
    await core._notify(
        unit,
        source_event_id=f"{reminder.kind}:{reminder.reminder_id}:{reminder.round}",
        kind=kind,
        instance_id=row.instance_id,
        recipients=told,
        context=context,
    )
