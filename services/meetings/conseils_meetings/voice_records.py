"""The frozen records of the councils' voice that the repository returns."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conseils_runtime.times import as_utc


@dataclass(frozen=True)
class OpinionRecord:
    project_id: uuid.UUID
    council_id: uuid.UUID
    opinion_id: uuid.UUID
    stance: str
    text: str
    given_by: uuid.UUID
    given_at: datetime
    revisions: int

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> OpinionRecord:
        return cls(
            project_id=row["project_id"],
            council_id=row["council_id"],
            opinion_id=row["opinion_id"],
            stance=row["stance"],
            text=row["text"],
            given_by=row["given_by"],
            given_at=as_utc(row["given_at"]),
            revisions=row["revisions"],
        )


@dataclass(frozen=True)
class ProjectRecord:
    id: uuid.UUID
    instance_id: uuid.UUID
    title: str
    promoter: str
    theme: str | None
    place: str | None
    amount_requested: int
    document: dict[str, Any] | None
    opinion_deadline: datetime
    submitted_at: datetime
    decision: str | None
    amount_granted: int | None
    decision_note: str | None
    decided_at: datetime | None
    opinions: tuple[OpinionRecord, ...] = ()

    @classmethod
    def of(cls, row: Mapping[Any, Any], opinions: tuple[OpinionRecord, ...] = ()) -> ProjectRecord:
        decided = row["decided_at"]
        return cls(
            id=row["id"],
            instance_id=row["instance_id"],
            title=row["title"],
            promoter=row["promoter"],
            theme=row["theme"],
            place=row["place"],
            amount_requested=row["amount_requested"],
            document=row["document"],
            opinion_deadline=as_utc(row["opinion_deadline"]),
            submitted_at=as_utc(row["submitted_at"]),
            decision=row["decision"],
            amount_granted=row["amount_granted"],
            decision_note=row["decision_note"],
            decided_at=None if decided is None else as_utc(decided),
            opinions=opinions,
        )


@dataclass(frozen=True)
class ParticipationChoiceRecord:
    council_id: uuid.UUID
    instance_type: str
    choice: str
    chosen_by: uuid.UUID
    chosen_at: datetime


@dataclass(frozen=True)
class CouncilOpinionRecord:
    """One opinion of a council, with its project and instance: the council's public page."""

    instance_id: uuid.UUID
    instance_title: str
    instance_starts_at: datetime
    project_title: str
    promoter: str
    stance: str
    text: str
    given_at: datetime
    decision: str | None
