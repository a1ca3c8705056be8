"""Use cases of referents: per council and theme at most one active referent, designated,
replaced or withdrawn (their terms are kept as history)."""

from __future__ import annotations

import uuid
from datetime import date

from conseils_registry.domain import (
    ReferentAssignment,
    check_council_open,
    check_withdrawal,
    plan_designation,
)
from conseils_registry.records import ReferentRecord
from conseils_registry.use_cases import RegistryCore, Unit
from conseils_runtime.http import NotFound
from conseils_schemas import ReferentDesignated, ThemeLeftWithoutReferent


class Referents(RegistryCore):
    async def council_referents(
        self, council_id: uuid.UUID, *, history: bool = False
    ) -> list[ReferentRecord]:
        """Current referents per theme; `history` adds former ones."""
        async with self.units.reading() as repo:
            if await repo.council(council_id) is None:
                raise NotFound("Conseil introuvable.")
            return await repo.referents(council_id=council_id, active_only=not history)

    async def current_referent(self, council_id: uuid.UUID, theme: str) -> ReferentRecord | None:
        async with self.units.reading() as repo:
            return await repo.active_referent(council_id, theme)

    async def designate_referent(
        self, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, since: date | None = None
    ) -> bool:
        """Designate a referent; replaces the current one. False when they already are the referent."""
        async with self.units.begin() as unit:
            return await self.designate_in(unit, council_id, theme, member_id, since or self.today())

    async def designate_in(
        self, unit: Unit, council_id: uuid.UUID, theme: str, member_id: uuid.UUID, since: date
    ) -> bool:
        council = await self._existing_council(unit.repo, council_id)
        member = await self._existing_member(unit.repo, member_id)
        current = await unit.repo.active_referent(council_id, theme)
        plan = plan_designation(
            council.state,
            member.state,
            theme,
            await unit.repo.theme_slugs(),
            current.member_id if current else None,
        )
        if not plan.designate:
            return False
        if plan.replaced_member_id is not None:
            await self._end_referent(
                unit, ReferentAssignment(council_id, theme, plan.replaced_member_id), since, "replaced"
            )
        await unit.repo.add_referent(ReferentAssignment(council_id, theme, member_id), since)
        await unit.emit(
            ReferentDesignated(council_id=council_id, theme=theme, member_id=member_id, since=since)
        )
        return True

    async def withdraw_referent(self, council_id: uuid.UUID, theme: str, until: date | None = None) -> None:
        async with self.units.begin() as unit:
            council = await self._existing_council(unit.repo, council_id)
            check_council_open(council.state)
            current = await unit.repo.active_referent(council_id, theme)
            member_id = check_withdrawal(current.member_id if current else None, theme)
            await self._end_referent(
                unit, ReferentAssignment(council_id, theme, member_id), until or self.today(), "withdrawn"
            )
            await unit.emit(ThemeLeftWithoutReferent(council_id=council_id, theme=theme, since=self.clock()))
