"""Forum outcomes use cases: councils' proposals and elected officials' commitments, and their history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from conseils_meetings import domain, tables
from conseils_meetings.outcomes import apply_outcome_event, latest_position
from conseils_meetings.repository import Repository
from conseils_meetings.use_cases import (
    MeetingsCore,
    aware_row,
)
from conseils_runtime.http import NotFound
from conseils_schemas import (
    OutcomeRecorded,
    OutcomeStatusChanged,
)


class Forum(MeetingsCore):
    """Forum outcomes use cases: councils' proposals and elected officials' commitments, and their history."""

    async def add_outcome(
        self,
        *,
        kind: str,
        text: str,
        made_by: str,
        made_on: date,
        council_id: uuid.UUID | None,
        instance_id: uuid.UUID | None,
        theme: str | None,
        status: str = "proposed",
    ) -> dict[str, Any]:
        self._check_theme(theme)
        event = OutcomeRecorded.model_validate(
            {
                "outcome_id": uuid.uuid4(),
                "kind": kind,
                "text": text,
                "made_by": made_by,
                "made_on": made_on,
                "council_id": council_id,
                "instance_id": instance_id,
                "theme": theme,
                "status": status,
                "recorded_at": self.clock(),
            }
        )
        async with self.database.sessionmaker() as session, session.begin():
            if instance_id is not None:
                await self._instance(Repository(session), instance_id)
            await apply_outcome_event(session, event)
            await self._emit(session, event)
        return await self.outcome(event.outcome_id)

    async def update_outcome(self, outcome_id: uuid.UUID, status: str, note: str) -> dict[str, Any]:
        now = self.clock()
        async with self.database.sessionmaker() as session, session.begin():
            current = await session.scalar(
                select(tables.outcomes.c.status).where(tables.outcomes.c.id == outcome_id).with_for_update()
            )
            if current is None:
                raise NotFound("Proposition ou engagement introuvable.")
            domain.check_outcome_update(current, status)
            # The row is locked: the next position of its history is ours alone.
            event = OutcomeStatusChanged.model_validate(
                {
                    "outcome_id": outcome_id,
                    "status": status,
                    "previous_status": current,
                    "note": note,
                    "position": await latest_position(session, outcome_id) + 1,
                    "changed_at": now,
                }
            )
            await apply_outcome_event(session, event)
            await self._emit(session, event)
        return await self.outcome(outcome_id)

    async def outcome(self, outcome_id: uuid.UUID) -> dict[str, Any]:
        async with self.database.sessionmaker() as session:
            row = (
                (await session.execute(select(tables.outcomes).where(tables.outcomes.c.id == outcome_id)))
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound("Proposition ou engagement introuvable.")
            history = await session.execute(
                select(tables.outcome_updates)
                .where(tables.outcome_updates.c.outcome_id == outcome_id)
                .order_by(tables.outcome_updates.c.position)
            )
            result = aware_row(row)
            result["history"] = [aware_row(item) for item in history.mappings()]
            return result

    async def list_outcomes(self, kind: str | None = None) -> list[dict[str, Any]]:
        async with self.database.sessionmaker() as session:
            query = select(tables.outcomes.c.id).order_by(tables.outcomes.c.made_on)
            if kind is not None:
                query = query.where(tables.outcomes.c.kind == kind)
            ids = [row[0] for row in await session.execute(query)]
        return [await self.outcome(outcome_id) for outcome_id in ids]
