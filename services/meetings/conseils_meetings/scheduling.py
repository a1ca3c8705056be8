"""Scheduling use cases: preview, create, schedule a draft, reschedule, cancel, list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from conseils_meetings import domain
from conseils_meetings.records import InstanceDetail
from conseils_meetings.repository import Repository
from conseils_meetings.rotation import assign_rotation_turns
from conseils_meetings.use_cases import (
    InstanceDraft,
    MeetingsCore,
    Preview,
    Unit,
)
from conseils_runtime.territory import InstanceType
from conseils_schemas import (
    InstanceCancelled,
    InstanceRescheduled,
    InstanceScheduled,
    StaffAlertRaised,
)


class Scheduling(MeetingsCore):
    """Scheduling use cases: preview, create, schedule a draft, reschedule, cancel, list."""

    async def _plan(
        self, repo: Repository, kind: InstanceType, draft: InstanceDraft, now: datetime
    ) -> tuple[list[uuid.UUID], list[domain.PolicyBreach]]:
        self._check_theme(draft.theme)
        domain.check_dates(draft.starts_at, draft.ends_at, now)
        concerned = domain.concerned_councils(
            kind.scope,
            await repo.council_views(),
            city_code=draft.city_code,
            council_id=draft.council_id,
            theme=draft.theme,
        )
        return concerned, domain.policy_breaches(kind, draft.starts_at, now, self.timezone)

    async def preview(self, draft: InstanceDraft) -> Preview:
        kind = self.instance_type(draft.instance_type)
        async with self.units.reading() as repo:
            concerned, breaches = await self._plan(repo, kind, draft, self.clock())
        messages = [breach.message for breach in breaches]
        refused = bool(breaches) and kind.on_breach == "refuse"
        return Preview(
            warnings=messages,
            refused=refused,
            reason=domain.PolicyRefused(breaches).message if refused else None,
            concerned_council_ids=concerned,
            is_evening=domain.is_evening(draft.starts_at, kind.evening_rule, self.timezone),
        )

    async def create_instance(self, draft: InstanceDraft, *, as_draft: bool = False) -> InstanceDetail:
        kind = self.instance_type(draft.instance_type)
        now = self.clock()
        instance_id = uuid.uuid4()
        async with self.units.begin() as unit:
            repo = unit.repo
            concerned, breaches = await self._plan(repo, kind, draft, now)
            warnings = [] if as_draft else domain.apply_policy(kind, breaches)
            await repo.insert_instance(
                id=instance_id,
                instance_type=kind.slug,
                title=draft.title,
                theme=draft.theme,
                city_code=draft.city_code,
                council_id=draft.council_id,
                scope=kind.scope,
                starts_at=draft.starts_at,
                ends_at=draft.ends_at,
                location=draft.location,
                status="draft",
                is_political=kind.political,
                is_evening=domain.is_evening(draft.starts_at, kind.evening_rule, self.timezone),
                observers_allowed=kind.observers_allowed,
                sequence=0,
                policy_warnings=warnings,
                created_at=now,
                dossier_version=0,
                waitlist_counter=0,
            )
            await repo.set_concerned(instance_id, concerned)
            if not as_draft:
                await self._schedule(unit, instance_id, kind, now=now, breaches=breaches)
        return await self.get_instance(instance_id)

    async def schedule_draft(self, instance_id: uuid.UUID) -> InstanceDetail:
        now = self.clock()
        async with self.units.begin() as unit:
            repo = unit.repo
            row = await self._instance(repo, instance_id, lock=True)
            kind = self.instance_type(row.instance_type)
            draft = InstanceDraft(
                kind.slug,
                row.title,
                row.starts_at,
                row.ends_at,
                row.location,
                row.theme,
                row.city_code,
                row.council_id,
            )
            domain.transition(row.status, "schedule")
            concerned, breaches = await self._plan(repo, kind, draft, now)
            await repo.update_instance(instance_id, policy_warnings=domain.apply_policy(kind, breaches))
            await repo.set_concerned(instance_id, concerned)
            await self._schedule(unit, instance_id, kind, now=now, breaches=breaches)
        return await self.get_instance(instance_id)

    async def _schedule(
        self,
        unit: Unit,
        instance_id: uuid.UUID,
        kind: InstanceType,
        *,
        now: datetime,
        breaches: Sequence[domain.PolicyBreach],
    ) -> None:
        repo = unit.repo
        row = await self._instance(repo, instance_id)
        domain.transition(row.status, "schedule")
        await unit.emit(
            InstanceScheduled(
                instance_id=instance_id,
                instance_type=kind.slug,
                title=row.title,
                theme=row.theme,
                city_code=row.city_code,
                council_ids=await repo.concerned(instance_id),
                scope=kind.scope,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                location=row.location,
                is_political=kind.political,
                is_evening=row.is_evening,
                observers_allowed=kind.observers_allowed,
                sequence=row.sequence,
                policy_warnings=list(row.policy_warnings),
                time_slot=domain.time_slot(row.starts_at, self.timezone),
                timezone=self.timezone,
            )
        )
        await assign_rotation_turns(  # the rotation scenario: each council's next turn (rotation.py)
            self,
            unit,
            instance_id,
            kind.slug,
            row.starts_at.astimezone(ZoneInfo(self.timezone)).date(),
            list(await repo.concerned(instance_id)),
        )
        await self._alert_breaches(unit, instance_id, row.title, breaches, now)

    async def _alert_breaches(
        self,
        unit: Unit,
        instance_id: uuid.UUID,
        title: str,
        breaches: Sequence[domain.PolicyBreach],
        now: datetime,
    ) -> None:
        """A breach accepted with a warning is also raised to staff (alerts topic)."""
        for breach in breaches:
            await unit.emit(
                StaffAlertRaised(
                    alert_id=uuid.uuid4(),
                    kind=breach.code,
                    subject_id=instance_id,
                    message_fr=f"« {title} » : {breach.message}.",
                    raised_at=now,
                )
            )

    async def preview_reschedule(
        self, instance_id: uuid.UUID, starts_at: datetime, ends_at: datetime
    ) -> Preview:
        async with self.units.reading() as repo:
            row = await self._instance(repo, instance_id)
            domain.transition(row.status, "reschedule")
            kind = self.instance_type(row.instance_type)
            now = self.clock()
            domain.check_dates(starts_at, ends_at, now)
            breaches = domain.policy_breaches(kind, starts_at, now, self.timezone)
            concerned = await repo.concerned(instance_id)
        refused = bool(breaches) and kind.on_breach == "refuse"
        return Preview(
            warnings=[b.message for b in breaches],
            refused=refused,
            reason=domain.PolicyRefused(breaches).message if refused else None,
            concerned_council_ids=concerned,
            is_evening=domain.is_evening(starts_at, kind.evening_rule, self.timezone),
        )

    async def reschedule(
        self, instance_id: uuid.UUID, starts_at: datetime, ends_at: datetime, location: str | None
    ) -> InstanceDetail:
        now = self.clock()
        async with self.units.begin() as unit:
            row = await self._instance(unit.repo, instance_id, lock=True)
            status = domain.transition(row.status, "reschedule")
            kind = self.instance_type(row.instance_type)
            domain.check_dates(starts_at, ends_at, now)
            breaches = domain.policy_breaches(kind, starts_at, now, self.timezone)
            warnings = domain.apply_policy(kind, breaches)
            sequence = row.aggregate().next_sequence()
            new_location = location or row.location
            del status  # the transition is checked; the event applies it
            await unit.emit(
                InstanceRescheduled(
                    instance_id=instance_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location=new_location,
                    previous_starts_at=row.starts_at,
                    sequence=sequence,
                    policy_warnings=warnings,
                    time_slot=domain.time_slot(starts_at, self.timezone),
                    title=row.title,
                    timezone=self.timezone,
                )
            )
            await self._alert_breaches(unit, instance_id, row.title, breaches, now)
        return await self.get_instance(instance_id)

    async def cancel(self, instance_id: uuid.UUID, reason: str) -> InstanceDetail:
        now = self.clock()
        async with self.units.begin() as unit:
            row = await self._instance(unit.repo, instance_id, lock=True)
            status = domain.transition(row.status, "cancel")
            sequence = row.aggregate().next_sequence()
            if row.status == "draft":  # a draft was never announced: no fact to publish
                await unit.repo.update_instance(
                    instance_id, status=status, sequence=sequence, cancelled_at=now, cancel_reason=reason
                )
            else:
                await unit.emit(
                    InstanceCancelled(
                        instance_id=instance_id,
                        reason=reason,
                        sequence=sequence,
                        title=row.title,
                        starts_at=row.starts_at,
                    )
                )
        return await self.get_instance(instance_id)
