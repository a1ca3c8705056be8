"""Use cases of the substitutes (suppléant·es): per council and theme with a referent, at most one
active substitute, an active member of the council other than the referent, designated by the
council's coordinator or by staff; she is invited when the referent cannot come (notifications)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, insert, select, update

from conseils_registry.domain import check_council_open, check_themes
from conseils_registry.substitute_tables import substitutes
from conseils_registry.use_cases import RegistryCore, Unit
from conseils_runtime.errors import DomainError
from conseils_schemas.events import SubstituteDesignated, SubstituteWithdrawn


@dataclass(frozen=True)
class SubstituteRecord:
    council_id: uuid.UUID
    theme: str
    member_id: uuid.UUID
    since: date


def check_substitute(
    *,
    member_council: uuid.UUID,
    member_active: bool,
    council_id: uuid.UUID,
    referent: uuid.UUID | None,
    member_id: uuid.UUID,
    theme_name: str,
) -> None:
    """The rules of a designation, in French (422 next to the field on the site)."""
    if referent is None:
        raise DomainError(
            f"Désignez d'abord le ou la référent·e de la thématique « {theme_name} » : "
            "le ou la suppléant·e le ou la remplace."
        )
    if member_council != council_id or not member_active:
        raise DomainError("Le ou la suppléant·e doit être un membre actif de ce conseil.")
    if member_id == referent:
        raise DomainError("Le ou la suppléant·e ne peut pas être le ou la référent·e elle-même.")


class Substitutes(RegistryCore):
    async def council_substitutes(self, council_id: uuid.UUID) -> list[SubstituteRecord]:
        """The active substitutes of a council's themes (members still active only)."""
        async with self.units.reading() as repo:
            await self._existing_council(repo, council_id)
            rows = (
                await repo.session.execute(
                    select(substitutes)
                    .where(and_(substitutes.c.council_id == council_id, substitutes.c.until.is_(None)))
                    .order_by(substitutes.c.theme)
                )
            ).mappings()
            found = [SubstituteRecord(r["council_id"], r["theme"], r["member_id"], r["since"]) for r in rows]
            kept = []
            for record in found:
                member = await repo.member(record.member_id)
                if member is not None and member.state.is_active:
                    kept.append(record)
            return kept

    async def designate_substitute(self, council_id: uuid.UUID, theme: str, member_id: uuid.UUID) -> bool:
        """Designate the substitute of a theme's referent (replaces the current one). False: already her."""
        async with self.units.begin() as unit:
            council = await self._existing_council(unit.repo, council_id)
            check_council_open(council.state)
            check_themes([theme], await unit.repo.theme_slugs())
            member = await self._existing_member(unit.repo, member_id)
            referent = await unit.repo.active_referent(council_id, theme)
            check_substitute(
                member_council=member.council_id,
                member_active=member.state.is_active,
                council_id=council_id,
                referent=referent.member_id if referent else None,
                member_id=member_id,
                theme_name=theme,
            )
            current = await self._active(unit, council_id, theme)
            if current == member_id:
                return False
            today = self.today()
            if current is not None:
                await self._end(unit, council_id, theme, current, today)
            await unit.repo.session.execute(
                insert(substitutes).values(
                    id=uuid.uuid4(), council_id=council_id, theme=theme, member_id=member_id, since=today
                )
            )
            await unit.emit(
                SubstituteDesignated(council_id=council_id, theme=theme, member_id=member_id, since=today)
            )
            return True

    async def withdraw_substitute(self, council_id: uuid.UUID, theme: str) -> None:
        async with self.units.begin() as unit:
            await self._existing_council(unit.repo, council_id)
            current = await self._active(unit, council_id, theme)
            if current is None:
                raise DomainError("Cette thématique n'a pas de suppléant·e.", status_code=404)
            await self._end(unit, council_id, theme, current, self.today())

    @staticmethod
    async def _active(unit: Unit, council_id: uuid.UUID, theme: str) -> uuid.UUID | None:
        found = await unit.repo.session.scalar(
            select(substitutes.c.member_id).where(
                and_(
                    substitutes.c.council_id == council_id,
                    substitutes.c.theme == theme,
                    substitutes.c.until.is_(None),
                )
            )
        )
        return found

    async def _end(
        self, unit: Unit, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, day: date
    ) -> None:
        await unit.repo.session.execute(
            update(substitutes)
            .where(
                and_(
                    substitutes.c.council_id == council_id,
                    substitutes.c.theme == theme,
                    substitutes.c.until.is_(None),
                )
            )
            .values(until=day)
        )
        await unit.emit(
            SubstituteWithdrawn(council_id=council_id, theme=theme, member_id=member_id, until=day)
        )
