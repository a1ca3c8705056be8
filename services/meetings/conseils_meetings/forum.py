"""Forum outcomes use cases: councils' proposals and elected officials' commitments, and their history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from conseils_meetings import domain
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
        async with self.units.begin() as unit:
            if instance_id is not None:
                await self._instance(unit.repo, instance_id)
            await unit.emit(event)  # applied by `projection.apply` (outcomes.apply_outcome_event)
        return await self.outcome(event.outcome_id)

    async def update_outcome(self, outcome_id: uuid.UUID, status: str, note: str) -> dict[str, Any]:
        now = self.clock()
        async with self.units.begin() as unit:
            current = await unit.repo.outcome_status(outcome_id, lock=True)
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
                    "position": await unit.repo.latest_outcome_position(outcome_id) + 1,
                    "changed_at": now,
                }
            )
            await unit.emit(event)  # applied by `projection.apply` (outcomes.apply_outcome_event)
        return await self.outcome(outcome_id)

    async def outcome(self, outcome_id: uuid.UUID) -> dict[str, Any]:
        async with self.units.reading() as repo:
            row = await repo.outcome(outcome_id)
            if row is None:
                raise NotFound("Proposition ou engagement introuvable.")
            result = aware_row(row)
            result["history"] = [aware_row(item) for item in await repo.outcome_history(outcome_id)]
            return result

    async def list_outcomes(self, kind: str | None = None) -> list[dict[str, Any]]:
        async with self.units.reading() as repo:
            ids = await repo.outcome_ids(kind)
        return [await self.outcome(outcome_id) for outcome_id in ids]
