"""How the councils are represented, in the notifications: the substitutes (suppléant·es) of the
theme referents, kept from the registry's facts and invited with the instance's own invitation
when the referent says she cannot come (she cancels her registration on the site or with « Je ne
viens plus »); and the rotation scenario's turns, the member whose turn it is invited."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import and_, delete, insert, or_, select, update

from conseils_notifications.domain import Recipient, substitute_recipients
from conseils_notifications.representation_tables import rotation_turns, substitute_terms
from conseils_notifications.use_cases import NotificationsCore, Unit
from conseils_schemas import RegistrationCancelled
from conseils_schemas.events import RotationTurnAssigned, SubstituteDesignated, SubstituteWithdrawn


async def rotation_members(unit: Unit, instance_id: UUID) -> list[UUID]:
    """The members whose turn it is to represent their council at the instance (rotation)."""
    rows = await unit.session.execute(
        select(rotation_turns.c.member_id).where(rotation_turns.c.instance_id == instance_id)
    )
    return list(rows.scalars())


class Representation(NotificationsCore):
    async def substitute_designated(self, unit: Unit, event: SubstituteDesignated) -> None:
        found = await unit.session.scalar(
            select(substitute_terms.c.member_id).where(
                and_(
                    substitute_terms.c.council_id == event.council_id,
                    substitute_terms.c.theme == event.theme,
                    substitute_terms.c.member_id == event.member_id,
                    substitute_terms.c.since == event.since,
                )
            )
        )
        if found is not None:
            return  # the same fact again
        # The former substitute's term ends when the new one begins (its own fact may come later).
        await unit.session.execute(
            update(substitute_terms)
            .where(
                and_(
                    substitute_terms.c.council_id == event.council_id,
                    substitute_terms.c.theme == event.theme,
                    substitute_terms.c.until.is_(None),
                    substitute_terms.c.since <= event.since,
                )
            )
            .values(until=event.since)
        )
        await unit.session.execute(
            insert(substitute_terms).values(
                council_id=event.council_id, theme=event.theme, member_id=event.member_id, since=event.since
            )
        )

    async def substitute_withdrawn(self, unit: Unit, event: SubstituteWithdrawn) -> None:
        await unit.session.execute(
            update(substitute_terms)
            .where(
                and_(
                    substitute_terms.c.council_id == event.council_id,
                    substitute_terms.c.theme == event.theme,
                    substitute_terms.c.member_id == event.member_id,
                    substitute_terms.c.until.is_(None),
                )
            )
            .values(until=event.until)
        )

    async def substitutes_on(self, unit: Unit, day: date) -> dict[tuple[UUID, str], UUID]:
        rows = await unit.session.execute(
            select(substitute_terms).where(
                and_(
                    substitute_terms.c.since <= day,
                    or_(substitute_terms.c.until.is_(None), substitute_terms.c.until > day),
                )
            )
        )
        return {(row.council_id, row.theme): row.member_id for row in rows}

    async def referent_cancelled(self, unit: Unit, event: RegistrationCancelled, event_id: str) -> int:
        """Her registration cancelled: if she is the theme's referent of her council, her substitute
        is invited as the instance's invitation invites (once per cancellation fact)."""
        row = await unit.repo.instance(event.instance_id)
        if row is None or row.status != "scheduled" or row.starts_at <= self.clock():
            return 0
        if self.territory.scenario_on(row.instance_type, self.registry_view.local_date(row.starts_at)) != (
            "referent_par_thematique"
        ):
            return 0
        today = self.today()
        recipients = substitute_recipients(
            row.view(),
            await unit.repo.directory(today),
            await self.substitutes_on(unit, today),
            absent_member_id=event.member_id,
            council_id=event.council_id,
        )
        if not recipients:
            return 0
        return await self._notify(
            unit,
            source_event_id=f"substitute:{event_id}",
            kind="scheduled",
            instance_id=event.instance_id,
            recipients=recipients,
            context={"instance": self.snapshot(row)},
        )

    async def rotation_turn(self, unit: Unit, event: RotationTurnAssigned, event_id: str) -> int:
        """Her turn to represent her council: she is invited as the instance's invitation invites."""
        key = and_(
            rotation_turns.c.instance_id == event.instance_id, rotation_turns.c.council_id == event.council_id
        )
        await unit.session.execute(delete(rotation_turns).where(key))
        await unit.session.execute(
            insert(rotation_turns).values(
                instance_id=event.instance_id, council_id=event.council_id, member_id=event.member_id
            )
        )
        row = await unit.repo.instance(event.instance_id)
        if row is None or row.status != "scheduled":
            return 0
        return await self._notify(
            unit,
            source_event_id=event_id,
            kind="scheduled",
            instance_id=event.instance_id,
            recipients=[Recipient(event.member_id, "rotation_turn")],
            context={"instance": self.snapshot(row)},
        )
