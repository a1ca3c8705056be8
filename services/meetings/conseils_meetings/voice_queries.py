"""Queries on the tables of the councils' voice (projects, opinions, participation choices).
Part of `Repository`; the only writer of these tables is `voice_projection`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings import tables
from conseils_meetings import voice_tables as vt
from conseils_meetings.voice_figures import OpinionOutcome
from conseils_meetings.voice_records import (
    CouncilOpinionRecord,
    OpinionRecord,
    ParticipationChoiceRecord,
    ProjectRecord,
)
from conseils_runtime.times import as_utc


class VoiceQueries:
    session: AsyncSession

    async def project(self, project_id: uuid.UUID) -> ProjectRecord | None:
        row = (
            (await self.session.execute(select(vt.projects).where(vt.projects.c.id == project_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return ProjectRecord.of(row, tuple((await self._opinions([project_id])).get(project_id, [])))

    async def projects_of(self, instance_ids: Sequence[uuid.UUID]) -> list[ProjectRecord]:
        if not instance_ids:
            return []
        rows = list(
            (
                await self.session.execute(
                    select(vt.projects)
                    .where(vt.projects.c.instance_id.in_(list(instance_ids)))
                    .order_by(vt.projects.c.submitted_at, vt.projects.c.title, vt.projects.c.id)
                )
            ).mappings()
        )
        opinions = await self._opinions([row["id"] for row in rows])
        return [ProjectRecord.of(row, tuple(opinions.get(row["id"], ()))) for row in rows]

    async def _opinions(self, project_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[OpinionRecord]]:
        found: dict[uuid.UUID, list[OpinionRecord]] = defaultdict(list)
        if not project_ids:
            return found
        rows = await self.session.execute(
            select(vt.opinions)
            .where(vt.opinions.c.project_id.in_(project_ids))
            .order_by(vt.opinions.c.council_id)
        )
        for row in rows.mappings():
            found[row["project_id"]].append(OpinionRecord.of(row))
        return found

    async def opinion_outcomes(self, instance_ids: Sequence[uuid.UUID]) -> list[OpinionOutcome]:
        """The councils' opinions on the projects of these instances, each with its decision."""
        if not instance_ids:
            return []
        rows = await self.session.execute(
            select(
                vt.opinions.c.council_id,
                vt.opinions.c.stance,
                vt.projects.c.decision,
                vt.opinions.c.instance_id,
            )
            .join(vt.projects, vt.projects.c.id == vt.opinions.c.project_id)
            .where(vt.opinions.c.instance_id.in_(list(instance_ids)))
        )
        return [OpinionOutcome(row.council_id, row.stance, row.decision, row.instance_id) for row in rows]

    async def council_opinions(self, council_id: uuid.UUID) -> list[CouncilOpinionRecord]:
        """A council's opinions on the projects of instances that were not cancelled, newest first."""
        instances = tables.instances
        rows = await self.session.execute(
            select(
                vt.opinions.c.instance_id,
                instances.c.title.label("instance_title"),
                instances.c.starts_at,
                vt.projects.c.title,
                vt.projects.c.promoter,
                vt.opinions.c.stance,
                vt.opinions.c.text,
                vt.opinions.c.given_at,
                vt.projects.c.decision,
            )
            .join(vt.projects, vt.projects.c.id == vt.opinions.c.project_id)
            .join(instances, instances.c.id == vt.opinions.c.instance_id)
            .where(vt.opinions.c.council_id == council_id, instances.c.status != "cancelled")
            .order_by(instances.c.starts_at.desc(), vt.projects.c.title)
        )
        return [
            CouncilOpinionRecord(
                row.instance_id,
                row.instance_title,
                as_utc(row.starts_at),
                row.title,
                row.promoter,
                row.stance,
                row.text,
                as_utc(row.given_at),
                row.decision,
            )
            for row in rows
        ]

    async def insert_project(self, **values: Any) -> None:
        await self.session.execute(vt.projects.insert().values(**values))

    async def update_project(self, project_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(update(vt.projects).where(vt.projects.c.id == project_id).values(**values))

    async def opinion(self, project_id: uuid.UUID, council_id: uuid.UUID) -> OpinionRecord | None:
        row = (
            (
                await self.session.execute(
                    select(vt.opinions).where(
                        vt.opinions.c.project_id == project_id, vt.opinions.c.council_id == council_id
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else OpinionRecord.of(row)

    async def insert_opinion(self, **values: Any) -> None:
        await self.session.execute(vt.opinions.insert().values(**values))

    async def update_opinion(self, project_id: uuid.UUID, council_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(
            update(vt.opinions)
            .where(vt.opinions.c.project_id == project_id, vt.opinions.c.council_id == council_id)
            .values(**values)
        )

    async def council_name(self, council_id: uuid.UUID) -> str | None:
        name = await self.session.scalar(
            select(tables.councils.c.name).where(tables.councils.c.council_id == council_id)
        )
        return None if name is None else str(name)

    async def participation_choices(
        self, council_id: uuid.UUID | None = None
    ) -> list[ParticipationChoiceRecord]:
        query = select(vt.participation_choices).order_by(
            vt.participation_choices.c.council_id, vt.participation_choices.c.instance_type
        )
        if council_id is not None:
            query = query.where(vt.participation_choices.c.council_id == council_id)
        return [
            ParticipationChoiceRecord(
                row.council_id, row.instance_type, row.choice, row.chosen_by, row.chosen_at
            )
            for row in await self.session.execute(query)
        ]

    async def save_participation_choice(self, record: ParticipationChoiceRecord) -> None:
        table = vt.participation_choices
        await self.session.execute(
            table.delete().where(
                table.c.council_id == record.council_id, table.c.instance_type == record.instance_type
            )
        )
        await self.session.execute(
            table.insert().values(
                council_id=record.council_id,
                instance_type=record.instance_type,
                choice=record.choice,
                chosen_by=record.chosen_by,
                chosen_at=record.chosen_at,
            )
        )
