"""Registration use cases: register as participant or observer, cancel, the waiting list and its
promotions, a member's registrations and history.

Registrations of one instance are serialised by locking the instance row (`SELECT ... FOR
UPDATE` on PostgreSQL; SQLite transactions start with BEGIN IMMEDIATE and are serial anyway),
so two councillors racing for the last seat cannot both get it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from conseils_meetings import domain
from conseils_meetings.domain import Mode
from conseils_meetings.records import (
    HistoryEntry,
    MemberHistory,
    MemberRegistrationRecord,
    RegistrationRecord,
)
from conseils_meetings.use_cases import (
    MeetingsCore,
    RegistrationOutcome,
    Unit,
)
from conseils_runtime.http import NotFound
from conseils_runtime.territory import InstanceType, TerritoryConfig
from conseils_schemas import (
    Event,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
    StaffAlertRaised,
)


class Registrations(MeetingsCore):
    """Registration use cases: register as participant or observer, cancel, the waiting list and its
    promotions, a member's registrations and history, the seats given back by a member who left."""

    async def register(self, instance_id: uuid.UUID, member_id: uuid.UUID, mode: Mode) -> RegistrationOutcome:
        now = self.clock()
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)  # serialises this instance's seats
            kind = self.instance_type(row.instance_type)
            member = await repo.member(member_id)
            existing = await repo.registration(instance_id, member_id)
            if existing is not None and existing.status != "cancelled" and existing.mode == mode:
                seats = await repo.seats(instance_id)
                return self._outcome(existing, seats, changed=False)
            domain.check_can_register(
                kind,
                status=row.status,
                starts_at=row.starts_at,
                now=now,
                mode=mode,
                member_active=bool(member and member.active),
                member_council=member.council_id if member else None,
                concerned=await repo.concerned(instance_id),
            )
            assert member is not None
            assert member.council_id is not None  # checked: a member of a council
            council_id = member.council_id
            if existing is not None and existing.status != "cancelled":  # switching mode
                await unit.emit(self._registration_event(RegistrationCancelled, existing))
            seats = await repo.seats(instance_id)
            status = domain.admit(kind, seats, council_id, mode)
            registration_id = existing.id if existing is not None else uuid.uuid4()
            fields = {
                "registration_id": registration_id,
                "instance_id": instance_id,
                "member_id": member_id,
                "council_id": council_id,
                "mode": mode,
            }
            if status == "confirmed":
                await unit.emit(RegistrationConfirmed(**fields))
            else:
                # Her place: behind everyone waiting (the aggregate numbers the list as facts arrive).
                waiting = domain.Seat(
                    registration_id, council_id, mode, "waitlisted", row.waitlist_counter + 1
                )
                position = domain.waitlist_position([*seats, waiting], registration_id)
                await unit.emit(RegistrationWaitlisted(**fields, position=position))
                if domain.exceeds_council_quota(kind, seats, council_id, mode):
                    await self._alert_over_quota(unit, instance_id, row.title, council_id, kind)
            saved = await repo.registration_by_id(registration_id)
            outcome = self._outcome(saved, await repo.seats(instance_id), changed=True)
            if existing is not None and existing.status != "cancelled":  # the old seat is free
                outcome.promoted = await promote_waiting(unit, kind, instance_id)
            return outcome

    async def _alert_over_quota(
        self, unit: Unit, instance_id: uuid.UUID, title: str, council_id: uuid.UUID, kind: InstanceType
    ) -> None:
        """Her council asks for more places than the type gives it: staff may open more, or ask
        the council who speaks for it (the others wait on the list)."""
        council = await unit.repo.council_name(council_id) or "Un conseil citoyen"
        await unit.emit(
            StaffAlertRaised(
                alert_id=domain.over_quota_alert_id(instance_id, council_id),
                kind="council_over_quota",
                subject_id=council_id,
                message_fr=(
                    f"« {title} » : {council} demande plus de places de participant·e qu'il n'en a "
                    f"({kind.participant_seats_per_council} par conseil) ; les suivant·es sont sur "
                    "liste d'attente."
                ),
                raised_at=self.clock(),
            )
        )

    async def cancel_registration(self, instance_id: uuid.UUID, member_id: uuid.UUID) -> RegistrationOutcome:
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)
            if row.status not in domain.OPEN_FOR_REGISTRATION:
                raise domain.RegistrationRefused(
                    "L'instance n'est plus ouverte aux inscriptions : "
                    f"elle est {domain.STATUS_LABELS.get(row.status, row.status)}."
                )
            existing = await repo.registration(instance_id, member_id)
            if existing is None:
                raise NotFound("Vous n'êtes pas inscrit·e à cette instance.")
            if existing.status == "cancelled":
                return self._outcome(existing, [], changed=False)
            await unit.emit(self._registration_event(RegistrationCancelled, existing))
            kind = self.instance_type(row.instance_type)
            promoted = await promote_waiting(unit, kind, instance_id)
            outcome = self._outcome(await repo.registration_by_id(existing.id), [], changed=True)
            outcome.promoted = promoted
            return outcome

    async def release_seats(self, unit: Unit, member_id: uuid.UUID) -> int:
        """A member who left (or was erased) gives back her seats in instances still to come
        (in the consumer's transaction: `units.within(context)`)."""
        return await release_seats_of_member(unit, self.territory, member_id)

    @staticmethod
    def _registration_fields(row: RegistrationRecord) -> dict[str, Any]:
        return registration_fields(row)

    def _registration_event(self, event_class: type[Event], row: RegistrationRecord) -> Event:
        return event_class(**self._registration_fields(row))

    @staticmethod
    def _outcome(
        row: RegistrationRecord, seats: Sequence[domain.Seat], *, changed: bool
    ) -> RegistrationOutcome:
        position = None
        if row.status == "waitlisted":
            position = domain.waitlist_position(seats, row.id)
        return RegistrationOutcome(
            registration_id=row.id,
            instance_id=row.instance_id,
            member_id=row.member_id,
            council_id=row.council_id,
            mode=row.mode,
            status=row.status,
            position=position,
            changed=changed,
        )

    async def instance_registrations(self, instance_id: uuid.UUID) -> list[RegistrationRecord]:
        """Its registrations (oldest first), each waitlisted one with its current rank."""
        async with self.units.reading() as repo:
            await self._instance(repo, instance_id)
            seats = await repo.seats(instance_id)
            return [
                replace(row, position=domain.waitlist_position(seats, row.id))
                if row.status == "waitlisted"
                else row
                for row in await repo.registrations_of_instance(instance_id)
            ]

    async def member_registrations(self, member_id: uuid.UUID) -> list[MemberRegistrationRecord]:
        """Her registrations, each waitlisted one with its current rank (1 = next to be promoted),
        each with her presence once the instance's attendance is recorded."""
        async with self.units.reading() as repo:
            attended = await repo.attendance_of_member(member_id)
            rows = []
            for row in await repo.registrations_of_member(member_id):
                registration = row.registration
                if registration.status == "waitlisted":
                    seats = await repo.seats(registration.instance_id)
                    position = domain.waitlist_position(seats, registration.id)
                    registration = replace(registration, position=position)
                recorded = row.instance_status in domain.ATTENDANCE_RECORDED
                present = (registration.instance_id in attended) if recorded else None
                rows.append(replace(row, registration=registration, present=present))
            return rows

    async def member_history(self, member_id: uuid.UUID) -> MemberHistory:
        """Her history: the past instances (started before now, newest first) of her
        council and themes (the agenda's rule, `list_instances`) or that she registered
        for or attended, each with her registration, her presence and the published
        minutes; and all her registrations over time (newest instance first)."""
        now = self.clock()
        past = await self.list_instances(starts_from=None, starts_before=now, member_id=member_id)
        async with self.units.reading() as repo:
            registrations = await repo.registrations_of_member(member_id)
            attended = await repo.attendance_of_member(member_id)
            known = {row.id for row in past}
            own = {row.registration.instance_id for row in registrations} | set(attended)
            past += await repo.instances_by_ids(sorted(own - known), starts_before=now)
            names = {kind.slug: kind.name for kind in self.territory.instance_types}
            mine = {row.registration.instance_id: row for row in registrations}
            instances = []
            for row in sorted(past, key=lambda r: r.starts_at, reverse=True):
                recorded = row.status in domain.ATTENDANCE_RECORDED
                published = row.minutes_published_at is not None
                documents = await repo.latest_documents(row.id, "minutes") if published else []
                instances.append(
                    HistoryEntry(
                        instance=row,
                        instance_type_name=names.get(row.instance_type, row.instance_type),
                        registration=mine.get(row.id),
                        present=(row.id in attended) if recorded else None,
                        minutes_summary=row.minutes_summary if published else None,
                        minutes_documents=[d for d in documents if d.published_at is not None],
                    )
                )
        registrations.sort(key=lambda r: r.starts_at, reverse=True)
        return MemberHistory(instances=instances, registrations=registrations)


def registration_fields(row: RegistrationRecord) -> dict[str, Any]:
    return {
        "registration_id": row.id,
        "instance_id": row.instance_id,
        "member_id": row.member_id,
        "council_id": row.council_id,
        "mode": row.mode,
    }


async def promote_waiting(unit: Unit, kind: InstanceType, instance_id: uuid.UUID) -> list[uuid.UUID]:
    """Give freed seats to the waiting list, in order (the instance row is locked by the caller)."""
    promoted = domain.promotions(kind, await unit.repo.seats(instance_id))
    for registration_id in promoted:
        saved = await unit.repo.registration_by_id(registration_id)
        await unit.emit(RegistrationPromoted(**registration_fields(saved)))
    return promoted


async def release_seats_of_member(unit: Unit, territory: TerritoryConfig, member_id: uuid.UUID) -> int:
    """A member who left (or was erased) gives back her seats in instances still to come."""
    repo = unit.repo
    released = 0
    for instance_id in await repo.open_instances_of_member(member_id, domain.OPEN_FOR_REGISTRATION):
        instance = await repo.instance(instance_id, lock=True)
        registration = await repo.registration(instance_id, member_id)
        if instance is None or registration is None:
            continue
        await unit.emit(RegistrationCancelled(**registration_fields(registration)))
        kind = next((k for k in territory.instance_types if k.slug == instance.instance_type), None)
        if kind is not None:
            await promote_waiting(unit, kind, instance_id)
        released += 1
    return released
