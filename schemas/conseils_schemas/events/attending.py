"""Events of lifting the barriers to attending (issue 19): the needs declared for an instance,
counted per kind (never who needs what: the needs themselves stay in the meetings service), and
the cost claims of councillors who attended (kinds and amounts, ids only: never a receipt, a
name or a child's age)."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from .. import topics
from .base import TYPE_PREFIX, Event

NeedKind = Literal[
    "childcare", "sign_language", "interpreting", "hearing_loop", "step_free", "transport", "other"
]
"""What a councillor may need to come: childcare, LSF (French sign language) or other
interpreting, a hearing loop, step-free access, help with transport, something else."""

ClaimKind = Literal["childcare", "transport"]
ClaimDecision = Literal["approved", "refused", "paid"]


class _RegistrationsTopic(Event):
    topic: ClassVar[str] = topics.MEETINGS_REGISTRATIONS
    key_field: ClassVar[str] = "instance_id"

    instance_id: UUID


class NeedsCounted(_RegistrationsTopic):
    """The needs declared for an instance, counted per kind, and how many of them are booked.
    Carries the whole count after each change (applying it twice changes nothing)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.needs.counted.v1"

    requested: dict[NeedKind, int] = Field(description="How many councillors asked for each need.")
    booked: dict[NeedKind, int] = Field(description="How many of those the organiser has booked.")
    counted_at: AwareDatetime


class CostClaimSubmitted(_RegistrationsTopic):
    """A councillor who attended claims a cost (her receipt stays in the meetings service)."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.cost_claim.submitted.v1"

    claim_id: UUID
    member_id: UUID
    council_id: UUID | None = None
    kind: ClaimKind
    amount_cents: int = Field(ge=1, le=10_000_00, description="Amount claimed, in euro cents.")
    hours: float | None = Field(default=None, gt=0, le=24, description="Hours of childcare.")
    submitted_at: AwareDatetime


class CostClaimDecided(_RegistrationsTopic):
    """Staff approved or refused a claim (with the reason), or marked it paid."""

    event_type: ClassVar[str] = TYPE_PREFIX + "meetings.cost_claim.decided.v1"

    claim_id: UUID
    member_id: UUID = Field(description="Who claimed (so that she can be told), an id only.")
    decision: ClaimDecision
    reason: str | None = Field(
        default=None, max_length=500, description="Why it was refused (staff text, names no one)."
    )
    decided_at: AwareDatetime
