"""Read models and notifications from the registry's and the meetings service's events.

Three consumer groups: `registry` (councils, members, referents), `contacts`
(the compacted contact cards, tombstones included) and `meetings` (instances,
dossiers, minutes, attendance, registrations). Every handler writes in the
runtime's transaction, so a redelivered event has no second effect.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiokafka import ConsumerRecord
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy import exc as sa_exc

from conseils_notifications.service import NotificationsService
from conseils_runtime import EventConsumer, EventContext, ServiceRuntime
from conseils_runtime.logs import get_logger
from conseils_schemas import (
    AttendanceRecorded,
    CouncilDissolved,
    CouncilRegistered,
    CouncilUpdated,
    DossierPublished,
    InstanceCancelled,
    InstanceHeld,
    InstanceRescheduled,
    InstanceScheduled,
    MemberContactCard,
    MemberErased,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
    MinutesPublished,
    ReferentDesignated,
    ReferentWithdrawn,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    ThemeLeftWithoutReferent,
    is_tombstone,
)

log = get_logger(__name__)

AnyRegistration = (
    RegistrationConfirmed | RegistrationPromoted | RegistrationWaitlisted | RegistrationCancelled
)


class ContactCardConsumer(EventConsumer):
    """The runtime consumer, plus tombstones: a null value on the compacted contacts
    topic has no CloudEvents headers (the runtime would dead-letter it) and means
    "delete this member's contact card". Deleting is idempotent; the offset is
    committed only after the deletion is."""

    def __init__(
        self, runtime: ServiceRuntime, service: NotificationsService, name: str = "contacts"
    ) -> None:
        settings = runtime.settings
        super().__init__(
            name,
            group_id=settings.consumer_group(name),
            territory=settings.territory,
            database=runtime.database,
            tables=runtime.tables,
            broker=runtime.broker,
            outbox=runtime.outbox,
            max_attempts=settings.max_attempts,
            retry_backoff_seconds=settings.retry_backoff_seconds,
        )
        self._service = service
        runtime.consumers.append(self)

    async def handle(self, message: KafkaMessage) -> None:
        record: ConsumerRecord[Any, Any] = message.raw_message
        if not is_tombstone(record.value):
            await super().handle(message)
            return
        try:
            member_id = _uuid_key(record.key)
        except ValueError:
            log.warning("tombstone with an unreadable key ignored", topic=record.topic, offset=record.offset)
            await message.ack()
            return
        try:
            async with self._database.sessionmaker() as session, session.begin():
                await self._service.forget_contact(session, member_id)
        except (OSError, sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DBAPIError) as error:
            log.warning("tombstone not applied, will be redelivered", error=repr(error))
            await message.nack()
            return
        await message.ack()


def _uuid_key(key: bytes | str | None) -> UUID:
    if key is None:
        raise ValueError("no key")
    return UUID(key.decode() if isinstance(key, bytes) else key)


def register_consumers(runtime: ServiceRuntime, service: NotificationsService) -> None:
    registry = runtime.consumer("registry")

    @registry.on(CouncilRegistered)
    async def council_registered(event: CouncilRegistered, ctx: EventContext) -> None:
        await service.council_registered(ctx.session, event)

    @registry.on(CouncilUpdated)
    async def council_updated(event: CouncilUpdated, ctx: EventContext) -> None:
        await service.council_updated(ctx.session, event)

    @registry.on(CouncilDissolved)
    async def council_dissolved(event: CouncilDissolved, ctx: EventContext) -> None:
        await service.council_dissolved(ctx.session, event)

    @registry.on(MemberJoined)
    async def member_joined(event: MemberJoined, ctx: EventContext) -> None:
        await service.member_joined(ctx.session, event)

    @registry.on(MemberUpdated)
    async def member_updated(event: MemberUpdated, ctx: EventContext) -> None:
        await service.member_updated(ctx.session, event)

    @registry.on(MemberLeft)
    async def member_left(event: MemberLeft, ctx: EventContext) -> None:
        await service.member_left(ctx.session, event)

    @registry.on(MemberErased)
    async def member_erased(event: MemberErased, ctx: EventContext) -> None:
        await service.member_erased(ctx.session, event.member_id)

    @registry.on(ReferentDesignated)
    async def referent_designated(event: ReferentDesignated, ctx: EventContext) -> None:
        await service.referent_designated(ctx.session, event)

    @registry.on(ReferentWithdrawn)
    async def referent_withdrawn(event: ReferentWithdrawn, ctx: EventContext) -> None:
        await service.referent_withdrawn(ctx.session, event)

    @registry.on(ThemeLeftWithoutReferent)
    async def theme_left_without_referent(event: ThemeLeftWithoutReferent, ctx: EventContext) -> None:
        await service.theme_left_without_referent(ctx.session, event)

    contacts = ContactCardConsumer(runtime, service)

    @contacts.on(MemberContactCard)
    async def contact_card(event: MemberContactCard, ctx: EventContext) -> None:
        await service.record_contact(ctx.session, event)

    meetings = runtime.consumer("meetings")

    @meetings.on(InstanceScheduled)
    async def instance_scheduled(event: InstanceScheduled, ctx: EventContext) -> None:
        await service.instance_scheduled(ctx.session, event, ctx.metadata.id)

    @meetings.on(InstanceRescheduled)
    async def instance_rescheduled(event: InstanceRescheduled, ctx: EventContext) -> None:
        await service.instance_rescheduled(ctx.session, event, ctx.metadata.id)

    @meetings.on(InstanceCancelled)
    async def instance_cancelled(event: InstanceCancelled, ctx: EventContext) -> None:
        await service.instance_cancelled(ctx.session, event, ctx.metadata.id)

    @meetings.on(InstanceHeld)
    async def instance_held(event: InstanceHeld, ctx: EventContext) -> None:
        await service.instance_held(ctx.session, event)

    @meetings.on(DossierPublished)
    async def dossier_published(event: DossierPublished, ctx: EventContext) -> None:
        await service.dossier_published(ctx.session, event, ctx.metadata.id)

    @meetings.on(MinutesPublished)
    async def minutes_published(event: MinutesPublished, ctx: EventContext) -> None:
        await service.minutes_published(ctx.session, event, ctx.metadata.id)

    @meetings.on(AttendanceRecorded)
    async def attendance_recorded(event: AttendanceRecorded, ctx: EventContext) -> None:
        await service.attendance_recorded(ctx.session, event)

    async def _registration(event: AnyRegistration, ctx: EventContext, status: str) -> None:
        await service.registration(
            ctx.session,
            registration_id=event.registration_id,
            instance_id=event.instance_id,
            member_id=event.member_id,
            council_id=event.council_id,
            mode=event.mode,
            status=status,
        )

    @meetings.on(RegistrationConfirmed)
    async def registration_confirmed(event: RegistrationConfirmed, ctx: EventContext) -> None:
        await _registration(event, ctx, "confirmed")

    @meetings.on(RegistrationPromoted)
    async def registration_promoted(event: RegistrationPromoted, ctx: EventContext) -> None:
        await _registration(event, ctx, "confirmed")

    @meetings.on(RegistrationWaitlisted)
    async def registration_waitlisted(event: RegistrationWaitlisted, ctx: EventContext) -> None:
        await _registration(event, ctx, "waitlisted")

    @meetings.on(RegistrationCancelled)
    async def registration_cancelled(event: RegistrationCancelled, ctx: EventContext) -> None:
        await _registration(event, ctx, "cancelled")
