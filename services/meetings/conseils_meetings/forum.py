"""Forum outcomes use cases: councils' proposals and elected officials' commitments, and their history."""

from __future__ import annotations

import uuid
from datetime import date

from conseils_meetings import domain
from conseils_meetings.records import OutcomeRecord
from conseils_meetings.use_cases import (
    MeetingsCore,
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
    ) -> OutcomeRecord:
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

    async def update_outcome(self, outcome_id: uuid.UUID, status: str, note: str) -> OutcomeRecord:
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

    async def outcome(self, outcome_id: uuid.UUID) -> OutcomeRecord:
        async with self.units.reading() as repo:
            outcome = await repo.outcome(outcome_id)
            if outcome is None:
                raise NotFound("Proposition ou engagement introuvable.")
            return outcome

    async def list_outcomes(self, kind: str | None = None) -> list[OutcomeRecord]:
        async with self.units.reading() as repo:
            ids = await repo.outcome_ids(kind)
        return [await self.outcome(outcome_id) for outcome_id in ids]
