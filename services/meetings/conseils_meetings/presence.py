"""« Étiez-vous présent·e ? » answered with the attendance code (issue 19): staff see the code of
an instance (`presence_code`) and show it at the meeting; she types it on her phone from the
presence prompt's signed link; the right code records `PresenceDeclared` at once (a
self-declared fact, shown to staff beside their own attendance sheet, which stays theirs). A
wrong code is refused in French; after `MAX_FAILURES` wrong codes it is locked for her for that
instance. Only a confirmed registrant may declare, from the start of the instance until
`ANSWER_DAYS` after its end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from conseils_meetings.presence_code import MAX_FAILURES, attendance_code, matches
from conseils_meetings.presence_tables import presence_attempts, presence_declarations
from conseils_meetings.use_cases import MeetingsCore
from conseils_runtime.http import DomainError
from conseils_schemas.events import PresenceDeclared

ANSWER_DAYS = 7


@dataclass(frozen=True)
class PresenceAnswer:
    """What typing a code did: `outcome` is declared, already, wrong or locked."""

    outcome: str
    message: str


@dataclass(frozen=True)
class DeclaredPresence:
    member_id: uuid.UUID
    declared_at: datetime


class Presence(MeetingsCore):
    """The attendance code and the presence a councillor declares with it."""

    async def presence_code(self, instance_id: uuid.UUID) -> str:
        async with self.units.reading() as repo:
            await self._instance(repo, instance_id)
        return attendance_code(self.settings.auth_secret, instance_id)

    async def declared_presence(self, instance_id: uuid.UUID) -> list[DeclaredPresence]:
        async with self.units.reading() as repo:
            await self._instance(repo, instance_id)
            rows = await repo.session.execute(
                select(presence_declarations.c.member_id, presence_declarations.c.declared_at)
                .where(presence_declarations.c.instance_id == instance_id)
                .order_by(presence_declarations.c.declared_at)
            )
            return [DeclaredPresence(r.member_id, r.declared_at) for r in rows]

    async def declare_presence(
        self, instance_id: uuid.UUID, member_id: uuid.UUID, typed: str
    ) -> PresenceAnswer:
        now = self.clock()
        async with self.units.begin() as unit:
            repo, session = unit.repo, unit.session
            row = await self._instance(repo, instance_id, lock=True)  # one attempt at a time
            if row.status == "cancelled":
                raise DomainError("Cette instance est annulée : il n'y a pas de présence à déclarer.")
            if now < row.starts_at:
                raise DomainError("L'instance n'a pas encore commencé : le code se saisit pendant la séance.")
            if now > row.ends_at + timedelta(days=ANSWER_DAYS):
                raise DomainError(
                    "Il est trop tard pour déclarer votre présence : l'équipe tient la feuille d'émargement."
                )
            registration = await repo.registration(instance_id, member_id)
            if registration is None or registration.status != "confirmed":
                raise DomainError(
                    "Vous n'étiez pas inscrit·e à cette instance : signalez votre présence à l'équipe."
                )
            declared = await session.execute(
                select(presence_declarations.c.member_id).where(
                    presence_declarations.c.instance_id == instance_id,
                    presence_declarations.c.member_id == member_id,
                )
            )
            if declared.first() is not None:
                return PresenceAnswer("already", "Votre présence est déjà déclarée. Merci !")
            key = (presence_attempts.c.instance_id == instance_id) & (
                presence_attempts.c.member_id == member_id
            )
            found = (await session.execute(select(presence_attempts.c.failures).where(key))).first()
            failures = found.failures if found is not None else 0
            if failures >= MAX_FAILURES:
                return PresenceAnswer("locked", _LOCKED)
            if matches(self.settings.auth_secret, instance_id, typed):
                await session.execute(delete(presence_attempts).where(key))
                await unit.emit(
                    PresenceDeclared(instance_id=instance_id, member_id=member_id, declared_at=now)
                )
                return PresenceAnswer("declared", "Merci : votre présence est enregistrée.")
            failures += 1
            if found is None:
                await session.execute(
                    presence_attempts.insert().values(
                        instance_id=instance_id, member_id=member_id, failures=failures, last_failed_at=now
                    )
                )
            else:
                await session.execute(
                    presence_attempts.update().where(key).values(failures=failures, last_failed_at=now)
                )
        if failures >= MAX_FAILURES:
            return PresenceAnswer("locked", _LOCKED)
        left = MAX_FAILURES - failures
        return PresenceAnswer(
            "wrong",
            f"Ce code n'est pas le bon. Vérifiez-le (six caractères, affichés en séance) : "
            f"il vous reste {left} essai{'s' if left > 1 else ''}.",
        )


_LOCKED = (
    f"Trop de codes erronés ({MAX_FAILURES}) : la saisie est bloquée pour cette instance. "
    "Signalez votre présence à l'équipe, qui tient la feuille d'émargement."
)
