"""Attendance and minutes use cases: who was present (with the convened list frozen), the minutes,
and the participation bilan they make."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import domain, reports
from conseils_meetings.bilan import Bilan
from conseils_meetings.bilan_cache import (
    BilanCache,
    CachedBilan,
    Fingerprint,
    SharedReads,
    data_fingerprint,
)
from conseils_meetings.bilan_flights import SharedComputations
from conseils_meetings.projection import registry_view_of
from conseils_meetings.records import AttendanceRecord, InstanceDetail, InstanceRecord
from conseils_meetings.use_cases import (
    MeetingsCore,
)
from conseils_runtime.http import DomainError
from conseils_schemas import (
    AttendanceRecorded,
    ConvenedCouncil,
    InstanceHeld,
    MinutesPublished,
)
from conseils_schemas.events import OtherAttendees


class Attendance(MeetingsCore):
    """Attendance and minutes use cases: who was present (with the convened list frozen), the minutes,
    and the participation bilan they make."""

    async def record_attendance(
        self,
        instance_id: uuid.UUID,
        member_ids: Sequence[uuid.UUID],
        others: Sequence[OtherAttendees] = (),
    ) -> InstanceDetail:
        """Who was present: councillors by id, the other participants (elected officials, city,
        territory and State staff, partners) by organisation, role and count."""
        now = self.clock()
        present = sorted(set(member_ids))
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row.status, "hold")
            starts_at = row.starts_at
            if now < starts_at:
                raise DomainError("L'instance n'a pas encore commencé : la présence s'enregistre après.")
            await unit.emit(
                AttendanceRecorded(
                    instance_id=instance_id,
                    present_member_ids=present,
                    recorded_at=now,
                    convened=await self._convened(unit.session, row, await repo.concerned(instance_id)),
                    other_attendees=list(others),
                )
            )
            if row.status != "held":
                del status  # checked; the event applies it
                await unit.emit(InstanceHeld(instance_id=instance_id, held_at=now))
        return await self.get_instance(instance_id)

    async def _convened(
        self, session: AsyncSession, row: InstanceRecord, concerned: Sequence[uuid.UUID]
    ) -> list[ConvenedCouncil]:
        """Who was convened on the instance's date, per council: the members, or for a
        theme's instance under the referent-per-theme scenario its referents (an open pool
        convenes every member). Frozen into the attendance fact."""
        view = registry_view_of(self.territory)
        history = await view.history(session, concerned)
        day = view.local_date(row.starts_at)
        groups = []
        by_referent = self.territory.scenario_on(row.instance_type, day) == "referent_par_thematique"
        for council_id in sorted(concerned):
            if row.scope == "theme" and by_referent:
                members = history.referents_on(council_id, row.theme or "", day)
            else:
                members = history.members_on(council_id, day)
            groups.append(ConvenedCouncil(council_id=council_id, member_ids=sorted(members)))
        return groups

    async def attendance(self, instance_id: uuid.UUID) -> list[AttendanceRecord]:
        async with self.units.reading() as repo:
            return await repo.attendance_of_instance(instance_id)

    async def bilan(self, period_from: date, period_to: date) -> Bilan:
        """The participation bilan of a period (`reports.load_bilan`), read from one snapshot."""
        return (await self._bilan_entry(period_from, period_to)).bilan

    async def bilan_tagged_output(
        self,
        period_from: date,
        period_to: date,
        name: str,
        render: Callable[[Bilan], bytes],
        variant: str = "",
    ) -> tuple[bytes, str]:
        """`render(bilan)` of the period, rendered once for each state of the data (and `variant`),
        with its entity tag (the same bytes, the same tag)."""
        return (await self._bilan_entry(period_from, period_to)).tagged_output(name, render, variant)

    async def _bilan_entry(self, period_from: date, period_to: date) -> CachedBilan:
        """The bilan kept for the period if nothing changed since it was read (`bilan_cache`);
        otherwise computed, requests for the same state of the data sharing one computation
        (`bilan_flights.SharedComputations`)."""
        reports.check_period(period_from, period_to)
        cache: BilanCache = self.__dict__.setdefault("_bilan_cache", BilanCache())
        flights: SharedComputations[CachedBilan] = self.__dict__.setdefault(
            "_bilan_flights", SharedComputations()
        )
        reads: SharedReads = self.__dict__.setdefault("_bilan_reads", SharedReads())
        period = (period_from, period_to)
        seen = await reads.read(self._bilan_fingerprint)
        entry = cache.get(period, seen, self.territory)
        if entry is not None:
            return entry
        key = (period, seen, id(self.territory))
        return await flights.get(key, lambda: self._compute_bilan(cache, period), group=period)

    async def _bilan_fingerprint(self) -> Fingerprint | None:
        async with self.units.reading() as repo:
            return await data_fingerprint(repo.session)

    async def _compute_bilan(self, cache: BilanCache, period: tuple[date, date]) -> CachedBilan:
        async with self.units.reading() as repo:
            fingerprint = await data_fingerprint(repo.session)  # first: the figures are as recent
            territory = self.territory
            entry = cache.get(period, fingerprint, territory)  # computed while this one waited its slot
            if entry is None:
                bilan = await reports.load_bilan(repo.session, territory, *period)
                entry = cache.put(period, fingerprint, territory, bilan)
        return entry

    async def publish_minutes(self, instance_id: uuid.UUID, summary: str) -> InstanceDetail:
        now = self.clock()
        if not summary.strip():
            raise DomainError("Le résumé du compte rendu est obligatoire.")
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)
            status = domain.transition(row.status, "publish_minutes")
            documents = await repo.latest_documents(instance_id, "minutes")
            await self._mark_published(repo, documents, now)
            del status  # checked; the event applies it
            await unit.emit(
                MinutesPublished(
                    instance_id=instance_id,
                    summary=summary,
                    documents=self._refs(documents),
                    published_at=now,
                )
            )
        return await self.get_instance(instance_id)
