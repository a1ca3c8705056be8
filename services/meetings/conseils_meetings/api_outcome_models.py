"""Request and response models of the meetings API: proposals of the councils and commitments
of elected people, with their history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from conseils_meetings.api_models import _In

OutcomeStatus = Literal["proposed", "in_progress", "done", "abandoned"]


class OutcomeIn(_In):
    kind: Literal["proposal", "commitment"]
    text: str = Field(min_length=2, max_length=5000)
    made_by: str = Field(
        min_length=2,
        max_length=300,
        description="Le conseil qui propose, ou l'élu·e (fonction) qui s'engage.",
    )
    made_on: date
    council_id: uuid.UUID | None = None
    instance_id: uuid.UUID | None = None
    theme: str | None = None
    status: OutcomeStatus = "proposed"


class OutcomeUpdateIn(_In):
    status: OutcomeStatus
    note: str = Field(min_length=2, max_length=5000)


class OutcomeUpdateOut(BaseModel):
    status: str
    note: str
    at: datetime


class OutcomeOut(BaseModel):
    id: uuid.UUID
    kind: str
    text: str
    made_by: str
    made_on: date
    council_id: uuid.UUID | None
    instance_id: uuid.UUID | None
    theme: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    history: list[OutcomeUpdateOut]
