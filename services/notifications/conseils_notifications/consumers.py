"""Read models and notifications from the registry's and the meetings service's events.

Three consumer groups: `registry` (councils, members, referents), `contacts`
(the compacted contact cards, tombstones included) and `meetings` (instances,
dossiers, minutes, attendance, registrations). Every handler writes in the
runtime's transaction (`units.within(ctx)`: the use case's unit of work is the consumer's
own transaction), so a redelivered event has no second effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_notifications.domain import RegistrationKind
from conseils_notifications.service import NotificationsService
from conseils_runtime import EventContext, ServiceRuntime
from conseils_runtime.logs import get_logger
from conseils_runtime.registry_view import REGISTRY_VIEW_EVENTS
from conseils_schemas import (
    REGISTRY_MEMBER_CONTACTS,
    AttendanceRecorded,
    DossierPublished,
    Event,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MemberContactCard,
    MemberContactCardV2,
    MinutesPublished,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    StaffAlertAcknowledged,
    StaffAlertRaised,
    StaffAlertResolved,
    ThemeLeftWithoutReferent,
)
from conseils_schemas.events import RotationTurnAssigned, SubstituteDesignated, SubstituteWithdrawn

log = get_logger(__name__)

AnyRegistration = (
    RegistrationConfirmed | RegistrationPromoted | RegistrationWaitlisted | RegistrationCancelled
)


def register_consumers(runtime: ServiceRuntime, service: NotificationsService) -> None:
    """Same signature in every service: the runtime, and the use cases handlers delegate to."""
    units = service.units
    registry = runtime.consumer("registry")

    @registry.on_batch(*REGISTRY_VIEW_EVENTS)  # consecutive facts of a poll in a few statements
    async def registry_facts(items: Sequence[tuple[Event, EventContext]]) -> None:
        facts = [(event, ctx.metadata.time) for event, ctx in items]
        await service.apply_registry_facts(units.within(items[0][1]), facts)

    @registry.on(SubstituteDesignated)
    async def substitute_designated(event: SubstituteDesignated, ctx: EventContext) -> None:
        await service.substitute_designated(units.within(ctx), event)

    @registry.on(SubstituteWithdrawn)
    async def substitute_withdrawn(event: SubstituteWithdrawn, ctx: EventContext) -> None:
        await service.substitute_withdrawn(units.within(ctx), event)

    @registry.on(ThemeLeftWithoutReferent)
    async def theme_left_without_referent(event: ThemeLeftWithoutReferent, ctx: EventContext) -> None:
        await service.theme_left_without_referent(units.within(ctx), event)

    contacts = runtime.consumer("contacts")

    @contacts.on(MemberContactCard)
    async def contact_card(event: MemberContactCard, ctx: EventContext) -> None:
        await service.record_contact(units.within(ctx), event)

    @contacts.on(MemberContactCardV2)
    async def contact_card_v2(event: MemberContactCardV2, ctx: EventContext) -> None:
        await service.record_contact(units.within(ctx), event)

    @contacts.on_tombstone(REGISTRY_MEMBER_CONTACTS)
    async def contact_erased(key: str, session: AsyncSession) -> None:
        try:
            member_id = UUID(key)
        except ValueError:
            log.warning("tombstone with an unreadable key ignored", key=key)
            return
        await service.forget_contact(units.on(session), member_id)

    meetings = runtime.consumer("meetings")

    @meetings.on(InstanceScheduled)
    async def instance_scheduled(event: InstanceScheduled, ctx: EventContext) -> None:
        await service.instance_scheduled(units.within(ctx), event, ctx.metadata.id)

    @meetings.on(InstanceRescheduled)
    async def instance_rescheduled(event: InstanceRescheduled, ctx: EventContext) -> None:
        await service.instance_rescheduled(units.within(ctx), event, ctx.metadata.id)

    @meetings.on(InstanceCancelled)
    async def instance_cancelled(event: InstanceCancelled, ctx: EventContext) -> None:
        await service.instance_cancelled(units.within(ctx), event, ctx.metadata.id)

    @meetings.on(InstanceHeld)
    async def instance_held(event: InstanceHeld, ctx: EventContext) -> None:
        await service.instance_held(units.within(ctx), event)

    @meetings.on(RotationTurnAssigned)
    async def rotation_turn(event: RotationTurnAssigned, ctx: EventContext) -> None:
        await service.rotation_turn(units.within(ctx), event, ctx.metadata.id)

    @meetings.on(DossierPublished)
    async def dossier_published(event: DossierPublished, ctx: EventContext) -> None:
        await service.dossier_published(units.within(ctx), event, ctx.metadata.id)

    @meetings.on(MinutesPublished)
    async def minutes_published(event: MinutesPublished, ctx: EventContext) -> None:
        await service.minutes_published(units.within(ctx), event, ctx.metadata.id)

    @meetings.on(AttendanceRecorded)
    async def attendance_recorded(event: AttendanceRecorded, ctx: EventContext) -> None:
        await service.attendance_recorded(units.within(ctx), event)

    async def _registration(
        event: AnyRegistration, ctx: EventContext, status: str, kind: RegistrationKind
    ) -> None:
        # The event's id keys her email (exactly once per event), its type says what changed,
        # and a waitlisted fact carries her rank.
        await service.registration(
            units.within(ctx),
            registration_id=event.registration_id,
            instance_id=event.instance_id,
            member_id=event.member_id,
            council_id=event.council_id,
            mode=event.mode,
            status=status,
            event_id=ctx.metadata.id,
            kind=kind,
            position=event.position if isinstance(event, RegistrationWaitlisted) else None,
        )

    @meetings.on(RegistrationConfirmed)
    async def registration_confirmed(event: RegistrationConfirmed, ctx: EventContext) -> None:
        await _registration(event, ctx, "confirmed", "registered")

    @meetings.on(RegistrationPromoted)
    async def registration_promoted(event: RegistrationPromoted, ctx: EventContext) -> None:
        await _registration(event, ctx, "confirmed", "promoted")

    @meetings.on(RegistrationWaitlisted)
    async def registration_waitlisted(event: RegistrationWaitlisted, ctx: EventContext) -> None:
        await _registration(event, ctx, "waitlisted", "waitlisted")

    @meetings.on(RegistrationCancelled)
    async def registration_cancelled(event: RegistrationCancelled, ctx: EventContext) -> None:
        await _registration(event, ctx, "cancelled", "unregistered")
        await service.referent_cancelled(units.within(ctx), event, ctx.metadata.id)  # her substitute

    alerts = runtime.consumer("alerts")

    @alerts.on(StaffAlertRaised)
    async def staff_alert(event: StaffAlertRaised, ctx: EventContext) -> None:
        await service.record_staff_alert(units.within(ctx), event)

    @alerts.on(StaffAlertAcknowledged)
    async def staff_alert_acknowledged(event: StaffAlertAcknowledged, ctx: EventContext) -> None:
        await service.apply_alert_action(units.within(ctx), event)

    @alerts.on(StaffAlertResolved)
    async def staff_alert_resolved(event: StaffAlertResolved, ctx: EventContext) -> None:
        await service.apply_alert_action(units.within(ctx), event)
