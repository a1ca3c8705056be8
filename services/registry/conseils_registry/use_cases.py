"""What every use case of the registry shares: its dependencies, its units of work and
the steps several seams take (finding a council or a member, a member leaving, a
referent's term ending).

Each use case is one transaction (`self.units.begin()`): the state change through
`unit.repo` (all the SQL is in `repository.py`) and its events through
`unit.emit(event)`, to the outbox in the same transaction. The registry's own facts
with a read model here (the directory) are applied on emit by `projection.apply`,
the function a rebuild from the topic uses too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from conseils_registry import projection
from conseils_registry.domain import ReferentAssignment, WithdrawalReason, referent_roles_lost_on_leave
from conseils_registry.records import CouncilRecord, MemberRecord
from conseils_registry.repository import RegistryRepository
from conseils_runtime.database import Database
from conseils_runtime.http import NotFound
from conseils_runtime.outbox import Outbox
from conseils_runtime.unit_of_work import UnitOfWork, UnitsOfWork
from conseils_schemas import (
    CouncilRegistered,
    CouncilUpdated,
    MemberContactCard,
    MemberContactCardV2,
    MemberLeft,
    ReferentWithdrawn,
    ThemeLeftWithoutReferent,
)

Clock = Callable[[], datetime]
Unit = UnitOfWork[RegistryRepository]
"""One transaction of the registry: `unit.repo` (its SQL) and `unit.emit(event)` (its outbox)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class RegistryCore:
    """Dependencies and shared steps of every use case (the service is composed of these)."""

    def __init__(
        self,
        database: Database,
        outbox: Outbox,
        *,
        territory: str,
        clock: Clock = utc_now,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.territory = territory
        self.clock = clock
        self.units: UnitsOfWork[RegistryRepository] = UnitsOfWork(
            database, outbox, RegistryRepository, on_emit=projection.apply
        )

    def today(self) -> date:
        return self.clock().date()

    async def _territory_slug(self, repo: RegistryRepository) -> str:
        territory = await repo.territory()
        return territory.slug if territory else self.territory

    async def _existing_council(self, repo: RegistryRepository, council_id: uuid.UUID) -> CouncilRecord:
        council = await repo.council(council_id, lock=True)
        if council is None:
            raise NotFound("Conseil introuvable.")
        return council

    async def _existing_member(self, repo: RegistryRepository, member_id: uuid.UUID) -> MemberRecord:
        member = await repo.member(member_id)
        if member is None:
            raise NotFound("Membre introuvable.")
        return member

    async def council_registered_event(
        self, repo: RegistryRepository, council: CouncilRecord
    ) -> CouncilRegistered:
        return CouncilRegistered(
            council_id=council.id,
            territory=await self._territory_slug(repo),
            city=council.city,
            city_code=council.city_code,
            neighbourhood=council.neighbourhood,
            name=council.name,
            status=council.status,
        )

    async def leave_in(self, unit: Unit, member: MemberRecord, day: date, *, alert: bool) -> None:
        """`member` leaves on `day` and loses their referent roles (a theme left without referent
        is announced when `alert`: not when the whole council is dissolved)."""
        await unit.repo.mark_left(member.id, day)
        for lost in referent_roles_lost_on_leave(member.id, await unit.repo.active_assignments(member.id)):
            await self._end_referent(unit, lost, day, "member_left")
            if alert:
                await unit.emit(
                    ThemeLeftWithoutReferent(council_id=lost.council_id, theme=lost.theme, since=self.clock())
                )
        await unit.emit(MemberLeft(member_id=member.id, council_id=member.council_id, left_on=day))

    async def _end_referent(
        self, unit: Unit, assignment: ReferentAssignment, until: date, reason: WithdrawalReason
    ) -> None:
        await unit.repo.end_referent(assignment, until, reason)
        await unit.emit(
            ReferentWithdrawn(
                council_id=assignment.council_id,
                theme=assignment.theme,
                member_id=assignment.member_id,
                until=until,
                reason=reason,
            )
        )


def council_updated_event(before: CouncilRecord, after: CouncilRecord) -> CouncilUpdated:
    moved = before.neighbourhood_code != after.neighbourhood_code
    return CouncilUpdated(
        council_id=after.id,
        name=after.name if after.name != before.name else None,
        status=after.status if after.status != before.status else None,
        neighbourhood=after.neighbourhood if moved else None,
        city=after.city if moved and after.city_code != before.city_code else None,
        city_code=after.city_code if moved and after.city_code != before.city_code else None,
    )


def contact_card(member: MemberRecord) -> MemberContactCard | MemberContactCardV2:
    """The member's card on the compacted contacts topic (the only event with their name and email).

    One card per change, because compaction keeps only a key's last record: v1 when she has an
    email (unchanged for v1 consumers), v2 only when she has none (reached by SMS); see
    `MemberContactCardV2`."""
    if member.email:
        return MemberContactCard(
            member_id=member.id,
            display_name=member.display_name or "",
            email=member.email,
            phone=member.phone,
            language=member.language or "fr",
            consent_given_at=member.consent_given_at,
        )
    return MemberContactCardV2(
        member_id=member.id,
        display_name=member.display_name or "",
        email=None,
        phone=member.phone,
        language=member.language or "fr",
        consent_given_at=member.consent_given_at,
    )
