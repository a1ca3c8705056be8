"""Agenda use cases: the instances of the whole territory as a councillor browses them (her
council, her themes, her city or all; by type; upcoming or past), each with who may register
how and why (`domain.registration_access`), and one instance as she sees it (her access and
her presence)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from conseils_meetings import domain
from conseils_meetings.records import AgendaEntry, InstanceRecord, MemberRecord, MemberView
from conseils_meetings.repository import Repository
from conseils_meetings.use_cases import MeetingsCore

AgendaScope = Literal["mine", "council", "themes", "city", "all"]
"""mine: her council's and her themes' (the default); council; themes (followed or referent);
city (held in her council's city); all: the whole territory."""
AgendaPeriod = Literal["upcoming", "past"]

NOT_A_MEMBER = domain.RegistrationAccess(
    concerned=False,
    participant=domain.ModeAccess(
        False, "not_member", "Seuls les membres actifs d'un conseil citoyen peuvent s'inscrire."
    ),
    observer=domain.ModeAccess(
        False, "not_member", "Seuls les membres actifs d'un conseil citoyen peuvent s'inscrire."
    ),
)


class Agenda(MeetingsCore):
    """The territory's agenda for a councillor, and who may register how."""

    async def agenda(
        self,
        member_id: uuid.UUID,
        *,
        scope: AgendaScope = "mine",
        instance_type: str | None = None,
        period: AgendaPeriod = "upcoming",
        starts_from: datetime | None = None,
        starts_before: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[AgendaEntry]:
        """`limit`/`offset`: one page of the list (in SQL: only that page's councils and seats
        are loaded)."""
        now = self.clock()
        if instance_type is not None:
            self.instance_type(instance_type)  # unknown type: a French 422
        if period == "upcoming":
            starts_from = now if starts_from is None else starts_from
        else:
            starts_before = now if starts_before is None else min(starts_before, now)
        async with self.units.reading() as repo:
            member = await repo.member(member_id)
            if member is None or (member.council_id is None and scope != "all"):
                return []
            council_id, themes, city_code = await self._scope_filters(repo, member, scope)
            rows = await repo.agenda_instances(
                starts_from=starts_from,
                starts_before=starts_before,
                council_id=council_id,
                themes=themes,
                city_code=city_code,
                instance_type=instance_type,
                newest_first=period == "past",
                limit=limit,
                offset=offset,
            )
            ids = [row.id for row in rows]
            # Her access needs only whether her council is concerned, not the councils' list
            # (1,200 of them for a territory-wide instance).
            council = member.council_id
            concerning = set() if council is None else await repo.concerning(ids, council)
            seats = await repo.seats_of(ids)
        return [
            AgendaEntry(
                instance=row,
                her_council_concerned=row.id in concerning,
                access=self._access(
                    row, member, [council] if council and row.id in concerning else [], seats[row.id], now
                ),
            )
            for row in rows
        ]

    async def _scope_filters(
        self, repo: Repository, member: MemberRecord, scope: AgendaScope
    ) -> tuple[uuid.UUID | None, list[str] | None, str | None]:
        """(council, themes, city) of the scope: an instance matching any of them is listed."""
        if scope == "all":
            return None, None, None
        themes = sorted(
            {*member.themes_followed, *await repo.referent_themes(member.member_id, self.today())}
        )
        if scope == "council":
            return member.council_id, None, None
        if scope == "themes":
            return None, themes, None
        if scope == "city":
            assert member.council_id is not None  # checked by the caller
            code = await repo.council_city_code(member.council_id)
            return None, None, code or "-"  # a council of unknown city: no instance
        return member.council_id, themes, None

    def _access(
        self,
        row: InstanceRecord,
        member: MemberRecord | None,
        concerned: Sequence[uuid.UUID],
        seats: Sequence[domain.Seat],
        now: datetime,
    ) -> domain.RegistrationAccess:
        if member is None:
            return NOT_A_MEMBER
        return domain.registration_access(
            self.instance_type(row.instance_type),
            status=row.status,
            starts_at=row.starts_at,
            now=now,
            member_active=member.active,
            member_council=member.council_id,
            concerned=concerned,
            seats=seats,
        )

    async def member_view(self, instance_id: uuid.UUID, member_id: uuid.UUID) -> MemberView:
        """One instance for her: who may register how, and her presence once recorded."""
        now = self.clock()
        async with self.units.reading() as repo:
            row = await self._instance(repo, instance_id)
            member = await repo.member(member_id)
            # Whether her council is concerned, by its index: not the 1,200 councils of a
            # territory-wide instance (the instance's detail reads them once already).
            council = None if member is None else member.council_id
            concerned: list[uuid.UUID] = []
            if council is not None and await repo.concerning([instance_id], council):
                concerned = [council]
            access = self._access(row, member, concerned, await repo.seats(instance_id), now)
            present = None
            if row.status in domain.ATTENDANCE_RECORDED:
                present = instance_id in await repo.attendance_of_member(member_id)
        return MemberView(access=access, present=present)
