"""Needs use cases: what a registered councillor needs to come (childcare, interpreting, a
hearing loop, step-free access, transport, something else), the organiser's checklist (by when
each must be booked, booked or not), the staff alert when a need is still open at its lead time,
and the needs' deletion (with the person, and some days after the instance). The needs stay in
this service: the only fact published is `NeedsCounted` (counts per kind)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from conseils_meetings import domain
from conseils_meetings.attending_records import NeedRecord
from conseils_meetings.attending_repository import AttendingRepository
from conseils_meetings.attending_rules import (
    NEED_LABELS,
    NeedRefused,
    NeedRequest,
    book_by,
    check_needs,
    count_needs,
)
from conseils_meetings.use_cases import MeetingsCore, Unit
from conseils_runtime.database import after_commit
from conseils_runtime.http import NotFound
from conseils_schemas import StaffAlertRaised
from conseils_schemas.events import NeedsCounted


@dataclass(frozen=True)
class NeedLine:
    """A need on the organiser's checklist: what, for how many, by when it must be booked."""

    need: NeedRecord
    book_by: datetime
    registration_status: str | None  # confirmed, waitlisted, cancelled (None: no registration)


class Needs(MeetingsCore):
    """Needs use cases (see the module docstring)."""

    async def declare_needs(
        self, instance_id: uuid.UUID, member_id: uuid.UUID, requests: list[NeedRequest]
    ) -> list[NeedRecord]:
        """Her needs for an instance she is registered to, as a whole (an empty list withdraws them)."""
        checked = check_needs(requests)
        now = self.clock()
        async with self.units.begin() as unit:
            row = await self._instance(unit.repo, instance_id, lock=True)
            if row.status not in domain.OPEN_FOR_REGISTRATION or row.starts_at <= now:
                raise NeedRefused("L'instance n'est plus à venir : ses besoins ne se déclarent plus.")
            registration = await unit.repo.registration(instance_id, member_id)
            if registration is None or registration.status == "cancelled":
                raise NeedRefused(
                    "Inscrivez-vous d'abord à l'instance, puis dites ce qu'il vous faut pour venir."
                )
            attending = AttendingRepository(unit.session)
            await attending.replace_needs(instance_id, member_id, checked, now)
            await self._count_needs(unit, instance_id)
            return await attending.needs_of(instance_id, member_id)

    async def my_needs(self, instance_id: uuid.UUID, member_id: uuid.UUID) -> list[NeedRecord]:
        async with self.units.reading() as repo:
            await self._instance(repo, instance_id)
            return await AttendingRepository(repo.session).needs_of(instance_id, member_id)

    async def needs_checklist(self, instance_id: uuid.UUID) -> list[NeedLine]:
        async with self.units.reading() as repo:
            row = await self._instance(repo, instance_id)
            statuses = {r.member_id: r.status for r in await repo.registrations_of_instance(instance_id)}
            lines = [
                NeedLine(
                    need,
                    book_by(row.starts_at, need.kind, self.territory.needs),
                    statuses.get(need.member_id),
                )
                for need in await AttendingRepository(repo.session).needs_of(instance_id)
            ]
        return sorted(lines, key=lambda line: (line.book_by, line.need.kind))

    async def set_need_booked(
        self, instance_id: uuid.UUID, need_id: uuid.UUID, booked: bool
    ) -> list[NeedLine]:
        """The organiser's "réservé" toggle."""
        async with self.units.begin() as unit:
            await self._instance(unit.repo, instance_id, lock=True)
            attending = AttendingRepository(unit.session)
            need = await attending.need(need_id)
            if need is None or need.instance_id != instance_id:
                raise NotFound("Besoin introuvable.")
            if (need.booked_at is not None) != booked:
                await attending.set_need(need_id, booked_at=self.clock() if booked else None)
                await self._count_needs(unit, instance_id)
        return await self.needs_checklist(instance_id)

    async def _count_needs(self, unit: Unit, instance_id: uuid.UUID) -> None:
        needs = await AttendingRepository(unit.session).needs_of(instance_id)
        requested, booked = count_needs([(need.kind, need.booked_at is not None) for need in needs])
        await unit.emit(
            NeedsCounted(instance_id=instance_id, requested=requested, booked=booked, counted_at=self.clock())
        )

    async def alert_unbooked_needs(self) -> int:
        """One staff alert per instance whose needs are still open at their lead time (each need
        alerted once); the alert names the needs, never the people."""
        now = self.clock()
        raised = 0
        async with self.units.begin() as unit:
            attending = AttendingRepository(unit.session)
            due: dict[uuid.UUID, list[tuple[str, str, datetime]]] = {}
            for open_need in await attending.open_needs(now):
                need = open_need.need
                if book_by(open_need.starts_at, need.kind, self.territory.needs) > now:
                    continue
                registration = await unit.repo.registration(need.instance_id, need.member_id)
                if registration is None or registration.status == "cancelled":
                    continue
                await attending.set_need(need.id, alerted_at=now)
                due.setdefault(need.instance_id, []).append(
                    (need.kind, open_need.instance_title, open_need.starts_at)
                )
            for instance_id, items in due.items():
                kinds = sorted({NEED_LABELS[kind].lower() for kind, _title, _start in items})
                title, starts_at = items[0][1], items[0][2]
                days = max(0, (starts_at - now).days)
                plural = "s" if len(items) > 1 else ""
                await unit.emit(
                    StaffAlertRaised(
                        alert_id=uuid.uuid4(),
                        kind="need_unbooked",
                        subject_id=instance_id,
                        message_fr=(
                            f"« {title} » : {len(items)} besoin{plural} pour venir pas encore "
                            f"réservé{plural} ({', '.join(kinds)}) alors que "
                            f"l'instance a lieu dans {days} jour{'s' if days > 1 else ''}."
                        ),
                        raised_at=now,
                    )
                )
                raised += 1
        return raised

    async def purge_needs(self) -> int:
        """Needs are deleted some days after their instance (`needs.keep_days_after_instance`)."""
        cutoff = self.clock() - timedelta(days=self.territory.needs.keep_days_after_instance)
        async with self.units.begin() as unit:
            return await AttendingRepository(unit.session).delete_needs_of_instances_ended_before(cutoff)

    async def erase_attending_data(self, unit: Unit, member_id: uuid.UUID) -> None:
        """An erased member's needs, attestations and receipts (files too, after the commit)."""
        names = await AttendingRepository(unit.session).erase_member(member_id)
        directory = self.settings.documents_dir

        def delete_files() -> None:
            for name in names:
                directory.joinpath(name).unlink(missing_ok=True)

        if names:
            after_commit(unit.session, delete_files)
