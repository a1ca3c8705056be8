"""Use cases of the rotation scenario (tour de rôle) and of how a council is represented at an
instance: each council's rota (set by staff or by the council's coordinator), the turn given when
an instance of a type under the rotation scenario is scheduled (the next eligible member; nobody
eligible raises a staff alert), a swap for one instance, and who represents each concerned
council this time (the referent, the member whose turn it is, or every member: open pool)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings.rota_rules import check_rota, check_swap, next_turn
from conseils_meetings.rota_tables import rotas, rotation_turns
from conseils_meetings.use_cases import MeetingsCore, Unit
from conseils_runtime.errors import DomainError
from conseils_runtime.http import Forbidden
from conseils_runtime.territory import Scenario
from conseils_schemas import StaffAlertRaised
from conseils_schemas.events import RotaSet, RotationTurnAssigned, RotationTurnVacant


@dataclass(frozen=True)
class RotaRecord:
    council_id: uuid.UUID
    member_ids: tuple[uuid.UUID, ...]
    position: int
    owed: dict[uuid.UUID, uuid.UUID]  # who took a turn by a swap -> whom she gives her next one


@dataclass(frozen=True)
class CouncilRepresentation:
    council_id: uuid.UUID
    member_ids: tuple[uuid.UUID, ...]  # who represents it (referent, turn); empty: none or everyone
    swapped_with: uuid.UUID | None = None
    vacant: bool = False  # rotation: nobody eligible on its rota


@dataclass(frozen=True)
class RepresentationRecord:
    instance_id: uuid.UUID
    scenario: Scenario
    councils: tuple[CouncilRepresentation, ...]


class Rotation(MeetingsCore):
    def scenario_of(self, instance_type: str, starts_at_day: date) -> Scenario:
        return self.territory.scenario_on(instance_type, starts_at_day)

    async def rota(self, council_id: uuid.UUID) -> RotaRecord:
        async with self.units.reading() as repo:
            return await self._rota(repo.session, council_id)

    @staticmethod
    async def _rota(session: AsyncSession, council_id: uuid.UUID) -> RotaRecord:
        row = (await session.execute(select(rotas).where(rotas.c.council_id == council_id))).first()
        if row is None:
            return RotaRecord(council_id, (), 0, {})
        owed = {uuid.UUID(k): uuid.UUID(v) for k, v in row.owed.items()}
        return RotaRecord(council_id, tuple(uuid.UUID(m) for m in row.member_ids), row.position, owed)

    @staticmethod
    async def _active_members(session: AsyncSession, council_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await session.execute(
            select(tables.members.c.member_id).where(
                and_(tables.members.c.council_id == council_id, tables.members.c.active.is_(True))
            )
        )
        return set(rows.scalars())

    async def set_rota(
        self, council_id: uuid.UUID, member_ids: list[uuid.UUID], *, by: uuid.UUID | None, staff: bool
    ) -> RotaRecord:
        """The council's rota in order (replaces the former one; the next turn is its first member)."""
        async with self.units.begin() as unit:
            if await unit.repo.council_name(council_id) is None:
                raise DomainError("Conseil introuvable.", status_code=404)
            if not staff:
                await self._check_coordinator(unit, council_id, by)
            check_rota(member_ids, await self._active_members(unit.session, council_id))
            await unit.emit(
                RotaSet(council_id=council_id, member_ids=member_ids, set_by=by, set_at=self.clock())
            )
        return await self.rota(council_id)

    async def _check_coordinator(
        self, unit: Unit, council_id: uuid.UUID, member_id: uuid.UUID | None
    ) -> None:
        member = await unit.repo.member(member_id) if member_id else None
        if member is None or member.council_id != council_id or member.role != "coordinator":
            raise Forbidden("Seule la coordination de ce conseil ou l'équipe peut changer son tour de rôle.")

    async def swap_turn(
        self,
        instance_id: uuid.UUID,
        council_id: uuid.UUID,
        member_id: uuid.UUID,
        *,
        by: uuid.UUID | None,
        staff: bool,
    ) -> RepresentationRecord:
        """For this instance the member whose turn it is gives it to `member_id` (on the rota), who
        gives her own next turn back in exchange."""
        async with self.units.begin() as unit:
            instance = await self._instance(unit.repo, instance_id)
            if not staff:
                await self._check_coordinator(unit, council_id, by)
            if instance.status != "scheduled":
                raise DomainError("On n'échange un tour que pour une instance programmée à venir.")
            turn = (
                await unit.session.execute(
                    select(rotation_turns).where(
                        and_(
                            rotation_turns.c.instance_id == instance_id,
                            rotation_turns.c.council_id == council_id,
                        )
                    )
                )
            ).first()
            rota = await self._rota(unit.session, council_id)
            eligible = await self._active_members(unit.session, council_id)
            current = check_swap(rota.member_ids, turn.member_id if turn else None, member_id, eligible)
            await unit.emit(
                RotationTurnAssigned(
                    instance_id=instance_id,
                    council_id=council_id,
                    member_id=member_id,
                    next_position=rota.position,
                    swapped_with=current,
                    assigned_at=self.clock(),
                )
            )
        return await self.representation(instance_id)

    async def representation(self, instance_id: uuid.UUID) -> RepresentationRecord:
        """How each concerned council is represented at the instance this time, and by whom."""
        async with self.units.reading() as repo:
            instance = await self._instance(repo, instance_id)
            day = instance.starts_at.astimezone(ZoneInfo(self.timezone)).date()
            scenario = self.scenario_of(instance.instance_type, day)
            concerned = await repo.concerned(instance_id)
            councils: list[CouncilRepresentation] = []
            if scenario == "rotation":
                rows = await repo.session.execute(
                    select(rotation_turns).where(rotation_turns.c.instance_id == instance_id)
                )
                turns = {row.council_id: row for row in rows}
                for council_id in concerned:
                    turn = turns.get(council_id)
                    if turn is None or turn.member_id is None:
                        councils.append(CouncilRepresentation(council_id, (), vacant=turn is not None))
                    else:
                        councils.append(
                            CouncilRepresentation(council_id, (turn.member_id,), turn.swapped_with)
                        )
            elif scenario == "referent_par_thematique" and instance.theme:
                terms = tables.referent_terms
                rows = await repo.session.execute(
                    select(terms.c.council_id, terms.c.member_id).where(
                        and_(
                            terms.c.theme == instance.theme,
                            terms.c.since <= day,
                            or_(terms.c.until.is_(None), terms.c.until > day),
                        )
                    )
                )
                referents: dict[uuid.UUID, list[uuid.UUID]] = {}
                for council_id, member_id in rows:
                    referents.setdefault(council_id, []).append(member_id)
                councils = [CouncilRepresentation(c, tuple(referents.get(c, ()))) for c in concerned]
            else:
                councils = [CouncilRepresentation(c, ()) for c in concerned]
            return RepresentationRecord(instance_id, scenario, tuple(councils))


async def assign_rotation_turns(  # noqa: PLR0917 - the scheduling step's one call
    core: MeetingsCore,
    unit: Unit,
    instance_id: uuid.UUID,
    instance_type: str,
    day: date,
    council_ids: list[uuid.UUID],
) -> None:
    """An instance scheduled under the rotation scenario: each concerned council's next turn."""
    if core.territory.scenario_on(instance_type, day) != "rotation":
        return
    vacant: list[str] = []
    now = core.clock()
    for council_id in council_ids:
        rota = await Rotation._rota(unit.session, council_id)
        eligible = await Rotation._active_members(unit.session, council_id)
        turn = next_turn(rota.member_ids, rota.position, rota.owed, eligible)
        if turn is None:
            await unit.emit(RotationTurnVacant(instance_id=instance_id, council_id=council_id, noted_at=now))
            vacant.append(await unit.repo.council_name(council_id) or "un conseil")
            continue
        await unit.emit(
            RotationTurnAssigned(
                instance_id=instance_id,
                council_id=council_id,
                member_id=turn.member_id,
                next_position=turn.next_position,
                settles_swap_of=turn.settles_swap_of,
                assigned_at=now,
            )
        )
    if vacant:  # one alert for the instance, the councils named (public names)
        more = f" et {len(vacant) - 10} autres" if len(vacant) > 10 else ""
        shown = ", ".join(sorted(vacant)[:10]) + more
        await unit.emit(
            StaffAlertRaised(
                alert_id=uuid.uuid4(),
                kind="rota_without_member",
                subject_id=instance_id,
                message_fr=f"Tour de rôle sans membre disponible pour {len(vacant)} conseil"
                f"{'s' if len(vacant) > 1 else ''} ({shown}) : personne n'est invité pour "
                f"{'eux' if len(vacant) > 1 else 'lui'} à cette instance. Complétez leur tour de rôle.",
                raised_at=now,
            )
        )
