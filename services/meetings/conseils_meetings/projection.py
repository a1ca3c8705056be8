"""One way to apply a fact: the meetings events -> the meetings tables.

The live service decides (domain rules), builds the event, writes it to the
outbox and calls `apply` in the same transaction; `replay.py` calls the very
same `apply` on the events read back from the topics. There is no second
writer that re-codes the transitions, so a database rebuilt from the log
holds what the live one holds, and the bilan gives the same figures.

Aggregates and what each event changes:

- instance (`instances`, `instance_councils`): scheduled, rescheduled,
  cancelled, held; its dossier (`dossier_version`, publication dates) and its
  minutes. What each fact changes is decided by the framework-free
  `domain.InstanceAggregate`: the iCalendar `sequence` and the dossier version
  only grow, an older fact arriving late (or twice) changes nothing.
- registration list (`registrations`): confirmed, waitlisted, promoted,
  cancelled. The waiting-list order is the order in which the waitlisted facts
  were applied (`instances.waitlist_counter`), the same live and on replay.
- attendance (`attendance`, `convened`, `instances.other_attendees`): replaced as a
  whole by each AttendanceRecorded, the convened list and the other participants
  (organisation, role, count) frozen with it. InstanceUpdated sets the title, theme and
  description.
- outcomes: `conseils_meetings.outcomes.apply_outcome_event`.
- needs counted per instance, cost claims and their decisions: `attending_projection`.
- venues confirmed with « Je viens »: `confirmation_projection`.
- registry facts: the shared temporal read model (`conseils_runtime.registry_view`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import attending_projection, tables
from conseils_meetings.confirmation_projection import CONFIRMATION_APPLY, forgets_confirmation
from conseils_meetings.instance_batch import INSTANCE_FACTS, apply_instance_facts
from conseils_meetings.outcomes import apply_outcome_event
from conseils_meetings.presence_projection import PRESENCE_APPLY
from conseils_meetings.records import AttendanceRecord
from conseils_meetings.registration_batch import REGISTRATION_STATUS, apply_registrations
from conseils_meetings.repository import Repository
from conseils_meetings.rota_projection import ROTA_APPLY
from conseils_meetings.voice_projection import VOICE_APPLY
from conseils_runtime.registry_view import REGISTRY_VIEW_EVENTS, RegistryView
from conseils_runtime.territory import TerritoryConfig
from conseils_schemas import (
    AttendanceRecorded,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MinutesPublished,
    OutcomeRecorded,
    OutcomeStatusChanged,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from conseils_schemas.events import InstanceUpdated

Apply = Callable[[Any, AsyncSession, datetime, TerritoryConfig], Awaitable[None]]


async def _instance_fact(event: Any, session: AsyncSession, at: datetime, territory: TerritoryConfig) -> None:
    """Every fact of the instance aggregate: `domain.InstanceAggregate.changes` says what it sets."""
    repo = Repository(session)
    row = await repo.instance(event.instance_id)
    if row is None:
        if isinstance(event, InstanceScheduled):  # first seen on replay (drafts are never published)
            await repo.insert_instance(
                id=event.instance_id,
                status="draft",
                created_at=at,
                sequence=0,
                dossier_version=0,
                waitlist_counter=0,
                **_draft_values(event),
            )
            row = await repo.instance(event.instance_id)
        if row is None:
            return  # a fact about an instance never scheduled: nothing to apply it to
    changes = row.aggregate().changes(event, at, territory.territory.timezone)
    if changes:
        await repo.update_instance(event.instance_id, **changes)
        if isinstance(event, InstanceScheduled):
            await repo.set_concerned(event.instance_id, event.council_ids)


def _draft_values(event: InstanceScheduled) -> dict[str, Any]:
    return {
        "instance_type": event.instance_type,
        "title": event.title,
        "scope": event.scope,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "location": event.location,
        "is_political": event.is_political,
        "is_evening": event.is_evening,
        "observers_allowed": event.observers_allowed,
        "policy_warnings": [],
    }


async def _attendance(
    event: AttendanceRecorded, session: AsyncSession, at: datetime, territory: TerritoryConfig
) -> None:
    del at
    repo = Repository(session)
    instance = await repo.instance(event.instance_id)
    if instance is None:
        return
    present = sorted(set(event.present_member_ids))
    day = registry_view_of(territory).local_date(instance.starts_at)
    councils = await repo.councils_on(present, day)
    confirmed = {
        r.member_id
        for r in await repo.registrations_of_instance(event.instance_id)
        if r.status == "confirmed"
    }
    await repo.replace_attendance(
        event.instance_id,
        [
            AttendanceRecord(event.instance_id, member_id, councils.get(member_id), member_id in confirmed)
            for member_id in present
        ],
    )
    others = [group.model_dump(mode="json") for group in event.other_attendees or ()]
    await repo.update_instance(event.instance_id, other_attendees=others)
    if event.convened is not None:
        await repo.replace_convened(
            event.instance_id,
            {group.council_id: sorted(set(group.member_ids)) for group in event.convened},
        )


async def _registration(event: Any, session: AsyncSession, at: datetime, territory: TerritoryConfig) -> None:
    del territory
    status = REGISTRATION_STATUS[type(event)]
    repo = Repository(session)
    existing = await repo.registration_or_none(event.registration_id)
    values: dict[str, Any] = {
        "mode": event.mode,
        "status": status,
        "council_id": event.council_id,
        "updated_at": at,
    }
    if status == "waitlisted":
        instance = await repo.instance(event.instance_id)
        if instance is None:
            return
        values["waitlist_seq"] = instance.waitlist_counter + 1
        await repo.update_instance(event.instance_id, waitlist_counter=values["waitlist_seq"])
    else:
        values["waitlist_seq"] = 0
    if existing is None:
        await repo.insert_registration(
            id=event.registration_id,
            instance_id=event.instance_id,
            member_id=event.member_id,
            created_at=at,
            **values,
        )
    else:
        await repo.update_registration(event.registration_id, **values)


async def _outcome(event: Any, session: AsyncSession, at: datetime, territory: TerritoryConfig) -> None:
    del at, territory
    await apply_outcome_event(session, event)


def registry_view_of(territory: TerritoryConfig) -> RegistryView:
    """The shared read model of registry facts, in this service's tables and the territory's dates."""
    return RegistryView(tables.registry_view, territory.territory.timezone)


APPLY: dict[type[Event], Apply] = {
    InstanceScheduled: _instance_fact,
    InstanceRescheduled: _instance_fact,
    InstanceCancelled: _instance_fact,
    InstanceHeld: _instance_fact,
    DossierPublished: attending_projection.with_easy_read(_instance_fact),
    MinutesPublished: _instance_fact,
    InstanceUpdated: _instance_fact,
    AttendanceRecorded: _attendance,
    RegistrationConfirmed: _registration,
    RegistrationPromoted: _registration,
    RegistrationWaitlisted: _registration,
    RegistrationCancelled: forgets_confirmation(_registration),  # « Je viens » undone with the seat
    OutcomeRecorded: _outcome,
    OutcomeStatusChanged: _outcome,
    **attending_projection.APPLY,  # needs counted, cost claims (issue 19)
    **PRESENCE_APPLY,  # presence declared with the attendance code (presence_projection)
    **CONFIRMATION_APPLY,  # « Je viens » (confirmation_projection)
    **VOICE_APPLY,  # projects, councils' opinions, decisions, participation choices (voice_projection)
    **ROTA_APPLY,  # the rotation scenario's rotas and turns (rota_projection)
}

APPLIED_EVENTS: tuple[type[Event], ...] = (*REGISTRY_VIEW_EVENTS, *APPLY)


async def apply(session: AsyncSession, event: Event, at: datetime, territory: TerritoryConfig) -> None:
    """Apply one fact (`at` is its `ce_time`) in the caller's transaction."""
    if isinstance(event, REGISTRY_VIEW_EVENTS):
        await registry_view_of(territory).apply(session, event, at)
        return
    handler = APPLY.get(type(event))
    if handler is not None:
        await handler(event, session, at, territory)


def _lane(event: Event) -> str:
    if isinstance(event, REGISTRY_VIEW_EVENTS):
        return "registry"
    if type(event) in REGISTRATION_STATUS:
        return "registrations"
    if type(event) in INSTANCE_FACTS:
        return "instances"
    return ""


async def apply_many(
    session: AsyncSession, facts: Sequence[tuple[Event, datetime]], territory: TerritoryConfig
) -> None:
    """Apply facts in their order, with the result of one `apply` each: a run of consecutive
    registry facts goes to `RegistryView.apply_many`, a run of registration facts to
    `registration_batch.apply_registrations`, a run of instance facts and attendance records to
    `instance_batch.apply_instance_facts` (a few statements a run), every other fact to `apply`."""
    start = 0
    while start < len(facts):
        lane = _lane(facts[start][0])
        end = start + 1
        if lane:
            while end < len(facts) and _lane(facts[end][0]) == lane:
                end += 1
        run = facts[start:end]
        if lane == "registry":
            await registry_view_of(territory).apply_many(session, run)
        elif lane == "registrations":
            await apply_registrations(session, run)
        elif lane == "instances":
            view = registry_view_of(territory)
            await apply_instance_facts(
                session, run, territory.territory.timezone, view.local_date, _draft_values
            )
        else:
            event, at = run[0]
            await apply(session, event, at, territory)
        start = end
