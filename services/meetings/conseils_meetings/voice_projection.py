"""How the facts of the councils' voice are applied to the meetings tables: the one writer of
`projects`, `council_opinions` and `participation_choices`, used by the live service (through
`projection.apply`) and by the replay. Idempotent and tolerant of disorder: an opinion or a
choice older than the one held changes nothing; a project's decision is its newest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conseils_meetings.repository import Repository
from conseils_meetings.voice_records import ParticipationChoiceRecord
from conseils_runtime.territory import TerritoryConfig
from conseils_runtime.times import as_utc
from conseils_schemas.events import (
    CouncilOpinionGiven,
    CouncilParticipationChosen,
    ProjectDecided,
    ProjectSubmitted,
)


async def _submitted(
    event: ProjectSubmitted, session: AsyncSession, at: datetime, _t: TerritoryConfig
) -> None:
    del at
    repo = Repository(session)
    if await repo.project(event.project_id) is not None or await repo.instance(event.instance_id) is None:
        return
    await repo.insert_project(
        id=event.project_id,
        instance_id=event.instance_id,
        title=event.title,
        promoter=event.promoter,
        theme=event.theme,
        place=event.place,
        amount_requested=event.amount_requested_euros,
        document=None if event.document is None else event.document.model_dump(mode="json"),
        opinion_deadline=event.opinion_deadline,
        submitted_at=event.submitted_at,
    )


async def _opinion(
    event: CouncilOpinionGiven, session: AsyncSession, at: datetime, _t: TerritoryConfig
) -> None:
    del at
    repo = Repository(session)
    if await repo.project(event.project_id) is None:
        return
    current = await repo.opinion(event.project_id, event.council_id)
    values = {
        "opinion_id": event.opinion_id,
        "stance": event.stance,
        "text": event.text,
        "given_by": event.given_by,
        "given_at": event.given_at,
    }
    if current is None:
        await repo.insert_opinion(
            project_id=event.project_id,
            council_id=event.council_id,
            instance_id=event.instance_id,
            revisions=1,
            **values,
        )
    elif current.opinion_id != event.opinion_id and as_utc(event.given_at) >= current.given_at:
        await repo.update_opinion(
            event.project_id, event.council_id, revisions=current.revisions + 1, **values
        )


async def _decided(event: ProjectDecided, session: AsyncSession, at: datetime, _t: TerritoryConfig) -> None:
    del at
    repo = Repository(session)
    project = await repo.project(event.project_id)
    if project is None or (project.decided_at is not None and project.decided_at > as_utc(event.decided_at)):
        return
    await repo.update_project(
        event.project_id,
        decision=event.decision,
        amount_granted=event.amount_granted_euros,
        decision_note=event.note,
        decided_at=event.decided_at,
    )


async def _chosen(
    event: CouncilParticipationChosen, session: AsyncSession, at: datetime, _t: TerritoryConfig
) -> None:
    del at
    repo = Repository(session)
    held = {c.instance_type: c for c in await repo.participation_choices(event.council_id)}
    current = held.get(event.instance_type)
    if current is not None and as_utc(current.chosen_at) > as_utc(event.chosen_at):
        return
    await repo.save_participation_choice(
        ParticipationChoiceRecord(
            event.council_id, event.instance_type, event.choice, event.chosen_by, event.chosen_at
        )
    )


VOICE_APPLY: dict[type[Any], Any] = {
    ProjectSubmitted: _submitted,
    CouncilOpinionGiven: _opinion,
    ProjectDecided: _decided,
    CouncilParticipationChosen: _chosen,
}
"""The voice facts' apply functions, merged into `projection.APPLY`."""
