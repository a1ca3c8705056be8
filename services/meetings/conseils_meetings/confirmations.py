"""« Je viens » (issue 19): the J-1 reminder's action link asks her to confirm she is still
coming; her answer records `AttendanceConfirmed` (ids only) so the organiser sees a confirmed
head-count on the instance's page and she sees « venue confirmée » on her registrations.
Only a confirmed seat can be confirmed (a waitlisted one is not a seat yet), from when she
holds it until the instance starts; a second « Je viens » changes nothing. « Je ne viens plus »
is the registrations' cancellation, which frees the seat for the waiting list and takes the
confirmation away (`confirmation_projection.forgets_confirmation`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import domain
from conseils_meetings.confirmation_tables import attendance_confirmations
from conseils_meetings.use_cases import MeetingsCore
from conseils_runtime.http import DomainError
from conseils_schemas.events import AttendanceConfirmed


@dataclass(frozen=True)
class ConfirmationAnswer:
    """What « Je viens » did: `outcome` is confirmed or already."""

    outcome: str
    message: str


@dataclass(frozen=True)
class ConfirmedAttendance:
    instance_id: uuid.UUID
    member_id: uuid.UUID
    confirmed_at: datetime


THANKS = "Merci, à bientôt ! Votre venue est confirmée : l'équipe vous compte parmi les présent·es."


class Confirmations(MeetingsCore):
    """Her « Je viens », and who confirmed, for the organiser and for her."""

    async def confirm_attendance(self, instance_id: uuid.UUID, member_id: uuid.UUID) -> ConfirmationAnswer:
        now = self.clock()
        async with self.units.begin() as unit:
            row = await self._instance(unit.repo, instance_id, lock=True)
            if row.status == "cancelled":
                raise DomainError("Cette instance est annulée : il n'y a pas de venue à confirmer.")
            if row.status not in domain.OPEN_FOR_REGISTRATION or row.starts_at <= now:
                raise DomainError("L'instance a déjà commencé : il n'y a plus de venue à confirmer.")
            registration = await unit.repo.registration(instance_id, member_id)
            if registration is None or registration.status == "cancelled":
                raise DomainError("Vous n'êtes plus inscrit·e à cette instance : rien à confirmer.")
            if registration.status != "confirmed":
                raise DomainError(
                    "Vous êtes encore sur la liste d'attente : vous serez prévenu·e si une place se libère."
                )
            table = attendance_confirmations
            known = await unit.session.execute(
                select(table.c.member_id).where(
                    table.c.instance_id == instance_id, table.c.member_id == member_id
                )
            )
            if known.first() is not None:
                return ConfirmationAnswer("already", "Votre venue était déjà confirmée. Merci, à bientôt !")
            await unit.emit(
                AttendanceConfirmed(
                    instance_id=instance_id,
                    registration_id=registration.id,
                    member_id=member_id,
                    confirmed_at=now,
                )
            )
            return ConfirmationAnswer("confirmed", THANKS)

    async def confirmed_attendance(self, instance_id: uuid.UUID) -> list[ConfirmedAttendance]:
        """Who confirmed they are coming (oldest first)."""
        async with self.units.reading() as repo:
            await self._instance(repo, instance_id)
            return await self._confirmations(
                repo.session, attendance_confirmations.c.instance_id == instance_id
            )

    async def member_confirmations(self, member_id: uuid.UUID) -> list[ConfirmedAttendance]:
        """The instances she confirmed she is coming to."""
        async with self.units.reading() as repo:
            return await self._confirmations(repo.session, attendance_confirmations.c.member_id == member_id)

    @staticmethod
    async def _confirmations(session: AsyncSession, where: ColumnElement[bool]) -> list[ConfirmedAttendance]:
        table = attendance_confirmations
        rows = await session.execute(
            select(table.c.instance_id, table.c.member_id, table.c.confirmed_at)
            .where(where)
            .order_by(table.c.confirmed_at)
        )
        return [ConfirmedAttendance(r.instance_id, r.member_id, r.confirmed_at) for r in rows]
